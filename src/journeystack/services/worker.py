"""The background worker every server process runs: due publish/validate operations (the journey
engine, which also expires pauses, has its own thread: journeystack.engine)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from .context import ServiceContext
from .lifecycle import run_due_operations

log = logging.getLogger("journeystack.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BackgroundWorker:
    """A daemon thread that polls the database; any process sharing the database may run any operation."""

    def __init__(self, ctx: ServiceContext, *, poll_seconds: float, lease_ms: int) -> None:
        self._ctx = ctx
        self._poll = poll_seconds
        self._lease_ms = lease_ms
        self.name = worker_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="journeystack-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_once(self) -> int:
        """Run what is due now; returns how many operations ran."""
        return run_due_operations(self._ctx, worker=self.name, lease_ms=self._lease_ms)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly unavailable; keep polling
                log.exception("worker iteration failed")
                busy = 0
            if not busy:
                self._stop.wait(self._poll)
