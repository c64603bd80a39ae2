"""The --detach-keys grammar and the matcher that holds back a partial sequence."""

import pytest

from dockyard.common.detachkeys import DEFAULT_DETACH_KEYS, EscapeDetector, parse_detach_keys


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("ctrl-p,ctrl-q", b"\x10\x11"),
        ("ctrl-a", b"\x01"),
        ("a,b", b"ab"),
        ("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", b"\x00\x1b\x1c\x1d\x1e\x1f"),
        ("ctrl-z,x", b"\x1ax"),
    ],
)
def test_parse_detach_keys(spec, expected):
    assert parse_detach_keys(spec) == expected


def test_parse_detach_keys_errors():
    with pytest.raises(ValueError, match="Unknown character: 'ctrl-1'"):
        parse_detach_keys("ctrl-1")
    with pytest.raises(ValueError, match="Unknown sequence: 'abc'"):
        parse_detach_keys("abc")
    assert DEFAULT_DETACH_KEYS == parse_detach_keys("ctrl-p,ctrl-q")


def test_escape_detector_holds_partial_sequence():
    d = EscapeDetector(b"\x10\x11")
    assert d.feed(b"ab\x10") == (b"ab", False)
    assert d.feed(b"c") == (b"\x10c", False)
    assert d.feed(b"x\x10") == (b"x", False)
    assert d.feed(b"\x11rest") == (b"", True)


def test_empty_spec_means_the_default():
    assert parse_detach_keys("") == DEFAULT_DETACH_KEYS
