"""pflag-style flag splitting and the shared value parsers."""

import pytest

from dockyard.cli.createbody import create_parser
from dockyard.cli.flags import parse_with, ram_in_bytes


def test_interspersed_stop_at_image():
    p = create_parser("run")
    o, rest = parse_with(p, ["-d", "--name=x", "busybox", "ls", "-l", "--name", "y"])
    assert o.detach and o.name == "x"
    assert rest == ["busybox", "ls", "-l", "--name", "y"]


def test_bool_flags_with_values_and_short_clusters():
    p = create_parser("run")
    o, rest = parse_with(p, ["-dit", "--sig-proxy=false", "-eA=1", "-p80:80", "img"])
    assert (o.detach, o.interactive, o.tty, o.sig_proxy) == (True, True, True, False)
    assert o.env == ["A=1"] and o.publish == ["80:80"] and rest == ["img"]


def test_unknown_flag_exits_125(capsys):
    with pytest.raises(SystemExit) as exc:
        parse_with(create_parser("run"), ["--bogus", "img"])
    assert exc.value.code == 125
    assert "unknown flag: --bogus" in capsys.readouterr().err


def test_ram_in_bytes():
    assert ram_in_bytes("100m") == 100 << 20
    assert ram_in_bytes("1.5g") == int(1.5 * (1 << 30))
    assert ram_in_bytes("512") == 512
    assert ram_in_bytes("64MiB") == 64 << 20
