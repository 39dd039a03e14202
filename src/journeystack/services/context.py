"""What every service needs: units of work, the clock, the id generator, the work limits, and a
way to tell the engine there is new work."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from journeystack.domain.clock import Clock, SystemClock
from journeystack.domain.ids import IdGenerator, RandomIds
from journeystack.domain.limits import Limits
from journeystack.storage.ports import UnitOfWorkFactory


class Signal:
    """Wakes this process's engine thread when a request queued work for it (other processes find
    the work when they next poll)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def notify(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a notification; True when one came."""
        fired = self._event.wait(timeout)
        self._event.clear()
        return fired


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=RandomIds)
    limits: Limits = field(default_factory=Limits)
    signal: Signal = field(default_factory=Signal)

    def notify(self) -> None:
        self.signal.notify()
