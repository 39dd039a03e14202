"""Journeys the console tests draw: a welcome series (wait, random split, emails), its second
version, and a 50-activity journey (the size the console's speed target names)."""

from __future__ import annotations

from typing import Any

EVENT_KEY = "APIEvent-console"


def event(key: str = EVENT_KEY, name: str = "Console sign-up") -> dict[str, Any]:
    return {
        "type": "APIEvent", "name": name, "eventDefinitionKey": key,
        "schema": {"fields": [{"name": "Email", "dataType": "EmailAddress", "isNullable": False},
                              {"name": "FirstName", "dataType": "Text"}]},
    }  # fmt: skip


EVENT = event()
TIER_CRITERIA = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Grouping">'
    '<Condition Key="Crm.Tier" Operator="Equal"><Value><![CDATA[gold]]></Value></Condition>'
    "</ConditionSet></FilterDefinition>"
)


def welcome(*, tip_subject: str = "A week in: a tip", second_wait_weeks: int = 1, key: str = "welcome-series",
            name: str = "Welcome series", event_key: str = EVENT_KEY) -> dict[str, Any]:  # fmt: skip
    """Wait a day, split A/B at random, send one of two welcome emails, wait, send a tip."""
    email = "{{Event." + event_key + '."Email"}}'
    return {
        "key": key, "name": name, "workflowApiVersion": 1.0, "entryMode": "MultipleEntries",
        "defaults": {"email": [email]},
        "triggers": [{"key": "TRIGGER", "name": "Sign-up", "type": "APIEvent",
                      "metaData": {"eventDefinitionKey": event_key}}],
        "activities": [
            {"key": "WAIT-1", "name": "Wait a day", "type": "WAIT", "outcomes": [{"key": "w1", "next": "SPLIT"}],
             "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}},
            {"key": "SPLIT", "name": "A/B test", "type": "RANDOMSPLIT", "outcomes": [
                {"key": "a", "next": "EMAIL-A", "arguments": {"percentage": 50}, "metaData": {"label": "A"}},
                {"key": "b", "next": "EMAIL-B", "arguments": {"percentage": 50}, "metaData": {"label": "B"}}]},
            {"key": "EMAIL-A", "name": "Welcome email A", "type": "EMAILV2", "outcomes": [{"key": "ea", "next": "WAIT-2"}],
             "configurationArguments": {"triggeredSend": {"emailSubject": "Welcome aboard!"}}},
            {"key": "EMAIL-B", "name": "Welcome email B", "type": "EMAILV2", "outcomes": [{"key": "eb", "next": "WAIT-2"}],
             "configurationArguments": {"triggeredSend": {"emailSubject": "Hello, and welcome"}}},
            {"key": "WAIT-2", "name": "Wait for the tip", "type": "WAIT", "outcomes": [{"key": "w2", "next": "EMAIL-TIP"}],
             "configurationArguments": {"waitDuration": second_wait_weeks, "waitUnit": "WEEKS"}},
            {"key": "EMAIL-TIP", "name": "Tip email", "type": "EMAILV2", "outcomes": [{"key": "et", "next": None}],
             "configurationArguments": {"triggeredSend": {"emailSubject": tip_subject}}},
        ],
    }  # fmt: skip


def large(activities: int = 50, *, key: str = "large-journey") -> dict[str, Any]:
    """`activities` activities: waits, emails and decision splits whose paths join again."""
    items: list[dict[str, Any]] = []
    index = 0

    def name(i: int) -> str:
        return f"STEP-{i}"

    while index < activities:
        kind = index % 5
        nxt = name(index + 1) if index + 1 < activities else None
        if kind == 2 and index + 3 < activities:
            items.append({"key": name(index), "name": f"Tier split {index}", "type": "MULTICRITERIADECISION",
                          "outcomes": [{"key": f"gold-{index}", "next": name(index + 1), "metaData": {"label": "Gold"}},
                                       {"key": f"rest-{index}", "next": name(index + 2), "metaData": {"label": "Others"}}],
                          "configurationArguments": {"criteria": {f"gold-{index}": TIER_CRITERIA}}})  # fmt: skip
            items.append({"key": name(index + 1), "name": f"Gold email {index}", "type": "EMAILV2",
                          "outcomes": [{"key": f"g-{index}", "next": name(index + 3)}],
                          "configurationArguments": {"triggeredSend": {"emailSubject": f"Gold news {index}"}}})  # fmt: skip
            items.append({"key": name(index + 2), "name": f"Standard email {index}", "type": "EMAILV2",
                          "outcomes": [{"key": f"s-{index}", "next": name(index + 3)}],
                          "configurationArguments": {"triggeredSend": {"emailSubject": f"News {index}"}}})  # fmt: skip
            index += 3
            continue
        if kind in (0, 3):
            items.append({"key": name(index), "name": f"Wait {index}", "type": "WAIT", "outcomes": [{"key": f"o-{index}", "next": nxt}],
                          "configurationArguments": {"waitDuration": 1 + index % 3, "waitUnit": "DAYS"}})  # fmt: skip
        else:
            items.append({"key": name(index), "name": f"Email {index}", "type": "EMAILV2", "outcomes": [{"key": f"o-{index}", "next": nxt}],
                          "configurationArguments": {"triggeredSend": {"emailSubject": f"Message {index}"}}})  # fmt: skip
        index += 1
    body = welcome(key=key, name="Large journey")
    body["activities"] = items
    return body
