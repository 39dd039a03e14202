"""The engine thread every server process runs: whenever something is due on the engine's clock
(a wait's end, a fired event, an exit request, a goal sweep, a pause's end), work it in due order.

All processes sharing a database run one; the work itself is claimed in the database
(services/engine.py), so they share it without ever applying a step twice.
"""

from __future__ import annotations

import logging
import threading

from journeystack.services.engine import Engine

log = logging.getLogger("journeystack.engine")


class EngineWorker:
    def __init__(
        self,
        engine: Engine,
        *,
        poll_seconds: float,
        busy_pause_seconds: float = 0.005,
        gather_seconds: float = 0.05,
    ) -> None:
        self._engine = engine
        self._poll = poll_seconds
        self._busy_pause = busy_pause_seconds
        # After a batch of fewer fired events than a full one, let the events fired meanwhile gather
        # before the next batch: a batch costs about the same for one event as for fifty (a write
        # transaction, the journeys' versions, the stats upsert), and an engine woken by every fired
        # event would run one for every one to three of them (docs/benchmarks.md, Runtime).
        self._gather = gather_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="journeystack-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._engine.ctx.notify()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        signal = self._engine.ctx.signal
        while not self._stop.is_set():
            if not self._engine.advancing.acquire(blocking=False):
                self._stop.wait(self._poll)  # a clock advance in this process is doing the work
                continue
            try:
                done = self._engine.run_batch()
            except Exception:  # the database may be briefly unavailable; keep going
                log.exception("engine batch failed; it will be retried")
                done = None
                self._stop.wait(self._poll)
            finally:
                self._engine.advancing.release()
            if done is None:
                signal.wait(self._poll)
            elif done.total == 0:
                self._stop.wait(self._busy_pause)  # due work held by another process
            elif 0 < done.events < self._engine.settings.batch_size:
                self._stop.wait(self._gather)
