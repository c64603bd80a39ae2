"""`--build-context name=DIR|docker-image://REF`: named contexts a Dockerfile reaches by
name in FROM, COPY --from and RUN --mount from=.

The classic API takes one tar: dockyard's CLI puts each local named context in it under
``.dockyard-contexts/<index>/`` (the local ones numbered in name order) and names them in the `buildcontexts` query parameter
({"name": "local" | "docker-image://ref"}); the daemon moves those directories out of the
main context before anything else reads it (see docs/build.md)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidParameter

TAR_DIR = ".dockyard-contexts"
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*(/[a-zA-Z0-9_.-]+)*(:[\w][\w.-]*)?$")


@dataclass
class NamedContext:
    image: str = ""  # docker-image://REF
    dir: Path | None = None  # a local directory


def parse_contexts(raw: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in raw.items():
        if not _NAME.match(name):
            raise InvalidParameter(f"invalid context name {name}")
        if value != "local" and not value.startswith("docker-image://"):
            raise InvalidParameter(
                f"unsupported context source {value} for {name} (dockyard takes a local "
                "directory or docker-image://)"
            )
        out[name.lower()] = value
    return out


def take_local(root: Path, dest: Path, specs: dict[str, str]) -> dict[str, NamedContext]:
    """Move the local named contexts out of the extracted main context `root`."""
    found: dict[str, NamedContext] = {}
    holder = root / TAR_DIR
    index = -1  # the CLI numbers the local ones only, in sorted name order
    for name, value in sorted(specs.items()):
        if value != "local":
            found[name] = NamedContext(image=value.removeprefix("docker-image://"))
            continue
        index += 1
        src = holder / str(index)
        if not src.is_dir() or src.is_symlink():
            raise InvalidParameter(f"named context {name} is missing from the build context")
        target = dest / f"named-{index}"
        os.rename(src, target)
        found[name] = NamedContext(dir=target)
    if holder.is_dir() and not holder.is_symlink():
        import shutil

        shutil.rmtree(holder)
    return found
