"""Dockerfile parser and word processing (no daemon)."""

from __future__ import annotations

import pytest

from dockyard.build.context import expand_sources
from dockyard.build.parser import ParseError, key_values, parse, split_flags
from dockyard.build.shell import ShellError, process_word, process_words
from dockyard.build.syntax import DockerfileSyntaxError
from dockyard.common.dockerignore import DockerIgnore
from dockyard.errors import InvalidParameter


def cmds(text: str) -> list[tuple[str, str]]:
    return [(i.cmd, i.rest) for i in parse(text).instructions]


def test_continuations_comments_and_original_text() -> None:
    df = parse(
        "FROM busybox\n"
        "# a comment\n"
        "RUN echo a \\\n"
        "    # comment inside a continuation\n"
        "    && echo b\n"
        "\n"
        "  env A=1\n"
    )
    insts = df.instructions
    assert [i.cmd for i in insts] == ["from", "run", "env"]
    assert insts[1].original == "RUN echo a     && echo b"
    assert insts[1].line == 3
    assert insts[2].keyword == "env" and insts[2].rest == "A=1"


def test_escape_directive_and_syntax() -> None:
    df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN dir `\n  c:\\\n")
    assert df.escape == "`" and df.syntax == "docker/dockerfile:1"
    assert df.instructions[1].rest == "dir   c:\\"


def test_directive_only_at_top() -> None:
    df = parse("FROM x\n# escape=`\nRUN a \\\n b\n")
    assert df.escape == "\\"
    assert df.instructions[1].rest == "a  b"


def test_bad_escape_directive() -> None:
    with pytest.raises(InvalidParameter):
        parse("# escape=x\nFROM a\n")


def test_unknown_instruction_error_text() -> None:
    with pytest.raises(ParseError) as e:
        parse("FROM busybox\nFOO bar\n")
    assert e.value.message == "dockerfile parse error on line 2: unknown instruction: FOO"
    with pytest.raises(ParseError) as e:
        parse("FROM busybox\nRUNN bar\n")
    assert e.value.message.endswith("unknown instruction: RUNN (did you mean RUN?)")


def test_json_and_shell_forms() -> None:
    df = parse('FROM a\nCMD ["echo", "hi"]\nCMD echo hi\nCMD [not json\n')
    assert df.instructions[1].json_args == ["echo", "hi"]
    assert df.instructions[2].json_args is None
    assert df.instructions[3].json_args is None


def test_flags() -> None:
    df = parse("FROM a\nCOPY --from=build --chown=1:2 /a /b\n")
    inst = df.instructions[1]
    assert inst.flags == {"from": "build", "chown": "1:2"}
    assert inst.rest == "/a /b"
    assert split_flags("--link src dst") == ([("link", None)], "src dst")


def test_heredocs() -> None:
    df = parse(
        "FROM a\n"
        "RUN <<EOF\necho one\necho two\nEOF\n"
        "COPY <<-'END' /x\n\tliteral $X\n\tEND\n"
        "RUN echo after\n"
    )
    run, copy_, after = df.instructions[1:]
    assert run.heredocs[0].name == "EOF"
    assert run.heredocs[0].content == "echo one\necho two\n"
    assert copy_.heredocs[0].content == "literal $X\n"
    assert copy_.heredocs[0].expand is False and copy_.heredocs[0].chomp
    assert after.rest == "echo after"


def test_unterminated_heredoc() -> None:
    with pytest.raises(ParseError):
        parse("FROM a\nRUN <<EOF\necho\n")


def test_key_values_forms() -> None:
    df = parse('FROM a\nENV A=1 B="two words" C=\nENV LEGACY some value\n')
    assert key_values(df.instructions[1]) == [("A", "1"), ("B", '"two words"'), ("C", "")]
    assert key_values(df.instructions[2]) == [("LEGACY", "some value")]
    # A name without a value is the parser's error, found while the file is read.
    with pytest.raises(DockerfileSyntaxError, match="^LABEL must have two arguments$"):
        parse("FROM a\nLABEL x\n")


def test_substitution_rules() -> None:
    env = {"A": "x", "EMPTY": "", "P": "/usr/local/bin"}
    assert process_word("$A", env) == "x"
    assert process_word("${A}y", env) == "xy"
    assert process_word("${UNSET:-def}", env) == "def"
    assert process_word("${EMPTY:-def}", env) == "def"
    assert process_word("${EMPTY-def}", env) == ""
    assert process_word("${A:+set}", env) == "set"
    assert process_word("${UNSET:+set}", env) == ""
    assert process_word("${EMPTY+set}", env) == "set"
    assert process_word("'$A'", env) == "$A"
    assert process_word('"$A and ${A}"', env) == "x and x"
    assert process_word("\\$A", env) == "$A"
    assert process_word("${P#/usr}", env) == "/local/bin"
    assert process_word("${P%/*}", env) == "/usr/local"
    assert process_word("${P##*/}", env) == "bin"
    assert process_words('a "b c" $A', env) == ["a", "b c", "x"]
    two = {"F": "one two"}
    assert process_words("$F /dst/", two) == ["one", "two", "/dst/"]
    assert process_words('"$F" x${F}y', two) == ["one two", "xone", "twoy"]
    with pytest.raises(ShellError):
        process_word("${UNSET:?must be set}", env)
    with pytest.raises(ShellError):
        process_word('"open', env)
    assert process_word("`$A", env, escape="`") == "$A"


def test_dockerignore_and_globs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ig = DockerIgnore("# c\n*.log\n!keep.log\nbuild/\n**/tmp\n")
    assert ig.excluded("a.log") and not ig.excluded("keep.log")
    assert ig.excluded("build/x/y") and ig.excluded("a/b/tmp")
    assert not ig.excluded("src/main.py")
    (tmp_path / "a").mkdir()
    for name in ("s1.txt", "s2.txt", "a/s3.txt"):
        (tmp_path / name).write_text(name)
    assert expand_sources(tmp_path, "s*.txt") == ["s1.txt", "s2.txt"]
    assert expand_sources(tmp_path, "*/s?.txt") == ["a/s3.txt"]
    assert expand_sources(tmp_path, "../../s1.txt") == ["s1.txt"]
    assert expand_sources(tmp_path, "nope") == []
    assert expand_sources(tmp_path, ".") == ["."]
