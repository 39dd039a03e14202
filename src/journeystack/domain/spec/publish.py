"""Publish/validate-time checks: is a saved journey complete enough to run?"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .activities import EMAIL_TYPES, KNOWN_TYPES, missing_configuration, upper_type, wait_days
from .problems import (
    CYCLE,
    ENGAGEMENT_BEFORE_EMAIL,
    ENTRY_MODE_NOT_SET,
    EVENT_DEFINITION_NOT_FOUND,
    GOAL_NOT_CONFIGURED,
    LONG_WAIT,
    MISSING_CONFIGURATION,
    NO_ACTIVITIES,
    NO_EVENT_DEFINITION_REF,
    NO_NAME,
    NO_TRIGGER,
    NOT_CONFIGURED,
    OBJECT,
    ROOT,
    UNKNOWN_ACTIVITY_TYPE,
    UNREACHABLE,
    WARNING,
    Site,
    SpecProblem,
    as_list,
    as_object,
    non_empty_string,
)
from .structure import check_structure, is_api_version_05

EventDefinitionExists = Callable[[str | None, str | None], bool]

LONG_WAIT_DAYS: Final = 365
# Trigger types whose entry is not an event definition (transactional sends fire through their own API).
_TRIGGERS_WITHOUT_EVENT: Final = frozenset({"transactional-api"})


def check_publishable(
    doc: Mapping[str, Any], event_definition_exists: EventDefinitionExists
) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """Whether a journey may be published: (errors, warnings). Structural problems count as errors.

    `event_definition_exists(key, id)` is asked about the trigger's event definition; whatever it
    raises propagates. Nothing else raises, however malformed `doc` is.
    """
    errors = check_structure(doc)
    warnings: list[SpecProblem] = []
    if not isinstance(doc, OBJECT):
        return errors, warnings
    _check_journey(doc, errors, warnings)
    _check_trigger(doc, event_definition_exists, errors)
    graph = _Graph.of(doc)
    activities = doc.get("activities")
    if activities is None or (isinstance(activities, list | tuple) and not activities):
        text = "there are no activities; at least one is needed"
        errors.append(ROOT.problem(NO_ACTIVITIES, "activities", text))
    graph.check(errors)
    _check_activities(graph, is_api_version_05(doc), _is_transactional(doc), errors, warnings)
    _check_goals(doc, errors)
    return errors, warnings


def _check_journey(doc: Mapping[str, Any], errors: list[SpecProblem], warnings: list[SpecProblem]) -> None:
    name = doc.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        text = "name is empty; a journey must be named before it is published"
        errors.append(ROOT.problem(NO_NAME, "name", text))
    kind = doc.get("definitionType")
    if kind is not None and not (isinstance(kind, str) and kind.lower() == "multistep"):
        return  # single-send and transactional journeys have no entry mode to choose
    mode = doc.get("entryMode")
    if mode is None or (isinstance(mode, str) and mode.lower() == "notset"):
        # SFMC publishes it (mcdev's recorded Multistep journey is NotSet and Published).
        text = "entryMode is not chosen (NotSet): the journey runs as SingleEntryAcrossAllVersions"
        warnings.append(ROOT.problem(ENTRY_MODE_NOT_SET, "entryMode", text, level=WARNING))


def _is_transactional(doc: Mapping[str, Any]) -> bool:
    kind = doc.get("definitionType")
    return isinstance(kind, str) and kind.lower() == "transactional"


@dataclass(frozen=True, slots=True)
class EventReference:
    """Where a journey's trigger names its entry event, and how (either may be None, not both)."""

    index: int  # of the trigger in `triggers`
    trigger: Mapping[str, Any]
    key: str | None
    event_id: str | None


def entry_trigger(doc: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]] | None:
    """The trigger that starts the journey: the first object in `triggers`."""
    return next(((i, t) for i, t in enumerate(as_list(doc.get("triggers"))) if isinstance(t, OBJECT)), None)


def event_reference(doc: Mapping[str, Any]) -> EventReference | None:
    """The event definition the entry trigger names, or None when it names none (or is not an
    event trigger). The one reader of the reference: publish checks it, and storage indexes it so
    the event is locked while the journey runs, so both always mean the same event.

    Real data keeps the reference in metaData; the older spec put the key on the trigger itself.
    A blank string names nothing.
    """
    found = entry_trigger(doc)
    if found is None:
        return None
    index, trigger = found
    kind = trigger.get("type")
    if isinstance(kind, str) and kind.lower() in _TRIGGERS_WITHOUT_EVENT:
        return None
    meta = as_object(trigger.get("metaData"))
    key = _first_string(meta.get("eventDefinitionKey"), trigger.get("eventDefinitionKey"))
    event_id = _first_string(meta.get("eventDefinitionId"), trigger.get("eventDefinitionId"))
    if key is None and event_id is None:
        return None
    return EventReference(index, trigger, key, event_id)


def _check_trigger(doc: Mapping[str, Any], exists: EventDefinitionExists, out: list[SpecProblem]) -> None:
    found = entry_trigger(doc)
    if found is None:
        text = "no entry event is configured; a journey needs one before it can be published"
        out.append(ROOT.problem(NO_TRIGGER, "triggers", text))
        return
    index, trigger = found
    kind = trigger.get("type")
    if isinstance(kind, str) and kind.lower() in _TRIGGERS_WITHOUT_EVENT:
        return
    key = trigger.get("key")
    path = f"triggers[{index}]"
    site = Site(path=path, label=f"{path} (key {key!r})" if non_empty_string(key) else path)
    reference = event_reference(doc)
    if reference is None:
        text = "the entry event names no event definition (metaData.eventDefinitionKey or eventDefinitionId)"
        out.append(site.problem(NO_EVENT_DEFINITION_REF, "metaData.eventDefinitionKey", text))
    elif not exists(reference.key, reference.event_id):
        pairs = (("key", reference.key), ("id", reference.event_id))
        named = " / ".join(f"{label} {value!r}" for label, value in pairs if value)
        member = "metaData.eventDefinitionKey" if reference.key else "metaData.eventDefinitionId"
        text = f"the entry event's event definition ({named}) does not exist"
        out.append(site.problem(EVENT_DEFINITION_NOT_FOUND, member, text))


def _first_string(*values: Any) -> str | None:
    return next((v for v in values if non_empty_string(v)), None)


@dataclass(slots=True)
class _Graph:
    """The activities joined by their outcomes' `next`; links the structural pass refused are left out."""

    sites: dict[str, tuple[Site, Mapping[str, Any]]] = field(default_factory=dict)
    edges: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # key -> (outcome index, next)

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> _Graph:
        graph = cls()
        for index, activity in enumerate(as_list(doc.get("activities"))):
            if not isinstance(activity, OBJECT):
                continue
            key, kind = activity.get("key"), activity.get("type")
            if not non_empty_string(key) or key in graph.sites:
                continue
            path = f"activities[{index}]"
            site = Site(path, f"{path} (key {key!r})", key, kind if isinstance(kind, str) else None)
            graph.sites[key] = (site, activity)
        for key, (_, activity) in graph.sites.items():
            graph.edges[key] = [
                (i, o["next"])
                for i, o in enumerate(as_list(activity.get("outcomes")))
                if isinstance(o, OBJECT) and _is_link(o.get("next"), graph.sites, key)
            ]
        return graph

    def start(self) -> str | None:
        """The first activity, in list order, that no other activity leads to."""
        targets = {target for links in self.edges.values() for _, target in links}
        return next((key for key in self.sites if key not in targets), None)

    def reachable_from(self, start: str) -> set[str]:
        seen, queue = {start}, deque([start])
        while queue:
            for _, target in self.edges[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return seen

    def check(self, out: list[SpecProblem]) -> None:
        self._check_cycles(out)
        start = self.start()
        if start is None:
            return  # every activity is some activity's next: the cycle problems already say so
        reachable = self.reachable_from(start)
        for key, (site, _) in self.sites.items():
            if key not in reachable:
                text = f"no path from the first activity {start!r} leads here"
                out.append(site.problem(UNREACHABLE, "", text))

    def _check_cycles(self, out: list[SpecProblem]) -> None:
        # Iterative depth-first search, so long journeys cannot hit the recursion limit. Each back
        # edge costs O(1): its loop is named by a few of its activities, never spelt out whole
        # (a 1,000-activity chain with many back edges would otherwise write megabytes).
        done: set[str] = set()
        for root in self.sites:
            if root in done:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            depth_of = {root: 0}
            while stack:
                node, position = stack[-1]
                links = self.edges[node]
                if position == len(links):
                    stack.pop()
                    del depth_of[node]
                    done.add(node)
                    continue
                stack[-1] = (node, position + 1)
                outcome, target = links[position]
                if target in depth_of:
                    site = self.sites[node][0]
                    loop = _loop_text(stack, depth_of[target], target)
                    text = f"outcomes[{outcome}].next {target!r} closes a loop: {loop}"
                    out.append(site.problem(CYCLE, f"outcomes[{outcome}].next", text))
                elif target not in done:
                    depth_of[target] = len(stack)
                    stack.append((target, 0))


def _loop_text(stack: list[tuple[str, int]], start: int, target: str) -> str:
    """`a -> b -> a`, or for a long loop its first and last steps and how many lie between."""
    length = len(stack) - start
    if length <= 6:
        keys = [key for key, _ in stack[start:]]
    else:
        head = [key for key, _ in stack[start : start + 3]]
        tail = [key for key, _ in stack[-2:]]
        keys = [*head, f"... ({length - 5} more) ...", *tail]
    return " -> ".join([*keys, target])


def _is_link(target: Any, keys: Mapping[str, Any], own_key: str) -> bool:
    return isinstance(target, str) and target in keys and target != own_key


def _check_activities(
    graph: _Graph,
    api_version_05: bool,
    transactional: bool,
    errors: list[SpecProblem],
    warnings: list[SpecProblem],
) -> None:
    for site, activity in graph.sites.values():
        kind = upper_type(activity)
        if not kind:
            continue  # reported by the structural pass
        if kind not in KNOWN_TYPES:
            text = f"type {site.activity_type!r} is not one journeystack checks; it is kept as sent"
            warnings.append(site.problem(UNKNOWN_ACTIVITY_TYPE, "type", text, level=WARNING))
        if as_object(activity.get("metaData")).get("isConfigured") is False:
            text = "the activity is not configured (metaData.isConfigured is false)"
            if transactional:
                # SFMC published mcdev's recorded transactional journey whose email said so (and
                # answered it configured since): a warning there; SFMC's audit log shows a
                # standard journey refused ("An activity must be created and configured ...").
                warnings.append(site.problem(NOT_CONFIGURED, "metaData.isConfigured", text, level=WARNING))
            else:
                errors.append(site.problem(NOT_CONFIGURED, "metaData.isConfigured", text))
                continue
        for member, what in missing_configuration(activity):
            text = f"{member} is missing or empty: {what}"
            errors.append(site.problem(MISSING_CONFIGURATION, member, text))
        if kind == "ENGAGEMENTDECISION":
            _check_engagement_order(graph, site, activity, errors)
        days = wait_days(activity, api_version_05) if kind == "WAIT" else None
        if days is not None and days > LONG_WAIT_DAYS:
            text = f"the wait lasts about {days:.0f} days, more than {LONG_WAIT_DAYS}"
            warnings.append(site.problem(LONG_WAIT, "configurationArguments", text, level=WARNING))


def _check_engagement_order(
    graph: _Graph, site: Site, activity: Mapping[str, Any], out: list[SpecProblem]
) -> None:
    # Engagement can only be measured for an email the contact has already been sent.
    ref = as_object(activity.get("configurationArguments")).get("refActivityCustomerKey")
    email = graph.sites.get(ref) if isinstance(ref, str) else None
    if not isinstance(ref, str) or email is None or upper_type(email[1]) not in EMAIL_TYPES:
        return  # missing or wrong references are reported elsewhere
    if site.activity_key not in graph.reachable_from(ref):
        member = "configurationArguments.refActivityCustomerKey"
        text = f"{member} {ref!r} names an email that does not come before this engagement split"
        out.append(site.problem(ENGAGEMENT_BEFORE_EMAIL, member, text))


def _check_goals(doc: Mapping[str, Any], out: list[SpecProblem]) -> None:
    for member in ("goals", "exits"):
        for index, goal in enumerate(as_list(doc.get(member))):
            if not isinstance(goal, OBJECT):
                continue
            config, meta = as_object(goal.get("configurationArguments")), as_object(goal.get("metaData"))
            # A goal is met by filter criteria, or (event goals) by an event definition.
            if non_empty_string(config.get("criteria")) or _first_string(
                meta.get("eventDefinitionKey"), meta.get("eventDefinitionId")
            ):
                continue
            key = goal.get("key")
            path = f"{member}[{index}]"
            site = Site(path=path, label=f"{path} (key {key!r})" if non_empty_string(key) else path)
            text = "configurationArguments.criteria is empty: the goal has no condition to meet"
            out.append(site.problem(GOAL_NOT_CONFIGURED, "configurationArguments.criteria", text))
