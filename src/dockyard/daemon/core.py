"""The daemon: owns the data root, the database, the event bus and the domain services.

Start order (issue 19): the configuration is validated by the caller; then `open()` takes
the data root's lock, checks the pidfile, claims the host resources its configuration names
(bridge, bridge-name prefix, nft table, exec root) and only then creates the exec root and
opens the database. A start refused before that leaves no trace: a data root it created is
removed again. The caller listens then; `load()` builds the services (their records loaded)
and `recover()` reconciles the records with the host, while the API answers /_ping alone
and holds every other request until both are done.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..state.db import Database
from .config import DaemonConfig
from .events import EventBus
from .hostclaims import HostClaims, OwnershipConflict, check_host, resources_of, write_record

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)


class AlreadyRunning(RuntimeError):
    pass


class Daemon:
    """Plain object graph; the API layer holds one and calls into its services."""

    def __init__(self, config: DaemonConfig) -> None:
        self.config = config
        self.root = config.data_root
        self.exec_root = config.exec_root
        self._lock_fd: int | None = None
        self.claims = HostClaims(config.data_root)
        self.events = EventBus()
        self.db: Database | None = None
        self.services: Services | None = None
        self.id = ""

    def lock(self) -> None:
        """One daemon per data root: a second one refuses to start."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o711)
        fd = os.open(self.root / "dockyard.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(
                f"another dockyardd is already running on data root {self.root}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def claim_host(self) -> None:
        """The host resources of this data root: refuses what another daemon owns."""
        _check_pidfile(self.config.pidfile)
        wanted = resources_of(self.config)
        self.claims.acquire(wanted, check=lambda: check_host(self.root, wanted))
        write_record(self.root, wanted)

    def open(self) -> None:
        fresh_root = not self.root.exists()
        try:
            self.lock()
            self.claim_host()
        except BaseException:
            self._unlock()
            if fresh_root:  # a refused start leaves no trace
                shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.exec_root.mkdir(parents=True, exist_ok=True, mode=0o711)
        self.db = Database(self.root / "dockyard.db")
        self.id = self._daemon_id()

    def load(self) -> None:
        """Build the services, their records loaded (after open(); the caller listens in
        between: the API answers nothing but /_ping until recover() is done)."""
        from .services import build_services

        assert self.db is not None
        self.services = build_services(self.config, self.db, self.events, self.claims)

    def recover(self) -> None:
        """Reconcile the services' records with the host (after load(); the API answers
        nothing but /_ping until this is done: see api/app.py)."""
        assert self.services is not None
        self.services.recover()

    def _daemon_id(self) -> str:
        assert self.db is not None
        existing = self.db.kv_get("daemon", "id")
        if existing:
            return str(existing)
        import uuid  # here: only a new data root needs it, and a start listens sooner without

        new = str(uuid.uuid4()).upper()
        self.db.kv_put("daemon", "id", new)
        return new

    def close(self) -> None:
        if self.services is not None:
            self.services.shutdown()
        if self.db is not None:
            self.db.close()
        self._unlock()

    def _unlock(self) -> None:
        self.claims.release()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _check_pidfile(pidfile: Path | None) -> None:
    """dockerd's rule: a pidfile naming a running process means a daemon already runs."""
    if pidfile is None:
        return
    try:
        pid = int(pidfile.read_text().strip() or "0")
    except (OSError, ValueError):
        return
    if pid <= 0 or pid == os.getpid():
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    except PermissionError:
        pass
    raise OwnershipConflict(
        f"pid file found, ensure dockyardd is not running or delete {pidfile} "
        f"(process {pid} is running): choose another with --pidfile"
    )
