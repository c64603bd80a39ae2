"""The lexer of Go's text/template (the docker CLI's --format): tokens with positions, and
the error type every stage of the template engine raises."""

from __future__ import annotations

from dockyard.cli.gofmt import go_quote


class TemplateError(Exception):
    """A parse or execution error, worded like Go's text/template."""


# --- lexer -------------------------------------------------------------------

_KEYWORDS = frozenset(
    ["if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"]
)
_SPACE = " \t\r\n"


class Token:
    __slots__ = ("kind", "val", "pos")

    def __init__(self, kind: str, val: str, pos: int) -> None:
        self.kind, self.val, self.pos = kind, val, pos

    def __str__(self) -> str:
        if self.kind == "eof":
            return "EOF"
        if self.kind in _KEYWORDS:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def line_of(src: str, pos: int) -> int:
    return src.count("\n", 0, pos) + 1


def _is_alnum(c: str) -> bool:
    return c == "_" or c.isalnum()


class Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks: list[Token] = []
        self.paren = 0

    def fail(self, msg: str, pos: int) -> TemplateError:
        return TemplateError(f"template: :{line_of(self.src, pos)}: {msg}")

    def run(self) -> list[Token]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            j = src.find("{{", i)
            if j < 0:
                self.toks.append(Token("text", src[i:], i))
                break
            text_end = j
            trim_left = src.startswith("{{-", j) and j + 3 < n and src[j + 3] in _SPACE
            if trim_left:
                while text_end > i and src[text_end - 1] in _SPACE:
                    text_end -= 1
            if text_end > i:
                self.toks.append(Token("text", src[i:text_end], i))
            i = self.action(j, j + (4 if trim_left else 2))
        self.toks.append(Token("eof", "", n))
        return self.toks

    def _right_delim(self, i: int) -> tuple[int, bool] | None:
        """Length of the right delimiter at i (' -}}' or '}}'), and whether it trims."""
        src = self.src
        if src[i] in _SPACE and src.startswith("-}}", i + 1):
            return 4, True
        if src.startswith("}}", i):
            return 2, False
        return None

    def _after_right(self, i: int, trim: bool) -> int:
        if trim:
            while i < len(self.src) and self.src[i] in _SPACE:
                i += 1
        return i

    def action(self, start: int, i: int) -> int:
        src, n = self.src, len(self.src)
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise self.fail("unclosed comment", start)
            k = end + 2
            d = self._right_delim(k) if k < n else None
            if d is None:
                raise self.fail("comment ends before closing delimiter", start)
            return self._after_right(k + d[0], d[1])
        self.toks.append(Token("left", "{{", start))
        self.paren = 0
        while True:
            if i >= n:
                raise self.fail("unclosed action", start)
            d = self._right_delim(i)
            if d is not None and self.paren <= 0:
                self.toks.append(Token("right", "}}", i))
                return self._after_right(i + d[0], d[1])
            c = src[i]
            if c in _SPACE:
                k = i
                while k < n and src[k] in _SPACE and self._right_delim(k) is None:
                    k += 1
                if k == i:  # a space that starts ' -}}' inside parens
                    k = i + 1
                self.toks.append(Token("space", src[i:k], i))
                i = k
            elif c == "=":
                self.toks.append(Token("assign", "=", i))
                i += 1
            elif c == ":":
                if not src.startswith(":=", i):
                    raise self.fail("expected :=", start)
                self.toks.append(Token("declare", ":=", i))
                i += 2
            elif c == "|":
                self.toks.append(Token("pipe", "|", i))
                i += 1
            elif c == ",":
                self.toks.append(Token("comma", ",", i))
                i += 1
            elif c == '"':
                i = self.quoted(i, '"', "string", "unterminated quoted string")
            elif c == "'":
                i = self.quoted(i, "'", "char", "unterminated character constant")
            elif c == "`":
                end = src.find("`", i + 1)
                if end < 0:
                    raise self.fail("unterminated raw quoted string", start)
                self.toks.append(Token("raw", src[i : end + 1], i))
                i = end + 1
            elif c == "$":
                k = i + 1
                while k < n and _is_alnum(src[k]):
                    k += 1
                self.toks.append(Token("var", src[i:k], i))
                i = k
            elif c == "." and not (i + 1 < n and src[i + 1].isdigit()):
                k = i + 1
                while k < n and _is_alnum(src[k]):
                    k += 1
                self.toks.append(Token("field" if k > i + 1 else "dot", src[i:k], i))
                i = k
            elif (
                c.isdigit()
                or c in "+-."
                and i + 1 < n
                and (src[i + 1].isdigit() or src[i + 1] == ".")
            ):
                i = self.number(i)
            elif _is_alnum(c):
                k = i
                while k < n and _is_alnum(src[k]):
                    k += 1
                word = src[i:k]
                if word in _KEYWORDS:
                    kind = word
                elif word in ("true", "false"):
                    kind = "bool"
                elif word == "nil":
                    kind = "nil"
                else:
                    kind = "ident"
                self.toks.append(Token(kind, word, i))
                i = k
            elif c == "(":
                self.paren += 1
                self.toks.append(Token("lparen", "(", i))
                i += 1
            elif c == ")":
                self.paren -= 1  # a stray ')' is reported by the parser, as Go does
                self.toks.append(Token("rparen", ")", i))
                i += 1
            else:
                raise self.fail(f"unrecognized character in action: {_rune(c)}", i)

    def quoted(self, i: int, q: str, kind: str, err: str) -> int:
        src, n, k = self.src, len(self.src), i + 1
        while True:
            if k >= n or src[k] == "\n":
                raise self.fail(err, i)
            if src[k] == "\\":
                k += 2
                continue
            if src[k] == q:
                break
            k += 1
        self.toks.append(Token(kind, src[i : k + 1], i))
        return k + 1

    def number(self, i: int) -> int:
        """Scan like Go's lexer: sign, base prefix, digits, fraction, exponent."""
        src, n, k = self.src, len(self.src), i
        if src[k] in "+-":
            k += 1
        digits, exp = "0123456789_", "eE"
        if src.startswith(("0x", "0X"), k):
            k, digits, exp = k + 2, "0123456789abcdefABCDEF_", "pP"
        elif src.startswith(("0o", "0O"), k):
            k, digits = k + 2, "01234567_"
        elif src.startswith(("0b", "0B"), k):
            k, digits = k + 2, "01_"
        while k < n and src[k] in digits:
            k += 1
        if k < n and src[k] == ".":
            k += 1
            while k < n and src[k] in digits:
                k += 1
        if k < n and src[k] in exp:
            k += 1
            if k < n and src[k] in "+-":
                k += 1
            while k < n and src[k] in "0123456789_":
                k += 1
        if k < n and _is_alnum(src[k]):
            raise self.fail(f"bad number syntax: {go_quote(src[i : k + 1])}", i)
        self.toks.append(Token("number", src[i:k], i))
        return k


def _rune(c: str) -> str:
    return f"U+{ord(c):04X} {go_quote(c, chr(39))}"


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote(tok: str) -> str:
    """strconv.Unquote for "..." and '...' literals."""
    q, body = tok[0], tok[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise ValueError("invalid syntax")
        e = body[i + 1]
        i += 2
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
        elif e == q:
            out.append(q)
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            out.append(chr(int(body[i : i + width], 16)))
            if len(body[i : i + width]) != width:
                raise ValueError("invalid syntax")
            i += width
        elif e in "01234567":
            out.append(chr(int(body[i - 1 : i + 2], 8)))
            i += 2
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


# --- nodes -----------------------------------------------------------------------
