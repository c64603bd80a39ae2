"""Hypothesis strategies for Engine API requests, read from Docker's Swagger 2.0 spec.

Every operation of the spec becomes a strategy of raw requests: path parameters from names
of objects the test made (or junk), query parameters of their declared type (or junk), and a
body built from the operation's schema in which any value may be replaced by a JSON value
of the wrong type. Only what the spec says is used; nothing is specific to dockyard.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

SPEC = Path("/work/shared/reference/docker-engine-api-v1.45.yaml")
MAX_DEPTH = 4


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the spec's template, /containers/{id}/start
    params: tuple[dict, ...]
    consumes: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class FuzzRequest:
    method: str
    target: str
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)


def load_spec(path: Path = SPEC) -> dict:
    return yaml.safe_load(path.read_text())


def operations(spec: dict) -> list[Operation]:
    out = []
    for path, ops in spec["paths"].items():
        shared = ops.get("parameters", [])
        for method, op in ops.items():
            if method == "parameters":
                continue
            out.append(
                Operation(
                    method.upper(),
                    path,
                    tuple([*shared, *op.get("parameters", [])]),
                    tuple(op.get("consumes") or spec.get("consumes") or ["application/json"]),
                )
            )
    return out


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
JUNK_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "-1", "1e400", "NaN", "{", "[]", '{"a":5}', "../x", "a/b", "\x00", "x" * 300]
    ),
)


class SchemaStrategies:
    """Strategies for the spec's schemas ($ref resolved, allOf merged), with wrong types mixed in."""

    def __init__(self, spec: dict) -> None:
        self.definitions = spec.get("definitions", {})

    def resolve(self, schema: dict) -> dict:
        seen = 0
        while "$ref" in schema and seen < 20:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
            seen += 1
        if "allOf" in schema:
            merged: dict = {"type": "object", "properties": {}}
            for part in schema["allOf"]:
                part = self.resolve(part)
                merged["properties"].update(part.get("properties", {}))
            return merged
        return schema

    def value(self, schema: dict, depth: int = 0) -> st.SearchStrategy[Any]:
        typed = self._typed(self.resolve(schema), depth)
        # Mostly well-typed values, sometimes any JSON value at all.
        return st.one_of(typed, typed, typed, ANY_JSON)

    def _typed(self, schema: dict, depth: int) -> st.SearchStrategy[Any]:
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type", "object" if "properties" in schema else None)
        if kind == "string":
            return JUNK_TEXT
        if kind == "integer":
            return st.integers(min_value=-(2**64), max_value=2**64)
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if depth >= MAX_DEPTH:
            return JSON_SCALARS
        if kind == "array":
            return st.lists(self.value(schema.get("items", {}), depth + 1), max_size=3)
        if kind == "object":
            props = schema.get("properties") or {}
            if props:
                return st.fixed_dictionaries(
                    {}, optional={k: self.value(v, depth + 1) for k, v in props.items()}
                )
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return st.dictionaries(
                    st.text(max_size=10), self.value(extra, depth + 1), max_size=3
                )
            return st.dictionaries(st.text(max_size=10), ANY_JSON, max_size=3)
        return ANY_JSON


def query_value(param: dict) -> st.SearchStrategy[str]:
    kind = param.get("type")
    if kind == "boolean":
        typed: st.SearchStrategy[str] = st.sampled_from(["1", "0", "true", "false"])
    elif kind == "integer":
        typed = st.integers(min_value=-(2**64), max_value=2**64).map(str)
    elif "enum" in param:
        typed = st.sampled_from([str(v) for v in param["enum"]])
    else:
        typed = st.one_of(JUNK_TEXT, ANY_JSON.map(json.dumps))
    return st.one_of(typed, typed, JUNK_TEXT)


def request_strategy(
    op: Operation, schemas: SchemaStrategies, names: list[str]
) -> st.SearchStrategy[FuzzRequest]:
    """Raw requests for `op`; path parameters are names from `names` or junk."""
    path_params = [p for p in op.params if p["in"] == "path"]
    query_params = [p for p in op.params if p["in"] == "query"]
    body_params = [p for p in op.params if p["in"] == "body"]
    header_params = [p for p in op.params if p["in"] == "header"]
    path_value = st.one_of(st.sampled_from(names), JUNK_TEXT.filter(bool))

    @st.composite
    def build(draw: st.DrawFn) -> FuzzRequest:
        path = op.path
        for p in path_params:
            value = urllib.parse.quote(draw(path_value), safe="")
            path = path.replace("{" + p["name"] + "}", value)
        query = {p["name"]: draw(query_value(p)) for p in query_params if draw(st.booleans())}
        headers = {
            p["name"]: draw(
                st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
            )
            for p in header_params
            if draw(st.booleans())
        }
        body: bytes | None = None
        if body_params:
            schema = body_params[0].get("schema", {})
            if "application/json" in op.consumes and schema.get("format") != "binary":
                value = draw(schemas.value(schema))
                body = json.dumps(value).encode()
                headers["Content-Type"] = "application/json"
            else:
                body = draw(st.binary(max_size=200))
                headers["Content-Type"] = op.consumes[0]
        target = "/v1.45" + path + ("?" + urllib.parse.urlencode(query) if query else "")
        return FuzzRequest(op.method, target, body, headers)

    return build()
