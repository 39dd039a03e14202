"""What every service needs: units of work, the clock, the id generator, the work limits, and a
way to tell the engine there is new work."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from journeystack.domain.clock import Clock, SystemClock
from journeystack.domain.ids import IdGenerator, RandomIds
from journeystack.domain.limits import Limits
from journeystack.domain.outbound import OutboundPolicy, OutboundRequest
from journeystack.domain.runtime.calls import CallAnswer
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


class Outbound(Protocol):
    """How services reach custom activities' servers (engine/outbound.py): never inside a
    transaction, never on the server's event loop."""

    policy: OutboundPolicy

    def secret_for(self, mid: int) -> str:
        """The JWT signing secret of the installed package of a business unit."""
        ...

    def call_now(self, requests: list[OutboundRequest]) -> list[CallAnswer]:
        """Make the calls at once and wait for their answers (from a thread that may block)."""
        ...

    def call_later(self, requests: list[OutboundRequest]) -> None:
        """Make the calls soon; nobody waits for them (their answers are journaled)."""
        ...


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=RandomIds)
    limits: Limits = field(default_factory=Limits)
    signal: Signal = field(default_factory=Signal)
    outbound: Outbound | None = None

    def notify(self) -> None:
        self.signal.notify()
