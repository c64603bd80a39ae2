"""Go text/template, the subset Docker users write in `--format`.

    tmpl = compile_template("{{.Name}}\t{{json .Config}}")   # parse once
    tmpl.execute(row)                                        # run per row

Data are dicts decoded from the Engine API: `.State.Status` looks up key "State"
then "Status". A dict entry (or object attribute) that is callable acts as a Go
method: `{{.Label "com.x"}}` calls it with the arguments. Errors read like Go's.
"""

from __future__ import annotations

from dockyard.cli.gofmt import (
    MISSING,
    GoStruct,
    NilList,
    NilMap,
    go_json,
    go_quote,
    go_str,
    go_type,
    sort_keys,
    sprint,
    sprintf,
    sprintln,
)

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


__all__ = [
    "FUNCS",
    "HEADER_FUNCS",
    "MISSING",
    "GoStruct",
    "Template",
    "TemplateError",
    "compile_template",
    "render",
]


class TemplateError(Exception):
    """A parse or execution error, worded like Go's text/template."""


class _Absent:
    """A struct field the API JSON left out (omitempty): Go's typed nil.

    Only `docker inspect`'s first, "typed" pass produces it: it is false in
    if/with/and/or/not and ranges over nothing; any other use fails the pass,
    which then reruns on the raw map with missingkey=error, as Docker does.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


_ABSENT: Any = _Absent()


class _NeedRaw(Exception):
    """The typed pass touched an absent field in a way Go's typed run would reject."""


class _NoFinal:
    """The 'no piped value' marker (Go's missingVal)."""

    __slots__ = ()


_NOFINAL: Any = _NoFinal()

# --- lexer -------------------------------------------------------------------

_KEYWORDS = frozenset(
    ["if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"]
)
_SPACE = " \t\r\n"


class _Tok:
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


def _line(src: str, pos: int) -> int:
    return src.count("\n", 0, pos) + 1


def _is_alnum(c: str) -> bool:
    return c == "_" or c.isalnum()


class _Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks: list[_Tok] = []
        self.paren = 0

    def fail(self, msg: str, pos: int) -> TemplateError:
        return TemplateError(f"template: :{_line(self.src, pos)}: {msg}")

    def run(self) -> list[_Tok]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            j = src.find("{{", i)
            if j < 0:
                self.toks.append(_Tok("text", src[i:], i))
                break
            text_end = j
            trim_left = src.startswith("{{-", j) and j + 3 < n and src[j + 3] in _SPACE
            if trim_left:
                while text_end > i and src[text_end - 1] in _SPACE:
                    text_end -= 1
            if text_end > i:
                self.toks.append(_Tok("text", src[i:text_end], i))
            i = self.action(j, j + (4 if trim_left else 2))
        self.toks.append(_Tok("eof", "", n))
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
        self.toks.append(_Tok("left", "{{", start))
        self.paren = 0
        while True:
            if i >= n:
                raise self.fail("unclosed action", start)
            d = self._right_delim(i)
            if d is not None and self.paren <= 0:
                self.toks.append(_Tok("right", "}}", i))
                return self._after_right(i + d[0], d[1])
            c = src[i]
            if c in _SPACE:
                k = i
                while k < n and src[k] in _SPACE and self._right_delim(k) is None:
                    k += 1
                if k == i:  # a space that starts ' -}}' inside parens
                    k = i + 1
                self.toks.append(_Tok("space", src[i:k], i))
                i = k
            elif c == "=":
                self.toks.append(_Tok("assign", "=", i))
                i += 1
            elif c == ":":
                if not src.startswith(":=", i):
                    raise self.fail("expected :=", start)
                self.toks.append(_Tok("declare", ":=", i))
                i += 2
            elif c == "|":
                self.toks.append(_Tok("pipe", "|", i))
                i += 1
            elif c == ",":
                self.toks.append(_Tok("comma", ",", i))
                i += 1
            elif c == '"':
                i = self.quoted(i, '"', "string", "unterminated quoted string")
            elif c == "'":
                i = self.quoted(i, "'", "char", "unterminated character constant")
            elif c == "`":
                end = src.find("`", i + 1)
                if end < 0:
                    raise self.fail("unterminated raw quoted string", start)
                self.toks.append(_Tok("raw", src[i : end + 1], i))
                i = end + 1
            elif c == "$":
                k = i + 1
                while k < n and _is_alnum(src[k]):
                    k += 1
                self.toks.append(_Tok("var", src[i:k], i))
                i = k
            elif c == "." and not (i + 1 < n and src[i + 1].isdigit()):
                k = i + 1
                while k < n and _is_alnum(src[k]):
                    k += 1
                self.toks.append(_Tok("field" if k > i + 1 else "dot", src[i:k], i))
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
                self.toks.append(_Tok(kind, word, i))
                i = k
            elif c == "(":
                self.paren += 1
                self.toks.append(_Tok("lparen", "(", i))
                i += 1
            elif c == ")":
                self.paren -= 1  # a stray ')' is reported by the parser, as Go does
                self.toks.append(_Tok("rparen", ")", i))
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
        self.toks.append(_Tok(kind, src[i : k + 1], i))
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
        self.toks.append(_Tok("number", src[i:k], i))
        return k


def _rune(c: str) -> str:
    return f"U+{ord(c):04X} {go_quote(c, chr(39))}"


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote(tok: str) -> str:
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


class _Node:
    __slots__ = ("pos",)
    pos: int


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        self.pos, self.text = pos, text


class _Field(_Node):
    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        self.pos, self.idents = pos, idents

    def __str__(self) -> str:
        return "".join("." + x for x in self.idents)


class _Variable(_Node):
    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        self.pos, self.idents = pos, idents

    def __str__(self) -> str:
        return ".".join(self.idents)


class _Chain(_Node):
    __slots__ = ("node", "fields")

    def __init__(self, pos: int, node: _Node, fields: list[str]) -> None:
        self.pos, self.node, self.fields = pos, node, fields

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, _Pipe) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


class _Const(_Node):
    """A literal: string, number, bool, nil, or dot (value is `_DOT`)."""

    __slots__ = ("value", "text")

    def __init__(self, pos: int, value: Any, text: str) -> None:
        self.pos, self.value, self.text = pos, value, text

    def __str__(self) -> str:
        return self.text


class _Ident(_Node):
    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        self.pos, self.name = pos, name

    def __str__(self) -> str:
        return self.name


class _Command(_Node):
    __slots__ = ("args",)

    def __init__(self, pos: int, args: list[_Node]) -> None:
        self.pos, self.args = pos, args

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, _Pipe) else str(a) for a in self.args)


class _Pipe(_Node):
    __slots__ = ("decls", "is_assign", "cmds")

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.decls: list[str] = []
        self.is_assign = False
        self.cmds: list[_Command] = []

    def __str__(self) -> str:
        s = " | ".join(str(c) for c in self.cmds)
        if self.decls:
            return ", ".join(self.decls) + (" = " if self.is_assign else " := ") + s
        return s


class _Action(_Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: _Pipe) -> None:
        self.pos, self.pipe = pos, pipe


class _Control(_Node):
    """if / with / range, with its optional else branch."""

    __slots__ = ("kind", "pipe", "body", "orelse")

    def __init__(self, kind: str, pos: int, pipe: _Pipe, body: list, orelse: list | None) -> None:
        self.kind, self.pos, self.pipe, self.body, self.orelse = kind, pos, pipe, body, orelse


class _Loop(_Node):
    """break / continue."""

    __slots__ = ("kind",)

    def __init__(self, pos: int, kind: str) -> None:
        self.pos, self.kind = pos, kind


class _Template(_Node):
    """{{template "name" pipeline}}."""

    __slots__ = ("name", "pipe")

    def __init__(self, pos: int, name: str, pipe: _Pipe | None) -> None:
        self.pos, self.name, self.pipe = pos, name, pipe

    def __str__(self) -> str:
        arg = f" {self.pipe}" if self.pipe is not None else ""
        return f"{{{{template {go_quote(self.name)}{arg}}}}}"


_DOT: Any = object()
_END = "end"
_ELSE = "else"

# --- parser --------------------------------------------------------------------


class _Parser:
    def __init__(self, src: str, funcs: dict[str, Any]) -> None:
        self.src = src
        self.toks = _Lexer(src).run()
        self.i = 0
        self.funcs = funcs
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.defines: dict[str, list[_Node]] = {}

    def fail(self, msg: str, tok: _Tok | None = None) -> TemplateError:
        tok = tok or self.toks[min(self.i, len(self.toks) - 1)]
        return TemplateError(f"template: :{_line(self.src, tok.pos)}: {msg}")

    def next(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next_non_space(self) -> _Tok:
        t = self.next()
        while t.kind == "space":
            t = self.next()
        return t

    def peek_non_space(self) -> _Tok:
        j = self.i
        while self.toks[j].kind == "space":
            j += 1
        return self.toks[j]

    def expect(self, kind: str, context: str) -> _Tok:
        t = self.next_non_space()
        if t.kind != kind:
            raise self.fail(f"unexpected {t} in {context}", t)
        return t

    def parse(self) -> list[_Node]:
        out: list[_Node] = []
        while self.peek().kind != "eof":
            if self.peek().kind == "left" and self.peek_after_left().kind == "define":
                self.parse_define()
                continue
            n = self.text_or_action()
            if n is _END or n is _ELSE:
                raise self.fail(f"unexpected {{{{{n}}}}}")
            if n is not None:
                out.append(n)
        return out

    def peek_after_left(self) -> _Tok:
        j = self.i + 1
        while self.toks[j].kind == "space":
            j += 1
        return self.toks[j]

    def parse_define(self) -> None:
        self.next()  # left
        self.next_non_space()  # define
        name = self.expect_name("define clause")
        self.expect("right", "define clause")
        body, nxt = self.item_list()
        if nxt is not _END:
            raise self.fail("unexpected {{else}} in define clause")
        self.defines[name] = body

    def expect_name(self, context: str) -> str:
        t = self.next_non_space()
        if t.kind not in ("string", "raw"):
            raise self.fail(f"unexpected {t} in {context}", t)
        return _unquote(t.val) if t.kind == "string" else t.val[1:-1]

    def item_list(self) -> tuple[list[_Node], Any]:
        out: list[_Node] = []
        while self.peek_non_space().kind != "eof":
            n = self.text_or_action()
            if n is _END or n is _ELSE:
                return out, n
            if n is not None:
                out.append(n)
        raise self.fail("unexpected EOF")

    def text_or_action(self) -> Any:
        t = self.next_non_space()
        if t.kind == "text":
            return _Text(t.pos, t.val)
        if t.kind == "left":
            return self.action()
        raise self.fail(f"unexpected {t} in input", t)

    def action(self) -> Any:
        t = self.peek_non_space()
        k = t.kind
        if k in ("if", "with", "range"):
            self.next_non_space()
            return self.control(k)
        if k == "else":
            self.next_non_space()
            nt = self.peek_non_space()
            if nt.kind not in ("if", "with"):
                self.expect("right", "else")
            return _ELSE
        if k == "end":
            self.next_non_space()
            self.expect("right", "end")
            return _END
        if k in ("break", "continue"):
            self.next_non_space()
            if self.range_depth == 0:
                raise self.fail(f"{{{{{k}}}}} outside {{{{range}}}}", t)
            self.expect("right", k)
            return _Loop(t.pos, k)
        if k in ("template", "block"):
            self.next_non_space()
            return self.template_call(k, t)
        if k == "define":
            raise self.fail("unexpected <define> in command", t)
        pipe = self.pipeline("command", "right")
        return _Action(t.pos, pipe)

    def template_call(self, kind: str, t: _Tok) -> _Template:
        name = self.expect_name(f"{kind} clause")
        pipe = None
        if self.peek_non_space().kind != "right":
            pipe = self.pipeline(f"{kind} clause", "right")
        else:
            self.next_non_space()
        if kind == "block":
            body, nxt = self.item_list()
            if nxt is not _END:
                raise self.fail("unexpected {{else}} in block clause")
            self.defines[name] = body
        return _Template(t.pos, name, pipe)

    def control(self, kind: str) -> _Control:
        mark = len(self.vars)
        pipe = self.pipeline(kind, "right")
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        orelse = None
        if nxt is _ELSE:
            nt = self.peek_non_space()
            if (kind == "if" and nt.kind == "if") or (kind == "with" and nt.kind == "with"):
                self.next_non_space()
                orelse = [self.control(kind)]
            else:
                orelse, nxt = self.item_list()
                if nxt is not _END:
                    raise self.fail("expected end; found {{else}}")
        del self.vars[mark:]
        return _Control(kind, pipe.pos, pipe, body, orelse)

    def pipeline(self, context: str, end: str) -> _Pipe:
        pipe = _Pipe(self.peek_non_space().pos)
        while True:  # declarations
            v = self.peek_non_space()
            if v.kind != "var":
                break
            save = self.i
            self.next_non_space()
            nxt = self.peek_non_space()
            if nxt.kind in ("assign", "declare"):
                pipe.is_assign = nxt.kind == "assign"
                self.next_non_space()
                pipe.decls.append(v.val)
                self.vars.append(v.val)
                break
            if nxt.kind == "comma":
                self.next_non_space()
                pipe.decls.append(v.val)
                self.vars.append(v.val)
                if context == "range" and len(pipe.decls) < 2:
                    if self.peek_non_space().kind in ("var", "right", "rparen"):
                        continue
                    raise self.fail("range can only initialize variables")
                raise self.fail(f"too many declarations in {context}")
            self.i = save
            break
        while True:
            t = self.next_non_space()
            if t.kind == end:
                self.check_pipeline(pipe, context)
                return pipe
            if t.kind in (
                "bool", "char", "dot", "field", "ident", "number",
                "nil", "raw", "string", "var", "lparen",
            ):  # fmt: skip
                self.i -= 1
                pipe.cmds.append(self.command())
            else:
                raise self.fail(f"unexpected {t} in {context}", t)

    def check_pipeline(self, pipe: _Pipe, context: str) -> None:
        if not pipe.cmds:
            raise self.fail(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:], start=2):
            if isinstance(c.args[0], _Const):
                raise self.fail(f"non executable command in pipeline stage {i}")

    def command(self) -> _Command:
        cmd = _Command(self.peek_non_space().pos, [])
        while True:
            self.peek_non_space()
            while self.peek().kind == "space":
                self.next()
            op = self.operand()
            if op is not None:
                cmd.args.append(op)
            t = self.next()
            if t.kind == "space":
                continue
            if t.kind in ("right", "rparen"):
                self.i -= 1
            elif t.kind != "pipe":
                raise self.fail(f"unexpected {t} in operand", t)
            break
        if not cmd.args:
            raise self.fail("empty command")
        return cmd

    def operand(self) -> _Node | None:
        node = self.term()
        if node is None or self.peek().kind != "field":
            return node
        pos = self.peek().pos
        fields: list[str] = []
        while self.peek().kind == "field":
            fields.append(self.next().val[1:])
        if isinstance(node, _Field):
            return _Field(pos, node.idents + fields)
        if isinstance(node, _Variable):
            return _Variable(pos, node.idents + fields)
        if isinstance(node, _Const):
            raise self.fail(f"unexpected . after term {go_quote(str(node))}")
        return _Chain(pos, node, fields)

    def term(self) -> _Node | None:
        t = self.next_non_space()
        k = t.kind
        if k == "ident":
            if t.val not in self.funcs:
                raise self.fail(f"function {go_quote(t.val)} not defined", t)
            return _Ident(t.pos, t.val)
        if k == "dot":
            return _Const(t.pos, _DOT, ".")
        if k == "nil":
            return _Const(t.pos, None, "nil")
        if k == "var":
            if t.val not in self.vars:
                raise self.fail(f"undefined variable {go_quote(t.val)}", t)
            return _Variable(t.pos, [t.val])
        if k == "field":
            return _Field(t.pos, [t.val[1:]])
        if k == "bool":
            return _Const(t.pos, t.val == "true", t.val)
        if k in ("number", "char"):
            return _Const(t.pos, self.number(t), t.val)
        if k == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        if k in ("string", "raw"):
            if k == "raw":
                return _Const(t.pos, t.val[1:-1], t.val)
            try:
                return _Const(t.pos, _unquote(t.val), t.val)
            except (ValueError, IndexError):
                raise self.fail("invalid syntax", t) from None
        self.i -= 1
        return None

    def number(self, t: _Tok) -> int | float:
        text = t.val
        if t.kind == "char":
            try:
                s = _unquote(text)
            except (ValueError, IndexError):
                s = ""
            if len(s) != 1:
                raise self.fail(f"malformed character constant: {text}", t)
            return ord(s)
        clean = text.replace("_", "")
        try:
            low = clean.lower().lstrip("+-")
            if low.startswith(("0x", "0o", "0b")) and "." not in low and "p" not in low:
                return int(clean, 0)
            if low.isdigit():
                val = int(clean, 8) if len(low) > 1 and low.startswith("0") else int(clean)
            else:
                return float(clean)
            if not -(1 << 63) <= val < (1 << 64):
                raise self.fail(f"integer overflow: {go_quote(text)}", t)
            return val
        except ValueError:
            raise self.fail(f"bad number syntax: {go_quote(text)}", t) from None


# --- execution -------------------------------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


# Fields of Docker's inspect structs that are Go slices or maps: when the JSON has
# null (or leaves them out) Docker's typed run prints "[]" / "map[]", not <nil>.
_SLICE_FIELDS = frozenset(
    "Args Aliases Binds BlkioDeviceReadBps BlkioDeviceReadIOps BlkioDeviceWriteBps"
    " BlkioDeviceWriteIOps BlkioWeightDevice CapAdd CapDrop Cmd ConsoleSize DNSNames"
    " DeviceCgroupRules DeviceRequests Devices Dns DnsOptions DnsSearch Entrypoint Env"
    " ExecIDs ExtraHosts GroupAdd Layers Links MaskedPaths Mounts OnBuild ReadonlyPaths"
    " RepoDigests RepoTags SecondaryIPAddresses SecondaryIPv6Addresses SecurityOpt Shell"
    " Test Ulimits VolumesFrom Warnings".split()
)
_MAP_FIELDS = frozenset(
    "Annotations Containers Data DriverOpts ExposedPorts Labels Networks Options"
    " PortBindings Ports StorageOpt Sysctls Tmpfs Volumes".split()
)


def _typed_nil(name: str, default: Any) -> Any:
    if name in _SLICE_FIELDS:
        return NilList()
    if name in _MAP_FIELDS:
        return NilMap()
    return default


def _struct_like(d: dict) -> bool:
    """Whether an API object stands for a Go struct (capitalised field names) rather
    than a map such as Labels or Ports, whose misses print <no value> even in inspect."""
    return bool(d) and all(isinstance(k, str) and k[:1].isupper() for k in d)


def _truth(v: Any) -> bool:
    """Go's isTrue: zero values, nil and empty collections are false."""
    if v is None or v is MISSING or v is _ABSENT:
        return False
    if isinstance(v, bool | int | float | str | list | tuple | dict):
        return bool(v)
    return True


class _State:
    __slots__ = ("tmpl", "vars", "at", "funcs", "depth", "missing_error", "typed")

    def __init__(
        self,
        tmpl: Template,
        data: Any,
        funcs: dict[str, Any],
        missing_error: bool = False,
        typed: bool = False,
    ) -> None:
        self.tmpl = tmpl
        self.missing_error = missing_error
        self.typed = typed
        self.vars: list[list[Any]] = [["$", data]]
        self.at: _Node | None = None
        self.funcs = funcs
        self.depth = 0

    def fail(self, msg: str) -> TemplateError:
        src = self.tmpl.source
        node = self.at
        pos = node.pos if node is not None else 0
        line = _line(src, pos)
        col = pos - (src.rfind("\n", 0, pos) + 1)
        ctx = str(node) if node is not None else ""
        return TemplateError(f'template: :{line}:{col}: executing "" at <{ctx}>: {msg}')

    # -- walking
    def walk(self, dot: Any, nodes: list[_Node], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                out.append(node.text)
            elif isinstance(node, _Action):
                val = self.pipeline(dot, node.pipe)
                if not node.pipe.decls:
                    out.append(self.printable(val))
            elif isinstance(node, _Control):
                self.control(dot, node, out)
            elif isinstance(node, _Loop):
                raise _Break() if node.kind == "break" else _Continue()
            elif isinstance(node, _Template):
                self.call_template(dot, node, out)

    def call_template(self, dot: Any, node: _Template, out: list[str]) -> None:
        self.at = node
        body = self.tmpl.defines.get(node.name)
        if body is None:
            raise self.fail(f"template {go_quote(node.name)} not defined")
        self.depth += 1
        if self.depth > 1000:
            raise self.fail("exceeded maximum template depth (100000)")
        new_dot = self.pipeline(dot, node.pipe) if node.pipe is not None else None
        saved = self.vars
        self.vars = [["$", new_dot]]
        try:
            self.walk(new_dot, body, out)
        finally:
            self.vars = saved
            self.depth -= 1

    def printable(self, v: Any) -> str:
        if v is _ABSENT:
            raise _NeedRaw()
        if v is MISSING:
            return "<no value>"
        if isinstance(v, str):
            return v
        if callable(v) and not isinstance(v, dict | list):
            raise self.fail(f"can't print {self.at} of type func")
        return go_str(v)

    def control(self, dot: Any, node: _Control, out: list[str]) -> None:
        mark = len(self.vars)
        try:
            val = self.pipeline(dot, node.pipe)
            if node.kind == "range":
                self.range(dot, node, val, out)
            elif _truth(val):
                self.walk(val if node.kind == "with" else dot, node.body, out)
            elif node.orelse is not None:
                self.walk(dot, node.orelse, out)
        finally:
            del self.vars[mark:]

    def range(self, dot: Any, node: _Control, val: Any, out: list[str]) -> None:
        if isinstance(val, dict):
            items: Any = ((k, val[k]) for k in sort_keys(val))
        elif isinstance(val, list | tuple):
            items = enumerate(val)
        elif val is None or val is MISSING or val is _ABSENT:
            items = ()
        elif isinstance(val, int) and not isinstance(val, bool):
            if len(node.pipe.decls) > 1:
                raise self.fail(f"can't use {val} to iterate over more than one variable")
            items = ((i, i) for i in range(val))
        else:
            raise self.fail(f"range can't iterate over {go_str(val)}")
        decls = node.pipe.decls
        ran = False
        mark = len(self.vars)
        for key, elem in items:
            ran = True
            if len(decls) == 1:
                self.vars[mark - 1][1] = elem
            elif len(decls) == 2:
                self.vars[mark - 2][1] = key
                self.vars[mark - 1][1] = elem
            try:
                self.walk(elem, node.body, out)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[mark:]
        if not ran and node.orelse is not None:
            self.walk(dot, node.orelse, out)

    # -- evaluation
    def pipeline(self, dot: Any, pipe: _Pipe) -> Any:
        self.at = pipe
        val: Any = _NOFINAL
        for cmd in pipe.cmds:
            val = self.command(dot, cmd, val)
        for name in pipe.decls:
            if pipe.is_assign:
                self.set_var(name, val)
            else:
                self.vars.append([name, val])
        return val

    def set_var(self, name: str, val: Any) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = val
                return
        raise self.fail(f"undefined variable: {name}")

    def var(self, name: str) -> Any:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        raise self.fail(f"undefined variable: {name}")

    def command(self, dot: Any, cmd: _Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, _Field):
            self.at = first
            return self.field_chain(dot, dot, first.idents, cmd.args, final)
        if isinstance(first, _Chain):
            self.at = first
            recv = self.arg(dot, first.node)
            self.at = first
            return self.field_chain(dot, recv, first.fields, cmd.args, final)
        if isinstance(first, _Ident):
            return self.call(dot, first, cmd, cmd.args[1:], final)
        if isinstance(first, _Variable):
            self.at = first
            val = self.var(first.idents[0])
            if len(first.idents) == 1:
                self.not_a_function(cmd.args, final)
                return val
            return self.field_chain(dot, val, first.idents[1:], cmd.args, final)
        self.at = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, _Pipe):
            return self.pipeline(dot, first)
        assert isinstance(first, _Const)
        if first.value is _DOT:
            return dot
        if first.value is None:
            raise self.fail("nil is not a command")
        return first.value

    def not_a_function(self, args: list[_Node], final: Any) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.fail(f"can't give argument to non-function {args[0]}")

    def field_chain(
        self, dot: Any, recv: Any, idents: list[str], args: list[_Node], final: Any
    ) -> Any:
        for name in idents[:-1]:
            recv = self.field(dot, name, recv, [], _NOFINAL)
        return self.field(dot, idents[-1], recv, args, final)

    def field(self, dot: Any, name: str, recv: Any, args: list[_Node], final: Any) -> Any:
        if recv is MISSING:
            return MISSING
        if recv is _ABSENT:
            raise _NeedRaw()
        if recv is None:
            raise self.fail(f"nil pointer evaluating interface {{}}.{name}")
        has_args = len(args) > 1 or final is not _NOFINAL
        if isinstance(recv, dict):
            val = recv.get(name, MISSING)
            if val is MISSING:
                if isinstance(recv, GoStruct):
                    raise self.fail(f"can't evaluate field {name} in type {recv.type_name}")
                if self.missing_error and _struct_like(recv):
                    raise self.fail(f"map has no entry for key {go_quote(name)}")
                if self.typed and _struct_like(recv):
                    return _typed_nil(name, _ABSENT)
            elif val is None and self.typed:
                return _typed_nil(name, None)
        elif isinstance(recv, str | int | float | bool | list | tuple):
            raise self.fail(f"can't evaluate field {name} in type interface {{}}")
        else:
            val = getattr(recv, name, MISSING) if not name.startswith("_") else MISSING
            if val is MISSING:
                raise self.fail(f"can't evaluate field {name} in type {type(recv).__name__}")
        if callable(val) and not isinstance(val, dict | list):
            vals = [self.arg(dot, a) for a in args[1:]]
            if final is not _NOFINAL:
                vals.append(final)
            try:
                return val(*vals)
            except TemplateError:
                raise
            except Exception as e:  # a method's own error, as Go reports it
                raise self.fail(f"error calling {name}: {e}") from None
        if has_args:
            raise self.fail(f"{name} is not a method but has arguments")
        return val

    def arg(self, dot: Any, node: _Node) -> Any:
        """Evaluate an argument node (Go's evalArg for an interface{} parameter)."""
        self.at = node
        if isinstance(node, _Const):
            return dot if node.value is _DOT else node.value
        if isinstance(node, _Field):
            self.at = node
            return self.field_chain(dot, dot, node.idents, [node], _NOFINAL)
        if isinstance(node, _Variable):
            self.at = node
            val = self.var(node.idents[0])
            if len(node.idents) == 1:
                return val
            return self.field_chain(dot, val, node.idents[1:], [node], _NOFINAL)
        if isinstance(node, _Pipe):
            return self.pipeline(dot, node)
        if isinstance(node, _Ident):
            return self.call(dot, node, node, [], _NOFINAL)
        if isinstance(node, _Chain):
            recv = self.arg(dot, node.node)
            self.at = node
            return self.field_chain(dot, recv, node.fields, [node], _NOFINAL)
        raise self.fail(f"can't handle {node} for arg")

    def call(self, dot: Any, ident: _Ident, cmd: _Node, args: list[_Node], final: Any) -> Any:
        self.at = ident
        name = ident.name
        fn = self.funcs[name]
        if name in ("and", "or"):
            return self.and_or(dot, name == "and", ident, args, final)
        spec: _FuncSpec = fn if isinstance(fn, _FuncSpec) else _FuncSpec(fn, 0, None, ())
        nargs = len(args) + (0 if final is _NOFINAL else 1)
        if nargs < spec.min_args or (spec.max_args is not None and nargs > spec.max_args):
            if spec.max_args is None:
                want = f"at least {spec.min_args}"
            else:
                want = str(spec.min_args)
            raise self.fail(f"wrong number of args for {name}: want {want} got {nargs}")
        vals: list[Any] = []
        for i, a in enumerate(args):
            typ = spec.param(i)
            if typ is not None and isinstance(a, _Const) and a.value is not _DOT:
                self.check_const(a, typ)
            v = self.arg(dot, a)
            if typ is not None:
                if v is None and typ is not list:
                    # A JSON null is a typed interface{} value to Go, not an invalid one.
                    raise self.fail(
                        f"wrong type for value; expected {_TYPE_NAMES[typ]}; got interface {{}}"
                    )
                v = self.check_type(v, typ)
            vals.append(v)
        if final is not _NOFINAL:
            typ = spec.param(len(args))
            vals.append(self.check_type(final, typ) if typ is not None else final)
        if self.typed and any(v is _ABSENT for v in vals) and name != "not":
            raise _NeedRaw()
        try:
            return spec.fn(*vals)
        except TemplateError:
            raise
        except (_Break, _Continue):
            raise
        except Exception as e:
            self.at = cmd
            raise self.fail(f"error calling {name}: {e}") from None

    def check_const(self, node: _Const, typ: type) -> None:
        v = node.value
        if v is None:
            self.at = node
            raise self.fail(f"cannot assign nil to {_TYPE_NAMES[typ]}")
        if typ is str and not isinstance(v, str):
            self.at = node
            raise self.fail(f"expected string; found {node.text}")
        if typ is int and (isinstance(v, bool) or not isinstance(v, int)):
            self.at = node
            raise self.fail(f"expected integer; found {node.text}")

    def check_type(self, v: Any, typ: type) -> Any:
        if v is MISSING or v is None:
            if typ is list:
                return None
            raise self.fail(f"invalid value; expected {_TYPE_NAMES[typ]}")
        ok = isinstance(v, typ) and not (typ is int and isinstance(v, bool))
        if typ is list:
            ok = isinstance(v, list | tuple)
        if not ok:
            raise self.fail(f"wrong type for value; expected {_TYPE_NAMES[typ]}; got {go_type(v)}")
        return v

    def and_or(self, dot: Any, is_and: bool, ident: _Ident, args: list[_Node], final: Any) -> Any:
        name = "and" if is_and else "or"
        nargs = len(args) + (0 if final is _NOFINAL else 1)
        if nargs < 1:
            raise self.fail(f"wrong number of args for {name}: want at least 1 got 0")
        val: Any = MISSING
        for a in args:
            val = self.arg(dot, a)
            if _truth(val) != is_and:
                return val
        if final is not _NOFINAL:
            val = final
        return val


_TYPE_NAMES = {str: "string", int: "int", list: "[]string", float: "float64"}


class _FuncSpec:
    """A template function with Go-style arity and parameter type checks."""

    __slots__ = ("fn", "min_args", "max_args", "types")

    def __init__(
        self, fn: Callable[..., Any], min_args: int, max_args: int | None, types: tuple
    ) -> None:
        self.fn, self.min_args, self.max_args, self.types = fn, min_args, max_args, types

    def param(self, i: int) -> type | None:
        return self.types[i] if i < len(self.types) else None


# --- builtin functions ---------------------------------------------------------


def _eq(a: Any, *rest: Any) -> bool:
    if not rest:
        raise ValueError("missing argument for comparison")
    ka = _kind(a)
    for b in rest:
        kb = _kind(b)
        if ka in _NON_BASIC and kb in _NON_BASIC:
            # Go: both "invalid" basic kinds, compared by type.
            if go_type(a) != go_type(b):
                raise ValueError(
                    f"non-comparable types {sprintf('%s', [a])}: {go_type(a)}, "
                    f"{go_type(b)}: {go_str(b)}"
                )
            raise ValueError(f"non-comparable type {sprintf('%s', [a])}: {go_type(a)}")
        if ka != kb:
            if ka == "nil" or kb == "nil":
                continue
            raise ValueError("incompatible types for comparison")
        if ka == "nil" or a == b:
            return True
    return False


_NON_BASIC = frozenset(["list", "map", "other"])


def _kind(v: Any) -> str:
    if v is None or v is MISSING:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "list"
    if isinstance(v, dict):
        return "map"
    return "other"


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("int", "float", "string") or kb not in ("int", "float", "string"):
        raise ValueError("invalid type for comparison")
    if ka != kb:
        raise ValueError("incompatible types for comparison")
    return a < b


def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


def _not(a: Any) -> bool:
    return not _truth(a)


def _len(v: Any) -> int:
    if v is None or v is MISSING:
        raise ValueError("len of nil pointer")
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, list | tuple | dict):
        return len(v)
    raise ValueError(f"len of type {go_type(v)}")


def _index_int(i: Any, n: int) -> int:
    if i is None or i is MISSING:
        raise ValueError("cannot index slice/array with nil")
    if isinstance(i, bool) or not isinstance(i, int):
        raise ValueError(f"cannot index slice/array with type {go_type(i)}")
    if i < 0 or i >= n:
        raise ValueError(f"index out of range: {i}")
    return i


def _index(item: Any, *keys: Any) -> Any:
    if item is None or item is MISSING:
        raise ValueError("index of untyped nil")
    for k in keys:
        if item is None or item is MISSING:
            raise ValueError("index of nil pointer")
        if isinstance(item, list | tuple):
            item = item[_index_int(k, len(item))]
        elif isinstance(item, str):
            item = item.encode()[_index_int(k, len(item.encode()))]
        elif isinstance(item, dict):
            if k in item:
                item = item[k]
            elif isinstance(k, str) and all(isinstance(x, str) for x in item.values()):
                # A string-valued map is Go's map[string]string (Labels, Options):
                # its zero value is "", as `index .Config.Labels "x"` prints in Docker.
                item = ""
            else:
                item = MISSING
        else:
            raise ValueError(f"can't index item of type {go_type(item)}")
    return item


def _slice(item: Any, *idx: Any) -> Any:
    if item is None or item is MISSING:
        raise ValueError("slice of untyped nil")
    if len(idx) > 3:
        raise ValueError(f"too many slice indexes: {len(idx)}")
    if isinstance(item, str):
        if len(idx) == 3:
            raise ValueError("cannot 3-index slice a string")
        b = item.encode()
        n = len(b)
    elif isinstance(item, list | tuple):
        n = len(item)
    else:
        raise ValueError(f"can't slice item of type {go_type(item)}")
    bounds = [0, n]
    for i, x in enumerate(idx[:2]):
        bounds[i] = _index_int(x, n + 1)
    if bounds[0] > bounds[1]:
        raise ValueError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if isinstance(item, str):
        return b[bounds[0] : bounds[1]].decode(errors="replace")
    return list(item[bounds[0] : bounds[1]])


def _html(*args: Any) -> str:
    s = _eval_args(args)
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("\0", "\ufffd")
    )


_JS_ESC = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _js(*args: Any) -> str:
    out = []
    for c in _eval_args(args):
        if c in _JS_ESC:
            out.append(_JS_ESC[c])
        elif ord(c) < 0x20 or not c.isprintable():
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_eval_args(args), safe="")


def _eval_args(args: tuple) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    # Go turns nil into the string "<no value>" before fmt.Sprint sees it.
    return sprint(["<no value>" if a is None or a is MISSING else a for a in args])


def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


def _call(fn: Any, *args: Any) -> Any:
    if not callable(fn):
        raise ValueError(f"non-function of type {go_type(fn)}")
    return fn(*args)


# Docker's additions (docker/cli templates package).


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _join(elems: Any, sep: str) -> str:
    if elems is None or elems is MISSING:
        return ""
    if isinstance(elems, list | tuple):
        return sep.join(go_str(x) for x in elems)
    if isinstance(elems, dict):
        return sep.join(sorted(go_str(x) for x in elems.values()))
    raise ValueError(f"expected slice, got {go_type(elems)}")


def _title(s: str) -> str:
    """strings.Title: upper-case the first letter of each word, leave the rest."""
    out = []
    prev_sep = True
    for c in s:
        out.append(c.upper() if prev_sep and len(c.upper()) == 1 else c)
        if c.isascii():
            prev_sep = not (c.isalnum() or c == "_")
        else:
            prev_sep = c.isspace()
    return "".join(out)


def _case(s: str, upper: bool) -> str:
    conv = s.upper() if upper else s.lower()
    if len(conv) == len(s):
        return conv
    # Python maps ß to SS; Go maps rune by rune.
    return "".join(
        (c.upper() if upper else c.lower()) if len(c.upper() if upper else c.lower()) == 1 else c
        for c in s
    )


def _pad(s: str, prefix: int, suffix: int) -> str:
    if s == "":
        return s
    return " " * prefix + s + " " * suffix


def _truncate(s: str, length: int) -> str:
    b = s.encode()
    if len(b) < length:
        return s
    return b[:length].decode(errors="replace")


def _spec(fn: Callable[..., Any], lo: int, hi: int | None, *types: Any) -> _FuncSpec:
    return _FuncSpec(fn, lo, hi, types)


_ANY = None

FUNCS: dict[str, Any] = {
    # Go builtins
    "and": _spec(lambda *a: a[-1], 1, None),
    "or": _spec(lambda *a: a[-1], 1, None),
    "not": _spec(_not, 1, 1),
    "len": _spec(_len, 1, 1),
    "index": _spec(_index, 1, None),
    "slice": _spec(_slice, 1, None),
    "print": _spec(lambda *a: sprint(list(a)), 0, None),
    "println": _spec(lambda *a: sprintln(list(a)), 0, None),
    "printf": _spec(_printf, 1, None, str),
    "html": _spec(_html, 0, None),
    "js": _spec(_js, 0, None),
    "urlquery": _spec(_urlquery, 0, None),
    "eq": _spec(_eq, 1, None),
    "ne": _spec(_ne, 2, 2),
    "lt": _spec(_lt, 2, 2),
    "le": _spec(_le, 2, 2),
    "gt": _spec(_gt, 2, 2),
    "ge": _spec(_ge, 2, 2),
    "call": _spec(_call, 1, None),
    # Docker's
    "json": _spec(go_json, 1, 1),
    "split": _spec(_split, 2, 2, str, str),
    "join": _spec(_join, 2, 2, _ANY, str),
    "title": _spec(_title, 1, 1, str),
    "lower": _spec(lambda s: _case(s, False), 1, 1, str),
    "upper": _spec(lambda s: _case(s, True), 1, 1, str),
    "pad": _spec(_pad, 3, 3, str, int, int),
    "truncate": _spec(_truncate, 2, 2, str, int),
}


def _first(v: Any, *_: Any) -> Any:
    return v


# Docker renders table headers with these in place of the formatting functions,
# so `{{upper .Name}}` still prints the header "NAME" (pad is kept for alignment).
HEADER_FUNCS: dict[str, Any] = {
    **FUNCS,
    "json": _spec(_first, 1, 1, str),
    "split": _spec(_first, 2, 2, str, str),
    "join": _spec(_first, 2, 2, str, str),
    "title": _spec(_first, 1, 1, str),
    "lower": _spec(_first, 1, 1, str),
    "upper": _spec(_first, 1, 1, str),
    "truncate": _spec(_first, 2, 2, str, int),
}


class Template:
    """A parsed template; `execute` may be called any number of times."""

    __slots__ = ("source", "nodes", "defines")

    def __init__(self, source: str) -> None:
        self.source = source
        parser = _Parser(source, FUNCS)
        self.nodes = parser.parse()
        self.defines = parser.defines

    def execute(
        self, data: Any, funcs: dict[str, Any] | None = None, missing_key: str = "default"
    ) -> str:
        """Run the template on `data`; raises TemplateError like Go's Execute.

        missing_key="error" is what `docker inspect` does: a field absent from an
        API object fails with 'map has no entry for key "X"' (maps such as Labels
        still print <no value>, as Docker's typed structs make them).
        """
        out: list[str] = []
        state = _State(self, data, FUNCS if funcs is None else funcs, missing_key == "error")
        try:
            state.walk(data, self.nodes, out)
        except RecursionError:
            raise TemplateError("template: exceeded maximum template depth") from None
        return "".join(out)

    def execute_inspect(self, data: Any) -> str:
        """Run as `docker inspect -f` does: on the typed object, else on the raw map.

        Docker first executes on its Go struct (absent omitempty fields are nil:
        `{{with .State.Health}}` is just false) and, if that fails, re-executes on
        the raw JSON with missingkey=error ('map has no entry for key "Foo"').
        """
        try:
            out: list[str] = []
            _State(self, data, FUNCS, typed=True).walk(data, self.nodes, out)
            return "".join(out)
        except (_NeedRaw, TemplateError, RecursionError):
            return self.execute(data, missing_key="error")

    def fields(self) -> set[str]:
        """Top-level fields the template reads from dot (`.Size` -> "Size"), like
        Docker's FieldsUsed; ps uses it to ask the daemon for sizes only when shown."""
        found: set[str] = set()
        _collect_fields(self.nodes, found)
        for body in self.defines.values():
            _collect_fields(body, found)
        return found

    def execute_partial(self, data: Any, funcs: dict[str, Any] | None = None) -> str:
        """Like execute, but an error keeps what was written so far (Docker's headers)."""
        out: list[str] = []
        state = _State(self, data, FUNCS if funcs is None else funcs)
        try:
            state.walk(data, self.nodes, out)
        except (TemplateError, RecursionError):
            pass
        return "".join(out)


def _collect_fields(nodes: Any, found: set[str]) -> None:
    for n in nodes:
        if isinstance(n, _Field):
            found.add(n.idents[0])
        elif isinstance(n, _Action):
            _collect_fields([n.pipe], found)
        elif isinstance(n, _Control):
            _collect_fields([n.pipe], found)
            _collect_fields(n.body, found)
            _collect_fields(n.orelse or [], found)
        elif isinstance(n, _Template) and n.pipe is not None:
            _collect_fields([n.pipe], found)
        elif isinstance(n, _Pipe):
            _collect_fields(n.cmds, found)
        elif isinstance(n, _Command):
            _collect_fields(n.args, found)
        elif isinstance(n, _Chain):
            _collect_fields([n.node], found)


_CACHE: dict[str, Template] = {}


def compile_template(source: str) -> Template:
    """Parse `source` (cached); raises TemplateError on a syntax error."""
    t = _CACHE.get(source)
    if t is None:
        t = Template(source)
        if len(_CACHE) >= 64:
            _CACHE.clear()
        _CACHE[source] = t
    return t


def render(source: str, data: Any) -> str:
    """Parse and execute in one call."""
    return compile_template(source).execute(data)
