"""leanjson gives what json.loads and json.dumps (default settings) give."""

from __future__ import annotations

import json
import math

import pytest

from dockyard.common import leanjson

VALUES = [
    None, True, False, 0, -7, 10**30, 1.5, -0.0, 1e300, "", "é\"x\n\t\u2028", [], {},
    [1, {"a": [None, 2.0, "x"]}], {"Id": "abc", "Names": ["/web"], "Labels": {"k": "v"}},
    {1: 2, False: 3, None: 4, 1.5: "z"},
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES)
def test_dumps_and_loads_match_json(value: object) -> None:
    text = json.dumps(value)
    assert leanjson.dumps(value) == text
    assert repr(leanjson.loads(text)) == repr(json.loads(text))
    assert repr(leanjson.loads(text.encode())) == repr(json.loads(text.encode()))


INDENTED = [
    *VALUES, [[]], {"a": {}, "b": []}, ("t", ("u",)), [math.nan, math.inf, -math.inf],
    {"Ωmega": "☃ \U0001f600 \x01", 2.5: [{"deep": [[{"x": True}]]}]}, {"é": {"ü": None}},
]  # fmt: skip


@pytest.mark.parametrize("value", INDENTED)
def test_dumps_indented_matches_json_with_indent_4(value: object) -> None:
    assert leanjson.dumps_indented(value) == json.dumps(value, indent=4, ensure_ascii=False)


def test_dumps_indented_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        leanjson.dumps_indented([{"a": object()}])
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None"):
        leanjson.dumps_indented({(1,): 2})


def test_nan_and_infinity_both_ways() -> None:
    assert leanjson.dumps([math.inf, -math.inf]) == "[Infinity, -Infinity]"
    assert math.isnan(leanjson.loads("NaN"))
    assert leanjson.loads(b"\xef\xbb\xbf[1]") == [1]  # a BOM, as json.loads(bytes) allows


@pytest.mark.parametrize("text", ["", "  ", "{", "[1,]", "1 2", "{}x", "x", '{"a" 1}'])
def test_bad_input_raises_what_json_raises(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        leanjson.loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert (ours.value.msg, ours.value.pos) == (theirs.value.msg, theirs.value.pos)


def test_unserializable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        leanjson.dumps({"a": object()})
