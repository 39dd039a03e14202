"""What lifecycle changes do to the contacts in a version: publish schedules its goal sweeps, stop
ejects everyone at once, pause holds their waits, resume gives them back. Called by
services/lifecycle.py inside the transaction that changes the version's status."""

from __future__ import annotations

from typing import Final

from journeystack.domain.journey import JourneyVersion
from journeystack.domain.runtime.plan import PlanError
from journeystack.domain.runtime.steps import StatsDelta
from journeystack.domain.spec.problems import ERROR, SpecProblem
from journeystack.storage.ports import UnitOfWork

from .engine import DAY_MS, plan_or_error

# The publish-time error of a part the engine cannot execute (criteria it cannot evaluate, a wait it
# cannot time); journeystack's own code, next to the other 1211xx publish codes.
NOT_EXECUTABLE: Final = "121112"
STOP_MESSAGE: Final = "The journey version was stopped: the contact was ejected."


def runtime_problems(version: JourneyVersion) -> list[SpecProblem]:
    """Publish errors for whatever in the version the engine could not execute."""
    plan = plan_or_error(version)
    if not isinstance(plan, PlanError):
        return []
    return [
        SpecProblem(code=NOT_EXECUTABLE, message=f"{path}: {message}", path=path, level=ERROR)
        for path, message in plan.problems
    ]


def on_publish(uow: UnitOfWork, version: JourneyVersion, engine_at: int) -> None:
    """A version that has goals or exit criteria gets its 24-hour sweep, the first a day after publish."""
    plan = plan_or_error(version)
    if not isinstance(plan, PlanError) and plan.has_goals_or_exits:
        uow.runtime.schedule_sweep(version.definition_id, version.mid, engine_at + DAY_MS)


def on_stop(uow: UnitOfWork, version: JourneyVersion, engine_at: int) -> int:
    """Eject every contact of the version at once; returns how many (the audit's ContactsEjected)."""
    ejected = uow.runtime.eject_version(
        version.definition_id, engine_at, STOP_MESSAGE, {"definition_name": version.definition.name}
    )
    uow.runtime.drop_sweep(version.definition_id)
    uow.calls.drop_version(version.definition_id)  # a call in flight finishes; its answer is dropped
    if ejected:
        uow.runtime.apply_stats(
            {version.definition_id: version.mid}, {version.definition_id: StatsDelta(current=-ejected)}
        )
    return ejected


def on_pause(uow: UnitOfWork, version: JourneyVersion) -> None:
    """Waits stop falling due; custom-activity calls are not made, and the answers of calls in
    flight are kept, not applied, until the version resumes."""
    uow.runtime.hold_version(version.definition_id)
    uow.calls.hold_version(version.definition_id)


def on_resume(uow: UnitOfWork, version: JourneyVersion, engine_at: int) -> None:
    """Held waits fall due again; with ExtendWaitEndDates, Wait-by-Duration ends move by the pause's
    length. Goals and exit criteria are looked at again at once (a sweep now)."""
    options = version.pause_options or {}
    paused_at = options.get("paused_at_ms")
    extend = 0
    if options.get("extend_wait_end_dates") and isinstance(paused_at, int):
        extend = max(0, engine_at - paused_at)
    uow.runtime.release_version(version.definition_id, extend, engine_at)
    uow.calls.release_version(version.definition_id, engine_at)
    plan = plan_or_error(version)
    if not isinstance(plan, PlanError) and plan.has_goals_or_exits:
        uow.runtime.schedule_sweep(version.definition_id, version.mid, engine_at)
