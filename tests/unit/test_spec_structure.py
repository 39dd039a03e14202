"""Save-time structural rules of the Journey Spec that apply to every journey and activity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from journeystack.domain.spec import SpecProblem, check_structure

FIXTURES = Path(__file__).parents[1] / "fixtures" / "journeys"


def fixture(name: str = "01-welcome-series.json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def wait(key: str, *nexts: str | None) -> dict[str, Any]:
    """A valid duration WAIT with one outcome per `next`."""
    return {
        "key": key,
        "type": "WAIT",
        "outcomes": [{"key": f"{key}/{i}", "next": target} for i, target in enumerate(nexts or (None,))],
        "configurationArguments": {"waitDuration": 1, "waitUnit": "days"},
    }


def codes(problems: list[SpecProblem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: list[SpecProblem]) -> SpecProblem:
    assert len(problems) == 1, problems
    return problems[0]


# --- the body -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "journey", None, 3, 1.5, True])
def test_body_must_be_an_object(body: Any) -> None:
    problem = only(check_structure(body))
    assert (problem.code, problem.path) == ("121000", "")


def test_an_empty_object_is_structurally_fine() -> None:
    assert check_structure({}) == []


@pytest.mark.parametrize(
    "member", ["name", "description", "key", "entryMode", "definitionType", "executionMode", "channel"]
)
@pytest.mark.parametrize("value", [5, ["x"], {"a": "b"}, True])
def test_string_members_must_be_strings(member: str, value: Any) -> None:
    problem = only(check_structure({member: value}))
    assert (problem.code, problem.path) == ("121001", member)
    assert member in problem.message and "must be a string" in problem.message


@pytest.mark.parametrize("member", ["triggers", "activities", "goals", "exits", "notifiers"])
@pytest.mark.parametrize("value", [{"a": 1}, "[]", 0])
def test_array_members_must_be_arrays(member: str, value: Any) -> None:
    problem = only(check_structure({member: value}))
    assert (problem.code, problem.path) == ("121001", member)


@pytest.mark.parametrize("member", ["triggers", "activities", "goals", "exits", "notifiers"])
def test_array_members_hold_objects(member: str) -> None:
    problem = only(check_structure({member: ["x"]}))
    assert (problem.code, problem.path) == ("121001", f"{member}[0]")


def test_array_members_of_objects_pass() -> None:
    assert check_structure({"triggers": [{}], "goals": [{}], "exits": [{}], "notifiers": [{}]}) == []


@pytest.mark.parametrize("member", ["defaults", "metaData"])
@pytest.mark.parametrize("value", ["x", [], 1])
def test_object_members_must_be_objects(member: str, value: Any) -> None:
    problem = only(check_structure({member: value}))
    assert (problem.code, problem.path) == ("121001", member)


@pytest.mark.parametrize("value", [12, 12.0, 0])
def test_category_id_integer(value: Any) -> None:
    assert check_structure({"categoryId": value}) == []


@pytest.mark.parametrize("value", ["12", 1.5, True, [], {}])
def test_category_id_not_integer(value: Any) -> None:
    problem = only(check_structure({"categoryId": value}))
    assert (problem.code, problem.path) == ("121001", "categoryId")


def test_null_members_count_as_absent() -> None:
    doc = dict.fromkeys(["name", "key", "activities", "triggers", "defaults", "categoryId", "entryMode"])
    assert check_structure(doc) == []


def test_unknown_top_level_members_are_allowed() -> None:
    assert check_structure({"somethingNew": {"deep": [1, 2]}, "stats": 3}) == []


@pytest.mark.parametrize(
    "mode", ["NotSet", "MultipleEntries", "OnceAndDone", "SingleEntryAcrossAllVersions", "onceanddone"]
)
def test_entry_mode_known(mode: str) -> None:
    assert check_structure({"entryMode": mode}) == []


@pytest.mark.parametrize("mode", ["Sometimes", "", "Once And Done"])
def test_entry_mode_unknown(mode: str) -> None:
    problem = only(check_structure({"entryMode": mode}))
    assert (problem.code, problem.path) == ("121002", "entryMode")
    assert "MultipleEntries" in problem.message


@pytest.mark.parametrize("kind", ["Multistep", "Quicksend", "Transactional", "multistep", "QUICKSEND"])
def test_definition_type_known(kind: str) -> None:
    assert check_structure({"definitionType": kind}) == []


def test_definition_type_unknown() -> None:
    problem = only(check_structure({"definitionType": "Bulk"}))
    assert (problem.code, problem.path) == ("121003", "definitionType")


def test_one_trigger_is_fine_two_are_not() -> None:
    assert check_structure({"triggers": [{"key": "TRIGGER"}]}) == []
    problem = only(check_structure({"triggers": [{"key": "A"}, {"key": "B"}]}))
    assert (problem.code, problem.path) == ("121004", "triggers")


def test_trigger_members_have_their_types() -> None:
    problem = only(check_structure({"triggers": [{"key": "TRIGGER", "metaData": "x", "outcomes": []}]}))
    assert (problem.code, problem.path) == ("121001", "triggers[0].metaData")
    assert problem.message.startswith("triggers[0] (key 'TRIGGER'): ")


def test_every_problem_is_reported_not_just_the_first() -> None:
    doc = {"name": 1, "entryMode": "x", "triggers": [{}, {}], "activities": [{"type": "WAIT"}]}
    assert sorted(set(codes(check_structure(doc)))) == [
        "121001",
        "121002",
        "121004",
        "121011",
        "121030",
        "121031",
    ]


# --- activities ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   ", 5, ["A"]])
def test_activity_key_must_be_a_non_empty_string(key: Any) -> None:
    activity = wait("A")
    if key is None:
        del activity["key"]
    else:
        activity["key"] = key
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121011", "activities[0].key")
    assert problem.activity_key is None and problem.activity_type == "WAIT"


@pytest.mark.parametrize("kind", [None, "", 7, {"name": "WAIT"}])
def test_activity_type_must_be_a_non_empty_string(kind: Any) -> None:
    activity: dict[str, Any] = {"key": "A", "outcomes": []}
    if kind is not None:
        activity["type"] = kind
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121012", "activities[0].type")
    assert problem.activity_key == "A"


def test_activity_keys_unique() -> None:
    assert check_structure({"activities": [wait("A", "B"), wait("B")]}) == []
    again = wait("A")
    again["outcomes"][0]["key"] = "another outcome"
    problem = only(check_structure({"activities": [wait("A"), wait("B"), again]}))
    assert (problem.code, problem.path) == ("121013", "activities[2].key")
    assert "activities[0]" in problem.message


def test_outcome_keys_unique_across_the_journey() -> None:
    first, second = wait("A", "B"), wait("B")
    second["outcomes"][0]["key"] = first["outcomes"][0]["key"]
    problem = only(check_structure({"activities": [first, second]}))
    assert (problem.code, problem.path) == ("121015", "activities[1].outcomes[0].key")
    assert "activities[0].outcomes[0]" in problem.message


def test_outcome_keys_may_be_absent() -> None:
    activity = wait("A")
    del activity["outcomes"][0]["key"]
    assert check_structure({"activities": [activity, wait("B")]}) == []


def test_outcome_key_must_be_a_string() -> None:
    activity = wait("A")
    activity["outcomes"][0]["key"] = 1
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].outcomes[0].key")


@pytest.mark.parametrize("outcomes", ["x", {"key": "o"}, 3])
def test_outcomes_must_be_an_array(outcomes: Any) -> None:
    activity = wait("A")
    activity["outcomes"] = outcomes
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].outcomes")


@pytest.mark.parametrize("outcome", ["x", None, 4, []])
def test_outcomes_must_hold_objects(outcome: Any) -> None:
    activity = wait("A")
    activity["outcomes"] = [outcome]
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].outcomes[0]")


@pytest.mark.parametrize("member", ["arguments", "metaData"])
def test_outcome_members_are_objects(member: str) -> None:
    activity = wait("A")
    activity["outcomes"][0][member] = "x"
    problem = only(check_structure({"activities": [activity]}))
    assert (problem.code, problem.path) == ("121001", f"activities[0].outcomes[0].{member}")


@pytest.mark.parametrize(
    ("member", "value"),
    [("arguments", "x"), ("configurationArguments", []), ("metaData", 1), ("name", 2), ("description", {})],
)
def test_activity_members_have_their_types(member: str, value: Any) -> None:
    activity = wait("A")
    activity[member] = value
    problems = check_structure({"activities": [activity]})
    assert [(p.code, p.path) for p in problems][0] == ("121001", f"activities[0].{member}")


def test_next_absent_null_or_an_activity() -> None:
    absent = wait("C")
    del absent["outcomes"][0]["next"]
    assert check_structure({"activities": [wait("A", "B", None), wait("B", "C"), absent]}) == []


@pytest.mark.parametrize("target", ["Z", "", "a"])
def test_next_must_name_an_activity(target: str) -> None:
    problem = only(check_structure({"activities": [wait("A", target)]}))
    assert (problem.code, problem.path) == ("121016", "activities[0].outcomes[0].next")
    assert repr(target) in problem.message


@pytest.mark.parametrize("target", [1, ["B"], {"key": "B"}, True])
def test_next_must_be_a_string(target: Any) -> None:
    problem = only(check_structure({"activities": [wait("A", target), wait("B")]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].outcomes[0].next")


def test_next_may_not_point_to_its_own_activity() -> None:
    problem = only(check_structure({"activities": [wait("A", "B", "A"), wait("B")]}))
    assert (problem.code, problem.path) == ("121017", "activities[0].outcomes[1].next")
    assert problem.activity_key == "A"


# --- goals and exits ----------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["goals", "exits"])
@pytest.mark.parametrize("unit", ["percentage", "wholenumber", "Percentage", None])
def test_conversion_unit_known(member: str, unit: str | None) -> None:
    assert check_structure({member: [{"key": "G", "metaData": {"conversionUnit": unit}}]}) == []


@pytest.mark.parametrize("member", ["goals", "exits"])
@pytest.mark.parametrize("unit", ["percent", 5, ""])
def test_conversion_unit_unknown(member: str, unit: Any) -> None:
    problem = only(check_structure({member: [{"key": "G", "metaData": {"conversionUnit": unit}}]}))
    assert (problem.code, problem.path) == ("121070", f"{member}[0].metaData.conversionUnit")
    assert problem.message.startswith(f"{member}[0] (key 'G'): ")


def test_goal_members_have_their_types() -> None:
    problem = only(check_structure({"goals": [{"configurationArguments": "criteria"}]}))
    assert (problem.code, problem.path) == ("121001", "goals[0].configurationArguments")


def test_fixture_with_many_faults_reports_each() -> None:
    doc = fixture("04-win-back.json")
    doc["activities"][0]["outcomes"][0]["next"] = "NOPE"
    doc["activities"][1]["key"] = doc["activities"][2]["key"]
    doc["exits"][0]["metaData"]["conversionUnit"] = "lots"
    assert sorted(codes(check_structure(doc))) == ["121013", "121016", "121070"]
