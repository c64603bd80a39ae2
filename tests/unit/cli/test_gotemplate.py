"""Go text/template behaviour; expected texts were checked against Go's own output."""

from __future__ import annotations

import pytest

from dockyard.cli.gotemplate import TemplateError, compile_template, render

DATA = {
    "A": {"B": "x"},
    "N": None,
    "L": [1, "a", True, None, 1.5],
    "M": {"z": 1, "a": [1, 2]},
    "F": 1000000.0,
    "I": 3,
    "S": "héllo",
    "E": {},
    "Config": {"Labels": {"com.example": "v"}, "Env": ["A=1", "B=2"]},
    "State": {"Status": "running", "Health": None, "ExitCode": 0},
}


def run(src: str, data: object = DATA) -> str:
    return render(src, data)


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("{{.A.B}}", "x"),
        ("{{.State.Status}}", "running"),
        ("{{.X}}", "<no value>"),
        ("{{.X.Y}}", "<no value>"),
        ("{{.N}}", "<nil>"),
        ("{{.L}}", "[1 a true <nil> 1.5]"),
        ("{{.M}}", "map[a:[1 2] z:1]"),
        ("{{.E}}", "map[]"),
        ("{{.F}}", "1e+06"),
        ("{{.I}}", "3"),
        ("{{true}} {{false}}", "true false"),
        ('{{index .M "q"}}', "<no value>"),
        ('{{index .Config.Labels "missing"}}', ""),
        ('{{index .Config.Labels "com.example"}}', "v"),
        ("{{index .L 1 0}}", "97"),
        ('{{index . "A" "B"}}', "x"),
        ("{{len .S}} {{len .M}} {{len .L}} {{len .E}}", "6 2 5 0"),
        ('{{len "日本"}}', "6"),
        ("{{range .M}}{{.}},{{end}}", "[1 2],1,"),
        ("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=[1 2];z=1;"),
        ("{{range .N}}x{{else}}empty{{end}}", "empty"),
        ("{{range .X}}x{{end}}ok", "ok"),
        ("{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}", "0:A=1 1:B=2 "),
        ("{{range $e := .Config.Env}}[{{$e}}]{{end}}", "[A=1][B=2]"),
        ('{{range .Config.Env}}{{if eq . "B=2"}}{{break}}{{end}}{{.}}{{end}}', "A=1"),
        ('{{range .Config.Env}}{{if eq . "A=1"}}{{continue}}{{end}}{{.}}{{end}}', "B=2"),
        ("{{range .L}}{{$.I}}{{end}}", "33333"),
        ("{{with .X}}a{{else}}b{{end}}", "b"),
        ("{{with .A}}{{.B}}{{end}}", "x"),
        ('{{with $x := "v"}}{{$x}}{{.}}{{end}}', "vv"),
        ("{{with .A.B}}{{.}}{{else with .M}}m{{end}}", "x"),
        ("{{with .X}}{{.}}{{else with .M}}m{{end}}", "m"),
        ("{{if .N}}a{{else if .E}}b{{else}}c{{end}}", "c"),
        ("{{if .A}}a{{else if .E}}b{{else}}c{{end}}", "a"),
        ("{{if and .A .M}}yes{{end}}", "yes"),
        ('{{and 1 0 2}} {{or 0 "" 3}} {{not .N}} {{not 0}} {{not "x"}}', "0 3 true true false"),
        ("{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}", "2"),
        ("{{$x := 1}}{{$x := 2}}{{$x}}", "2"),
        ("{{$x := .A}}{{$x = .M}}{{$x.z}}", "1"),
        ("{{$.A.B}} {{(.A).B}}", "x x"),
        ('{{.A.B | printf "%s-%s" "p"}}', "p-x"),
        ('{{"a" | printf "%s%s" "b"}}', "ba"),
        ('{{.L | len | printf "%d"}}', "5"),
        ('{{printf "%d items" (len .L)}}', "5 items"),
        ("{{- .A.B -}} {{- 3}}", "x3"),
        ("{{-3}}", "-3"),
        ("  {{- /* c */ -}}  x", "x"),
        ("{{.A.B}} {{/* comment */}} x", "x  x"),
        ('{{- "a" }} b {{ "c" -}} d', "a b cd"),
        ("{{- if .A}}\n  ok\n{{- end}}", "\n  ok"),
        ("{{range .Config.Env -}}\n  {{.}}\n{{- end}}", "A=1B=2"),
        ('{{"\\x41\\u00e9\\n"}}{{`raw\\n`}}', "Aé\nraw\\n"),
        ("{{'a'}} {{0x1F}} {{1e3}} {{1_000}} {{010}}", "97 31 1000 1000 8"),
        ("{{printf \"%T %T %T\" 'a' 1.0 1}}", "int float64 int"),
        ("{{print .N .X}}", "<nil> <nil>"),
        ('{{print 1 2 "a" "b" 3}}', "1 2ab3"),
        ('{{println 1 "a"}}', "1 a\n"),
        ("{{slice .S 1 3}}", "é"),
        ("{{slice .Config.Env 1}}", "[B=2]"),
        ('{{html "<a&\\"x\\x27>"}}', "&lt;a&amp;&#34;x&#39;&gt;"),
        ('{{js "<a&\\"x\\x27=\\n>"}}', "\\u003Ca\\u0026\\\"x\\'\\u003D\\u000A\\u003E"),
        ('{{urlquery "a b&c/d"}}', "a+b%26c%2Fd"),
        ('{{define "x"}}X{{.}}{{end}}{{template "x" .I}}', "X3"),
        ('{{block "y" .A}}[{{.B}}]{{end}}', "[x]"),
        ('{{if eq .S "héllo" "x"}}match{{end}}', "match"),
        (
            '{{lt 1 2}}{{lt 1.5 2.5}}{{le "a" "b"}}{{ne 1 2}}{{eq 1 2 1}}{{gt 2 1}}{{ge 1 1}}',
            "truetruetruetruetruetruetrue",
        ),
        ("{{eq .N .X}} {{eq .N 1}} {{eq .X 1}}", "true false false"),
        ("{{if eq .State.ExitCode 0}}ok{{end}}", "ok"),
    ],
)
def test_execute(src: str, want: str) -> None:
    assert run(src) == want


@pytest.mark.parametrize(
    ("src", "want"),
    [
        (
            '{{printf "%5s|%-5d|%+d|%x|%X|%o|%b|%c|%U" "é" 3 3 255 255 8 5 65 65}}',
            "    é|3    |+3|ff|FF|10|101|A|U+0041",
        ),
        (
            '{{printf "%e|%g|%.2g|%8.3f|%t" 1234.5678 1234.5678 1234.5678 3.14159 true}}',
            "1.234568e+03|1234.5678|1.2e+03|   3.142|true",
        ),
        ('{{printf "%q %v %d" 65 "x" 1.5}}', "'A' x %!d(float64=1.5)"),
        ('{{printf "%v %s" .M .N}}', "map[a:[1 2] z:1] %!s(<nil>)"),
        ('{{.X | printf "%s %d"}}', "%!s(<nil>) %!d(MISSING)"),
        ('{{printf "%6.2f|%-8q|%08.3f" 3.14159 "a" -3.5}}', '  3.14|"a"     |-003.500'),
        (
            '{{printf "%v %v %v %v %v %v" 1e-7 123456789.0 -0.0 123456.0 1e20 0.0001}}',
            "1e-07 1.23456789e+08 -0 123456 1e+20 0.0001",
        ),
        ('{{printf "%s %v" true false}}', "%!s(bool=true) false"),
        ('{{printf "%d%%" 5}}', "5%"),
        ('{{printf "%!"}}|{{printf "%z" 1}}', "%!!(MISSING)|%!z(int=1)"),
        ('{{printf "%s"}}', "%!s(MISSING)"),
        ('{{printf "%s" 1 2}}', "%!s(int=1)%!(EXTRA int=2)"),
        ('{{printf "%.3s|%x|% x" "abcdef" "hi" "hi"}}', "abc|6869|68 69"),
        ('{{printf "%-10s|%10s|" "ab" "cd"}}', "ab        |        cd|"),
        ('{{printf "%5.1f%%" 45.678}}', " 45.7%"),
        ('{{printf "%03d|%-3d|%+.2e" 7 7 12345.678}}', "007|7  |+1.23e+04"),
        ('{{printf "%c|%q|%U" 0x65E5 0x65E5 0x65E5}}', "日|'日'|U+65E5"),
        ('{{printf "%x %X %o %b" -255 255 -8 -5}}', "-ff FF -10 -101"),
        (
            '{{printf "%v|%s" .L .L}}',
            "[1 a true <nil> 1.5]|[%!s(int=1) a %!s(bool=true) <nil> %!s(float64=1.5)]",
        ),
        ('{{printf "%g %G %e" 1e21 1e-7 0.0}}', "1e+21 1E-07 0.000000e+00"),
        ('{{printf "%v" 100000000.0}}', "1e+08"),
        ('{{printf "%q" "a\\"b\\n"}}', '"a\\"b\\n"'),
        ('{{printf "%[2]s %[1]s" "a" "b"}}', "b a"),
        ('{{printf "%[3]s" "a"}}', "%!s(BADINDEX)"),
        ('{{printf "[%s]" "a" "b"}}', "[a]%!(EXTRA string=b)"),
        ('{{printf "%*d|%-*d|" 5 42 4 7}}', "   42|7   |"),
        ('{{printf "%.*f" 2 3.14159}}', "3.14"),
        ('{{printf "%+q" "héllo"}}', '"h\\u00e9llo"'),
        ('{{printf "%#v %#v" "x" 3}}', '"x" 3'),
        (
            '{{printf "%x %X %.2x %x" 3.5 -0.1 1.0 0.0}}',
            "0x1.cp+01 -0X1.999999999999AP-04 0x1.00p+00 0x0p+00",
        ),
    ],
)
def test_printf(src: str, want: str) -> None:
    assert run(src) == want


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("{{json .Config}}", '{"Labels":{"com.example":"v"},"Env":["A=1","B=2"]}'),
        ("{{json .L}}", '[1,"a",true,null,1.5]'),
        ('{{json "<&>"}}', '"<&>"'),  # Docker turns HTML escaping off
        ("{{json .N}} {{json .X}}", "null null"),
        (
            "{{json 1.0}} {{json 1e21}} {{json 0.0000001}} {{json 1e20}}",
            "1 1e+21 1e-7 100000000000000000000",
        ),
        ('{{json "a\\u2028b\\tc"}}', '"a\\u2028b\\tc"'),
        ('{{join (split "a,b,c" ",") "|"}}', "a|b|c"),
        ('{{split "abc" ""}}', "[a b c]"),
        ('{{join .Config.Env ","}}', "A=1,B=2"),
        ('{{join .L ","}}', "1,a,true,<nil>,1.5"),
        ('{{join .M ","}}', "1,[1 2]"),
        ('{{join .N ","}}', ""),
        ('{{title "hello world-foo_bar"}}', "Hello World-Foo_bar"),
        ('{{pad "x" 1 1}}|{{pad "" 2 2}}', " x |"),
        ('{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{truncate "abc" 3}}', "abc|ab|abc"),
        ('{{upper "hi"}} {{lower "HI"}} {{.State.Status | upper}}', "HI hi RUNNING"),
    ],
)
def test_docker_functions(src: str, want: str) -> None:
    assert run(src) == want


@pytest.mark.parametrize(
    ("src", "msg"),
    [
        ("{{.Foo", "template: :1: unclosed action"),
        ("{{foo}}", 'template: :1: function "foo" not defined'),
        ("{{if .A}}", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{}}", "template: :1: missing value for command"),
        ("{{$x}}", 'template: :1: undefined variable "$x"'),
        ('{{"abc}}', "template: :1: unterminated quoted string"),
        ("{{range}}{{end}}", "template: :1: missing value for range"),
        ("{{if}}{{end}}", "template: :1: missing value for if"),
        ('{{.A | "x"}}', "template: :1: non executable command in pipeline stage 2"),
        ("{{.A )}}", 'template: :1: unexpected ")" in command'),
        ("{{.A ,}}", 'template: :1: unexpected "," in operand'),
        ("{{1.5.X}}", 'template: :1: unexpected . after term "1.5"'),
        ("{{/* c */ .A}}", "template: :1: comment ends before closing delimiter"),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("x\n{{.A", "template: :2: unclosed action"),
        ("{{range $a, $b, $c := .M}}{{end}}", "template: :1: too many declarations in range"),
    ],
)
def test_parse_errors(src: str, msg: str) -> None:
    with pytest.raises(TemplateError) as e:
        compile_template(src)
    assert str(e.value) == msg


@pytest.mark.parametrize(
    ("src", "msg"),
    [
        (
            "{{.N.Y}}",
            'template: :1:4: executing "" at <.N.Y>: nil pointer evaluating interface {}.Y',
        ),
        (
            "{{.State.Health.Status}}",
            'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status',
        ),
        (
            "{{index .L 9}}",
            'template: :1:2: executing "" at <index .L 9>: error calling index: index out of range: 9',
        ),
        (
            "{{len .N}}",
            'template: :1:2: executing "" at <len .N>: error calling len: len of nil pointer',
        ),
        (
            "{{.S.X}}",
            'template: :1:4: executing "" at <.S.X>: can\'t evaluate field X in type interface {}',
        ),
        (
            "{{.A.B 1}}",
            'template: :1:4: executing "" at <.A.B>: B is not a method but has arguments',
        ),
        (
            "{{.N | upper}}",
            'template: :1:7: executing "" at <upper>: invalid value; expected string',
        ),
        (
            "{{.I | upper}}",
            'template: :1:7: executing "" at <upper>: wrong type for value; expected string; got int',
        ),
        ("{{upper 1}}", 'template: :1:8: executing "" at <1>: expected string; found 1'),
        (
            '{{lt "a" 1}}',
            'template: :1:2: executing "" at <lt "a" 1>: error calling lt: incompatible types for comparison',
        ),
        (
            "{{lt true false}}",
            'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison',
        ),
        (
            "{{eq .I 3.0}}",
            'template: :1:2: executing "" at <eq .I 3.0>: error calling eq: incompatible types for comparison',
        ),
        (
            "{{range .S}}x{{end}}",
            'template: :1:8: executing "" at <.S>: range can\'t iterate over héllo',
        ),
        (
            "{{index}}",
            'template: :1:2: executing "" at <index>: wrong number of args for index: want at least 1 got 0',
        ),
        (
            "{{len 1 2}}",
            'template: :1:2: executing "" at <len>: wrong number of args for len: want 1 got 2',
        ),
        (
            "{{and}}",
            'template: :1:2: executing "" at <and>: wrong number of args for and: want at least 1 got 0',
        ),
        ('{{"x" | pad 2 3}}', 'template: :1:12: executing "" at <2>: expected string; found 2'),
        ("{{nil}}", 'template: :1:2: executing "" at <nil>: nil is not a command'),
        (
            '{{"a" 1}}',
            'template: :1:2: executing "" at <"a">: can\'t give argument to non-function "a"',
        ),
        (
            "x\ny {{.N.Q}}",
            'template: :2:6: executing "" at <.N.Q>: nil pointer evaluating interface {}.Q',
        ),
        (
            '{{join .S ","}}',
            'template: :1:2: executing "" at <join .S ",">: error calling join: expected slice, got string',
        ),
        (
            "{{.Q.R.S.T.U.V.W.X.Y.Z.A}}{{.N.X}}",
            'template: :1:30: executing "" at <.N.X>: nil pointer evaluating interface {}.X',
        ),
    ],
)
def test_exec_errors(src: str, msg: str) -> None:
    with pytest.raises(TemplateError) as e:
        run(src)
    assert str(e.value) == msg


def test_long_node_is_not_truncated_in_error() -> None:
    with pytest.raises(TemplateError) as e:
        run("{{.N.Abcdefghijklmnopqrstuvwxyz}}")
    assert "at <.N.Abcdefghijklmnopqrstuvwxyz>" in str(e.value)


def test_methods_in_data_take_arguments() -> None:
    row = {"Labels": "a=1", "Label": lambda name: {"a": "1"}.get(name, "")}
    assert render('{{.Label "a"}}|{{.Label "b"}}', row) == "1|"
    assert render('{{"a" | .Label}}', row) == "1"


def test_compile_once_execute_many() -> None:
    tmpl = compile_template("{{.ID}}\t{{.Names}}")
    rows = [{"ID": str(i), "Names": f"c{i}"} for i in range(100)]
    out = [tmpl.execute(r) for r in rows]
    assert out[0] == "0\tc0" and out[99] == "99\tc99"
    assert compile_template("{{.ID}}\t{{.Names}}") is tmpl


def test_json_skips_methods() -> None:
    row = {"ID": "1", "Label": lambda n: n}
    assert render("{{json .}}", row) == '{"ID":"1"}'


INSPECT = {
    "Name": "/web",
    "ExecIDs": None,
    "HostConfig": {
        "Binds": None,
        "NetworkMode": "bridge",
        "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
    },
    "Mounts": [
        {
            "Type": "volume",
            "Name": "data",
            "Source": "/var/lib/docker/volumes/data/_data",
            "Destination": "/data",
            "Driver": "local",
            "Mode": "z",
            "RW": True,
            "Propagation": "",
        }
    ],
    "State": {"Status": "running", "Running": True, "Pid": 1234},
    "Config": {
        "Labels": {"com.example.team": "web"},
        "Env": ["A=1"],
        "ExposedPorts": {"80/tcp": {}},
    },
}


@pytest.mark.parametrize(
    ("src", "want"),
    [
        # Checked against `docker inspect -f` (docker CLI 28.2) on the same JSON.
        ("{{.State.Status}}", "running"),
        ("{{with .State.Health}}{{.Status}}{{else}}none{{end}}", "none"),
        ("{{if .State.Health}}h{{else}}noh{{end}}", "noh"),
        ("{{not .State.Health}}", "true"),
        ("{{.Config.Labels.nope}}", "<no value>"),
        ('{{index .Config.Labels "nope"}}', ""),
        ('{{.Config.Labels.nope | printf "%v"}}', "<nil>"),
        # Go's nil slices and maps in Docker's structs: printed empty, JSON null.
        ("{{.HostConfig.Binds}} {{.ExecIDs}} {{.HostConfig.Links}}", "[] [] []"),
        ("{{.Config.Volumes}} {{json .HostConfig.Binds}}", "map[] null"),
        ("{{len .HostConfig.Binds}}{{range .HostConfig.Binds}}x{{end}}", "0"),
        # Typed structs print as {v1 v2 ...}; struct{} map values as {}.
        ("{{.Mounts}}", "[{volume data /var/lib/docker/volumes/data/_data /data local z true }]"),
        ("{{.HostConfig.PortBindings}}", "map[80/tcp:[{ 8080}]]"),
        ("{{.Config.ExposedPorts}}", "map[80/tcp:{}]"),
    ],
)
def test_execute_inspect(src: str, want: str) -> None:
    assert compile_template(src).execute_inspect(INSPECT) == want


@pytest.mark.parametrize(
    ("src", "msg"),
    [
        ("{{.Foo}}", 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'),
        (
            "{{.State.Health.Status}}",
            'template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"',
        ),
    ],
)
def test_execute_inspect_errors(src: str, msg: str) -> None:
    with pytest.raises(TemplateError) as e:
        compile_template(src).execute_inspect(INSPECT)
    assert str(e.value) == msg


def test_missing_key_error_spares_maps() -> None:
    tmpl = compile_template("{{.Config.Labels.nope}}")
    assert tmpl.execute(INSPECT, missing_key="error") == "<no value>"
    with pytest.raises(TemplateError, match='map has no entry for key "Nope"'):
        compile_template("{{.Config.Nope}}").execute(INSPECT, missing_key="error")


def test_fields_used() -> None:
    src = (
        "{{.ID}} {{if .Size}}{{.Size}}{{end}} {{range .Mounts}}{{.Name}}{{end}} {{json (.Labels)}}"
    )
    assert compile_template(src).fields() == {"ID", "Size", "Mounts", "Name", "Labels"}


@pytest.mark.parametrize(
    ("src", "msg"),
    [
        # Found by differential fuzzing against Go's text/template.
        ("{{split nil .S}}", 'template: :1:8: executing "" at <nil>: cannot assign nil to string'),
        (
            "{{upper .N}}",
            'template: :1:8: executing "" at <.N>: wrong type for value; expected string; got interface {}',
        ),
        (
            "{{lower (len .L)}}",
            'template: :1:13: executing "" at <.L>: wrong type for value; expected string; got int',
        ),
        (
            "{{eq .L .M}}",
            'template: :1:2: executing "" at <eq .L .M>: error calling eq: non-comparable types '
            "[%!s(int=1) a %!s(bool=true) <nil> %!s(float64=1.5)]: []interface {}, "
            "map[string]interface {}: map[a:[1 2] z:1]",
        ),
        (
            "{{range $i, $v := 3}}{{end}}",
            'template: :1:18: executing "" at <3>: can\'t use 3 to iterate over more than one variable',
        ),
    ],
)
def test_exec_errors_fuzzed(src: str, msg: str) -> None:
    with pytest.raises(TemplateError) as e:
        run(src)
    assert str(e.value) == msg


def test_html_of_nil_is_no_value() -> None:
    assert run("{{.N | html 2}}") == "2&lt;no value&gt;"
    assert run("{{range 3}}{{.}}{{end}}") == "012"
