"""Deterministic, realistic journey bodies: a trigger, 5-8 activities (waits, splits, emails), a goal.

Journey `i` takes its shape from one of `SHAPES` templates (chosen by `i % SHAPES`, each built from
its own seeded RNG) and its key and name from `i`, so a million distinct journeys cost no more to
make than a thousand, and the seeder and the load generator agree on every body without talking.
"""

from __future__ import annotations

import copy
import random
import uuid
from functools import lru_cache
from typing import Any

SEED = 20240601
SHAPES = 256
MID = 1000001
KEY_PREFIX = "bench-"

_WORDS = (
    "welcome onboarding winback loyalty renewal cart abandoned browse birthday anniversary upsell "
    "nurture reactivation survey webinar trial upgrade referral feedback seasonal launch vip"
).split()
_WAIT_UNITS = ("MINUTES", "HOURS", "DAYS", "WEEKS")
_ENTRY_MODES = ("MultipleEntries", "OnceAndDone", "SingleEntryAcrossAllVersions")
_OPERATORS = ("Equal", "NotEqual", "GreaterThan", "LessThan", "Contains")


def journey_key(index: int) -> str:
    return f"{KEY_PREFIX}{index:07d}"


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _title(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS).capitalize() for _ in range(words))


def _filter_xml(rng: random.Random, event_key: str) -> str:
    field = rng.choice(("Tier", "Country", "LastPurchaseDays", "Segment", "OptInStatus"))
    value = rng.choice(("Gold", "DE", "30", "B2C", "true", "Platinum"))
    return (
        '<FilterDefinition><ConditionSet Operator="AND">'
        f'<Condition Key="Event.{event_key}.&quot;{field}&quot;" Operator="{rng.choice(_OPERATORS)}">'
        f"<Value><![CDATA[{value}]]></Value></Condition>"
        "</ConditionSet></FilterDefinition>"
    )


def _wait(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "key": f"WAITBYDURATION-{n}",
        "name": "",
        "type": "WAIT",
        "outcomes": [{"key": f"wait-{n}-out", "next": None}],
        "configurationArguments": {"waitDuration": rng.randint(1, 14), "waitUnit": rng.choice(_WAIT_UNITS)},
        "metaData": {"isConfigured": True, "uiType": "WAITBYDURATION"},
    }


def _email(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "key": f"EMAILV2-{n}",
        "name": f"{_title(rng, 2)} Email",
        "type": "EMAILV2",
        "outcomes": [{"key": f"email-{n}-out", "next": None}],
        "configurationArguments": {
            "applicationExtensionKey": "jb-email-activity",
            "triggeredSend": {
                "emailId": rng.randint(10000, 99999),
                "emailSubject": f"{_title(rng, 3)} for %%FirstName%%",
                "sendClassificationId": _guid(rng),
                "isMultipart": True,
                "isTrackingClicks": True,
                "autoAddSubscribers": True,
            },
        },
        "metaData": {"isConfigured": True, "category": "message"},
    }


def _random_split(rng: random.Random, n: int) -> dict[str, Any]:
    branches = rng.randint(2, 3)
    first = rng.randint(10, 90 - 10 * (branches - 2))
    shares = (
        [first, 100 - first]
        if branches == 2
        else [first, (100 - first) // 2, 100 - first - (100 - first) // 2]
    )
    return {
        "key": f"RANDOMSPLIT-{n}",
        "name": "Random Split",
        "type": "RANDOMSPLIT",
        "outcomes": [
            {"key": f"split-{n}-{b}", "next": None, "arguments": {"percentage": share}}
            for b, share in enumerate(shares)
        ],
        "metaData": {"isConfigured": True},
    }


def _decision(rng: random.Random, n: int, event_key: str) -> dict[str, Any]:
    outcome = f"decision-{n}-0"
    return {
        "key": f"MULTICRITERIADECISION-{n}",
        "name": "Decision Split",
        "type": "MULTICRITERIADECISION",
        "outcomes": [
            {"key": outcome, "next": None, "metaData": {"label": "Matches"}},
            {"key": "remainder_path", "next": None, "metaData": {"label": "Remainder"}},
        ],
        "configurationArguments": {"criteria": {outcome: _filter_xml(rng, event_key)}},
        "metaData": {"isConfigured": True},
    }


def _chain(activities: list[dict[str, Any]]) -> None:
    """Point every outcome at the next activity (branches merge again), the last one at nothing."""
    for here, there in zip(activities, activities[1:], strict=False):
        for outcome in here["outcomes"]:
            outcome["next"] = there["key"]


@lru_cache(maxsize=SHAPES)
def _shape(shape: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed * 1_000_003 + shape)
    event_key = f"DEAudience-{_guid(rng)[:8]}"
    kinds = ["WAIT", "RANDOMSPLIT", "MULTICRITERIADECISION", "EMAILV2"]
    for _ in range(rng.randint(1, 4)):
        kinds.append("EMAILV2" if kinds.count("EMAILV2") < 2 and rng.random() < 0.5 else "WAIT")
    rng.shuffle(kinds)
    kinds.insert(0, kinds.pop(kinds.index("EMAILV2")))  # journeys usually open with a send
    activities: list[dict[str, Any]] = []
    for n, kind in enumerate(kinds, start=1):
        if kind == "WAIT":
            activities.append(_wait(rng, n))
        elif kind == "EMAILV2":
            activities.append(_email(rng, n))
        elif kind == "RANDOMSPLIT":
            activities.append(_random_split(rng, n))
        else:
            activities.append(_decision(rng, n, event_key))
    _chain(activities)
    return {
        "name": _title(rng, 3),
        "description": f"{_title(rng, 4)} journey.",
        "workflowApiVersion": 1.0,
        "entryMode": rng.choice(_ENTRY_MODES),
        "definitionType": "Multistep",
        "triggers": [
            {
                "key": "TRIGGER",
                "name": "Entry",
                "type": "EmailAudience",
                "eventDefinitionKey": event_key,
                "arguments": {},
                "configurationArguments": {},
                "metaData": {"eventDefinitionKey": event_key, "eventDefinitionId": _guid(rng), "chainType": "None"},
            }
        ],
        "goals": [
            {
                "key": "GOAL",
                "name": f"{_title(rng, 2)} Goal",
                "type": "Event",
                "arguments": {},
                "configurationArguments": {"criteria": _filter_xml(rng, event_key)},
                "metaData": {"conversionUnit": "percentage", "conversionValue": str(rng.randint(5, 60)), "isExitCriteria": False},
            }
        ],
        "activities": activities,
        "exits": [],
        "defaults": {"email": [f'{{{{Event.{event_key}."EmailAddress"}}}}'], "properties": {}},
        "metaData": {"dataSource": "ContactsModel"},
        "executionMode": "Production",
    }  # fmt: skip


def journey_name(index: int, *, seed: int = SEED) -> str:
    return f"{_shape(index % SHAPES, seed)['name']} {index}"


def journey_body(index: int, *, seed: int = SEED) -> dict[str, Any]:
    """The POST body of journey `index`: always the same for the same (index, seed). A fresh copy."""
    body = copy.deepcopy(_shape(index % SHAPES, seed))
    body.pop("name")
    return {"key": journey_key(index), "name": journey_name(index, seed=seed), **body}


def flip(body: dict[str, Any], revision: int) -> dict[str, Any]:
    """`body` with the last email's subject set to revision 0 or 1: the field a PUT alternates.

    It sits at the end of the Journey Spec document, so detecting the change compares all of it.
    """
    changed = copy.deepcopy(body)
    email = next(a for a in reversed(changed["activities"]) if a["type"] == "EMAILV2")
    send = email["configurationArguments"]["triggeredSend"]
    send["emailSubject"] = f"{send['emailSubject'].split(' [rev ')[0]} [rev {revision}]"
    return changed
