"""The daemon's memory with glibc's malloc: few arenas, and what a burst freed handed back.

A daemon thread that allocates while another holds the main arena gets an arena of its
own (up to 8 per core): with a pool of 64 worker threads, a load of concurrent requests
leaves a dozen half-empty arenas that never shrink. Two arenas are enough (the GIL
serialises most allocation anyway), and once a burst is over malloc_trim returns the free
pages at the top of each heap and the free runs inside it (madvise) to the system.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 2


def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc only (not musl)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Call before threads start allocating (arenas are made, never removed)."""
    return bool(_LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, arenas))


def trim() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


async def trim_after_bursts(
    interval: float = 2.0, busy_cpu: float = 0.05, clock: Any = time.process_time
) -> None:
    """Forever: after an interval in which the daemon used `busy_cpu` seconds of CPU or
    more, the first quiet interval trims (in a worker thread: it walks every heap)."""
    if _LIBC is None:
        return
    last, busy = clock(), False
    while True:
        await asyncio.sleep(interval)
        now = clock()
        was_busy, busy = busy, now - last >= busy_cpu
        last = now
        if was_busy and not busy:
            await asyncio.to_thread(trim)
            last = clock()  # the trim's own CPU is no burst
