"""Dockerfile corner cases decided as Docker's parser decides them (moby/buildkit
frontend/dockerfile/parser and instructions): accepted, a parser error (no line number in
Docker's message) or an instruction error ("dockerfile parse error on line N: ...")."""

from __future__ import annotations

import pytest

from dockyard.build.builder import Builder, BuildOptions, BuildPeers
from dockyard.build.parser import ParseError, parse
from dockyard.build.syntax import NO_INSTRUCTIONS, NOT_STRING_ARRAY, DockerfileSyntaxError
from dockyard.errors import InvalidParameter

# (Dockerfile, the last instruction as (cmd, flags, rest))
ACCEPTED = [
    # `--` ends an instruction's flags; what follows is arguments even when it starts with --
    (
        "FROM a\nCOPY --chown=1:1 -- --odd.txt /dst/\n",
        ("copy", {"chown": "1:1"}, "--odd.txt /dst/"),
    ),
    ("FROM a\nCOPY -- --chown=1 b /c\n", ("copy", {}, "--chown=1 b /c")),
    ("FROM a\nRUN -- echo hi\n", ("run", {}, "echo hi")),
    ("FROM a\nRUN --network=none --\tls\n", ("run", {"network": "none"}, "ls")),
    (
        "FROM a\nRUN --mount=type=tmpfs,target=/t --\n",
        ("run", {"mount": "type=tmpfs,target=/t"}, ""),
    ),
    # a continuation line holding only the escape continues and adds nothing
    ("FROM a\nRUN echo a \\\n\\\n  b\n", ("run", {}, "echo a   b")),
    ("FROM a\nRUN echo a \\\n\\   \nb\n", ("run", {}, "echo a b")),
    ("\\\nFROM a\n", ("from", {}, "a")),
    ("# escape=`\nFROM a\nRUN dir `\n`\n c:\\\n", ("run", {}, "dir  c:\\")),
    # a continuation line holding only whitespace is skipped (Docker warns)
    ("FROM a\nRUN echo a \\\n   \n\t\n b\n", ("run", {}, "echo a  b")),
    ("FROM a\nRUN echo \\\n  \n", ("run", {}, "echo")),
    # an escaped escape at the end of a line is a character, not a continuation
    ("FROM a\nRUN echo a\\\\\n", ("run", {}, "echo a\\\\")),
    # ENV with an empty value, and JSON arrays of strings
    ("FROM a\nENV A=\n", ("env", {}, "A=")),
    ('FROM a\nCMD ["echo", "x"]\n', ("cmd", {}, '["echo", "x"]')),
    ('FROM a\nCMD ["echo", ["x"]] trailing\n', ("cmd", {}, '["echo", ["x"]] trailing')),
    ('FROM a\nUSER ["a", [1]]\n', ("user", {}, '["a", [1]]')),
    ('FROM a\nLABEL x=["a",["b"]]\n', ("label", {}, 'x=["a",["b"]]')),
    ('FROM a\nCOPY ["a", ["b"]] /x\n', ("copy", {}, '["a", ["b"]] /x')),
]


@pytest.mark.parametrize(("text", "last"), ACCEPTED)
def test_accepted(text: str, last: tuple[str, dict[str, str], str]) -> None:
    inst = parse(text).instructions[-1]
    assert (inst.cmd, inst.flags, inst.rest) == last


def test_escaped_escape_does_not_swallow_the_next_line() -> None:
    df = parse("FROM a\nRUN echo a\\\\\nCMD b\n")
    assert [(i.cmd, i.line) for i in df.instructions] == [("from", 1), ("run", 2), ("cmd", 3)]


def test_whitespace_continuation_warns_as_docker() -> None:
    df = parse("FROM a\nRUN echo a \\\n\n b\n")
    assert df.warnings == ["[WARNING]: Empty continuation line found in:\n    RUN echo a  b"]
    assert parse("FROM a\nRUN echo a \\\n\\\n b\n").warnings == []


# (Dockerfile, Docker's parser error)
PARSER_ERRORS = [
    ("", NO_INSTRUCTIONS),
    ("\n\n   \n\t\n", NO_INSTRUCTIONS),
    ("# just a comment\n", NO_INSTRUCTIONS),
    ("# escape=`\n\n# syntax=x\n", NO_INSTRUCTIONS),
    ("FROM a\nENV foo\n", "ENV must have two arguments"),
    ("FROM a\nENV foo   \n", "ENV must have two arguments"),
    ("FROM a\nLABEL foo\n", "LABEL must have two arguments"),
    ("FROM a\nENV a=1 b\n", 'Syntax error - can\'t find = in "b". Must be of the form: name=value'),
    ("FROM a\nONBUILD ENV foo\n", "ENV must have two arguments"),
    ('FROM a\nCMD ["echo", ["x"]]\n', NOT_STRING_ARRAY),
    ('FROM a\nENTRYPOINT ["echo", 1]\n', NOT_STRING_ARRAY),
    ('FROM a\nRUN --network=none ["sh", ["-c"]]\n', NOT_STRING_ARRAY),
    ('FROM a\nSHELL [["sh"]]\n', NOT_STRING_ARRAY),
    ('FROM a\nCOPY ["a", ["b"]]\n', NOT_STRING_ARRAY),
    ('FROM a\nVOLUME [["/v"]]\n', NOT_STRING_ARRAY),
    ('FROM a\nHEALTHCHECK --interval=5s CMD ["true", [1]]\n', NOT_STRING_ARRAY),
    ('FROM a\nONBUILD RUN [["x"]]\n', NOT_STRING_ARRAY),
    # the whole file is parsed first: a parser error wins over an earlier unknown instruction
    ("FROM a\nFOO bar\nENV foo\n", "ENV must have two arguments"),
]


@pytest.mark.parametrize(("text", "message"), PARSER_ERRORS)
def test_parser_errors(text: str, message: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as e:
        parse(text)
    assert e.value.message == message
    assert e.value.for_file("Dockerfile").message == f"failed to parse Dockerfile: {message}"


def test_parser_error_line() -> None:
    with pytest.raises(DockerfileSyntaxError) as e:
        parse("FROM a\nRUN x\nENV \\\n  foo\n")
    assert e.value.line == 3


# (Dockerfile, Docker's instruction error, with the line as Docker prints it)
INSTRUCTION_ERRORS = [
    ("FROM a\nFOO bar\n", "dockerfile parse error on line 2: unknown instruction: FOO"),
    (
        "FROM a\n\nFOO \\\n bar\nRUNN x\n",
        "dockerfile parse error on line 3: unknown instruction: FOO",
    ),
    ("FOO bar\n", "dockerfile parse error on line 1: unknown instruction: FOO"),
    # a lone escape line is an instruction with an empty name, as in Docker
    ("\\\n", "dockerfile parse error on line 1: unknown instruction: "),
]


@pytest.mark.parametrize(("text", "message"), INSTRUCTION_ERRORS)
def test_instruction_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(text)
    assert e.value.message == message


def builder() -> Builder:
    peers = BuildPeers(images=object(), containers=None, distribution=None, cache_mounts=None)  # type: ignore[arg-type]
    return Builder(peers, BuildOptions(), lambda m: None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the Dockerfile (Dockerfile) cannot be empty"),
        (b"\n \n", "failed to parse Dockerfile: file with no instructions"),
        (b"# nothing\n", "failed to parse Dockerfile: file with no instructions"),
        (b"FROM a\nENV x\n", "failed to parse Dockerfile: ENV must have two arguments"),
        (b"FROM a\nENV\n", "dockerfile parse error on line 2: ENV requires at least one argument"),
    ],
)
def test_build_reports_as_the_classic_builder(data: bytes, message: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        builder().build(data)
    assert e.value.message == message
