"""The daemon: owns the data root, the database, the event bus and the domain services."""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from ..state.db import Database
from .config import DaemonConfig
from .events import EventBus

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
        self.events = EventBus()
        self.db: Database | None = None
        self.services: Services | None = None
        self.id = ""

    def lock(self) -> None:
        """One daemon per data root: a second one refuses to start."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o711)
        self.exec_root.mkdir(parents=True, exist_ok=True, mode=0o711)
        fd = os.open(self.root / "dockyard.lock", os.O_RDWR | os.O_CREAT, 0o600)
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

    def open(self) -> None:
        self.lock()
        self.db = Database(self.root / "dockyard.db")
        self.id = self._daemon_id()
        from .services import build_services

        self.services = build_services(self.config, self.db, self.events, self)
        self.services.recover()

    def _daemon_id(self) -> str:
        assert self.db is not None
        existing = self.db.kv_get("daemon", "id")
        if existing:
            return str(existing)
        new = str(uuid.uuid4()).upper()
        self.db.kv_put("daemon", "id", new)
        return new

    def close(self) -> None:
        if self.services is not None:
            self.services.shutdown()
        if self.db is not None:
            self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def data_path(self) -> Path:
        return self.root
