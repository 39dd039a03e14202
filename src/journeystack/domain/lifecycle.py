"""The lifecycle of a journey version: which statuses allow publish, validate, stop, pause, resume,
and the publish/validate operations that outlive a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from journeystack.errors import InvalidRequest, InvalidStateTransition, NotFound, NotStandardJourney, Problem

from .journey import RUNNING as RUNNING  # re-exported; its one home is domain/journey.py
from .journey import JourneyVersion, Status


class OperationKind(StrEnum):
    PUBLISH = "publish"
    VALIDATE = "validate"


class OperationState(StrEnum):
    IN_PROCESS = "InProcess"
    COMPLETED = "Completed"
    ERROR = "Error"


# What each verb may start from. Publishing a Published, Stopped or Paused version is refused with
# SFMC's own message; an Unpublished version may be published again.
_ALLOWED: dict[str, frozenset[Status]] = {
    "publish": frozenset({Status.DRAFT, Status.UNPUBLISHED}),
    "validate": frozenset({Status.DRAFT, Status.UNPUBLISHED}),
    "stop": frozenset({Status.PUBLISHED, Status.PAUSED, Status.UNPUBLISHED}),
    "pause": frozenset({Status.PUBLISHED}),
    "resume": frozenset({Status.PAUSED}),
}


def allows(status: Status, verb: str) -> bool:
    return status in _ALLOWED[verb]


def check_transition(version: JourneyVersion | None, verb: str) -> JourneyVersion:
    """The version, if `verb` may be applied to it.

    Raises NotFound (missing or Deleted), InvalidStateTransition "Cannot {verb} interaction in
    {Status} status.", or InvalidStateTransition while another operation is in flight.
    """
    if version is None or version.status is Status.DELETED:
        raise NotFound()
    if version.status not in _ALLOWED[verb]:
        raise InvalidStateTransition(f"Cannot {verb} interaction in {version.status.value} status.")
    if version.operation_id is not None and verb in ("publish", "validate"):
        raise InvalidStateTransition("An operation is already in process for this interaction version.")
    return version


def check_routes_kind(version: JourneyVersion, verb: str, *, transactional_route: bool) -> None:
    """Transactional-send journeys are published, paused and resumed through SFMC's
    transactional/create, /pause and /resume, and only they are: SFMC documents the standard pause
    and resume for standard journeys only.

    Raises NotStandardJourney naming the route to use.
    """
    if version.transactional and not transactional_route:
        raise NotStandardJourney(
            [Problem(f"A transactional-send journey is {verb}d with POST /interaction/v1/interactions/"
                     f"transactional/{verb}; this route {verb}s standard journeys only.", 10005, "definitionType")],
            message=f"Cannot {verb} a transactional-send journey here: use transactional/{verb}.",
        )  # fmt: skip
    if transactional_route and not version.transactional:
        route = {"create": "publishAsync", "pause": "pause", "resume": "resume"}[verb]
        raise NotStandardJourney(
            [Problem(f"transactional/{verb} is for transactional-send journeys only; this one is "
                     f"{version.definition.definition_type}: use {route}.", 10005, "definitionId")],
            message=f"transactional/{verb} is for transactional-send journeys only: use {route}.",
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OperationProblem:
    """An error or warning of a publish or validate run, as its status document lists it."""

    code: str
    detail: str
    level: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    mid: int
    kind: OperationKind
    journey_id: str
    version: int
    definition_id: str
    state: OperationState
    requested_by: str
    created_ms: int
    run_after_ms: int
    claimed_by: str | None = None
    claimed_at_ms: int | None = None
    finished_ms: int | None = None
    errors: tuple[OperationProblem, ...] = ()
    warnings: tuple[OperationProblem, ...] = ()
    # How many times a worker has claimed it (a claim taken over after its lease counts again).
    attempts: int = 0


GUARDRAIL_ACTIONS = ("Stop", "Resume")
DEFAULT_PAUSED_DAYS = 14
MAX_PAUSED_DAYS = 365
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class PauseOptions:
    """SFMC's pause options; GuardrailAction says what happens when PausedDays run out."""

    paused_days: int = DEFAULT_PAUSED_DAYS
    extend_wait_end_dates: bool = False
    retain_contact_injection: bool = False
    guardrail_action: str = "Stop"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> PauseOptions:
        """Options from a pause body (member names matched case-insensitively). Raises InvalidRequest."""
        lowered = {str(k).lower(): v for k, v in raw.items()}
        problems: list[Problem] = []
        days = lowered.get("pauseddays", DEFAULT_PAUSED_DAYS)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_PAUSED_DAYS:
            problems.append(
                Problem(
                    f"PausedDays must be a whole number from 1 to {MAX_PAUSED_DAYS}.", 10005, "PausedDays"
                )
            )
            days = DEFAULT_PAUSED_DAYS
        flags = {}
        for name, member in (
            ("extend", "extendwaitenddates"),
            ("retain", "retaincontactinjectionwhilejourneypaused"),
        ):
            value = lowered.get(member, False)
            if not isinstance(value, bool):
                problems.append(Problem(f"{member} must be true or false.", 10005, member))
                value = False
            flags[name] = value
        action = lowered.get("guardrailaction", "Stop")
        matched = next(
            (a for a in GUARDRAIL_ACTIONS if isinstance(action, str) and a.lower() == action.lower()), None
        )
        if matched is None:
            problems.append(Problem("GuardrailAction must be Stop or Resume.", 10005, "GuardrailAction"))
            matched = "Stop"
        if problems:
            raise InvalidRequest(problems)
        return cls(days, flags["extend"], flags["retain"], matched)

    def as_dict(self) -> dict[str, Any]:
        return {
            "paused_days": self.paused_days,
            "extend_wait_end_dates": self.extend_wait_end_dates,
            "retain_contact_injection": self.retain_contact_injection,
            "guardrail_action": self.guardrail_action,
        }


def expiry_status(options: dict[str, Any] | None) -> Status:
    """Where a Paused version goes when its pause runs out."""
    return Status.PUBLISHED if (options or {}).get("guardrail_action") == "Resume" else Status.STOPPED
