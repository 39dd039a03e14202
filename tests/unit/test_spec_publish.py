"""Publish-time rules of the Journey Spec: entry event, graph shape, configuration, warnings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from journeystack.domain.spec import SpecProblem, check_publishable

FIXTURES = Path(__file__).parents[1] / "fixtures" / "journeys"
EVENT_KEY = "APIEvent-3f0a2b6c-0d1e-4f5a-9b8c-7d6e5f4a3b2c"
EVENT_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"


def exists(key: str | None, event_id: str | None) -> bool:
    return key == EVENT_KEY or event_id == EVENT_ID


def fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def wait(key: str, *nexts: str | None) -> dict[str, Any]:
    return {
        "key": key,
        "type": "WAIT",
        "outcomes": [{"key": f"{key}/{i}", "next": target} for i, target in enumerate(nexts or (None,))],
        "configurationArguments": {"waitDuration": 1, "waitUnit": "days"},
        "metaData": {"isConfigured": True},
    }


def journey(*activities: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A publishable journey around `activities` (one WAIT when none are given)."""
    return {
        "key": "test-journey",
        "name": "Test journey",
        "workflowApiVersion": 1.0,
        "entryMode": "MultipleEntries",
        "definitionType": "Multistep",
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": EVENT_KEY}}],
        "activities": list(activities) or [wait("WAIT-1")],
        **members,
    }


def publish(doc: Any) -> tuple[list[SpecProblem], list[SpecProblem]]:
    return check_publishable(doc, exists)


def error_codes(doc: Any) -> list[str]:
    return [p.code for p in publish(doc)[0]]


def only_error(doc: Any) -> SpecProblem:
    errors, _ = publish(doc)
    assert len(errors) == 1, errors
    return errors[0]


def test_the_test_journey_is_publishable() -> None:
    assert publish(journey()) == ([], [])


def test_structural_problems_are_publish_errors() -> None:
    doc = journey(wait("A", "NOPE"))
    problem = only_error(doc)
    assert (problem.code, problem.level) == ("121016", "Error")


def test_garbage_body_gives_only_the_structural_error() -> None:
    assert error_codes("not a journey") == ["121000"]


# --- the entry event ----------------------------------------------------------------------------


@pytest.mark.parametrize("triggers", [[], None, ["TRIGGER"]])
def test_an_entry_event_is_needed(triggers: Any) -> None:
    doc = journey(triggers=triggers)
    assert "121100" in error_codes(doc)
    problem = next(p for p in publish(doc)[0] if p.code == "121100")
    assert problem.path == "triggers" and "entry event" in problem.message


def test_trigger_must_name_an_event_definition() -> None:
    doc = journey(triggers=[{"key": "TRIGGER", "type": "APIEvent", "metaData": {}}])
    problem = only_error(doc)
    assert (problem.code, problem.path) == ("121101", "triggers[0].metaData.eventDefinitionKey")


@pytest.mark.parametrize(
    "trigger",
    [
        {"type": "EmailAudience", "metaData": {"eventDefinitionKey": EVENT_KEY}},
        {"type": "EmailAudience", "metaData": {"eventDefinitionId": EVENT_ID}},
        {"type": "Event", "eventDefinitionKey": EVENT_KEY},
        {"type": "ContactEvent", "metaData": {"eventDefinitionKey": "", "eventDefinitionId": EVENT_ID}},
    ],
)
def test_trigger_event_definition_found(trigger: dict[str, Any]) -> None:
    assert publish(journey(triggers=[trigger])) == ([], [])


def test_trigger_event_definition_lookup_gets_key_and_id() -> None:
    asked: list[tuple[str | None, str | None]] = []

    def record(key: str | None, event_id: str | None) -> bool:
        asked.append((key, event_id))
        return True

    trigger = {"type": "APIEvent", "metaData": {"eventDefinitionKey": "K", "eventDefinitionId": "I"}}
    check_publishable(journey(triggers=[trigger]), record)
    check_publishable(
        journey(triggers=[{"type": "APIEvent", "metaData": {"eventDefinitionId": "I"}}]), record
    )
    check_publishable(journey(triggers=[{"type": "Event", "eventDefinitionKey": "K"}]), record)
    assert asked == [("K", "I"), (None, "I"), ("K", None)]


def test_trigger_event_definition_missing() -> None:
    doc = journey(
        triggers=[{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": "gone"}}]
    )
    problem = only_error(doc)
    assert (problem.code, problem.path) == ("121102", "triggers[0].metaData.eventDefinitionKey")
    assert "'gone'" in problem.message


def test_transactional_trigger_needs_no_event_definition() -> None:
    def never(key: str | None, event_id: str | None) -> bool:
        raise AssertionError("not asked")

    doc = journey(triggers=[{"key": "TRIGGER", "type": "transactional-api", "metaData": {}}])
    doc["definitionType"] = "Transactional"
    assert check_publishable(doc, never) == ([], [])


# --- activities and their graph -----------------------------------------------------------------


@pytest.mark.parametrize("activities", [[], None])
def test_at_least_one_activity(activities: Any) -> None:
    doc = journey()
    doc["activities"] = activities
    problem = only_error(doc)
    assert (problem.code, problem.path) == ("121103", "activities")


def test_merges_are_allowed() -> None:
    doc = journey(wait("A", "B", "C"), wait("B", "D"), wait("C", "D"), wait("D"))
    assert publish(doc) == ([], [])


def test_a_loop_is_refused() -> None:
    doc = journey(wait("A", "B"), wait("B", "C"), wait("C", "B", None))
    problem = only_error(doc)
    assert (problem.code, problem.path) == ("121104", "activities[2].outcomes[0].next")
    assert "B -> C -> B" in problem.message
    assert problem.activity_key == "C"


def test_a_loop_with_no_way_in_is_refused_once_per_loop() -> None:
    doc = journey(wait("A", "B"), wait("B", "A"))
    assert error_codes(doc) == ["121104"]


def test_two_loops_give_two_problems() -> None:
    doc = journey(wait("S", "A", "C"), wait("A", "B"), wait("B", "A"), wait("C", "D"), wait("D", "C"))
    assert error_codes(doc) == ["121104", "121104"]


def test_first_activity_is_the_one_nothing_points_to() -> None:
    # Listed out of order: the start is B (nothing leads to it), not the first in the list.
    doc = journey(wait("A"), wait("B", "A"))
    assert publish(doc) == ([], [])


def test_activities_unreachable_from_the_first_are_refused() -> None:
    doc = journey(wait("A", "B"), wait("B"), wait("X", "Y"), wait("Y"))
    errors, _ = publish(doc)
    assert [(p.code, p.path, p.activity_key) for p in errors] == [
        ("121105", "activities[2]", "X"),
        ("121105", "activities[3]", "Y"),
    ]
    assert "first activity 'A'" in errors[0].message


def test_activity_hanging_off_a_loop_is_unreachable() -> None:
    doc = journey(wait("A"), wait("L1", "L2"), wait("L2", "L1"))
    assert sorted(error_codes(doc)) == ["121104", "121105", "121105"]


# --- journey settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [None, "NotSet", "notset"])
def test_an_entry_mode_not_chosen_is_a_warning(mode: str | None) -> None:
    # SFMC publishes it: mcdev's recorded Multistep journey is NotSet and Published (issue 13 item 8).
    doc = journey()
    doc["entryMode"] = mode
    errors, [warning] = publish(doc)
    assert errors == [] and (warning.code, warning.level, warning.path) == ("121106", "Warning", "entryMode")


def test_entry_mode_matters_only_for_multistep() -> None:
    doc = journey(definitionType="Quicksend", channel="email")
    del doc["entryMode"]
    assert publish(doc) == ([], [])
    doc["definitionType"] = None  # absent means Multistep
    assert [w.code for w in publish(doc)[1]] == ["121106"]


def test_the_recorded_published_journeys_publish() -> None:
    """Every journey mcdev's recordings show Published or Paused passes the publish checks."""
    recordings = Path(__file__).parents[1] / "fixtures" / "recordings" / "9999999" / "interaction" / "v1"
    checked = 0
    for path in sorted((recordings / "interactions").rglob("*.json")):
        document = json.loads(path.read_text() or "{}")
        if document.get("status") in ("Published", "Paused") and "activities" in document:
            # Their event definitions exist in the recording's business unit.
            assert check_publishable(document, lambda _key, _id: True)[0] == [], path
            checked += 1
    assert checked == 9


@pytest.mark.parametrize("name", [None, "", "   "])
def test_journey_must_be_named(name: str | None) -> None:
    doc = journey()
    doc["name"] = name
    problem = only_error(doc)
    assert (problem.code, problem.path) == ("121109", "name")


# --- configuration ------------------------------------------------------------------------------


def test_activity_saying_it_is_not_configured() -> None:
    activity = wait("A")
    activity["metaData"]["isConfigured"] = False
    problem = only_error(journey(activity))
    assert (problem.code, problem.path) == ("121107", "activities[0].metaData.isConfigured")


def test_a_transactional_journey_publishes_with_an_activity_not_configured() -> None:
    # mcdev's recorded create answer (post-response.json) says isConfigured false; the same journey
    # is recorded Published after transactional/create (key_testNew_temail_notPublished).
    recordings = Path(__file__).parents[1] / "fixtures" / "recordings" / "9999999" / "interaction" / "v1"
    document = json.loads((recordings / "interactions" / "post-response.json").read_text())
    errors, [warning] = publish(document)
    assert errors == [] and (warning.code, warning.level) == ("121107", "Warning")


def test_activity_without_is_configured_counts_as_configured() -> None:
    activity = wait("A")
    del activity["metaData"]
    assert publish(journey(activity)) == ([], [])


def single(kind: str, **members: Any) -> dict[str, Any]:
    return {"key": f"{kind}-1", "type": kind, "outcomes": [{"key": "out"}], **members}


TS = {"triggeredSend": {"emailId": 1}}
XML = "<FilterDefinition/>"
CONFIGURED = [
    single("EMAILV2", configurationArguments=TS),
    single("EMAIL", configurationArguments={"triggeredSendKey": "ts-key"}),
    single("EMAIL", arguments={"triggeredSendId": "ts-id"}),
    single("MULTICRITERIADECISION", configurationArguments={"criteria": {"out": XML}}),
    single("UPDATECONTACTDATA", arguments={"activityData": {"updateContactFields": [{"field": "f"}]}}),
    single("DataExtensionUpdate", configurationArguments={"dataExtensionId": "de", "field": "f"}),
    single("REST", arguments={"execute": {"url": "https://x.test/execute"}}),
    single("RESTDECISION", configurationArguments={"url": "https://x.test/execute"}),
    single("SMSSYNC", configurationArguments={"messageId": "NTIzOjc4OjA"}),
    single("PUSHNOTIFICATIONACTIVITY", configurationArguments={"pushMessageId": "MTk6MTE0OjA"}),
    single("SMS", arguments={"smsToSend": "Hi"}),
    single(
        "RandomSplit",
        outcomes=[
            {"key": "a", "arguments": {"percentage": 100 - 1}},
            {"key": "b", "arguments": {"percentage": 1}},
        ],
    ),
]
UNCONFIGURED = [
    (single("EMAILV2", configurationArguments={"triggeredSend": {}}), "configurationArguments.triggeredSend"),
    (single("EMAIL"), "configurationArguments.triggeredSend"),
    (
        single("MULTICRITERIADECISION", configurationArguments={"criteria": {}}),
        "configurationArguments.criteria",
    ),
    (single("MULTICRITERIADECISION"), "configurationArguments.criteria"),
    (
        single("MULTICRITERIADECISION", configurationArguments={"criteria": {"out": ""}}),
        "configurationArguments.criteria.out",
    ),
    (
        single("UPDATECONTACTDATA", arguments={"activityData": {}}),
        "arguments.activityData.updateContactFields",
    ),
    (
        single("DATAEXTENSIONUPDATE", configurationArguments={"dataExtensionId": "de"}),
        "configurationArguments.field",
    ),
    (single("REST", arguments={"execute": {"timeout": 5000}}), "arguments.execute.url"),
    (single("SMSSYNC", configurationArguments={}), "configurationArguments"),
    (single("PUSHNOTIFICATIONACTIVITY"), "configurationArguments"),
    (single("SMS", arguments={}), "arguments"),
]


@pytest.mark.parametrize("activity", CONFIGURED, ids=lambda a: str(a["type"]))
def test_known_types_configured(activity: dict[str, Any]) -> None:
    assert publish(journey(activity)) == ([], [])


@pytest.mark.parametrize(
    ("activity", "member"), UNCONFIGURED, ids=lambda a: str(a["type"]) if isinstance(a, dict) else a
)
def test_known_types_missing_configuration(activity: dict[str, Any], member: str) -> None:
    problem = only_error(journey(activity))
    assert (problem.code, problem.path) == ("121108", f"activities[0].{member}")
    assert problem.activity_type == activity["type"]


def engagement(ref: str | None, stats: int | None = 2) -> dict[str, Any]:
    config = {
        name: value for name, value in (("refActivityCustomerKey", ref), ("statsTypeId", stats)) if value
    }
    return {
        "key": "ENGAGEMENTDECISION-1",
        "type": "ENGAGEMENTDECISION",
        "outcomes": [
            {"key": "yes", "arguments": {"when": True}},
            {"key": "no", "arguments": {"when": False}},
        ],
        "configurationArguments": config,
    }


def test_engagement_split_after_its_email() -> None:
    doc = journey(single("EMAILV2", configurationArguments=TS), engagement("EMAILV2-1"))
    doc["activities"][0]["outcomes"][0]["next"] = "ENGAGEMENTDECISION-1"
    assert publish(doc) == ([], [])


def test_engagement_split_needs_its_reference_and_stats_type() -> None:
    doc = journey(single("EMAILV2", configurationArguments=TS), engagement(None, None))
    doc["activities"][0]["outcomes"][0]["next"] = "ENGAGEMENTDECISION-1"
    problems = publish(doc)[0]
    assert [(p.code, p.path) for p in problems] == [
        ("121108", "activities[1].configurationArguments.refActivityCustomerKey"),
        ("121108", "activities[1].configurationArguments.statsTypeId"),
    ]


def test_engagement_split_before_its_email() -> None:
    doc = journey(engagement("EMAILV2-1"), single("EMAILV2", configurationArguments=TS))
    doc["activities"][0]["outcomes"][0]["next"] = "EMAILV2-1"
    problem = only_error(doc)
    assert (problem.code, problem.path) == (
        "121111",
        "activities[0].configurationArguments.refActivityCustomerKey",
    )


# --- goals and exits ----------------------------------------------------------------------------

GOAL_XML = "<FilterDefinition><ConditionSet Operator='AND'/></FilterDefinition>"


@pytest.mark.parametrize("member", ["goals", "exits"])
@pytest.mark.parametrize(
    "goal",
    [
        {"key": "G", "configurationArguments": {"criteria": GOAL_XML}},
        {"key": "G", "metaData": {"eventDefinitionKey": "GoalEvent-1"}},
    ],
)
def test_goal_configured(member: str, goal: dict[str, Any]) -> None:
    assert publish(journey(**{member: [goal]})) == ([], [])


@pytest.mark.parametrize("member", ["goals", "exits"])
@pytest.mark.parametrize("config", [{}, {"criteria": ""}, {"criteria": None}])
def test_goal_not_configured(member: str, config: dict[str, Any]) -> None:
    problem = only_error(journey(**{member: [{"key": "G", "configurationArguments": config}]}))
    assert (problem.code, problem.path) == ("121110", f"{member}[0].configurationArguments.criteria")


# --- warnings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["STOWAIT", "JOIN", "ABNTEST"])
def test_unknown_type_is_a_warning_only(kind: str) -> None:
    activity = {"key": f"{kind}-1", "type": kind, "outcomes": [{"key": "o", "next": "WAIT-1"}]}
    errors, warnings = publish(journey(activity, wait("WAIT-1")))
    assert errors == []
    [warning] = warnings
    assert (warning.code, warning.level, warning.path) == ("121540", "Warning", "activities[0].type")
    assert (warning.activity_key, warning.activity_type) == (f"{kind}-1", kind)


def test_unknown_type_not_configured_is_still_an_error() -> None:
    activity = {"key": "JOIN-1", "type": "JOIN", "metaData": {"isConfigured": False}}
    errors, warnings = publish(journey(activity))
    assert [p.code for p in errors] == ["121107"]
    assert [p.code for p in warnings] == ["121540"]


@pytest.mark.parametrize(
    ("duration", "unit"), [(366, "days"), (53, "weeks"), (13, "MONTHS"), (9000, "hours")]
)
def test_long_wait_warns(duration: int, unit: str) -> None:
    activity = wait("A")
    activity["configurationArguments"] = {"waitDuration": duration, "waitUnit": unit}
    errors, warnings = publish(journey(activity))
    assert errors == []
    [warning] = warnings
    assert (warning.code, warning.level, warning.activity_key) == ("121547", "Warning", "A")


@pytest.mark.parametrize(
    ("duration", "unit"), [(365, "days"), (52, "weeks"), (12, "months"), ("8760", "hours")]
)
def test_wait_up_to_a_year_does_not_warn(duration: Any, unit: str) -> None:
    activity = wait("A")
    activity["configurationArguments"] = {"waitDuration": duration, "waitUnit": unit}
    assert publish(journey(activity)) == ([], [])


def test_levels_are_error_and_warning() -> None:
    doc = journey({"key": "JOIN-1", "type": "JOIN"})
    doc["name"] = ""
    errors, warnings = publish(doc)
    assert {p.level for p in errors} == {"Error"} and {p.level for p in warnings} == {"Warning"}


def test_publish_does_not_modify_the_document() -> None:
    doc = fixture("10-lead-nurture-sto.json")
    before = copy.deepcopy(doc)
    check_publishable(doc, lambda key, event_id: True)
    assert doc == before
