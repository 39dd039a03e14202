"""The Journey Spec checks as a whole: the fixtures, the API, the code table, and robustness on garbage."""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeystack.domain.spec as spec_package
from journeystack.domain.spec import SpecProblem, check_publishable, check_structure
from journeystack.domain.spec import problems as problems_module

FIXTURES = Path(__file__).parents[1] / "fixtures" / "journeys"
JOURNEY_FILES = sorted(FIXTURES.glob("[0-9][0-9]-*.json"))
EVENT_DEFINITIONS = json.loads((FIXTURES / "_event_definitions.json").read_text())
EVENT_KEYS = {item["eventDefinitionKey"] for item in EVENT_DEFINITIONS}
SERVER_OWNED = {"id", "definitionId", "version", "status", "createdDate", "modifiedDate", "lastPublishedDate"}


def known_event(key: str | None, event_id: str | None) -> bool:
    return key in EVENT_KEYS


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


# --- the fixtures -------------------------------------------------------------------------------


def test_there_are_at_least_ten_fixtures() -> None:
    assert len(JOURNEY_FILES) >= 10


@pytest.mark.parametrize("path", JOURNEY_FILES, ids=lambda p: p.name)
def test_fixture_passes_both_levels(path: Path) -> None:
    doc = load(path)
    assert check_structure(doc) == []
    errors, warnings = check_publishable(doc, known_event)
    assert errors == []
    assert all(w.code == "121540" for w in warnings)


@pytest.mark.parametrize("path", JOURNEY_FILES, ids=lambda p: p.name)
def test_fixture_is_a_client_body(path: Path) -> None:
    doc = load(path)
    assert not SERVER_OWNED & doc.keys()
    assert 2048 <= path.stat().st_size <= 4096
    assert doc["workflowApiVersion"] == 1.0
    assert doc["definitionType"] == "Multistep"
    assert doc["entryMode"] in {"MultipleEntries", "OnceAndDone", "SingleEntryAcrossAllVersions"}
    assert "categoryId" not in doc
    assert 5 <= len(doc["activities"]) <= 8
    assert all(a["metaData"]["isConfigured"] is True for a in doc["activities"])
    [trigger] = doc["triggers"]
    event_key = trigger["metaData"]["eventDefinitionKey"]
    assert event_key in EVENT_KEYS
    assert re.fullmatch(r"(DEAudience|APIEvent)-[0-9a-f-]{36}", event_key)
    assert doc["defaults"]["email"] == [f"{{{{Event.{event_key}.EmailAddress}}}}"]


def test_fixtures_cover_the_activity_types_and_trigger_types() -> None:
    docs = [load(path) for path in JOURNEY_FILES]
    activity_types = {a["type"].upper() for doc in docs for a in doc["activities"]}
    assert activity_types >= {
        "EMAILV2",
        "WAIT",
        "MULTICRITERIADECISION",
        "RANDOMSPLIT",
        "ENGAGEMENTDECISION",
        "UPDATECONTACTDATA",
        "DATAEXTENSIONUPDATE",
        "REST",
        "SMSSYNC",
        "PUSHNOTIFICATIONACTIVITY",
    }
    trigger_types = {doc["triggers"][0]["type"] for doc in docs}
    assert trigger_types >= {"APIEvent", "EmailAudience", "AutomationAudience", "ContactAudience", "Event"}
    assert any(doc["goals"] for doc in docs)
    assert any(doc["exits"] for doc in docs)
    assert all(e["metaData"]["isExitCriteria"] is True for doc in docs for e in doc["exits"])


def test_exactly_one_fixture_has_an_unknown_type_and_it_only_warns() -> None:
    warned = []
    for path in JOURNEY_FILES:
        errors, warnings = check_publishable(load(path), known_event)
        assert errors == []
        if warnings:
            warned.append((path.name, [(w.code, w.level, w.activity_type) for w in warnings]))
    assert warned == [("10-lead-nurture-sto.json", [("121540", "Warning", "STOWAIT")])]


def test_event_definition_list_names_each_fixture_trigger() -> None:
    used = {load(path)["triggers"][0]["metaData"]["eventDefinitionKey"] for path in JOURNEY_FILES}
    assert used == EVENT_KEYS
    assert all(set(item) == {"eventDefinitionKey", "name", "type"} for item in EVENT_DEFINITIONS)


# --- the API and the code table -----------------------------------------------------------------


def test_spec_problem_is_a_frozen_value() -> None:
    problem = SpecProblem(code="121001", message="m", path="p")
    assert (problem.level, problem.activity_key, problem.activity_type) == ("Error", None, None)
    with pytest.raises(AttributeError):
        problem.code = "x"  # type: ignore[misc]
    assert problem == SpecProblem("121001", "m", "p", "Error", None, None)


def _code_constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(problems_module).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"121\d{3}", value)
    }


def test_codes_are_unique_numeric_strings() -> None:
    codes = list(_code_constants().values())
    assert len(codes) == len(set(codes))
    assert "121008" not in codes  # SFMC's own code for email send validation


def test_every_code_is_in_the_docstring_table_and_nothing_else_is() -> None:
    doc = spec_package.__doc__ or ""
    documented = set(re.findall(r"^\s+(121\d{3})\s", doc, flags=re.MULTILINE))
    assert documented == set(_code_constants().values())


def test_the_spec_package_imports_only_the_standard_library() -> None:
    package_dir = Path(spec_package.__file__).parent
    for source in package_dir.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            for root in roots:
                assert root == "__future__" or root in sys.stdlib_module_names, (source.name, root)


def test_problem_messages_name_the_place() -> None:
    doc = load(JOURNEY_FILES[0])
    doc["activities"][1]["configurationArguments"]["waitUnit"] = "fortnights"
    [problem] = check_structure(doc)
    assert problem.path == "activities[1].configurationArguments.waitUnit"
    assert problem.message.startswith("activities[1] (key 'WAITBYDURATION-1'): ")
    assert "'fortnights'" in problem.message
    assert "minutes, hours, days, weeks, months" in problem.message
    assert (problem.activity_key, problem.activity_type) == ("WAITBYDURATION-1", "WAIT")


# --- never raises -------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
MEMBER_NAMES = [
    "key",
    "name",
    "type",
    "next",
    "outcomes",
    "arguments",
    "configurationArguments",
    "metaData",
    "criteria",
    "percentage",
    "waitDuration",
    "waitUnit",
    "uiType",
    "refActivityCustomerKey",
    "statsTypeId",
    "execute",
    "timeout",
    "isConfigured",
    "eventDefinitionKey",
    "conversionUnit",
    "workflowApiVersion",
    "entryMode",
    "definitionType",
    "triggers",
    "activities",
    "goals",
    "exits",
]
TYPE_NAMES = ["WAIT", "RANDOMSPLIT", "ENGAGEMENTDECISION", "MULTICRITERIADECISION", "REST", "EMAILV2", "JOIN"]
# JSON whose objects use the spec's own member names, so the checks go deep rather than stop at the top.
spec_like = st.recursive(
    json_scalars | st.sampled_from(TYPE_NAMES + ["A", "B"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(MEMBER_NAMES), children, max_size=6)
    ),
    max_leaves=40,
)

ROBUST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_well_formed(problems: list[SpecProblem]) -> None:
    for problem in problems:
        assert isinstance(problem, SpecProblem)
        assert re.fullmatch(r"121\d{3}", problem.code)
        assert problem.message and isinstance(problem.path, str)
        assert problem.level in {"Error", "Warning"}


@ROBUST
@given(json_values, st.booleans())
def test_checks_never_raise_on_any_json(value: Any, exists: bool) -> None:
    _assert_well_formed(check_structure(value))
    errors, warnings = check_publishable(value, lambda key, event_id: exists)
    _assert_well_formed(errors + warnings)


@ROBUST
@given(spec_like)
def test_checks_never_raise_on_spec_shaped_json(value: Any) -> None:
    _assert_well_formed(check_structure(value))
    errors, warnings = check_publishable(value, known_event)
    _assert_well_formed(errors + warnings)


@ROBUST
@given(st.sampled_from(JOURNEY_FILES), st.data())
def test_checks_never_raise_on_damaged_fixtures(path: Path, data: st.DataObject) -> None:
    doc = load(path)
    for _ in range(data.draw(st.integers(1, 4))):
        _damage(doc, data)
    _assert_well_formed(check_structure(doc))
    errors, warnings = check_publishable(copy.deepcopy(doc), known_event)
    _assert_well_formed(errors + warnings)


def _damage(node: Any, data: st.DataObject) -> None:
    """Walk a random way down the document and replace what is there with random JSON."""
    while True:
        if isinstance(node, dict) and node:
            member = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            member = data.draw(st.integers(0, len(node) - 1))
        else:
            return
        child = node[member]
        if not isinstance(child, dict | list) or data.draw(st.booleans()):
            node[member] = data.draw(spec_like)
            return
        node = child
