"""The checks Docker's Dockerfile parser makes while it reads lines, before any instruction
is interpreted (moby/buildkit frontend/dockerfile/parser: parser.go Parse, line_parsers.go).

Their errors differ from instruction errors: Docker's message carries no line number (the
classic builder says "failed to parse Dockerfile: <error>"), and they win over an
instruction error on an earlier line, because the whole file is parsed first.
"""

from __future__ import annotations

import json

from ..errors import InvalidParameter

NO_INSTRUCTIONS = "file with no instructions"
NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"
# Instructions whose arguments may be a JSON array (parseMaybeJSON, parseMaybeJSONToList).
JSON_FORM = ("add", "cmd", "copy", "entrypoint", "run", "shell", "volume")


class DockerfileSyntaxError(InvalidParameter):
    """A parser error; `line` is where it was found, the message is Docker's."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(detail)
        self.line = line
        self.detail = detail

    def for_file(self, name: str) -> InvalidParameter:
        """The error as the classic builder reports it for the Dockerfile `name`."""
        return InvalidParameter(f"failed to parse {name}: {self.detail}")


def check_json_form(rest: str, line: int) -> None:
    """A JSON array must hold strings only (a nested array or a number is an error); text
    that is not a JSON array is the shell form and fine."""
    text = rest.lstrip()
    if not text.startswith("["):
        return
    try:
        value = json.loads(text)
    except ValueError:
        return
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise DockerfileSyntaxError(line, NOT_STRING_ARRAY)


def check_arguments(cmd: str, rest: str, line: int) -> None:
    """The argument shape checks of one instruction (after its flags are taken off)."""
    if cmd in JSON_FORM:
        check_json_form(rest, line)
    elif cmd == "healthcheck":
        kind, _, command = rest.strip().partition(" ")
        if kind:
            check_json_form(command, line)
