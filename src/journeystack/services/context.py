"""What every service needs: units of work, the clock, the id generator and the work limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from journeystack.domain.clock import Clock, SystemClock
from journeystack.domain.ids import IdGenerator, RandomIds
from journeystack.domain.limits import Limits
from journeystack.storage.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=RandomIds)
    limits: Limits = field(default_factory=Limits)
