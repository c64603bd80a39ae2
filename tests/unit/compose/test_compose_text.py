"""Pure text layers of compose: YAML 1.2 resolution, interpolation, dotenv."""

from __future__ import annotations

import pytest

from dockyard.compose import dotenv, yamlio
from dockyard.compose.interpolate import InterpolationError, substitute

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("22:22", "22:22"),  # YAML 1.1: 1342
        ("yes", "yes"),
        ("on", "on"),
        ("0o17", 15),
        ("017", 17),  # YAML 1.1: octal 15
        ("0x1f", 31),
        ("2001-12-14", "2001-12-14"),
        ("1.5", 1.5),
        ("true", True),
        ("~", None),
        ("1_000", "1_000"),
    ],
)
def test_yaml_12_scalars(text, value):
    assert yamlio.load(f"v: {text}\n") == {"v": value}


def test_yaml_merge_keys_and_dump_round_trip():
    doc = yamlio.load("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\n")
    assert doc["b"] == {"p": 1, "q": 3}
    tricky = {"s": ["22:22", "yes", "80", "", "*", "- a", "::1", "a: b", "multi\nline"]}
    assert yamlio.load(yamlio.dump(tricky)) == tricky


@pytest.mark.parametrize(
    ("template", "result"),
    [
        ("${SET}", "value"),
        ("$SET/x", "value/x"),
        ("${NOPE:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${NOPE-d}", "d"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${NOPE:-${ALSO:-deep}}", "deep"),
        ("${NOPE:-${SET}}-x", "value-x"),
        ("$$SET", "$SET"),
        ("a$", "a$"),
        ("${SET:?boom}", "value"),
    ],
)
def test_substitute(template, result):
    assert substitute(template, ENV.get) == result


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${NOPE:?must be set}", "required variable NOPE is missing a value: must be set"),
        ("${EMPTY:?empty}", "required variable EMPTY is missing a value: empty"),
        ("${NOPE", 'Invalid template: "${NOPE"'),
        ("${}", 'Invalid template: "${}"'),
    ],
)
def test_substitute_errors(template, message):
    with pytest.raises(InterpolationError) as err:
        substitute(template, ENV.get)
    assert str(err.value) == message


def test_unset_variable_warns_and_is_blank():
    warnings: list[str] = []
    assert substitute("x${NOPE}y", ENV.get, warnings.append) == "xy"
    assert warnings == ['The "NOPE" variable is not set. Defaulting to a blank string.']


def test_dotenv_rules():
    text = (
        "# comment\n\nA=1\nexport B=two\nC = spaced  # comment\nD='lit ${A} $x'\n"
        'E="dq ${A}\\n2"\nF=${A}-ref\nG: colon\nH="multi\nline"\nFROM_ENV\nUNSET_BARE\n'
    )
    env = dotenv.parse(text, {"FROM_ENV": "os"}.get)
    assert env == {
        "A": "1",
        "B": "two",
        "C": "spaced",
        "D": "lit ${A} $x",
        "E": "dq 1\n2",
        "F": "1-ref",
        "G": "colon",
        "H": "multi\nline",
        "FROM_ENV": "os",
    }
