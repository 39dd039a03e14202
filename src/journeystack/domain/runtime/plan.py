"""A published journey version compiled for execution: its activities, paths, criteria and waits,
parsed once so that each contact step only looks things up.

A version that runs never changes (only Drafts are editable), so a plan is compiled once per
definitionId and kept. Compiling is also the runtime half of the publish checks: what cannot be
compiled (an unknown criteria operator, a wait the engine cannot time) is a publish error, never a
guess at run time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from .binding import Template, TemplateError, compile_template
from .calls import CallSpec, parse_call
from .criteria import Criteria, CriteriaError, parse_criteria
from .engagement import EngagementSpec, PathTestSpec, parse_engagement, parse_path_test
from .salesforce import SALESFORCE_TYPES, SalesforceObject, parse_objects
from .sto import window_hours
from .waits import WaitConfigError, WaitSpec, parse_wait

# Entry modes (journey.entryMode). NotSet runs as SingleEntryAcrossAllVersions, the default SFMC's
# 2015 release notes give (docs/runtime.md).
ONCE_AND_DONE: Final = "OnceAndDone"
MULTIPLE_ENTRIES: Final = "MultipleEntries"
SINGLE_ENTRY: Final = "SingleEntryAcrossAllVersions"

# Activity ids the spec does not carry are derived from the journey id and the activity key, so they
# are the same on every GET, in every process and on every store.
_ACTIVITY_NAMESPACE: Final = uuid.UUID("6a6f7572-6e65-7973-7461-636b2d616374")

EMAIL_TYPES: Final = frozenset({"EMAILV2", "EMAIL"})
SMS_TYPES: Final = frozenset({"SMSSYNC", "SMS"})
PUSH_TYPES: Final = frozenset({"PUSHNOTIFICATIONACTIVITY", "PUSH"})
UPDATE_TYPES: Final = frozenset({"UPDATECONTACTDATA", "DATAEXTENSIONUPDATE"})
CALL_TYPES: Final = frozenset({"REST", "RESTDECISION"})
# Activities that only merge paths: Join, and the end of a Path Optimizer's "capsule".
JOIN_TYPES: Final = frozenset({"JOIN", "ABNTESTSTOP"})


class Kind(Enum):
    WAIT = "wait"
    RANDOM_SPLIT = "random split"
    DECISION = "decision split"
    MESSAGE = "message"
    UPDATE_CONTACT = "update contact"
    CALL = "custom activity"  # REST, RestDecision: the contact waits for the execute call's answer
    ENGAGEMENT = "engagement split"
    STO = "send-time optimization"
    PATH_TEST = "path optimizer"
    JOIN = "join"
    SALESFORCE = "salesforce object"
    PASS = "pass"  # a type the engine does not simulate: the contact takes the first outcome


class PlanError(ValueError):
    """A running version the engine cannot execute; `problems` are (path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    next: str | None
    label: str


@dataclass(frozen=True, slots=True)
class Message:
    channel: str  # email | sms | push
    subject: Template | None
    arguments: Any  # the activity's `arguments`, bound per contact into the outbox message's data


@dataclass(frozen=True, slots=True)
class Activity:
    key: str
    id: str
    name: str
    type: str  # as stored (upper-cased for dispatch)
    kind: Kind
    outcomes: tuple[Outcome, ...]
    wait: WaitSpec | None = None
    # RANDOMSPLIT: (upper bound of the cumulative percentage, outcome index), in outcome order.
    split: tuple[tuple[int, int], ...] = ()
    # MULTICRITERIADECISION: (outcome index, criteria or None for a remainder path), in outcome order.
    decision: tuple[tuple[int, Criteria | None], ...] = ()
    message: Message | None = None
    # UPDATECONTACTDATA / DataExtensionUpdate: (attribute set, field, value template).
    updates: tuple[tuple[str, str, Template], ...] = ()
    call: CallSpec | None = None
    engagement: EngagementSpec | None = None
    sto_window_hours: int = 0
    path_test: PathTestSpec | None = None
    salesforce: tuple[SalesforceObject, ...] = ()

    def next_of(self, index: int) -> str | None:
        return self.outcomes[index].next if index < len(self.outcomes) else None


@dataclass(frozen=True, slots=True)
class Goal:
    key: str
    name: str
    criteria: Criteria
    is_exit: bool


@dataclass(frozen=True, slots=True)
class Trigger:
    key: str
    id: str
    name: str
    type: str
    event_key: str | None
    criteria: Criteria | None


@dataclass(frozen=True, slots=True)
class JourneyPlan:
    mid: int
    journey_id: str
    definition_id: str
    key: str
    version: int
    name: str
    entry_mode: str
    trigger: Trigger
    first: str | None
    activities: Mapping[str, Activity]
    goals: tuple[Goal, ...]
    exits: tuple[Criteria, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_goals_or_exits(self) -> bool:
        return bool(self.goals or self.exits)

    def calls(self) -> list[Activity]:
        """The custom activities (REST, RestDecision) of the version."""
        return [a for a in self.activities.values() if a.call is not None]


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def activity_id(journey_id: str, activity: Mapping[str, Any]) -> str:
    """The activity's id: the one it carries, else one derived from the journey id and its key."""
    given = activity.get("id")
    if isinstance(given, str) and given:
        return given
    return str(uuid.uuid5(_ACTIVITY_NAMESPACE, f"{journey_id}/{_text(activity.get('key'))}"))


def _criteria(xml: Any, path: str, problems: list[tuple[str, str]]) -> Criteria | None:
    if not isinstance(xml, str) or not xml.strip():
        return None
    try:
        return parse_criteria(xml)
    except CriteriaError as error:
        problems.append((path, error.message))
        return None


def compile_plan(
    *,
    mid: int,
    journey_id: str,
    definition_id: str,
    key: str,
    version: int,
    name: str,
    entry_mode: str,
    spec: Mapping[str, Any],
) -> JourneyPlan:
    """Compile a version's Journey Spec. Raises PlanError naming every part it cannot execute."""
    problems: list[tuple[str, str]] = []
    triggers = [t for t in _list(spec.get("triggers")) if isinstance(t, Mapping)]
    raw_trigger = triggers[0] if triggers else {}
    meta = _object(raw_trigger.get("metaData"))
    event_key = meta.get("eventDefinitionKey") or raw_trigger.get("eventDefinitionKey")
    trigger = Trigger(
        key=_text(raw_trigger.get("key")) or "TRIGGER",
        id=activity_id(journey_id, raw_trigger) if raw_trigger else "",
        name=_text(raw_trigger.get("name")) or _text(raw_trigger.get("key")),
        type=_text(raw_trigger.get("type")),
        event_key=event_key if isinstance(event_key, str) and event_key else None,
        criteria=_criteria(
            _object(raw_trigger.get("configurationArguments")).get("criteria"),
            "triggers[0].configurationArguments.criteria",
            problems,
        ),
    )
    activities: dict[str, Activity] = {}
    targets: set[str] = set()
    raw_activities = [a for a in _list(spec.get("activities")) if isinstance(a, Mapping)]
    for index, raw in enumerate(raw_activities):
        compiled = _activity(journey_id, raw, f"activities[{index}]", problems)
        if compiled is not None and compiled.key not in activities:
            activities[compiled.key] = compiled
    for activity in activities.values():
        targets.update(o.next for o in activity.outcomes if o.next is not None)
    first = next((k for k in activities if k not in targets), None)
    goals: list[Goal] = []
    exits: list[Criteria] = []
    for member in ("goals", "exits"):
        for index, raw in enumerate(_list(spec.get(member))):
            if not isinstance(raw, Mapping):
                continue
            path = f"{member}[{index}].configurationArguments.criteria"
            criteria = _criteria(_object(raw.get("configurationArguments")).get("criteria"), path, problems)
            if criteria is None:
                continue
            if member == "exits":
                exits.append(criteria)
            else:
                is_exit = _object(raw.get("metaData")).get("isExitCriteria") is True
                goals.append(Goal(_text(raw.get("key")), _text(raw.get("name")), criteria, is_exit))
    if problems:
        raise PlanError(problems)
    return JourneyPlan(
        mid=mid,
        journey_id=journey_id,
        definition_id=definition_id,
        key=key,
        version=version,
        name=name,
        entry_mode=entry_mode,
        trigger=trigger,
        first=first,
        activities=activities,
        goals=tuple(goals),
        exits=tuple(exits),
        defaults=_object(spec.get("defaults")),
    )


def _outcomes(raw: Mapping[str, Any]) -> tuple[Outcome, ...]:
    result = []
    for index, outcome in enumerate(_list(raw.get("outcomes"))):
        if not isinstance(outcome, Mapping):
            continue
        target = outcome.get("next")
        label = _text(_object(outcome.get("metaData")).get("label"))
        key = _text(outcome.get("key")) or f"outcome-{index}"
        result.append(Outcome(key, target if isinstance(target, str) and target else None, label or key))
    return tuple(result)


def _activity(
    journey_id: str, raw: Mapping[str, Any], path: str, problems: list[tuple[str, str]]
) -> Activity | None:
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        return None
    kind_text = _text(raw.get("type"))
    upper = kind_text.upper()
    outcomes = _outcomes(raw)
    identity = activity_id(journey_id, raw)
    name = _text(raw.get("name")) or key

    def make(kind: Kind, **extra: Any) -> Activity:
        return Activity(
            key=key, id=identity, name=name, type=kind_text, kind=kind, outcomes=outcomes, **extra
        )

    config = _object(raw.get("configurationArguments"))
    if upper == "WAIT":
        try:
            return make(Kind.WAIT, wait=parse_wait(raw))
        except WaitConfigError as error:
            problems.append((path, error.message))
            return None
    if upper == "RANDOMSPLIT":
        return make(Kind.RANDOM_SPLIT, split=_split(raw))
    if upper == "MULTICRITERIADECISION":
        by_outcome = _object(config.get("criteria"))
        decision = tuple(
            (
                index,
                _criteria(by_outcome.get(o.key), f"{path}.configurationArguments.criteria.{o.key}", problems),
            )
            for index, o in enumerate(outcomes)
        )
        return make(Kind.DECISION, decision=decision)
    channel = _CHANNELS.get(upper)
    if channel is not None:
        send = _object(config.get("triggeredSend"))
        subject_text = send.get("emailSubject") or send.get("dynamicEmailSubject") or config.get("subject")
        subject = (
            _template(subject_text, f"{path}.configurationArguments.triggeredSend.emailSubject", problems)
            if subject_text
            else None
        )
        return make(Kind.MESSAGE, message=Message(channel, subject, raw.get("arguments") or {}))
    if upper in UPDATE_TYPES:
        return make(Kind.UPDATE_CONTACT, updates=_updates(upper, raw, config, path, problems))
    if upper in CALL_TYPES:
        return make(Kind.CALL, call=parse_call(raw, decision=upper == "RESTDECISION"))
    if upper == "ENGAGEMENTDECISION":
        return make(Kind.ENGAGEMENT, engagement=parse_engagement(raw))
    if upper == "STOWAIT":
        return make(Kind.STO, sto_window_hours=window_hours(raw))
    if upper == "ABNTEST":
        return make(Kind.PATH_TEST, path_test=parse_path_test(raw, _split(raw)))
    if upper in JOIN_TYPES:
        return make(Kind.JOIN)
    if upper in SALESFORCE_TYPES:
        return make(Kind.SALESFORCE, salesforce=parse_objects(raw))
    return make(Kind.PASS)


_CHANNELS: Final = {
    **dict.fromkeys(EMAIL_TYPES, "email"),
    **dict.fromkeys(SMS_TYPES, "sms"),
    **dict.fromkeys(PUSH_TYPES, "push"),
}


def _split(raw: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
    """(cumulative percentage, outcome index) for each path of a random split."""
    bounds: list[tuple[int, int]] = []
    total = 0
    for index, outcome in enumerate(_list(raw.get("outcomes"))):
        percentage = _object(_object(outcome).get("arguments")).get("percentage")
        if isinstance(percentage, bool) or not isinstance(percentage, int | float | str):
            continue
        try:
            total += int(float(percentage))
        except (ValueError, OverflowError):
            continue
        bounds.append((total, index))
    return tuple(bounds)


def _template(text: Any, path: str, problems: list[tuple[str, str]]) -> Template | None:
    """A compiled binding template, or None (a problem for what cannot be compiled)."""
    if not isinstance(text, str):
        return None
    try:
        return compile_template(text)
    except TemplateError as error:
        problems.append((path, error.message))
        return None


def _updates(
    upper: str, raw: Mapping[str, Any], config: Mapping[str, Any], path: str, problems: list[tuple[str, str]]
) -> tuple[tuple[str, str, Template], ...]:
    if upper == "DATAEXTENSIONUPDATE":
        target, name = config.get("dataExtensionId"), config.get("field")
        value = _object(raw.get("arguments")).get("value")
        if isinstance(target, str) and isinstance(name, str):
            text = value if isinstance(value, str) else _json_text(value)
            return ((target, name, _template(text, f"{path}.arguments.value", problems) or _EMPTY),)
        return ()
    fields = _object(_object(raw.get("arguments")).get("activityData")).get("updateContactFields")
    updates = []
    for item in _list(fields):
        item = _object(item)
        target, name, value = item.get("dataExtensionId"), item.get("field"), item.get("value")
        if isinstance(target, str) and isinstance(name, str):
            text = value if isinstance(value, str) else _json_text(value)
            updates.append((target, name, _template(text, f"{path}.arguments", problems) or _EMPTY))
    return tuple(updates)


_EMPTY: Final = compile_template("")


def _json_text(value: Any) -> str:
    return "" if value is None else str(value)
