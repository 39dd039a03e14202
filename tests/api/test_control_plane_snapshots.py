"""Snapshots: export, reset, import back gives byte-identical answers; bad documents change nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.control_plane import ControlCase, assert_refused
from tests.support import BASE, Api, create_event, publishable_journey, wait_for_operation

EVENTS = "/interaction/v1/eventDefinitions"


def populate(case: ControlCase) -> list[str]:
    """Journeys in several states (published through an operation, drafts, two versions, deleted),
    an event definition and audit entries, in both business units; returns extra paths to read."""
    api = case.api
    create_event(api, "APIEvent-cp")
    published = api.post(BASE, json=publishable_journey("published", "APIEvent-cp")).json()
    started = api.post(f"{BASE}/publishAsync/{published['id']}?versionNumber=1", json={})
    assert started.status_code == 200, started.text
    assert wait_for_operation(api, started.json()["statusUrl"])["status"] == "PublishCompleted"
    api.post(BASE, json=publishable_journey("published", "APIEvent-cp"))  # version 2, a Draft
    api.create("draft", description="a draft with ünïcode ✓", activities=[], metaData={"n": [1, 2.5, None]})
    api.create("deleted")
    assert api.delete(f"{BASE}/key:deleted").status_code == 200
    case.other.create("other-unit")
    return [started.json()["statusUrl"]]


def observe(case: ControlCase, extra: list[str] | None = None) -> dict[str, bytes]:
    """The raw bytes of every GET a client could make about the state, per business unit."""
    seen: dict[str, bytes] = {}

    def read(api: Api, path: str) -> None:
        response = api.get(path)
        assert response.status_code == 200, (path, response.text)
        seen[f"{api.mid} {path}"] = response.content

    for api in (case.api, case.other):
        read(api, f"{BASE}?mostRecentVersionOnly=false&$orderBy=Name&extras=all")
        read(api, BASE)
        read(api, EVENTS)
        for item in api.get(f"{BASE}?mostRecentVersionOnly=false").json()["items"]:
            if item["status"] == "Deleted":
                continue
            read(api, f"{BASE}/{item['id']}?versionNumber={item['version']}")
            read(api, f"{BASE}/key:{item['key']}?versionNumber={item['version']}")
            read(api, f"{BASE}/{item['id']}/audit/all")
        for path in extra or []:
            if api is case.api:
                read(api, path)
    return seen


def test_snapshot_reset_import_gives_byte_identical_answers(cp: ControlCase) -> None:
    extra = populate(cp)
    before = observe(cp, extra)
    snapshot = cp.admin.get("/snapshot")
    assert snapshot.status_code == 200
    assert cp.admin.get("/snapshot").content == snapshot.content  # deterministic

    cp.admin.ok("POST", "/reset")
    assert cp.api.get(BASE).json()["count"] == 0
    answer = cp.admin.ok("POST", "/snapshot", content=snapshot.content)
    assert answer["scope"] == {"mid": None}
    assert answer["inserted"]["journeys"] == 5 and answer["inserted"]["event_definitions"] == 1
    assert answer["inserted"]["operations"] == 1 and answer["kept"] == ["tokens"]

    assert observe(cp, extra) == before  # the same tokens still work: imports keep them
    assert cp.admin.get("/snapshot").content == snapshot.content


def test_enum_members_sent_in_any_case_are_kept_in_sfmc_spelling_and_round_trip(cp: ControlCase) -> None:
    # Found by schemathesis: `onceanddone` was accepted and kept as sent, so the engine ran the
    # journey as SingleEntryAcrossAllVersions and the store's own snapshot was refused on import.
    created = cp.api.create("cased", entryMode="onceanddone", definitionType="MULTISTEP")
    assert (created["entryMode"], created["definitionType"]) == ("OnceAndDone", "Multistep")
    stored = cp.api.get(f"{BASE}/key:cased").json()
    assert (stored["entryMode"], stored["definitionType"]) == ("OnceAndDone", "Multistep")
    update = {**created, "entryMode": "ONCEANDDONE", "definitionType": "multistep"}
    assert cp.api.put(BASE, json=update).status_code == 304  # the same values: no change
    snapshot = cp.admin.get("/snapshot").content
    cp.admin.ok("POST", "/reset")
    cp.admin.ok("POST", "/snapshot", content=snapshot)
    assert cp.api.get(f"{BASE}/key:cased").json() == stored


def test_snapshot_document_shape(cp: ControlCase) -> None:
    cp.api.create("one")
    document = cp.admin.ok("GET", "/snapshot")
    assert list(document) == ["format", "format_version", "scope", "tables"]
    assert document["format"] == "journeystack-snapshot" and document["format_version"] == 1
    assert "tokens" not in document["tables"]
    assert set(document["tables"]) >= {"journeys", "event_definitions", "operations", "audit_entries"}
    (row,) = document["tables"]["journeys"]
    assert "pk" not in row  # a surrogate key, numbered again on import
    assert row["mid"] == cp.api.mid and row["key"] == "one" and row["status"] == "Draft"
    assert isinstance(row["spec"], str) and row["is_head"] is True


def test_a_business_unit_snapshot_covers_only_it_and_replaces_only_it(cp: ControlCase) -> None:
    extra = populate(cp)
    mine = cp.admin.get("/snapshot", params={"mid": cp.api.mid})
    document = mine.json()
    assert document["scope"] == {"mid": cp.api.mid}
    assert all(row["mid"] == cp.api.mid for rows in document["tables"].values() for row in rows)
    before = observe(cp, extra)

    cp.admin.ok("POST", "/reset", params={"mid": cp.api.mid})
    # Meanwhile the other unit takes the row numbers the snapshot's rows had.
    cp.other.create("taken-1")
    cp.other.create("taken-2")
    others = observe(cp)
    answer = cp.admin.ok("POST", "/snapshot", content=mine.content)
    assert answer["scope"] == {"mid": cp.api.mid} and answer["deleted"]["journeys"] == 0

    after = observe(cp, extra)
    assert {k: v for k, v in after.items() if k.startswith(str(cp.api.mid))} == {
        k: v for k, v in before.items() if k.startswith(str(cp.api.mid))
    }
    assert {k: v for k, v in after.items() if k.startswith(str(cp.other.mid))} == {
        k: v for k, v in others.items() if k.startswith(str(cp.other.mid))
    }
    assert cp.admin.get("/snapshot", params={"mid": cp.api.mid}).content == mine.content


def test_import_expecting_a_business_unit_refuses_another_scope(cp: ControlCase) -> None:
    cp.api.create("a")
    whole = cp.admin.get("/snapshot").content
    mine = cp.admin.get("/snapshot", params={"mid": cp.api.mid}).content
    body = assert_refused(cp.admin.post("/snapshot", params={"mid": cp.api.mid}, content=whole), 400, 90002)
    assert body["message"].endswith(f"The snapshot covers the whole store, not business unit {cp.api.mid}.")
    assert_refused(cp.admin.post("/snapshot", params={"mid": cp.other.mid}, content=mine), 400, 90002)
    assert cp.admin.post("/snapshot", params={"mid": cp.api.mid}, content=mine).status_code == 200


def _journey_row(document: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = document["tables"]["journeys"][0]
    return row


def _bad_documents(document: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(what is wrong, the document, a fragment of the message naming it)."""

    def changed(change: Any) -> dict[str, Any]:
        bad = copy.deepcopy(document)
        change(bad)
        return bad

    def second_copy(d: dict[str, Any]) -> None:
        d["tables"]["journeys"].append(dict(_journey_row(d), key="copy"))  # same definition_id

    return [
        ("not a snapshot", {"hello": "world"}, "format must be 'journeystack-snapshot'"),
        ("newer format", changed(lambda d: d.update(format_version=2)), "format_version 2 is not supported"),
        ("no scope", changed(lambda d: d.pop("scope")), "scope must be an object"),
        ("tables a list", changed(lambda d: d.update(tables=[])), "tables must be an object"),
        ("unknown table", changed(lambda d: d["tables"].update(contacts=[])), "tables.contacts is not a table"),
        ("tokens", changed(lambda d: d["tables"].update(tokens=[])), "tables.tokens is not a table"),
        ("rows not a list", changed(lambda d: d["tables"].update(journeys={})), "tables.journeys must be a list"),
        ("row not an object", changed(lambda d: d["tables"]["journeys"].append(7)), "must be an object of column values"),
        ("unknown column", changed(lambda d: _journey_row(d).update(colour="red")),
         "tables.journeys[0].colour is not a column of journeys"),
        ("surrogate key", changed(lambda d: _journey_row(d).update(pk=1)), "tables.journeys[0].pk is not a column"),
        ("missing column", changed(lambda d: _journey_row(d).pop("key")), "tables.journeys[0].key is required"),
        ("wrong type", changed(lambda d: _journey_row(d).update(version="1")),
         "tables.journeys[0].version must be a whole number"),
        ("bool for int", changed(lambda d: _journey_row(d).update(version=True)), "must be a whole number"),
        ("null", changed(lambda d: _journey_row(d).update(name=None)), "tables.journeys[0].name must not be null"),
        ("too long", changed(lambda d: _journey_row(d).update(key="k" * 201)), "is longer than 200 characters"),
        ("int overflow", changed(lambda d: _journey_row(d).update(version=2**40)), "out of range"),
        ("not a bool", changed(lambda d: _journey_row(d).update(is_head="yes")), "must be true or false"),
        ("duplicate id", changed(second_copy), "uniqueness rule"),
    ]  # fmt: skip


def test_a_bad_snapshot_is_refused_and_nothing_changes(cp: ControlCase) -> None:
    populate(cp)
    good = cp.admin.ok("GET", "/snapshot")
    cp.admin.ok("POST", "/reset", params={"mid": cp.other.mid})
    state_before = cp.admin.get("/snapshot").content
    reads_before = observe(cp)
    for what, document, fragment in _bad_documents(good):
        response = cp.admin.post("/snapshot", json=document)
        body = assert_refused(response, 400, 90002)
        assert body["message"].startswith("The snapshot was refused, nothing was changed: "), what
        assert fragment in body["message"], (what, body["message"])
        assert body["validationErrors"][0]["message"] in body["message"]
        assert cp.admin.get("/snapshot").content == state_before, what
    assert observe(cp) == reads_before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "must be a JSON object"), (b"{not json", "not valid JSON"), (b"[]", "must be a JSON object")],
)
def test_a_snapshot_that_is_not_a_json_object_is_refused(
    cp: ControlCase, content: bytes, fragment: str
) -> None:
    cp.api.create("kept")
    before = cp.admin.get("/snapshot").content
    body = assert_refused(cp.admin.post("/snapshot", content=content), 400, 90002)
    assert fragment in body["message"]
    assert cp.admin.get("/snapshot").content == before


def test_every_problem_is_named_up_to_a_limit(cp: ControlCase) -> None:
    cp.api.create("a")
    document = cp.admin.ok("GET", "/snapshot")
    row = _journey_row(document)
    document["tables"]["journeys"] = [dict(row, version="x", name=None) for _ in range(30)]
    body = assert_refused(cp.admin.post("/snapshot", json=document), 400, 90002)
    assert len(body["validationErrors"]) == 20
    assert body["validationErrors"][1]["path"] == "tables.journeys[0].name"
    assert body["message"].endswith("(and 19 more in validationErrors)")


def test_a_snapshot_of_a_business_unit_with_a_row_of_another_is_refused(cp: ControlCase) -> None:
    cp.api.create("a")
    document = cp.admin.ok("GET", "/snapshot", params={"mid": cp.api.mid})
    _journey_row(document)["mid"] = cp.other.mid
    body = assert_refused(cp.admin.post("/snapshot", json=document), 400, 90002)
    assert f"tables.journeys[0].mid must be {cp.api.mid}" in body["message"]


def test_tables_left_out_of_a_snapshot_are_emptied(cp: ControlCase) -> None:
    cp.api.create("a")
    seed = {"format": "journeystack-snapshot", "format_version": 1, "scope": {"mid": None}, "tables": {}}
    answer = cp.admin.ok("POST", "/snapshot", json=seed)
    assert answer["deleted"]["journeys"] == 1 and set(answer["inserted"].values()) == {0}
    assert cp.api.get(BASE).json()["count"] == 0


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("spec", "not json", "spec must be the JSON text of an object"),
        ("spec", "[1, 2]", "spec must be the JSON text of an object"),
        ("status", "Running", "status must be one of Draft"),
        ("entry_mode", "Sometimes", "entry_mode must be one of"),
        ("pause_options", "{", "pause_options must be the JSON text of an object"),
        ("name", "a\x00b", "NUL"),
    ],
)
def test_rows_the_api_cannot_read_back_refuse_the_whole_snapshot(
    cp: ControlCase, column: str, value: str, fragment: str
) -> None:
    """Issue 12 §7: a bad spec or status used to be stored, and the whole list answered 500."""
    cp.api.create("kept")
    document = cp.admin.ok("GET", "/snapshot")
    cp.api.create("before-import")
    document["tables"]["journeys"][0][column] = value
    body = assert_refused(cp.admin.post("/snapshot", json=document), 400, 90002)
    assert fragment in body["message"], body
    assert sorted(i["key"] for i in cp.api.get(BASE).json()["items"]) == ["before-import", "kept"]
