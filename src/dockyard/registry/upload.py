"""One layer blob of a push: skipped when the registry has it, mounted from another
repository of the same registry when it can, else uploaded with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from .errors import ResponseError
from .progress import Emit, Meter, status

if TYPE_CHECKING:
    from .client import Repository


def push_layer(
    repo: Repository,
    ident: str,
    digest: str,
    size: int,
    blob: BinaryIO,
    sources: list[str],
    progress: Emit,
) -> None:
    if repo.blob_size(digest) is not None:
        status(progress, "Layer already exists", ident)
        return
    location: str | None = None
    for source in sources[:1]:
        try:
            location = repo.start_upload(mount=digest, source=source)
        except ResponseError:
            location = None
            continue
        if location is None:
            status(progress, f"Mounted from {source}", ident)
            return
    if location is None:
        location = repo.start_upload()
        assert location is not None
    meter = Meter(progress, "Pushing", ident, size)
    repo.upload(location, blob, size, digest, progress=meter.update)
    meter.update(size, force=True)
    status(progress, "Pushed", ident)
