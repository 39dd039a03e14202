"""`journeystack validate` gives the verdict the server gives: every journey fixture, and broken
variants of them, checked offline and then saved and published on journeystack (the plugin's
server), with the same problems at the same JSON paths.

Event definitions exist only on a server, so each case says which exist: offline they are the
known keys (`--event`), on the server they are created before the journey is saved."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from journeystack.domain.outbound import OutboundPolicy
from journeystack.files.validate import KnownEvents, validate_bytes
from journeystack.testing import Journeystack
from tests.control_plane import run_cli
from tests.support import FIXTURES

NORTHWIND = "*.northwind.example"  # the hosts the fixtures' custom activities call
JOURNEY_FILES = sorted(FIXTURES.glob("[0-9][0-9]-*.json"))
EVENTS = json.loads((FIXTURES / "_event_definitions.json").read_text())
EVENT_KEYS = [e["eventDefinitionKey"] for e in EVENTS]


def _no_activities(doc: dict[str, Any]) -> None:
    doc["activities"] = []


def _unknown_next(doc: dict[str, Any]) -> None:
    doc["activities"][0]["outcomes"][0]["next"] = "NOWHERE"


def _bad_wait(doc: dict[str, Any]) -> None:
    wait = next(a for a in doc["activities"] if a["type"] == "WAIT")
    wait["configurationArguments"]["waitUnit"] = "FORTNIGHTS"


def _unparsable_goal(doc: dict[str, Any]) -> None:
    doc["goals"] = [{"key": "GOAL", "name": "Goal", "type": "GOAL",
                     "configurationArguments": {"criteria": "<FilterDefinition><ConditionSet>"}}]  # fmt: skip


def _entry_mode_not_set(doc: dict[str, Any]) -> None:
    doc["entryMode"] = "NotSet"


def _no_event_reference(doc: dict[str, Any]) -> None:
    doc["triggers"][0]["metaData"].pop("eventDefinitionKey")


def _not_configured(doc: dict[str, Any]) -> None:
    doc["activities"][1].setdefault("metaData", {})["isConfigured"] = False


def _loop(doc: dict[str, Any]) -> None:
    doc["activities"][-1]["outcomes"][0]["next"] = doc["activities"][0]["key"]


def _no_name(doc: dict[str, Any]) -> None:
    del doc["name"]


def _bad_trigger_criteria(doc: dict[str, Any]) -> None:
    doc["triggers"][0].setdefault("configurationArguments", {})["criteria"] = "<FilterDefinition"


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "no-activities": _no_activities, "unknown-next": _unknown_next, "bad-wait": _bad_wait,
    "unparsable-goal": _unparsable_goal, "entry-mode-not-set": _entry_mode_not_set,
    "no-event-reference": _no_event_reference, "not-configured": _not_configured, "loop": _loop,
    "no-name": _no_name, "bad-trigger-criteria": _bad_trigger_criteria,
}  # fmt: skip

# Mutations SFMC publishes, so journeystack only warns about them (issue 13 item 8): the code warned.
WARNING_ONLY = {"entry-mode-not-set": "121106"}

CASES = (
    [pytest.param(path.name, None, True, id=f"{path.stem}") for path in JOURNEY_FILES]
    + [pytest.param(path.name, None, False, id=f"{path.stem}-without-its-event") for path in JOURNEY_FILES]
    + [
        pytest.param(JOURNEY_FILES[i % len(JOURNEY_FILES)].name, name, True, id=f"{name}")
        for i, name in enumerate(MUTATIONS)
    ]
)


def server_verdict(
    journeystack: Journeystack, body: dict[str, Any]
) -> tuple[str | None, set[tuple[str, str]], set[tuple[str, str]]]:
    """(refused on: None, "save" or "publish"; errors; warnings) of saving and publishing on the server."""
    saved = journeystack.http.post("/interaction/v1/interactions", json=body, headers=journeystack.headers)
    if saved.status_code == 400:
        problems = saved.json()["validationErrors"]
        return "save", {(str(p["errorcode"]), p.get("path", "")) for p in problems}, set()
    assert saved.status_code == 200, saved.text
    client = journeystack.client()
    status = client.journeys.validate(saved.json()["id"], 1, poll_interval=0.02)

    def found(items: Any) -> set[tuple[str, str]]:
        return {(p.error_code, (p.additional_info or {}).get("path", "")) for p in items}

    return ("publish" if status.errors else None), found(status.errors), found(status.warnings)


@pytest.mark.parametrize(("fixture", "mutation", "events_exist"), CASES)
def test_offline_verdict_is_the_servers(
    journeystack: Journeystack, fixture: str, mutation: str | None, events_exist: bool
) -> None:
    document = json.loads((FIXTURES / fixture).read_text())
    if mutation is not None:
        MUTATIONS[mutation](document)
    known = KnownEvents(EVENT_KEYS if events_exist else [])
    if events_exist:
        for event in EVENTS:
            body = {**event, "dataExtensionId": "8a1e7c6e-0000-4000-8000-00000000de01"}
            journeystack.http.post(
                "/interaction/v1/eventDefinitions", json=body, headers=journeystack.headers
            )

    offline = validate_bytes(fixture, orjson.dumps(document), known)
    refused_on, errors, warnings = server_verdict(journeystack, document)

    assert offline.refused_on == refused_on
    assert {(f.code, f.path) for f in offline.errors} == errors
    assert {(f.code, f.path) for f in offline.warnings} == warnings
    if mutation is None:
        # Four fixtures' custom activities call hosts of northwind.example, which neither the
        # server nor the command may call by default (121113).
        expected = ({"121102"} if not events_exist else set()) | (
            {"121113"} if _calls_northwind(document) else set()
        )
        assert {f.code for f in offline.errors} == expected
        assert offline.valid is not expected
    elif mutation in WARNING_ONLY:
        # Only a warning; the fixture's own northwind.example calls (121113) stay its only errors.
        assert WARNING_ONLY[mutation] in {f.code for f in offline.warnings}
        assert {f.code for f in offline.errors} == ({"121113"} if _calls_northwind(document) else set())
    else:
        assert not offline.valid


def _calls_northwind(document: dict[str, Any]) -> bool:
    """Whether a custom activity of the journey calls a host of northwind.example."""
    return any(
        str(a.get("type")).upper() in ("REST", "RESTDECISION") and ".northwind.example" in json.dumps(a)
        for a in document["activities"]
    )


def test_the_mutations_reach_every_stage() -> None:
    stages = {}
    allowed = OutboundPolicy.parse(NORTHWIND)
    for index, name in enumerate(MUTATIONS):
        document = json.loads(JOURNEY_FILES[index % len(JOURNEY_FILES)].read_text())
        MUTATIONS[name](document)
        verdict = validate_bytes(name, orjson.dumps(document), KnownEvents(EVENT_KEYS), outbound=allowed)
        stages[name] = (verdict.refused_on, sorted({f.code for f in verdict.errors or verdict.warnings}))
    assert stages == {
        "no-activities": ("publish", ["121103"]), "unknown-next": ("save", ["121016"]),
        "bad-wait": ("save", ["121031"]), "unparsable-goal": ("publish", ["121112"]),
        "entry-mode-not-set": (None, ["121106"]), "no-event-reference": ("publish", ["121101"]),
        "not-configured": ("publish", ["121107"]), "loop": ("publish", ["121104"]),
        "no-name": ("save", ["10002"]), "bad-trigger-criteria": ("publish", ["121112"]),
    }  # fmt: skip


def test_the_command_prints_problems_with_their_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [str(p) for p in JOURNEY_FILES]
    events = [arg for key in EVENT_KEYS for arg in ("--event", key)]

    # As a server would, the command refuses custom activities' hosts off the allow-list.
    status, out, _ = run_cli("validate", *files, *events)
    assert status == 1 and out.splitlines()[-1] == "10 journey file(s): 6 valid, 4 with errors"
    assert (
        "  error 121113 at arguments.execute.url: activity 'REST-1': arguments.execute.url cannot be called"
        in out
    )
    monkeypatch.setenv("JOURNEYSTACK_OUTBOUND_ALLOW", NORTHWIND)

    status, out, err = run_cli("validate", *files, *events)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "10 journey file(s): 10 valid, 0 with errors"
    assert f"{files[0]} (welcome-series): ok" in out

    status, out, _ = run_cli("validate", *files)
    assert status == 0 and out.splitlines()[-1] == (
        "event definitions were not checked: none is known (name them with --event KEY, or pass their files)"
    )

    broken = json.loads(JOURNEY_FILES[0].read_text())
    _unknown_next(broken)
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    missing_event = copy.deepcopy(json.loads(JOURNEY_FILES[1].read_text()))
    (tmp_path / "cart.json").write_text(json.dumps(missing_event))
    (tmp_path / "list.json").write_text("[]")
    args = [str(tmp_path / n) for n in ("broken.json", "cart.json", "list.json")]

    status, out, _ = run_cli("validate", *args, "--event", EVENT_KEYS[0])
    assert status == 1
    assert out.splitlines() == [
        f"{tmp_path / 'broken.json'} (welcome-series): would be refused on save, 1 error(s)",
        "  error 121016 at activities[0].outcomes[0].next: activities[0] (key 'EMAILV2-1'): outcomes[0].next "
        "'NOWHERE' names no activity in this journey",
        f"{tmp_path / 'cart.json'} (abandoned-cart): would not publish, 1 error(s)",
        "  error 121102 at triggers[0].metaData.eventDefinitionKey: triggers[0] (key 'TRIGGER'): the entry "
        "event's event definition (key 'APIEvent-d1784030-35c9-48c4-a68d-c8f46a423cf9') does not exist",
        f"{tmp_path / 'list.json'}: would be refused on save, 1 error(s)",
        "  error 10001 at $: The request body must be a JSON object.",
        "3 journey file(s): 0 valid, 3 with errors",
    ]

    status, out, _ = run_cli("validate", *args, "--event", EVENT_KEYS[0], "--format", "json")
    report = json.loads(out)
    assert status == 1 and report["valid"] is False
    assert report["eventDefinitions"] == {"checked": True, "known": [EVENT_KEYS[0]]}
    assert report["files"][0] == {
        "file": str(tmp_path / "broken.json"), "key": "welcome-series", "version": None, "valid": False,
        "refusedOn": "save", "warnings": [],
        "errors": [{"code": "121016", "path": "activities[0].outcomes[0].next",
                    "message": "activities[0] (key 'EMAILV2-1'): outcomes[0].next 'NOWHERE' names no activity in this journey"}],
    }  # fmt: skip

    status, _, err = run_cli("validate", str(tmp_path / "nothing.json"))
    assert (status, err) == (2, f"journeystack validate: {tmp_path / 'nothing.json'}: no such file\n")


def test_an_export_directory_validates_with_its_own_event_definitions(
    journeystack: Journeystack, tmp_path: Path
) -> None:
    client = journeystack.client()
    client.event_definitions.create({**EVENTS[0], "dataExtensionId": "de"})
    client.journeys.create(json.loads(JOURNEY_FILES[0].read_text()))
    client.journeys.create(json.loads(JOURNEY_FILES[1].read_text()))  # its event is not exported
    assert run_cli("export", str(tmp_path), "--url", journeystack.url)[0] == 0

    status, out, _ = run_cli("validate", str(tmp_path), "--format", "json")

    report = json.loads(out)
    assert status == 1 and report["eventDefinitions"] == {"checked": True, "known": [EVENT_KEYS[0]]}
    assert [(f["key"], f["version"], f["valid"]) for f in report["files"]] == [
        ("abandoned-cart", 1, False), ("welcome-series", 1, True),
    ]  # fmt: skip
    assert [e["code"] for e in report["files"][0]["errors"]] == ["121102"]
