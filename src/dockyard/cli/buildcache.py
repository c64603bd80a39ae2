"""`build --cache-from/--cache-to`: buildx's CSV values go to the daemon as they are
(`cachefrom`, and dockyard's `cacheto`), which reads and writes BuildKit's cache layout
itself (docs/build.md); the CLI only makes a local cache directory absolute, since the
daemon resolves it on its own host."""

from __future__ import annotations

import csv
import io
import os


def cache_values(values: list[str]) -> list[str]:
    out = []
    for value in values:
        if "=" not in value:
            out.append(value)  # an image name (the classic --cache-from)
            continue
        fields = next(csv.reader([value]), [])
        for i, field in enumerate(fields):
            key, eq, val = field.partition("=")
            if eq and key.strip().lower() in ("src", "dest") and val:
                fields[i] = f"{key}={os.path.abspath(val)}"
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(fields)
        out.append(buf.getvalue())
    return out
