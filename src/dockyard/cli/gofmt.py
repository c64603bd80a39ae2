"""Go's fmt and encoding/json value printing, as Docker's --format output shows it.

Shared by the template engine and the table renderer. Values are plain Python
data decoded from the Engine API (dict, list, str, int, float, bool, None).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any


class _Missing:
    """Go's invalid reflect.Value: a map key that is absent prints `<no value>`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def go_type(v: Any) -> str:
    """Go type name of a decoded JSON value, as fmt's %T and error texts print it."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if callable(v):
        return "func"
    return type(v).__name__


def _float_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip digits of |f| and the decimal point position (0.DDD * 10**dp)."""
    r = repr(abs(f))
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    dp = len(ip) + (int(exp) if exp else 0)
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    return digits, dp


def _exp_suffix(exp: int, letter: str = "e", min_digits: int = 2) -> str:
    sign = "-" if exp < 0 else "+"
    return f"{letter}{sign}{abs(exp):0{min_digits}d}"


def _shortest(f: float, eprec: int = 6, upper: bool = False) -> str:
    """Go's strconv 'g' with precision -1 (fmt's %v and bare %g)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        return sign + "0"
    digits, dp = _float_digits(f)
    exp = dp - 1
    if exp < -4 or exp >= eprec:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return sign + body + _exp_suffix(exp, "E" if upper else "e")
    if dp <= 0:
        return sign + "0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return sign + digits[:dp] + "." + digits[dp:]


def format_float(f: float) -> str:
    """fmt.Sprint of a float64: 1e+06, 1.5, 0.0001, 1e-05."""
    return _shortest(f)


def struct_like(d: dict) -> bool:
    """Whether an API object stands for a Go struct (capitalised field names) rather
    than a map such as Labels or Ports."""
    return bool(d) and all(isinstance(k, str) and k[:1].isupper() for k in d)


def go_str_typed(v: Any, in_map: bool = False) -> str:
    """fmt.Sprint as Docker's typed inspect objects print: structs as `{v1 v2}`.

    Struct-like dicts print their values in API (= Go field) order; an empty
    dict that is a map value is Go's struct{} (ExposedPorts, Volumes): "{}".
    """
    if isinstance(v, dict) and not isinstance(v, NilMap):
        if struct_like(v):
            return "{" + " ".join(go_str_typed(x) for x in v.values()) + "}"
        if not v and in_map:
            return "{}"
        items = (f"{go_str(k)}:{go_str_typed(v[k], True)}" for k in sort_keys(v))
        return "map[" + " ".join(items) + "]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_str_typed(x) for x in v) + "]"
    return go_str(v)


def go_str(v: Any) -> str:
    """fmt.Sprint of one value: `[a b]`, `map[k:v]`, `<nil>`, `true`."""
    if isinstance(v, str):
        return v
    if v is None or v is MISSING:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _shortest(v)
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{go_str(k)}:{go_str(v[k])}" for k in sort_keys(v)) + "]"
    return str(v)


def sort_keys(d: dict) -> list:
    """Map keys in Go's fmt/range order (sorted; mixed types fall back to str order)."""
    try:
        return sorted(d)
    except TypeError:
        return sorted(d, key=str)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    prev_str = True
    for i, a in enumerate(args):
        is_str = isinstance(a, str)
        if i > 0 and not is_str and not prev_str:
            out.append(" ")
        out.append(go_str(a))
        prev_str = is_str
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    """fmt.Sprintln: spaces always, newline appended."""
    return " ".join(go_str(a) for a in args) + "\n"


_QUOTE_ESC = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
}


def go_quote(s: str, quote: str = '"', ascii_only: bool = False) -> str:
    """strconv.Quote (QuoteToASCII with ascii_only): Go escapes, printable Unicode kept."""
    out = [quote]
    for c in s:
        if c == quote:
            out.append("\\" + c)
        elif c in _QUOTE_ESC:
            out.append(_QUOTE_ESC[c])
        elif (c.isprintable() or c == " ") and not (ascii_only and ord(c) > 0x7E):
            out.append(c)
        else:
            o = ord(c)
            if o < 0x80:
                out.append(f"\\x{o:02x}")
            elif o < 0x10000:
                out.append(f"\\u{o:04x}")
            else:
                out.append(f"\\U{o:08x}")
    out.append(quote)
    return "".join(out)


# --- encoding/json -----------------------------------------------------------


def _json_float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {_shortest(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = _shortest(f, eprec=0)
        # Go's encoder writes e-7, not e-07.
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    return _shortest(f, eprec=10**6)


def _json_str(s: str) -> str:
    import json

    out = json.dumps(s, ensure_ascii=False)
    if "\u2028" in out or "\u2029" in out:
        out = out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return out


class NilList(list):
    """Go's nil slice: prints "[]" like an empty one but encodes to JSON null."""

    __slots__ = ()


class NilMap(dict):
    """Go's nil map: prints "map[]" like an empty one but encodes to JSON null."""

    __slots__ = ()


class GoStruct(dict):
    """A Docker formatter context (ps/images rows): a Go struct, not a map.

    Unknown fields are an error ("can't evaluate field X in type <type_name>"),
    and `{{json .}}` goes through its MarshalJSON: keys sorted and <, >, &
    escaped as \\u003c, \\u003e, \\u0026 (so "->" prints as "-\\u003e").
    """

    __slots__ = ("type_name",)

    def __init__(self, fields: Any = (), type_name: str = "struct") -> None:
        super().__init__(fields)
        self.type_name = type_name


class GoRecord(GoStruct):
    """A plain Go struct with json tags (types.Version, events.Message, ...): templates
    read its fields by Go name ({{.APIVersion}}), unknown ones are errors, and `{{json .}}`
    writes the tag names in field order, leaving out `omitempty` fields that are empty."""

    __slots__ = ("json_names", "omitempty")

    def __init__(
        self,
        fields: Any = (),
        type_name: str = "struct",
        json_names: dict[str, str] | None = None,
        omitempty: tuple[str, ...] = (),
    ) -> None:
        super().__init__(fields, type_name)
        self.json_names = json_names or {}
        self.omitempty = omitempty

    def tagged(self) -> dict[str, Any]:
        """The document encoding/json writes for it."""
        return {
            self.json_names.get(k, k): v
            for k, v in self.items()
            if not (k in self.omitempty and v in (None, "", 0, False, [], {}))
        }


def go_json(v: Any) -> str:
    """Docker's `json` template func: compact encoding/json without HTML escaping.

    Dict order is kept (the API JSON carries Go's struct order; its maps arrive sorted).
    Callables (template methods such as Label) are skipped like Go's method-only fields.
    """
    parts: list[str] = []
    _json_into(v, parts)
    return "".join(parts)


def _html_escape_json(s: str) -> str:
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_into(v: Any, out: list[str]) -> None:
    if v is None or v is MISSING or type(v) in (NilList, NilMap):
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(_json_str(v))
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(_json_float(v))
    elif isinstance(v, GoRecord):
        _json_into(v.tagged(), out)
    elif isinstance(v, GoStruct):
        out.append(_html_escape_json(go_json({k: v[k] for k in sorted(v)})))
    elif isinstance(v, dict):
        out.append("{")
        first = True
        for k, x in v.items():
            if callable(x):
                continue
            if not first:
                out.append(",")
            first = False
            out.append(_json_str(str(k)))
            out.append(":")
            _json_into(x, out)
        out.append("}")
    elif isinstance(v, list | tuple):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _json_into(x, out)
        out.append("]")
    else:
        out.append(_json_str(str(v)))


# --- fmt.Sprintf ---------------------------------------------------------------


class _Spec:
    __slots__ = ("minus", "plus", "sharp", "zero", "space", "width", "prec")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.zero = self.space = False
        self.width: int | None = None
        self.prec: int | None = None


def _pad(s: str, spec: _Spec, numeric: bool = False) -> str:
    if spec.width is None or len(s) >= spec.width:
        return s
    fill = spec.width - len(s)
    if spec.minus:
        return s + " " * fill
    if spec.zero:
        if numeric and s[:1] in "+- ":
            return s[0] + "0" * fill + s[1:]
        return "0" * fill + s
    return " " * fill + s


def _bad(verb: str, arg: Any) -> str:
    if arg is None or arg is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(arg)}={go_str(arg)})"


def _sign(neg: bool, spec: _Spec) -> str:
    if neg:
        return "-"
    if spec.plus:
        return "+"
    if spec.space:
        return " "
    return ""


def _fmt_int(v: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return _pad(chr(v), spec)
    if verb == "q":
        return _pad(go_quote(chr(v), "'"), spec)
    if verb == "U":
        s = f"U+{v:04X}"
        return _pad(s + (f" '{chr(v)}'" if spec.sharp else ""), spec)
    a = abs(v)
    prefix = ""
    if verb in "dv":
        digits = str(a)
    elif verb == "x":
        digits, prefix = format(a, "x"), "0x" if spec.sharp else ""
    elif verb == "X":
        digits, prefix = format(a, "X"), "0X" if spec.sharp else ""
    elif verb == "o":
        digits, prefix = format(a, "o"), "0" if spec.sharp else ""
    elif verb == "O":
        digits, prefix = format(a, "o"), "0o"
    elif verb == "b":
        digits = format(a, "b")
    else:
        return _bad(verb, v)
    if spec.prec is not None:
        digits = digits.rjust(spec.prec, "0") if spec.prec else ("" if a == 0 else digits)
    sign = _sign(v < 0, spec)
    if spec.zero and not spec.minus and spec.width and spec.prec is None:
        digits = digits.rjust(spec.width - len(sign) - len(prefix), "0")
    return _pad(sign + prefix + digits, spec)


def _fmt_float(v: float, verb: str, spec: _Spec) -> str:
    if math.isnan(v) or math.isinf(v):
        body = "NaN" if math.isnan(v) else "Inf"
        sign = "-" if v < 0 else ("+" if spec.plus or body == "Inf" and not spec.space else "")
        if spec.space and not sign:
            sign = " "
        saved, spec.zero = spec.zero, False
        try:
            return _pad(sign + body, spec)
        finally:
            spec.zero = saved
    neg = math.copysign(1.0, v) < 0
    a = abs(v)
    if verb in "xX":
        body = _hex_float(a, spec.prec)
        body = body.upper() if verb == "X" else body
    elif verb in "vgG":
        if spec.prec is None:
            body = _shortest(a, upper=verb == "G")
        else:
            body = f"%.{spec.prec or 1}{'G' if verb == 'G' else 'g'}" % a
    elif verb in "eE":
        body = f"%.{6 if spec.prec is None else spec.prec}{verb}" % a
    elif verb in "fF":
        body = f"%.{6 if spec.prec is None else spec.prec}f" % a
    else:
        return _bad(verb, v)
    return _pad(_sign(neg, spec) + body, spec, numeric=True)


def _hex_float(a: float, prec: int | None) -> str:
    """Go's %x of a float: 0x1.cp+01 (Python's float.hex pads the mantissa)."""
    if a == 0:
        return "0x0p+00"
    mant, _, exp = a.hex()[2:].partition("p")
    ip, _, fp = mant.partition(".")
    if prec is not None:
        frac = int(fp or "0", 16) / 16 ** len(fp or "0")
        q = round(frac * 16**prec)
        ip_n = int(ip, 16)
        if q >= 16**prec and prec >= 0:
            q -= 16**prec
            ip_n += 1
        fp = format(q, f"0{prec}x") if prec else ""
        ip = format(ip_n, "x")
    else:
        fp = fp.rstrip("0")
    e = int(exp)
    return "0x" + ip + ("." + fp if fp else "") + "p" + ("-" if e < 0 else "+") + f"{abs(e):02d}"


def _fmt_one(arg: Any, verb: str, spec: _Spec, nested: bool = False) -> str:
    if verb == "T":
        return _pad(go_type(arg), spec)
    if isinstance(arg, list | tuple):
        return "[" + " ".join(_fmt_one(x, verb, spec, True) for x in arg) + "]"
    if isinstance(arg, dict):
        items = (
            f"{_fmt_one(k, verb, spec, True)}:{_fmt_one(arg[k], verb, spec, True)}"
            for k in sort_keys(arg)
        )
        return "map[" + " ".join(items) + "]"
    if arg is None or arg is MISSING:
        # Go prints a nil element inside a collection as <nil> whatever the verb.
        return _pad("<nil>", spec) if verb == "v" or nested else _bad(verb, arg)
    if isinstance(arg, bool):
        return _pad("true" if arg else "false", spec) if verb in "vt" else _bad(verb, arg)
    if isinstance(arg, int):
        return _fmt_int(arg, verb, spec)
    if isinstance(arg, float):
        return _fmt_float(arg, verb, spec)
    if isinstance(arg, str):
        if verb == "v" and spec.sharp:
            return _pad(go_quote(arg), spec)
        if verb in "vs":
            s = arg if spec.prec is None else arg[: spec.prec]
            return _pad(s, spec)
        if verb == "q":
            if spec.sharp and "`" not in arg and arg.isprintable():
                return _pad("`" + arg + "`", spec)
            return _pad(go_quote(arg, ascii_only=spec.plus), spec)
        if verb in "xX":
            h = arg.encode().hex(" ") if spec.space else arg.encode().hex()
            return _pad(h.upper() if verb == "X" else h, spec)
        return _bad(verb, arg)
    return _pad(go_str(arg), spec) if verb in "vs" else _bad(verb, arg)


def _arg_index(fmt: str, i: int, argi: int, nargs: int) -> tuple[int, int, bool]:
    """An explicit argument index "[n]" at i: (new arg position, new i, bad index)."""
    if i >= len(fmt) or fmt[i] != "[":
        return argi, i, False
    end = fmt.find("]", i)
    text = fmt[i + 1 : end] if end > 0 else ""
    if end < 0 or not text.isdigit() or not 1 <= int(text) <= nargs:
        return argi, (end + 1 if end > 0 else len(fmt)), True
    return int(text) - 1, end + 1, False


def sprintf(fmt: str, args: list[Any]) -> str:
    """fmt.Sprintf for the verbs templates use, with Go's %!verb(...) error texts."""
    out: list[str] = []
    i, n, argi = 0, len(fmt), 0
    reordered = False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        spec = _Spec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            if c == "-":
                spec.minus = True
            elif c == "+":
                spec.plus = True
            elif c == "#":
                spec.sharp = True
            elif c == "0":
                spec.zero = True
            else:
                spec.space = True
            i += 1
        reordered = reordered or fmt.startswith("[", i)
        argi, i, bad_index = _arg_index(fmt, i, argi, len(args))
        if i < n and fmt[i] == "*":
            i += 1
            w = args[argi] if argi < len(args) else None
            argi += 1
            if isinstance(w, int) and not isinstance(w, bool):
                spec.width = abs(w)
                spec.minus = spec.minus or w < 0
            else:
                out.append("%!(BADWIDTH)")
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                spec.width = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            reordered = reordered or fmt.startswith("[", i)
            argi, i, bad = _arg_index(fmt, i, argi, len(args))
            bad_index = bad_index or bad
            if i < n and fmt[i] == "*":
                i += 1
                p = args[argi] if argi < len(args) else None
                argi += 1
                if isinstance(p, int) and not isinstance(p, bool) and p >= 0:
                    spec.prec = p
                else:
                    out.append("%!(BADPREC)")
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                spec.prec = int(fmt[start:i] or "0")
        reordered = reordered or fmt.startswith("[", i)
        argi, i, bad = _arg_index(fmt, i, argi, len(args))
        bad_index = bad_index or bad
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if bad_index:
            out.append(f"%!{verb}(BADINDEX)")
            continue
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        out.append(_fmt_one(arg, verb, spec))
    # Go reports unused arguments only when no explicit [n] index was used.
    if argi < len(args) and not reordered:
        extra = ", ".join(
            "<nil>" if a is None or a is MISSING else f"{go_type(a)}={go_str(a)}"
            for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
