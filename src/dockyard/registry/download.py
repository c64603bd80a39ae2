"""Blob downloads for pull: in parallel, into temp files the caller provides, each
verified against its digest, with Docker's progress lines; and the reader that reports
"Extracting" while the image store unpacks a downloaded layer."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from .errors import ConnectError, VerificationError
from .progress import Emit, Meter, status

if TYPE_CHECKING:
    from .client import Repository

log = logging.getLogger(__name__)

DOWNLOAD_CONCURRENCY = 3
_CHUNK = 1 << 20

TempFile = Callable[[], BinaryIO]


@dataclass
class Download:
    digest: str
    size: int
    ident: str
    file: BinaryIO | None = None
    done: threading.Event = field(default_factory=threading.Event)


def download_all(
    repo: Repository, jobs: list[Download], progress: Emit, tempfile: TempFile
) -> None:
    if not jobs:
        return
    for job in jobs[DOWNLOAD_CONCURRENCY:]:
        status(progress, "Waiting", job.ident)
    cancel = threading.Event()

    def run(job: Download) -> None:
        if cancel.is_set():
            return
        try:
            download(repo, job, progress, cancel, tempfile)
        except BaseException:
            cancel.set()
            raise

    with ThreadPoolExecutor(DOWNLOAD_CONCURRENCY, thread_name_prefix="pull") as pool:
        futures = [pool.submit(run, job) for job in jobs]
        first: BaseException | None = None
        for fut in futures:
            exc = fut.exception()
            if exc is not None and first is None:
                first = exc
    if first is not None:
        raise first


def download(
    repo: Repository,
    job: Download,
    progress: Emit,
    cancel: threading.Event,
    tempfile: TempFile,
) -> None:
    job.file = tempfile()
    h = hashlib.sha256()
    got = 0
    for attempt in range(3):
        job.file.seek(0)
        job.file.truncate()
        h = hashlib.sha256()
        got = 0
        try:
            resp = repo.open_blob(job.digest)
            total = job.size or int(resp.header("Content-Length") or 0)
            meter = Meter(progress, "Downloading", job.ident, total)
            while chunk := resp.read_chunk(_CHUNK):
                if cancel.is_set():
                    resp.close(reuse=False)
                    return
                job.file.write(chunk)
                h.update(chunk)
                got += len(chunk)
                meter.update(got)
            resp.close()
            break
        except ConnectError:
            if attempt == 2:
                raise
            log.info("download of %s failed, retrying", job.digest)
    status(progress, "Verifying Checksum", job.ident)
    if "sha256:" + h.hexdigest() != job.digest or (job.size and got != job.size):
        raise VerificationError(f"filesystem layer verification failed for digest {job.digest}")
    status(progress, "Download complete", job.ident)
    job.file.seek(0)


class Extracting:
    """A downloaded layer being read by the store, reported as "Extracting"."""

    def __init__(self, f: BinaryIO, meter: Meter, owns: bool = False) -> None:
        self._f = f
        self._meter = meter
        self._done = 0
        self._owns = owns  # close the file with this reader

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._done += len(data)
        if data:
            self._meter.update(self._done)
        return data

    def close(self) -> None:
        if self._owns:
            self._f.close()  # else the puller closes it

    def __enter__(self) -> Extracting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
