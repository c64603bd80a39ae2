"""stats columns computed as the docker CLI computes them."""

import pytest

from dockyard.cli.containers import stats_row


def test_stats_row_cpu_and_memory():
    sample = {
        "id": "a" * 64,
        "name": "/web",
        "cpu_stats": {
            "cpu_usage": {"total_usage": 300},
            "system_cpu_usage": 2000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
        "memory_stats": {"usage": 3 << 20, "limit": 1 << 30, "stats": {"inactive_file": 1 << 20}},
        "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 0}},
        "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096}]},
        "pids_stats": {"current": 3},
    }
    row = stats_row(sample, "web")
    assert row["ID"] == "a" * 12 and row["Name"] == "web"
    assert row["CPUPerc"] == "40.00%"
    assert row["MemUsage"] == "2MiB / 1GiB"
    assert row["MemPerc"] == "0.20%"
    assert row["NetIO"] == "1.5kB / 0B"
    assert row["BlockIO"] == "4.1kB / 0B"
    assert row["PIDs"] == "3"


@pytest.mark.parametrize("argv", [["web"], ["web", "80"], ["web", "53/udp"], ["-"]])
def test_plain_port_lines_read_as_argparse_reads_them(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    from dockyard.cli import containers

    expected = vars(containers._port_parser().parse_args(argv))
    monkeypatch.setattr(containers, "_port_parser", None)  # argparse is not used
    assert vars(containers.port_args(argv)) == expected


@pytest.mark.parametrize("argv", [[], ["a", "b", "c"], ["-x", "w"], ["--", "w"], ["--help"]])
def test_other_port_lines_are_left_to_argparse(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    from dockyard.cli import containers

    def refuse() -> None:
        raise LookupError("argparse")

    monkeypatch.setattr(containers, "_port_parser", refuse)
    with pytest.raises(LookupError):
        containers.port_args(argv)
