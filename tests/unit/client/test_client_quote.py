"""Paths and queries are escaped as urllib.parse does (quote, urlencode)."""

from __future__ import annotations

import urllib.parse

import pytest

from dockyard.client.api import Client, quote_ref

NAMES = ["web", "a b", "my/app:1.0", "x@sha256:ab", "é-ü~_.", "100%", "a+b&c=d?#", ""]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("safe", ["", "/", "/:@"])
def test_quote_ref_is_urllib_quote(name: str, safe: str) -> None:
    assert quote_ref(name, safe=safe) == urllib.parse.quote(name, safe=safe)


def test_query_is_urlencode() -> None:
    params = {"all": True, "size": False, "filters": {"name": ["a b"]}, "x": None, "t": "é&=+"}
    url = Client("unix:///x").url("/containers/json", params)
    expected = urllib.parse.urlencode(
        [("all", "1"), ("size", "0"), ("filters", '{"name": ["a b"]}'), ("t", "é&=+")]
    )
    assert url == "/v1.45/containers/json?" + expected
