"""Dockerfile word processing: quotes, escapes and ``$VAR`` substitution.

The rules are those of Docker's builder (a small subset of POSIX sh): single quotes keep
everything literal, double quotes allow ``$`` expansion and backslash escapes of ``"``,
``$``, the escape character and newline, the escape character outside quotes makes the next
character literal. Expansions: ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``,
``${VAR:+word}``, ``${VAR+word}``, ``${VAR:?msg}``, ``${VAR?msg}``, ``${VAR#pat}``,
``${VAR##pat}``, ``${VAR%pat}``, ``${VAR%%pat}``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping

from ..errors import InvalidParameter


class ShellError(InvalidParameter):
    pass


def env_map(env: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env or []:
        key, _, value = item.partition("=")
        out[key] = value
    return out


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.s = text
        self.i = 0
        self.env = env
        self.esc = escape
        self.used: set[str] = set()

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        ch = self.peek()
        self.i += 1
        return ch

    # --- words ------------------------------------------------------------------------
    def words(self) -> list[str]:
        """Split into words on unquoted whitespace, expanding and unquoting each."""
        out: list[str] = []
        word: list[str] = []
        in_word = False
        while self.i < len(self.s):
            ch = self.peek()
            if ch in " \t\r\n":
                self.i += 1
                if in_word:
                    out.append("".join(word))
                    word, in_word = [], False
                continue
            if ch == "$":
                # an unquoted expansion splits on the whitespace it brings, as in sh
                for c in self.dollar():
                    if c in " \t\r\n":
                        if in_word:
                            out.append("".join(word))
                            word, in_word = [], False
                    else:
                        word.append(c)
                        in_word = True
                continue
            in_word = True
            word.append(self.one())
        if in_word:
            out.append("".join(word))
        return out

    def word(self, stop: str = "") -> str:
        """Process the whole text (or up to an unquoted char in ``stop``) as one word."""
        parts: list[str] = []
        while self.i < len(self.s):
            if stop and self.peek() in stop:
                break
            parts.append(self.one())
        return "".join(parts)

    def one(self) -> str:
        ch = self.peek()
        if ch == "'":
            return self.single()
        if ch == '"':
            return self.double()
        if ch == "$":
            return self.dollar()
        if ch == self.esc:
            self.i += 1
            if self.i >= len(self.s):
                return ""  # a trailing escape is dropped
            return self.next()
        return self.next()

    def single(self) -> str:
        self.i += 1
        start = self.i
        end = self.s.find("'", start)
        if end == -1:
            raise ShellError("unexpected end of statement while looking for matching single-quote")
        self.i = end + 1
        return self.s[start:end]

    def double(self) -> str:
        self.i += 1
        parts: list[str] = []
        while True:
            if self.i >= len(self.s):
                raise ShellError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            ch = self.peek()
            if ch == '"':
                self.i += 1
                return "".join(parts)
            if ch == "$":
                parts.append(self.dollar())
                continue
            if ch == self.esc:
                nxt = self.s[self.i + 1 : self.i + 2]
                if nxt in ('"', "$", self.esc, "\n"):
                    self.i += 2
                    parts.append(nxt)
                    continue
            parts.append(self.next())

    def name(self) -> str:
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] == "_"):
            self.i += 1
        return self.s[start : self.i]

    def lookup(self, name: str) -> str | None:
        self.used.add(name)
        return self.env.get(name)

    def dollar(self) -> str:
        self.i += 1  # the '$'
        ch = self.peek()
        if ch == "{":
            return self.braced()
        if ch and (ch.isalpha() or ch == "_"):
            name = self.name()
            return self.lookup(name) or ""
        if ch and ch.isdigit():  # $1 and friends: positional, always empty
            self.i += 1
            return ""
        return "$"

    def braced(self) -> str:
        self.i += 1  # '{'
        name = self.name()
        if not name:
            raise ShellError(f"bad substitution: {self._rest_for_error()}")
        ch = self.peek()
        if ch == "}":
            self.i += 1
            return self.lookup(name) or ""
        if ch == ":":
            self.i += 1
            op = self.next()
            if op not in "-+?":
                raise ShellError(f"unsupported modifier ({':' + op}) in substitution")
            word = self.modifier_word()
            value = self.lookup(name)
            return self._apply(op, value if value else None, word, name)
        if ch in "-+?":
            self.i += 1
            word = self.modifier_word()
            return self._apply(ch, self.lookup(name), word, name)
        if ch in "#%":
            self.i += 1
            longest = self.peek() == ch
            if longest:
                self.i += 1
            pattern = self.modifier_word()
            value = self.lookup(name) or ""
            return _trim(value, pattern, prefix=ch == "#", longest=longest)
        raise ShellError(f"missing '}}' in substitution: ${{{name}{self._rest_for_error()}")

    def _rest_for_error(self) -> str:
        return self.s[self.i :]

    def modifier_word(self) -> str:
        parts: list[str] = []
        depth = 0
        while True:
            if self.i >= len(self.s):
                raise ShellError("syntax error: missing '}'")
            ch = self.peek()
            if ch == "}" and depth == 0:
                self.i += 1
                return "".join(parts)
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            parts.append(self.one())

    @staticmethod
    def _apply(op: str, value: str | None, word: str, name: str) -> str:
        if op == "-":
            return value if value is not None else word
        if op == "+":
            return word if value is not None else ""
        if value is None:  # '?'
            raise ShellError(f"{name}: {word or 'is not allowed to be unset'}")
        return value


def _trim(value: str, pattern: str, *, prefix: bool, longest: bool) -> str:
    regex = fnmatch.translate(pattern)
    body = regex[regex.index("(?s:") + 4 : regex.rindex(")")] if "(?s:" in regex else pattern
    lengths = range(len(value), -1, -1) if longest else range(len(value) + 1)
    for n in lengths:
        part = value[:n] if prefix else value[len(value) - n :]
        if re.fullmatch(body, part, re.S):
            return value[n:] if prefix else value[: len(value) - n]
    return value


def process_word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand and unquote ``text`` as a single word (ENV values, WORKDIR, USER, ...)."""
    return _Lexer(text, env, escape).word()


def process_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand, unquote and split ``text`` into words (COPY sources, EXPOSE, VOLUME)."""
    return _Lexer(text, env, escape).words()


def words_used(text: str, env: Mapping[str, str], escape: str = "\\") -> set[str]:
    """The variable names ``text`` refers to (for build-arg bookkeeping)."""
    lx = _Lexer(text, env, escape)
    try:
        lx.words()
    except ShellError:
        pass
    return lx.used
