"""Human units, tab alignment and config.json default formats of list output."""

import pytest

from dockyard.cli.inspect import human_duration, human_size, tabwrite


def test_human_units():
    assert human_size(2048, 3) == "2.05kB"
    assert human_size(187654321, 3) == "188MB"
    assert human_size(187654321) == "187.7MB"
    assert human_size(0) == "0B"
    assert human_duration(0.5) == "Less than a second"
    assert human_duration(90) == "About a minute"
    assert human_duration(3600 * 30) == "30 hours"
    assert human_duration(86400 * 400) == "13 months"


def test_tabwrite_min_width_and_padding():
    assert tabwrite(["A\tBB\tC", "long-cell-value\tx\ty"]) == (
        "A" + " " * 17 + "BB" + " " * 8 + "C\nlong-cell-value   x" + " " * 9 + "y"
    )


def test_config_json_formats_are_defaults(tmp_path, monkeypatch, capsys):
    from dockyard.cli.inspect import print_list

    (tmp_path / "config.json").write_text('{"volumesFormat": "{{.Name}}/{{.Driver}}"}')
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    print_list([{"Name": "v1", "Driver": "local"}], None, "volume")
    print_list([{"Name": "v1", "Driver": "local"}], "{{.Driver}}", "volume")
    assert capsys.readouterr().out == "v1/local\nlocal\n"


INSPECT_LINES = [
    ["web"], ["a", "b"], ["-s", "web"], ["--size", "web", "-f", "{{.Id}}"], ["-f", "json", "x"],
    ["--format={{.Name}}", "x"], ["--format=", "x"], ["--format", "", "x"], ["-f", "a", "-f", "b", "x"],
    ["--type", "container", "x"], ["--type=image", "x"], ["x", "y", "--type", "volume"], ["-", "x"],
]  # fmt: skip
INSPECT_KINDS = [("inspect", True, True), ("container inspect", True, False),
                 ("image inspect", False, False)]  # fmt: skip


@pytest.mark.parametrize("argv", INSPECT_LINES)
@pytest.mark.parametrize("command,with_size,with_type", INSPECT_KINDS)
def test_plain_inspect_lines_read_as_argparse_reads_them(
    command: str, with_size: bool, with_type: bool, argv: list[str]
) -> None:
    from dockyard.cli.inspect import _inspect_parser, quick_inspect_args

    quick = quick_inspect_args(argv, with_size, with_type)
    unknown = ({"-s", "--size"} if not with_size else set()) | (
        {"--type"} if not with_type else set()
    )
    if any(a.split("=")[0] in unknown for a in argv):
        assert quick is None  # the flag is not this command's: argparse reports it
        return
    assert quick is not None
    assert vars(quick) == vars(_inspect_parser(command, with_size, with_type).parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [[], ["-f"], ["-f", "-x", "web"], ["-fjson", "web"], ["-f=json", "web"], ["--form", "x", "w"],
     ["--si", "w"], ["--", "web"], ["-h"], ["--help"], ["--size=1", "w"], ["-sf", "x", "w"],
     ["--type"], ["-x", "w"], ["x", "-s", "y"], ["x", "--type", "volume", "y"]],
)  # fmt: skip
def test_other_inspect_lines_are_left_to_argparse(argv: list[str]) -> None:
    from dockyard.cli.inspect import quick_inspect_args

    assert quick_inspect_args(argv, True, True) is None
