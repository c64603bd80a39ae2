"""common/gojson: JSON bytes as dockerd's Go encoder writes them."""

from __future__ import annotations

import json

from dockyard.common.gojson import dumps


def test_compact_and_html_escaped_like_go() -> None:
    msg = {"stream": " ---> Running in 1a2b\n", "x": "a&b<c>", "n": [1, 2]}
    text = dumps(msg)
    assert text == (
        '{"stream":" ---\\u003e Running in 1a2b\\n","x":"a\\u0026b\\u003cc\\u003e","n":[1,2]}'
    )
    assert json.loads(text) == msg


def test_utf8_kept_and_line_separators_escaped() -> None:
    assert dumps({"m": "grüß\u2028"}) == '{"m":"grüß\\u2028"}'
