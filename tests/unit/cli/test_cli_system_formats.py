"""Go templates see Docker's Go structs: version, info, events, system df (issue 18)."""

from __future__ import annotations

import pytest

from dockyard.cli.common import CLIError
from dockyard.cli.gotemplate import TemplateError, render
from dockyard.cli.inspect import render_list, time_arg
from dockyard.cli.progress import StreamError, display_stream
from dockyard.cli.sysinfo import info_data, security_lines, version_data
from dockyard.cli.system import _event_line, df_rows, event_data

SERVER = {
    "Platform": {"Name": "dockyard"},
    "Components": [{"Name": "Engine", "Version": "0.1.0", "Details": {"Os": "linux", "ApiVersion": "1.45"}}],
    "Version": "0.1.0",
    "ApiVersion": "1.45",
    "MinAPIVersion": "1.24",
    "GitCommit": "",
    "GoVersion": "python3.11",
    "Os": "linux",
    "Arch": "amd64",
    "KernelVersion": "6.1",
}
CLIENT = {"Version": "0.1.0", "ApiVersion": "1.45", "DefaultAPIVersion": "1.45", "Context": "default"}


def test_version_fields_by_go_name():
    data = version_data(CLIENT, SERVER)
    assert render("{{.Server.APIVersion}} {{.Client.APIVersion}} {{.Client.Context}}", data) == "1.45 1.45 default"
    with pytest.raises(TemplateError, match=r"can't evaluate field ApiVersion in type \*types.Version"):
        render("{{.Server.ApiVersion}}", data)


def test_version_json_uses_tags_in_field_order():
    out = render("{{json .Server}}", version_data(CLIENT, SERVER))
    assert out.startswith('{"Platform":{"Name":"dockyard"},"Components":[{"Name":"Engine","Version":"0.1.0","Details":{"ApiVersion":"1.45","Os":"linux"}}],')
    assert '"ApiVersion":"1.45","MinAPIVersion":"1.24"' in out
    assert "Experimental" not in out and "BuildTime" not in out  # omitempty, as encoding/json


def test_info_renames_proxies_and_adds_client_info():
    data = info_data({"NCPU": 2, "HttpProxy": "http://p", "HttpsProxy": ""}, CLIENT)
    assert render("{{.NCPU}} {{.HTTPProxy}} {{.ClientInfo.Context}}", data) == "2 http://p default"
    with pytest.raises(TemplateError, match="can't evaluate field HttpProxy in type system.dockerInfo"):
        render("{{.HttpProxy}}", data)
    assert render("{{json .}}", data).startswith('{"NCPU":2,"HttpProxy":"http://p","HttpsProxy":"",')


EVENT = {
    "status": "die",
    "id": "abc",
    "from": "busybox",
    "Type": "container",
    "Action": "die",
    "Actor": {"ID": "abc", "Attributes": {"name": "x", "exitCode": "3"}},
    "scope": "local",
    "time": 1700000000,
    "timeNano": 1700000000123456789,
}


def test_event_fields_by_go_name():
    data = event_data(EVENT)
    assert render("{{.Time}} {{.ID}} {{.From}} {{.Status}} {{.Actor.ID}}", data) == "1700000000 abc busybox die abc"
    assert render("{{json .}}", data) == (
        '{"status":"die","id":"abc","from":"busybox","Type":"container","Action":"die",'
        '"Actor":{"ID":"abc","Attributes":{"exitCode":"3","name":"x"}},"scope":"local",'
        '"time":1700000000,"timeNano":1700000000123456789}'
    )
    with pytest.raises(TemplateError, match=r"can't evaluate field Nope in type \*events.Message"):
        render("{{.Nope}}", event_data({}))


def test_event_line_has_nanoseconds_and_z(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        line = _event_line(EVENT)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert line == "2023-11-14T22:13:20.123456789Z container die abc (exitCode=3, name=x)"


DF = {
    "LayersSize": 2000,
    "Images": [{"Size": 2000, "SharedSize": 0, "Containers": 1}],
    "Containers": [{"State": "exited", "SizeRw": 0}, {"State": "running", "SizeRw": 0}],
    "Volumes": [],
    "BuildCache": [],
}


def test_df_rows_as_docker():
    rows = df_rows(DF)
    assert [r["Type"] for r in rows] == ["Images", "Containers", "Local Volumes", "Build Cache"]
    assert rows[0] == {"Type": "Images", "TotalCount": "1", "Active": "1", "Size": "2kB", "Reclaimable": "0B (0%)"}
    assert rows[1]["Active"] == "1" and rows[1]["Reclaimable"] == "0B"  # no share of nothing
    table = render_list(rows, None, "df")
    assert table.split("\n")[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
    assert render_list(rows, "json", "df").split("\n")[0] == (
        '{"Active":"1","Reclaimable":"0B (0%)","Size":"2kB","TotalCount":"1","Type":"Images"}'
    )
    assert render_list(rows, "{{.Type}}={{.TotalCount}}", "df").split("\n")[:2] == ["Images=1", "Containers=2"]
    with pytest.raises(CLIError, match=r"can't evaluate field Nope in type \*formatter.diskUsageImagesContext"):
        render_list(rows, "{{.Nope}}", "df")


def test_failed_build_step_code_travels_with_the_error():
    msgs = [{"stream": "Step 1/1\n"}, {"errorDetail": {"code": 3, "message": "boom"}, "error": "boom"}]
    with pytest.raises(StreamError) as exc:
        display_stream(iter(msgs), open("/dev/null", "w"), False)
    assert (str(exc.value), exc.value.code) == ("boom", 3)
    with pytest.raises(StreamError) as exc:
        display_stream(iter([{"error": "plain"}]), open("/dev/null", "w"), False)
    assert exc.value.code == 1


def test_bad_time_values_exit_1_with_dockers_text():
    with pytest.raises(CLIError) as exc:
        time_arg("xyz", "since")
    assert (exc.value.code, exc.value.message) == (
        1,
        'invalid value for "since": failed to parse value as time or duration: "xyz"',
    )
    with pytest.raises(CLIError, match='^failed to parse value as time or duration: "xyz"$'):
        time_arg("xyz")


@pytest.mark.parametrize(
    "fmt",
    ["{{.Client.Version}}", "{{ .Server.APIVersion }}", "{{.Server.Platform.Name}}",
     "{{.Server.Experimental}}", "{{.Client.Version}} {{.Server.Version}}", "{{json .Client}}"],
)  # fmt: skip
def test_one_field_formats_skip_the_engine_and_print_the_same(fmt: str) -> None:
    from dockyard.cli.sysinfo import _one_text_field, render_format

    data = version_data(CLIENT, SERVER)
    assert render_format(fmt, data) == render(fmt, data)
    simple = fmt in ("{{.Client.Version}}", "{{ .Server.APIVersion }}", "{{.Server.Platform.Name}}")
    assert (_one_text_field(fmt, data) is not None) == simple


def test_info_security_options_as_docker_shows_them():
    assert security_lines([]) == []
    assert security_lines(["name=seccomp,profile=/etc/p.json", "name=userns"]) == [
        " Security Options:",
        "  seccomp",
        "   Profile: /etc/p.json",
        "  userns",
    ]
