"""Human units, tab alignment and config.json default formats of list output."""

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
