"""`.env` files with Compose's rules (compose-go's dotenv, a godotenv dialect).

- `KEY=VALUE`, `KEY: VALUE` and `export KEY=VALUE`; blank lines and `#` lines are skipped.
- Unquoted values are trimmed, end at ` #` (an inline comment) and are interpolated.
- 'single quotes' are literal; "double quotes" interpret \\n \\t \\\\ \\" and are interpolated;
  both may span lines.
- A bare `KEY` takes its value from the environment when set there, otherwise it is skipped.
- Interpolation sees the variables defined earlier in the file, then the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .interpolate import InterpolationError, substitute

_KEY = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*([=:])?[ \t]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "\\$"}


class DotenvError(Exception):
    pass


def parse(
    text: str, lookup: Callable[[str], str | None] | None = None, source: str = ".env"
) -> dict[str, str]:
    """Parse a dotenv text into an ordered mapping."""
    lookup = lookup or (lambda _name: None)
    result: dict[str, str] = {}

    def resolve(name: str) -> str | None:
        return result[name] if name in result else lookup(name)

    pos, n, line_no = 0, len(text), 1
    while pos < n:
        line_end = text.find("\n", pos)
        line_end = n if line_end < 0 else line_end
        line = text[pos:line_end]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            pos = line_end + 1
            line_no += 1
            continue
        match = _KEY.match(text, pos)
        if match is None or match.end() > line_end and match.group(2):
            raise DotenvError(
                f"failed to read {source}: line {line_no}: unexpected character in {stripped!r}"
            )
        key, sep = match.group(1), match.group(2)
        if sep is None:
            rest = text[match.end() : line_end].strip()
            if rest and not rest.startswith("#"):
                raise DotenvError(
                    f"failed to read {source}: line {line_no}: unexpected character "
                    f"{rest[0]!r} in variable name {stripped!r}"
                )
            value = lookup(key)
            if value is not None:
                result[key] = value
            pos = line_end + 1
            line_no += 1
            continue
        vpos = match.end()
        quote = text[vpos] if vpos < n else ""
        try:
            if quote in ("'", '"'):
                close = _closing_quote(text, vpos + 1, quote)
                if close < 0:
                    raise DotenvError(
                        f"failed to read {source}: line {line_no}: unterminated quoted value"
                    )
                raw = text[vpos + 1 : close]
                if quote == '"':
                    value = substitute(_unescape(raw), resolve)
                else:
                    value = raw
                line_no += text.count("\n", pos, close)
                end = text.find("\n", close)
                pos = n if end < 0 else end + 1
            else:
                raw = text[vpos:line_end]
                comment = re.search(r"\s#", raw)
                if comment is not None:
                    raw = raw[: comment.start()]
                value = substitute(raw.strip(), resolve)
                pos = line_end + 1
        except InterpolationError as exc:
            raise DotenvError(f"failed to read {source}: {exc}") from None
        result[key] = value
        line_no += 1
    return result


def _closing_quote(text: str, pos: int, quote: str) -> int:
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and quote == '"':
            pos += 2
            continue
        if ch == quote:
            return pos
        pos += 1
    return -1


def _unescape(raw: str) -> str:
    # `\$` survives as `$$`-like literal: keep the backslash so substitute leaves `$` alone.
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), raw).replace(
        "\\$", "$$"
    )


def read_files(
    paths: list[str], environ: Mapping[str, str], required: bool = True
) -> dict[str, str]:
    """Read env files in order (later ones win); interpolation sees `environ` too."""
    result: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            if required:
                raise DotenvError(f"Couldn't find env file: {path}") from None
            continue
        except IsADirectoryError:
            raise DotenvError(f"{path} is a directory") from None
        merged = {**result}
        result.update(
            parse(text, lambda k, merged=merged: merged.get(k, environ.get(k)), source=path)
        )
    return result
