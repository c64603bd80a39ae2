"""YAML 1.2 (core schema) on top of PyYAML, which implements YAML 1.1.

Compose files are YAML 1.2: `22:22` and `0755`-style ports or `yes`/`on` are strings or
decimal numbers there, where YAML 1.1 makes sexagesimal ints, octals and booleans of them.
PyYAML (already a dependency, with libyaml's fast parser) keeps its parser; only the implicit
tag resolution and the int constructor change to the 1.2 core schema. ruamel.yaml would do
1.2 natively but is slower and one more dependency for what ~40 lines give.

The dumper writes as Compose v2 (Go's yaml.v3) does: 2-space indentation with indented
sequences, double quotes only where a plain scalar would not read back as the same string.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = yaml.SafeDumper  # the C emitter ignores increase_indent

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
# Strings YAML 1.1 readers (docker-compose 1.x, PyYAML) would take for something else:
# yaml.v3 quotes them too, so the output reads back the same everywhere.
_YAML11_SPECIAL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*)$"
)


class YAMLError(Exception):
    """A document that is not valid YAML; the message names the line."""


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:merge", re.compile(r"^<<$"), "<"),
):
    _Loader.add_implicit_resolver(_tag, _regexp, list(_first))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f'mapping key "{key}" already defined at line {seen[key] + 1}',
                key_node.start_mark,
            )
        if isinstance(key, str | int | float | bool):
            seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=True))


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load(text: str, source: str = "") -> Any:
    """Parse one YAML 1.2 document; an empty document is None."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or str(exc)
        raise YAMLError(f"yaml: {where}{problem}") from None
    except yaml.YAMLError as exc:
        raise YAMLError(f"yaml: {exc}") from None


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _needs_quotes(text: str) -> bool:
    if text == "" or text != text.strip() or _YAML11_SPECIAL.match(text):
        return True
    for regexp in (_BOOL, _NULL, _INT, _FLOAT):
        if regexp.match(text):
            return True
    if text[0] in "-?:":
        return text[1:2] in ("", " ")
    return text[0] in "!&*{}[],#|>@`\"'%" or ": " in text or " #" in text


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    style = '"' if _needs_quotes(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_none(dumper: yaml.SafeDumper, _: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(type(None), _represent_none)


def dump(data: Any) -> str:
    """Render as Compose v2 prints its model (keys in the order given)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )
