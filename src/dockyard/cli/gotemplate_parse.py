"""The parser of Go's text/template syntax (the tree gotemplate.py executes).

Error texts follow Go's parse package: "template: :1: unclosed action".
"""

from __future__ import annotations

from dockyard.cli.gofmt import go_quote
from dockyard.cli.gotemplate_lex import Lexer, TemplateError, Token, line_of, unquote

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any


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
        self.toks = Lexer(src).run()
        self.i = 0
        self.funcs = funcs
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.defines: dict[str, list[_Node]] = {}

    def fail(self, msg: str, tok: Token | None = None) -> TemplateError:
        tok = tok or self.toks[min(self.i, len(self.toks) - 1)]
        return TemplateError(f"template: :{line_of(self.src, tok.pos)}: {msg}")

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def peek(self) -> Token:
        return self.toks[self.i]

    def next_non_space(self) -> Token:
        t = self.next()
        while t.kind == "space":
            t = self.next()
        return t

    def peek_non_space(self) -> Token:
        j = self.i
        while self.toks[j].kind == "space":
            j += 1
        return self.toks[j]

    def expect(self, kind: str, context: str) -> Token:
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

    def peek_after_left(self) -> Token:
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
        return unquote(t.val) if t.kind == "string" else t.val[1:-1]

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

    def template_call(self, kind: str, t: Token) -> _Template:
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
                return _Const(t.pos, unquote(t.val), t.val)
            except (ValueError, IndexError):
                raise self.fail("invalid syntax", t) from None
        self.i -= 1
        return None

    def number(self, t: Token) -> int | float:
        text = t.val
        if t.kind == "char":
            try:
                s = unquote(text)
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
