"""Save-time rules of particular activity types: random split, wait, engagement and decision splits, REST."""

from __future__ import annotations

from typing import Any

import pytest

from journeystack.domain.spec import SpecProblem, check_structure


def activity(key: str, kind: str, *nexts: str | None, **members: Any) -> dict[str, Any]:
    return {
        "key": key,
        "type": kind,
        "outcomes": [{"key": f"{key}/{i}", "next": target} for i, target in enumerate(nexts)],
        **members,
    }


def email(key: str = "EMAILV2-1", *nexts: str | None, kind: str = "EMAILV2") -> dict[str, Any]:
    return activity(key, kind, *(nexts or (None,)), configurationArguments={"triggeredSend": {"emailId": 1}})


def only(problems: list[SpecProblem]) -> SpecProblem:
    assert len(problems) == 1, problems
    return problems[0]


# --- RANDOMSPLIT --------------------------------------------------------------------------------


def split(*percentages: Any, kind: str = "RANDOMSPLIT") -> dict[str, Any]:
    outcomes = [{"key": f"path{i}", "arguments": {"percentage": p}} for i, p in enumerate(percentages)]
    return {"key": "RANDOMSPLIT-1", "type": kind, "outcomes": outcomes}


@pytest.mark.parametrize("percentages", [(50, 50), (33, 33, 34), (1, 99), (10, 20, 30, 40)])
@pytest.mark.parametrize("kind", ["RANDOMSPLIT", "RandomSplit", "randomsplit"])
def test_random_split_valid(percentages: tuple[int, ...], kind: str) -> None:
    assert check_structure({"activities": [split(*percentages, kind=kind)]}) == []


@pytest.mark.parametrize("bad", ["50", 50.0, True, 0, 100, -10, None, [50]])
def test_random_split_percentage_must_be_a_json_integer_between_0_and_100(bad: Any) -> None:
    problem = only(check_structure({"activities": [split(50, bad)]}))
    assert (problem.code, problem.path) == ("121020", "activities[0].outcomes[1].arguments.percentage")
    assert problem.activity_key == "RANDOMSPLIT-1"


def test_random_split_outcome_without_arguments() -> None:
    doc = {"activities": [split(50, 50)]}
    del doc["activities"][0]["outcomes"][0]["arguments"]
    problem = only(check_structure(doc))
    assert problem.code == "121020" and "is missing" in problem.message


@pytest.mark.parametrize("percentages", [(50, 40), (60, 60), (30, 30, 30)])
def test_random_split_percentages_must_add_up_to_100(percentages: tuple[int, ...]) -> None:
    problem = only(check_structure({"activities": [split(*percentages)]}))
    assert (problem.code, problem.path) == ("121021", "activities[0].outcomes")
    assert str(sum(percentages)) in problem.message


def test_random_split_sum_is_not_reported_over_invalid_percentages() -> None:
    problems = check_structure({"activities": [split(50, "10")]})
    assert [p.code for p in problems] == ["121020"]


@pytest.mark.parametrize("outcomes", [[], [{"key": "only", "arguments": {"percentage": 50}}]])
def test_random_split_needs_two_outcomes(outcomes: list[Any]) -> None:
    doc = {"activities": [{"key": "RANDOMSPLIT-1", "type": "RANDOMSPLIT", "outcomes": outcomes}]}
    problem = only(check_structure(doc))
    assert (problem.code, problem.path) == ("121022", "activities[0].outcomes")


def test_random_split_without_outcomes_member() -> None:
    problem = only(check_structure({"activities": [{"key": "R", "type": "RANDOMSPLIT"}]}))
    assert problem.code == "121022"


# --- WAIT ---------------------------------------------------------------------------------------


def wait(config: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return activity("WAIT-1", "WAIT", None, configurationArguments=config, metaData=meta)


@pytest.mark.parametrize("duration", [1, 3, "3", 1.5, "0.5", 90])
@pytest.mark.parametrize("unit", ["minutes", "hours", "days", "weeks", "months", "DAYS", "Hours"])
def test_wait_valid(duration: Any, unit: str) -> None:
    doc = {"activities": [wait({"waitDuration": duration, "waitUnit": unit}, uiType="WAITBYDURATION")]}
    assert check_structure(doc) == []


def test_wait_without_ui_type_is_a_duration_wait() -> None:
    assert check_structure({"activities": [wait({"waitDuration": 2, "waitUnit": "days"})]}) == []
    problem = only(check_structure({"activities": [wait({"waitUnit": "days"})]}))
    assert problem.code == "121030"


@pytest.mark.parametrize("duration", [None, 0, -1, "abc", "", True, "inf", "NaN", "1_000", [1], {}])
def test_wait_duration_must_be_a_positive_number(duration: Any) -> None:
    config = {"waitUnit": "days"} if duration is None else {"waitDuration": duration, "waitUnit": "days"}
    problem = only(check_structure({"activities": [wait(config, uiType="WAITBYDURATION")]}))
    assert (problem.code, problem.path) == ("121030", "activities[0].configurationArguments.waitDuration")
    assert problem.message.startswith("activities[0] (key 'WAIT-1'): ")


@pytest.mark.parametrize("duration", [10**400, 10**5000, 1e400], ids=["400-digits", "5000-digits", "inf"])
def test_wait_duration_beyond_float_range(duration: Any) -> None:
    config = {"waitDuration": duration, "waitUnit": "days"}
    problem = only(check_structure({"activities": [wait(config)]}))
    assert problem.code == "121030"


def test_values_json_cannot_hold_do_not_break_the_checks() -> None:
    config = {"waitDuration": {1, 2}, "waitUnit": "days"}
    problem = only(check_structure({"activities": [wait(config)]}))
    assert problem.code == "121030" and "set" in problem.message


@pytest.mark.parametrize("unit", [None, "fortnights", "day", "", 3])
def test_wait_unit_must_be_known(unit: Any) -> None:
    config = {"waitDuration": 1} if unit is None else {"waitDuration": 1, "waitUnit": unit}
    problem = only(check_structure({"activities": [wait(config, uiType="WAITBYDURATION")]}))
    assert (problem.code, problem.path) == ("121031", "activities[0].configurationArguments.waitUnit")
    assert "minutes, hours, days, weeks, months" in problem.message


@pytest.mark.parametrize("ui_type", ["WAITUNTILDATE", "WAITBYATTRIBUTE", "WAITUNTILEVENT"])
def test_other_waits_do_not_need_a_duration(ui_type: str) -> None:
    config = {"specificDate": "2025-01-01T09:00:00", "timeZoneId": "Central Standard Time"}
    assert check_structure({"activities": [wait(config, uiType=ui_type)]}) == []


def test_other_waits_still_need_a_known_unit_when_they_give_one() -> None:
    config = {"waitDuration": 1, "waitUnit": "eons"}
    problem = only(check_structure({"activities": [wait(config, uiType="WAITBYATTRIBUTE")]}))
    assert problem.code == "121031"


def test_workflow_api_05_wait_names() -> None:
    config = {"duration": 2, "durationUnits": "DAYS"}
    assert check_structure({"workflowApiVersion": 0.5, "activities": [wait(config)]}) == []
    assert check_structure({"workflowApiVersion": "0.5", "activities": [wait(config)]}) == []


def test_workflow_api_05_names_are_checked_too() -> None:
    config = {"duration": -2, "durationUnits": "aeons"}
    problems = check_structure({"workflowApiVersion": 0.5, "activities": [wait(config)]})
    assert [(p.code, p.path) for p in problems] == [
        ("121030", "activities[0].configurationArguments.duration"),
        ("121031", "activities[0].configurationArguments.durationUnits"),
    ]


def test_workflow_api_10_does_not_accept_05_names() -> None:
    config = {"duration": 2, "durationUnits": "DAYS"}
    problems = check_structure({"workflowApiVersion": 1.0, "activities": [wait(config)]})
    assert [p.code for p in problems] == ["121030", "121031"]


# --- ENGAGEMENTDECISION -------------------------------------------------------------------------


def engagement(**config: Any) -> dict[str, Any]:
    return activity("ENGAGEMENTDECISION-1", "ENGAGEMENTDECISION", None, None, configurationArguments=config)


@pytest.mark.parametrize("kind", ["EMAILV2", "EMAIL", "emailv2"])
@pytest.mark.parametrize("stats", [2, 3, 6, "3", 6.0, None])
def test_engagement_split_on_an_email(kind: str, stats: Any) -> None:
    config: dict[str, Any] = {"refActivityCustomerKey": "EMAILV2-1"}
    if stats is not None:
        config["statsTypeId"] = stats
    doc = {"activities": [email("EMAILV2-1", "ENGAGEMENTDECISION-1", kind=kind), engagement(**config)]}
    assert check_structure(doc) == []


def test_engagement_split_reference_may_be_missing_while_drafting() -> None:
    assert check_structure({"activities": [engagement(statsTypeId=2)]}) == []


def test_engagement_split_reference_must_name_an_activity() -> None:
    doc = {"activities": [email(), engagement(refActivityCustomerKey="EMAILV2-9")]}
    problem = only(check_structure(doc))
    assert (problem.code, problem.path) == (
        "121040",
        "activities[1].configurationArguments.refActivityCustomerKey",
    )
    assert "'EMAILV2-9'" in problem.message


def test_engagement_split_reference_must_name_an_email() -> None:
    doc = {"activities": [activity("SMSSYNC-1", "SMSSYNC"), engagement(refActivityCustomerKey="SMSSYNC-1")]}
    problem = only(check_structure(doc))
    assert problem.code == "121041" and "SMSSYNC" in problem.message


def test_engagement_split_reference_must_be_a_string() -> None:
    problem = only(
        check_structure({"activities": [email(), engagement(refActivityCustomerKey=["EMAILV2-1"])]})
    )
    assert (problem.code, problem.path) == (
        "121001",
        "activities[1].configurationArguments.refActivityCustomerKey",
    )


@pytest.mark.parametrize("stats", [1, 4, "opened", True, 2.5, [2]])
def test_engagement_split_stats_type(stats: Any) -> None:
    doc = {"activities": [email(), engagement(refActivityCustomerKey="EMAILV2-1", statsTypeId=stats)]}
    problem = only(check_structure(doc))
    assert (problem.code, problem.path) == ("121042", "activities[1].configurationArguments.statsTypeId")


# --- MULTICRITERIADECISION ----------------------------------------------------------------------

XML = "<FilterDefinition><ConditionSet Operator='AND'/></FilterDefinition>"


def decision(criteria: Any, kind: str = "MULTICRITERIADECISION") -> dict[str, Any]:
    outcomes = [{"key": "gold_path"}, {"key": "silver_path"}, {"key": "remainder_path"}]
    return {"key": "D", "type": kind, "outcomes": outcomes, "configurationArguments": {"criteria": criteria}}


@pytest.mark.parametrize("criteria", [{"gold_path": XML}, {"gold_path": XML, "silver_path": XML}, {}, None])
@pytest.mark.parametrize("kind", ["MULTICRITERIADECISION", "MultiCriteriaDecision"])
def test_decision_criteria_name_outcomes(criteria: Any, kind: str) -> None:
    assert check_structure({"activities": [decision(criteria, kind)]}) == []


def test_decision_criteria_naming_no_outcome() -> None:
    problem = only(check_structure({"activities": [decision({"gold_path": XML, "bronze_path": XML})]}))
    assert (problem.code, problem.path) == (
        "121050",
        "activities[0].configurationArguments.criteria.bronze_path",
    )


@pytest.mark.parametrize("criteria", [XML, ["gold_path"], 1])
def test_decision_criteria_must_be_an_object(criteria: Any) -> None:
    problem = only(check_structure({"activities": [decision(criteria)]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].configurationArguments.criteria")


def test_decision_with_an_unhashable_outcome_key_does_not_raise() -> None:
    doc = {"activities": [decision({"gold_path": XML})]}
    doc["activities"][0]["outcomes"][0]["key"] = ["gold_path"]
    assert [p.code for p in check_structure(doc)] == ["121001", "121050"]


# --- REST custom activities ---------------------------------------------------------------------


def rest(execute: Any, kind: str = "REST") -> dict[str, Any]:
    return activity("REST-1", kind, None, arguments={"execute": execute})


@pytest.mark.parametrize("timeout", [1000, 60000, 100000, "30000", None])
@pytest.mark.parametrize("kind", ["REST", "RestDecision"])
def test_rest_timeout_in_range(timeout: Any, kind: str) -> None:
    execute = {"url": "https://example.test/execute"}
    if timeout is not None:
        execute["timeout"] = timeout
    assert check_structure({"activities": [rest(execute, kind)]}) == []


@pytest.mark.parametrize("timeout", [999, 0, 100001, -5, "fast", True, []])
@pytest.mark.parametrize("kind", ["REST", "RESTDECISION"])
def test_rest_timeout_out_of_range(timeout: Any, kind: str) -> None:
    problem = only(check_structure({"activities": [rest({"timeout": timeout}, kind)]}))
    assert (problem.code, problem.path) == ("121060", "activities[0].arguments.execute.timeout")
    assert "1000" in problem.message and "100000" in problem.message


@pytest.mark.parametrize(
    ("member", "value", "code"),
    [("retryCount", 6, "121061"), ("retryCount", 1.5, "121061"), ("retryCount", -1, "121061"),
     ("retryDelay", 10_001, "121062"), ("retryDelay", "soon", "121062"),
     ("concurrentRequests", 0, "121063"), ("concurrentRequests", 51, "121063"), ("concurrentRequests", True, "121063")],
)  # fmt: skip
def test_rest_retries_and_concurrency_out_of_range(member: str, value: Any, code: str) -> None:
    problem = only(check_structure({"activities": [rest({member: value})]}))
    assert (problem.code, problem.path) == (code, f"activities[0].arguments.execute.{member}")


def test_rest_retries_and_concurrency_in_range() -> None:
    execute = {"retryCount": 5, "retryDelay": 10_000, "concurrentRequests": 50, "timeout": 1000}
    assert check_structure({"activities": [rest(execute)]}) == []
    assert check_structure({"activities": [rest({"retryCount": 0, "concurrentRequests": "1"})]}) == []


def test_rest_execute_must_be_an_object() -> None:
    problem = only(check_structure({"activities": [rest("https://example.test")]}))
    assert (problem.code, problem.path) == ("121001", "activities[0].arguments.execute")


def test_rest_without_execute_is_fine_at_save_time() -> None:
    assert check_structure({"activities": [activity("REST-1", "REST")]}) == []


def test_type_rules_do_not_apply_to_other_types() -> None:
    # A percentage on a WAIT outcome, or a timeout on an email, is nobody's business at save time.
    odd_wait = activity("W", "WAIT", None, configurationArguments={"waitDuration": 1, "waitUnit": "days"})
    odd_wait["outcomes"][0]["arguments"] = {"percentage": "lots"}
    odd_email = email("E")
    odd_email["arguments"] = {"execute": {"timeout": 1}}
    assert check_structure({"activities": [odd_wait, odd_email]}) == []
