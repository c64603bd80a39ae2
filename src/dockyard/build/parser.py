"""Dockerfile parser: directives, comments, line continuations, heredocs, instructions.

The result keeps each instruction's raw text; words and variables are processed later by
the builder (Docker's rules depend on the instruction and the build state).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..common.editdistance import distance
from ..errors import InvalidParameter
from .syntax import NO_INSTRUCTIONS, DockerfileSyntaxError, check_arguments

INSTRUCTIONS = (
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
)
HEREDOC_INSTRUCTIONS = ("run", "copy", "add")

_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z0-9_./-]+)\2")


class ParseError(InvalidParameter):
    """Docker's `dockerfile parse error on line N: ...`."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"dockerfile parse error on line {line}: {message}")
        self.line = line
        self.detail = message


@dataclass
class Heredoc:
    name: str
    content: str
    expand: bool = True
    chomp: bool = False


@dataclass
class Instruction:
    cmd: str  # lower case: "run", "copy", ...
    original: str  # the joined source line, as Docker prints it in "Step i/n : ..."
    rest: str  # the text after the instruction name and its --flags
    flags: dict[str, str] = field(default_factory=dict)
    flag_list: list[tuple[str, str | None]] = field(default_factory=list)
    line: int = 0
    end_line: int = 0
    heredocs: list[Heredoc] = field(default_factory=list)
    keyword: str = ""  # as written

    @property
    def json_args(self) -> list[str] | None:
        """The arguments when written as a JSON array of strings, else None."""
        return parse_json_array(self.rest)

    def flag(self, name: str, default: str | None = None) -> str | None:
        return self.flags.get(name, default)


@dataclass
class Dockerfile:
    instructions: list[Instruction]
    escape: str = "\\"
    syntax: str | None = None
    warnings: list[str] = field(default_factory=list)
    check: str | None = None  # the `# check=` directive


def parse_json_array(text: str) -> list[str] | None:
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _continues(line: str, escape: str) -> tuple[str, bool]:
    """Strip a trailing escape (and whitespace after it): (text, continues).

    As Docker's lineContinuationRegex: an escape preceded by another escape is an escaped
    character, not a continuation; a line holding only the escape continues."""
    e = re.escape(escape)
    m = re.search(f"([^{e}]){e}[ \t]*$|^{e}[ \t]*$", line)
    if m is None:
        return line, False
    return line[: m.start()] + (m.group(1) or ""), True


def _parse_directives(lines: list[str]) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip("\r"))
        if m is None:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key in found:
            raise ParseError(i + 1, f"only one {key} parser directive can be used")
        found[key] = value
        i += 1
    return found, i


def heredoc_markers(text: str) -> list[tuple[str, bool, bool]]:
    """(name, expand, chomp) of each ``<<EOF`` marker on an instruction line."""
    out = []
    for m in _HEREDOC.finditer(text):
        out.append((m.group(3), m.group(2) == "", m.group(1) == "-"))
    return out


def split_flags(args: str) -> tuple[list[tuple[str, str | None]], str]:
    """Leading ``--name[=value]`` words of an instruction, and the text after them."""
    flags: list[tuple[str, str | None]] = []
    rest = args
    while True:
        rest = rest.lstrip(" \t")
        if not rest.startswith("--"):
            return flags, rest
        if re.match(r"--(\s|$)", rest):
            # A bare `--` ends the flags (POSIX); what follows is arguments even if it
            # starts with `--`.
            return flags, rest[2:].lstrip(" \t")
        m = re.match(r"--([^\s=]*)(=(\"[^\"]*\"|'[^']*'|\S*))?", rest)
        if m is None:
            return flags, rest
        value = m.group(3)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        flags.append((m.group(1), value))
        rest = rest[m.end() :]
        if not m.group(1):
            raise InvalidParameter("flag with an empty name")


def parse(text: str | bytes) -> Dockerfile:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    directives, i = _parse_directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise InvalidParameter(f"invalid escape token '{escape}' does not match ` or \\")
    df = Dockerfile(
        [], escape=escape, syntax=directives.get("syntax"), check=directives.get("check")
    )
    n = len(lines)
    # Docker parses the whole file before it interprets instructions: a parser error
    # (DockerfileSyntaxError) anywhere wins over an instruction error on an earlier line.
    pending: ParseError | None = None
    lines_found = False
    while i < n:
        raw = lines[i]
        start = i + 1
        line = raw.strip(" \t\r")
        i += 1
        if not line or _is_comment(line):
            continue
        joined, cont = _continues(line, escape)
        empty_cont = False
        while cont and i < n:
            nxt = lines[i].rstrip("\r")
            i += 1
            if _is_comment(nxt):
                continue
            if not nxt.strip():
                empty_cont = True
                continue
            piece, cont = _continues(nxt, escape)
            joined += piece
        if empty_cont:
            df.warnings.append(
                "[WARNING]: Empty continuation line found in:\n    " + joined.strip()
            )
        joined = joined.strip(" \t")
        keyword, _, args = joined.partition(" ")
        if "\t" in keyword:
            keyword, _, more = keyword.partition("\t")
            args = more + " " + args
        cmd = keyword.lower()
        lines_found = True
        if cmd not in INSTRUCTIONS:
            pending = pending or ParseError(start, _unknown(keyword))
            continue
        try:
            inst = _instruction(cmd, keyword, joined, args, start)
        except ParseError as exc:
            pending = pending or exc
            continue
        found = _check_syntax(inst, escape)  # always: it raises the parser's errors
        pending = pending or found
        if cmd in HEREDOC_INSTRUCTIONS or (
            cmd == "onbuild" and _inner_cmd(args) in ("run", "copy", "add")
        ):
            for name, expand, chomp in heredoc_markers(inst.rest if cmd != "onbuild" else args):
                body: list[str] = []
                closed = False
                while i < n:
                    cur = lines[i].rstrip("\r")
                    i += 1
                    check = cur.lstrip("\t") if chomp else cur
                    if check == name:
                        closed = True
                        break
                    body.append(check + "\n")
                if not closed:
                    raise ParseError(start, f"unterminated heredoc {name}")
                inst.heredocs.append(Heredoc(name, "".join(body), expand, chomp))
        inst.end_line = i
        df.instructions.append(inst)
    if not lines_found:
        raise DockerfileSyntaxError(i, NO_INSTRUCTIONS)
    if pending is not None:
        raise pending
    return df


def _check_syntax(inst: Instruction, escape: str) -> ParseError | None:
    """Raise the parser's errors for this line; return its instruction error, if any."""
    cmd, rest = inst.cmd, inst.rest
    if cmd == "onbuild":
        keyword, _, args = rest.partition(" ")
        cmd = keyword.lower()
        if cmd not in INSTRUCTIONS:
            return None
        try:
            inner = _instruction(cmd, keyword, rest, args, inst.line)
        except ParseError as exc:
            return exc
        rest = inner.rest
    check_arguments(cmd, rest, inst.line)
    if cmd in ("env", "label") and rest.strip():
        try:
            key_values(Instruction(cmd, inst.original, rest, line=inst.line), escape)
        except ParseError as exc:
            return exc
    return None


def _inner_cmd(args: str) -> str:
    return args.strip().partition(" ")[0].lower()


def _instruction(cmd: str, keyword: str, original: str, args: str, line: int) -> Instruction:
    try:
        flag_list, rest = split_flags(args) if cmd not in ("onbuild",) else ([], args.strip())
    except InvalidParameter as exc:
        raise ParseError(line, exc.message) from None
    if cmd in ("run", "cmd", "entrypoint", "shell") and flag_list and cmd != "run":
        # only RUN takes flags among these; Docker keeps the rest literally
        flag_list, rest = [], args.strip()
    flags: dict[str, str] = {}
    for name, value in flag_list:
        flags[name] = value if value is not None else "true"
    return Instruction(
        cmd=cmd,
        original=original,
        rest=rest.strip(" \t"),
        flags=flags,
        flag_list=flag_list,
        line=line,
        keyword=keyword,
    )


def _unknown(keyword: str) -> str:
    low = keyword.lower()
    best = min(INSTRUCTIONS, key=lambda name: distance(low, name))
    if distance(low, best) <= max(1, len(low) // 3):
        return f"unknown instruction: {keyword} (did you mean {best.upper()}?)"
    return f"unknown instruction: {keyword}"


# --- argument shapes -------------------------------------------------------------------


def split_words_keep_quotes(text: str, escape: str = "\\") -> list[str]:
    """Docker's parseWords: split on unquoted whitespace, keeping quotes and escapes."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    in_word = False
    i = 0
    while i < len(text):
        ch = text[i]
        if not quote and ch in " \t\r\n":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
            continue
        in_word = True
        if ch == escape and i + 1 < len(text) and quote != "'":
            cur.append(ch + text[i + 1])
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        cur.append(ch)
        i += 1
    if in_word:
        words.append("".join(cur))
    return words


def key_values(inst: Instruction, escape: str = "\\") -> list[tuple[str, str]]:
    """ENV/LABEL arguments, raw (quotes kept): ``k=v k2="v 2"`` or legacy ``k v``."""
    name = inst.cmd.upper()
    rest = inst.rest
    if not rest.strip():
        if name == "LABEL":
            raise ParseError(inst.line, "LABEL requires at least one argument")
        raise ParseError(inst.line, f"{name} requires at least one argument")
    words = split_words_keep_quotes(rest, escape)
    if "=" not in words[0]:
        key, _, value = rest.strip().partition(" ")
        if "\t" in key:
            key, _, more = key.partition("\t")
            value = more + " " + value
        value = value.strip()
        if not value:
            raise DockerfileSyntaxError(inst.line, f"{name} must have two arguments")
        return [(key, value)]
    pairs = []
    for w in words:
        key, sep, value = w.partition("=")
        if not sep:
            raise DockerfileSyntaxError(
                inst.line,
                f"Syntax error - can't find = in {json.dumps(w)}. Must be of the form: name=value",
            )
        if not key:
            raise ParseError(inst.line, f"{name} names can not be blank")
        pairs.append((key, value))
    return pairs
