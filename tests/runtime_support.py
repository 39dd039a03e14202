"""Helpers for the runtime tests: event definitions and journeys to run, firing events, driving the
engine's clock and reading what happened (history, outbox, membership)."""

from __future__ import annotations

from typing import Any

from tests.control_plane import Admin, ControlCase
from tests.support import BASE, Api, publish

EVENTS = "/interaction/v1/events"
ASYNC_EVENTS = "/interaction/v1/async/events"
HISTORY = f"{BASE}/journeyhistory/search"
# A fixed moment to run journeys from, so every run (and every store) gives the same times.
T0 = "2030-01-01T00:00:00Z"
T0_MS = 1_893_456_000_000
DAY = 86_400_000


def event_definition(api: Api, key: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    schema = {"fields": fields if fields is not None else [
        {"name": "Email", "dataType": "EmailAddress"},
        {"name": "FirstName", "dataType": "Text"},
        {"name": "Plan", "dataType": "Text"},
        {"name": "Score", "dataType": "Number"},
    ]}  # fmt: skip
    body = {"type": "APIEvent", "name": key, "eventDefinitionKey": key, "schema": schema}
    response = api.post("/interaction/v1/eventDefinitions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def wait(key: str, amount: int, unit: str, next_key: str | None, **config: Any) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "WAIT", "outcomes": [{"key": f"{key}-out", "next": next_key}],
        "configurationArguments": {"waitDuration": amount, "waitUnit": unit, **config},
        "metaData": {"uiType": "WAITBYDURATION"},
    }  # fmt: skip


def email(key: str, subject: str, next_key: str | None) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "EMAILV2", "outcomes": [{"key": f"{key}-out", "next": next_key}],
        "configurationArguments": {"triggeredSend": {"emailSubject": subject}},
        "arguments": {"contactKey": "{{Contact.Key}}"},
    }  # fmt: skip


def random_split(key: str, paths: list[tuple[int, str | None]]) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "RANDOMSPLIT",
        "outcomes": [
            {"key": f"{key}-{i}", "next": target, "arguments": {"percentage": pct}, "metaData": {"label": f"P{i}"}}
            for i, (pct, target) in enumerate(paths)
        ],
    }  # fmt: skip


def condition(key: str, operator: str, value: str) -> str:
    return (
        '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
        f'<Condition Key="{key}" Operator="{operator}"><Value><![CDATA[{value}]]></Value></Condition>'
        "</ConditionSet></FilterDefinition>"
    )


def decision(key: str, paths: list[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    """paths: (label, criteria XML or None for the remainder, next)."""
    outcomes = [
        {"key": f"{key}-{label}", "next": target, "metaData": {"label": label}} for label, _, target in paths
    ]
    criteria = {f"{key}-{label}": xml for label, xml, _ in paths if xml is not None}
    return {
        "key": key, "name": key, "type": "MULTICRITERIADECISION", "outcomes": outcomes,
        "configurationArguments": {"criteria": criteria},
    }  # fmt: skip


def journey(
    key: str,
    event_key: str,
    activities: list[dict[str, Any]],
    *,
    entry_mode: str = "MultipleEntries",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"Journey {key}",
        "workflowApiVersion": 1.0,
        "entryMode": entry_mode,
        "defaults": {"email": [f'{{{{Event.{event_key}."Email"}}}}']},
        "triggers": [{"key": "TRIGGER", "name": "TRIGGER", "type": "APIEvent",
                      "metaData": {"eventDefinitionKey": event_key}}],
        "activities": activities,
        **extra,
    }  # fmt: skip


def published(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """Create (or version) and publish a journey; returns the created version."""
    response = api.post(BASE, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    status = publish(api, created)
    assert status["status"] == "PublishCompleted", status
    return created


def fire(api: Api, contact: str, event_key: str, **data: Any) -> str:
    response = api.post(EVENTS, json={"ContactKey": contact, "EventDefinitionKey": event_key, "Data": data})
    assert response.status_code == 201, response.text
    instance_id: str = response.json()["eventInstanceId"]
    return instance_id


def fire_many(api: Api, event_key: str, members: list[tuple[str, dict[str, Any]]]) -> None:
    for start in range(0, len(members), 100):
        chunk = [{"contactKey": c, "data": d} for c, d in members[start : start + 100]]
        response = api.post(ASYNC_EVENTS, json={"eventDefinitionKey": event_key, "members": chunk})
        assert response.status_code == 202, response.text
        assert response.json()["notQueuedCount"] == 0, response.text


class Clock:
    """The engine's clock through the control plane (of a test case, or of any admin client)."""

    def __init__(self, case: ControlCase | Admin) -> None:
        self.admin = case.admin if isinstance(case, ControlCase) else case

    def start_at(self, instant: str = T0) -> None:
        self.admin.ok("POST", "/clock/freeze")
        self.admin.ok("POST", "/clock/advance", json={"to": instant})

    # An advance or run-until-idle answers once what fell due is worked, custom-activity calls made
    # included: on a busy machine that may take a while.
    def advance(self, by: str) -> dict[str, Any]:
        result: dict[str, Any] = self.admin.ok("POST", "/clock/advance", json={"by": by}, timeout=300)
        return result

    def settle(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin.ok("POST", "/clock/run-until-idle", timeout=300)
        return result


def history(api: Api, contact: str | None = None, **filters: Any) -> list[dict[str, Any]]:
    """Every history row (of one contact), oldest first."""
    body = dict(filters)
    if contact is not None:
        body["contactKeys"] = [contact]
    response = api.post(HISTORY, params={"$pageSize": 10000, "$orderBy": "TransactionTime asc"}, json=body)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def path_of(api: Api, contact: str) -> list[tuple[str, str]]:
    """A contact's history as (activity key, status) pairs, oldest first."""
    return [(row["activityKey"], row["status"]) for row in history(api, contact)]


def membership(api: Api, *contacts: str) -> dict[str, Any]:
    response = api.post(f"{BASE}/contactMembership", json={"ContactKeyList": list(contacts)})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["results"]
    return result


def outbox(case: ControlCase, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = case.admin.ok("GET", "/outbox", params={"mid": case.api.mid, **query})[
        "items"
    ]
    return items
