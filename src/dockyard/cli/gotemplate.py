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
    go_quote,
    go_str,
    go_str_typed,
    go_type,
    sort_keys,
    struct_like,
)
from dockyard.cli.gotemplate_funcs import FUNCS, HEADER_FUNCS, TYPE_NAMES, FuncSpec, truth
from dockyard.cli.gotemplate_parse import (
    _DOT,
    TemplateError,
    _Action,
    _Chain,
    _Command,
    _Const,
    _Control,
    _Field,
    _Ident,
    _Loop,
    _Node,
    _Parser,
    _Pipe,
    _Template,
    _Text,
    _Variable,
    line_of,
)

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
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
        line = line_of(src, pos)
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
        return go_str_typed(v) if self.typed else go_str(v)

    def control(self, dot: Any, node: _Control, out: list[str]) -> None:
        mark = len(self.vars)
        try:
            val = self.pipeline(dot, node.pipe)
            if node.kind == "range":
                self.range(dot, node, val, out)
            elif truth(val):
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
                if self.missing_error and struct_like(recv):
                    raise self.fail(f"map has no entry for key {go_quote(name)}")
                if self.typed and struct_like(recv):
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
        spec: FuncSpec = fn if isinstance(fn, FuncSpec) else FuncSpec(fn, 0, None, ())
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
                        f"wrong type for value; expected {TYPE_NAMES[typ]}; got interface {{}}"
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
            raise self.fail(f"cannot assign nil to {TYPE_NAMES[typ]}")
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
            raise self.fail(f"invalid value; expected {TYPE_NAMES[typ]}")
        ok = isinstance(v, typ) and not (typ is int and isinstance(v, bool))
        if typ is list:
            ok = isinstance(v, list | tuple)
        if not ok:
            raise self.fail(f"wrong type for value; expected {TYPE_NAMES[typ]}; got {go_type(v)}")
        return v

    def and_or(self, dot: Any, is_and: bool, ident: _Ident, args: list[_Node], final: Any) -> Any:
        name = "and" if is_and else "or"
        nargs = len(args) + (0 if final is _NOFINAL else 1)
        if nargs < 1:
            raise self.fail(f"wrong number of args for {name}: want at least 1 got 0")
        val: Any = MISSING
        for a in args:
            val = self.arg(dot, a)
            if truth(val) != is_and:
                return val
        if final is not _NOFINAL:
            val = final
        return val


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
