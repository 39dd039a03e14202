"""What the contact steps work on and produce: an instance (one contact's pass through one version),
history rows, outbox messages, stats deltas, and the Effects a batch of steps collects; with the
helpers every kind of activity shares (history rows, ending a pass, the binding scope, facts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from .binding import BindingScope
from .calls import Call
from .criteria import MISSING
from .engagement import EngagementEvent, PathTestState
from .plan import Activity, JourneyPlan, Trigger
from .sto import StoFunction, hashed_best_hour

# Instance statuses. Live: QUEUED (entered a paused version that keeps entries), WAITING, CALLING
# (waiting for a custom activity's call to be answered). Ended: the rest.
QUEUED: Final = "Queued"
WAITING: Final = "Waiting"
CALLING: Final = "Calling"
COMPLETED: Final = "Completed"
EJECTED: Final = "Ejected"
EXITED: Final = "Exited"
GOAL: Final = "MetGoal"
EXIT_CRITERIA: Final = "MetExitCriteria"
LIVE: Final = frozenset({QUEUED, WAITING, CALLING})

# History statuses and client statuses, in the vocabulary of SFMC's journey history (real exports;
# docs/runtime.md lists what each means and which ones are journeystack's own).
H_ENTERED: Final = "MetCriteria"
H_NOT_MET: Final = "DidNotMeetEntryCriteria"
H_PREVIOUSLY_IN: Final = "ContactPreviouslyInSameInteraction"
H_ALREADY_IN: Final = "ContactAlreadyInInteraction"
H_NOT_RUNNING: Final = "InteractionNotPublished"
H_QUEUED: Final = "Queued"
H_COMPLETE: Final = "Complete"
H_WAITING: Final = "Waiting"
H_FAILED: Final = "Failed"
H_EJECTED: Final = "Ejected"
H_EXITED: Final = "Exited"
H_GOAL: Final = "MetGoalCriteria"
H_EXIT_CRITERIA: Final = "MetExitCriteria"
C_SUCCESS: Final = "Success"
C_ENTERED_WAIT: Final = "EnteredWait"
C_EXITED_WAIT: Final = "ExitedWait"
C_WARNING: Final = "Warning"
C_ERROR: Final = "Error"
_CLIENT_STATUS: Final = {H_WAITING: C_ENTERED_WAIT, H_FAILED: C_ERROR, H_NOT_MET: C_WARNING,
                         H_PREVIOUSLY_IN: C_WARNING, H_ALREADY_IN: C_WARNING, H_NOT_RUNNING: C_WARNING}  # fmt: skip

# Where a contact's path ends (SFMC writes a "Stop" activity row of type StopInteractionActivity).
END_TYPE: Final = "StopInteractionActivity"
END_NAME: Final = "Stop"

# Activities run in one step before the engine gives up on a path that never reaches a wait. Publish
# refuses loops, so only a very long chain can reach it.
MAX_ACTIVITIES_PER_STEP: Final = 2_000


@dataclass(slots=True)
class Instance:
    """One contact's pass through one journey version, as the engine works on it."""

    id: str
    mid: int
    journey_id: str
    definition_id: str
    version: int
    journey_key: str
    contact_key: str
    event_instance_id: str
    entry_number: int
    status: str
    position: str | None
    due_ms: int | None
    data: dict[str, Any]
    entered_ms: int
    held_due_ms: int | None = None
    wait_kind: str | None = None
    wait_event_key: str | None = None
    wait_started_ms: int | None = None
    released_ms: int | None = None
    exit_requested_ms: int | None = None
    goal_met: bool = False
    ended_ms: int | None = None
    reason: str | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True, slots=True)
class HistoryRow:
    mid: int
    transaction_ms: int
    contact_key: str
    status: str
    client_status: str
    journey_id: str
    definition_id: str
    journey_key: str
    version: int
    definition_name: str
    activity_id: str | None
    activity_key: str | None
    activity_name: str | None
    activity_type: str | None
    definition_instance_id: str | None
    event_instance_id: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    mid: int
    created_ms: int
    channel: str
    contact_key: str
    journey_id: str
    journey_key: str
    version: int
    definition_id: str
    activity_id: str
    activity_key: str
    activity_type: str
    activity_name: str
    definition_instance_id: str
    address: str
    subject: str | None
    data: Any


@dataclass(slots=True)
class StatsDelta:
    current: int = 0
    cumulative: int = 0
    met_goal: int = 0
    met_exit: int = 0


AttributeSets = MutableMapping[str, MutableMapping[str, Any]]


@dataclass(frozen=True, slots=True)
class PathChoice:
    """The path one pass took at a Path Optimizer, kept to pick the winner by engagement."""

    mid: int
    definition_id: str
    activity_key: str
    instance_id: str
    outcome: int
    chosen_ms: int


def _no_engagement(_instance: Instance, _activity_key: str) -> list[EngagementEvent]:
    return []


def _no_winner(
    _plan: JourneyPlan, _activity: Activity, _state: PathTestState, _until_ms: int
) -> tuple[int, str]:
    return 0, "no engagement data"


@dataclass(slots=True)
class Effects:
    """What a batch of steps did, for the engine to write; `attributes(contact_key)` gives the
    contact's attribute sets (loaded once per batch, and changed in place by Update Contact).

    The engine also lends what some activities read beyond the contact: `engagement(instance,
    email activity key)` the opens, clicks and bounces of the pass's messages from that activity;
    `path_test(plan, activity)` a Path Optimizer's state (changed in place) and `winner(...)` its
    winning path by engagement; `sto` the best-hour function of Einstein STO waits."""

    attributes: Callable[[str], AttributeSets]
    seed: int = 0
    strict: bool = False
    history: list[HistoryRow] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    changed_contacts: set[str] = field(default_factory=set)
    stats: dict[str, StatsDelta] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    path_choices: list[PathChoice] = field(default_factory=list)
    engagement: Callable[[Instance, str], list[EngagementEvent]] = _no_engagement
    path_test: Callable[[JourneyPlan, Activity], PathTestState] | None = None
    winner: Callable[[JourneyPlan, Activity, PathTestState, int], tuple[int, str]] = _no_winner
    sto: StoFunction = hashed_best_hour

    def delta(self, definition_id: str) -> StatsDelta:
        found = self.stats.get(definition_id)
        if found is None:
            found = self.stats[definition_id] = StatsDelta()
        return found


def history_row(
    plan: JourneyPlan,
    instance: Instance | None,
    contact_key: str,
    status: str,
    at_ms: int,
    where: Activity | Trigger | None,
    message: str | None = None,
    event_instance_id: str | None = None,
    client_status: str | None = None,
) -> HistoryRow:
    return HistoryRow(
        mid=plan.mid,
        transaction_ms=at_ms,
        contact_key=contact_key,
        status=status,
        client_status=client_status or _CLIENT_STATUS.get(status, C_SUCCESS),
        journey_id=plan.journey_id,
        definition_id=plan.definition_id,
        journey_key=plan.key,
        version=plan.version,
        definition_name=plan.name,
        activity_id=where.id if where is not None else None,
        activity_key=where.key if where is not None else None,
        activity_name=where.name if where is not None else None,
        activity_type=(where.type if isinstance(where, Activity) else "Trigger")
        if where is not None
        else None,
        definition_instance_id=instance.id if instance is not None else None,
        event_instance_id=instance.event_instance_id if instance is not None else event_instance_id,
        message=message,
    )


def _end_row(plan: JourneyPlan, instance: Instance, at_ms: int, message: str) -> HistoryRow:
    row = history_row(plan, instance, instance.contact_key, H_COMPLETE, at_ms, None, message)
    return replace(row, activity_type=END_TYPE, activity_name=END_NAME)


# --- facts: what criteria and bindings read -------------------------------------------------------


def _field(fields: Mapping[str, Any], name: str) -> Any:
    if name in fields:
        return fields[name]
    lowered = name.lower()  # data extension field names are case-insensitive in SFMC
    for candidate, value in fields.items():
        if candidate.lower() == lowered:
            return value
    return MISSING


def lookup_fact(instance: Instance, attributes: Mapping[str, Mapping[str, Any]], key: str) -> Any:
    """The value a criteria Key names: `Event.<eventKey>.<Field>` reads the journey data frozen at
    entry (and data of released Wait Until API Events); `<AttributeSet>.<Field>` reads the contact's
    current attributes."""
    head, _, rest = key.partition(".")
    if not rest:
        return MISSING
    if head == "Event":
        event, _, name = rest.partition(".")
        events: Mapping[str, Mapping[str, Any]] = instance.data.get("event", {})
        fields = events.get(event)
        if fields is None:
            return MISSING
        return _field(fields, name.strip('"'))
    fields = attributes.get(head)
    if fields is None:
        lowered = head.lower()
        fields = next((v for k, v in attributes.items() if k.lower() == lowered), None)
    return MISSING if fields is None else _field(fields, rest.strip('"'))


def _scope(
    plan: JourneyPlan, instance: Instance, attributes: Mapping[str, Any], activity: Activity | None
) -> BindingScope:
    return BindingScope(
        contact_key=instance.contact_key,
        event_data=instance.data.get("event", {}),
        contact_attributes=attributes,
        interaction_defaults=plan.defaults,
        context={
            "ContactKey": instance.contact_key,
            "DefinitionId": plan.definition_id,
            "DefinitionInstanceId": instance.id,
            "ExecutionMode": "Production",
            "StartActivityKey": plan.first or "",
            "VersionNumber": plan.version,
            "LastExecutedActivityKey": instance.position or "",
            "PublicationId": plan.definition_id,
        },
        interaction=instance.data.get("interaction", {}),
        activity_id=activity.id if activity is not None else None,
    )


# --- the random source of splits -------------------------------------------------------------------


def split_draw(seed: int, plan: JourneyPlan, instance: Instance, activity_key: str) -> float:
    """A number in [0, 100) for one contact at one random split: a hash of the server's seed and of
    what identifies the contact's pass (journey key, version, contact key, entry number), so a run
    is repeatable whatever order, process or store the steps run in."""
    text = f"{seed}\x1f{plan.key}\x1f{plan.version}\x1f{instance.contact_key}\x1f{instance.entry_number}\x1f{activity_key}"
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * 100


def _clear_wait(instance: Instance) -> None:
    instance.due_ms = None
    instance.held_due_ms = None
    instance.wait_kind = None
    instance.wait_event_key = None
    instance.wait_started_ms = None
    instance.released_ms = None


def _end(
    plan: JourneyPlan,
    instance: Instance,
    status: str,
    history_status: str,
    now_ms: int,
    effects: Effects,
    where: Activity | None,
    message: str,
) -> None:
    was_live = instance.live
    instance.status = status
    instance.ended_ms = now_ms
    instance.reason = message
    _clear_wait(instance)
    instance.exit_requested_ms = None
    effects.history.append(
        history_row(plan, instance, instance.contact_key, history_status, now_ms, where, message)
    )
    if was_live:
        effects.delta(plan.definition_id).current -= 1


def _took(
    plan: JourneyPlan, instance: Instance, activity: Activity, index: int, now_ms: int, effects: Effects
) -> tuple[str | None, bool]:
    outcome = activity.outcomes[index] if index < len(activity.outcomes) else None
    label = outcome.label if outcome is not None else str(index)
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, f"Path: {label}")
    )
    return activity.next_of(index), False
