"""Reporting: contact membership, contact exit and its status, journey history search, download,
estimate and freshness; and the control plane's clock, outbox and contact attributes."""

from __future__ import annotations

import csv
import io

import pytest

from tests.control_plane import ControlCase
from tests.runtime_support import (
    DAY,
    HISTORY,
    T0,
    T0_MS,
    Clock,
    email,
    event_definition,
    fire,
    fire_many,
    history,
    journey,
    membership,
    outbox,
    path_of,
    published,
    wait,
)
from tests.support import BASE, assert_error

KEY = "APIEvent-report"


def _two_journeys(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    Clock(cp).start_at()
    published(
        cp.api, journey("alpha", KEY, [wait("W-1", 1, "DAYS", "EMAIL-1"), email("EMAIL-1", "Hi", None)])
    )
    published(cp.api, journey("beta", KEY, [wait("W-1", 5, "DAYS", None)]))


# --- membership and exit ------------------------------------------------------------------------


def test_contact_membership_lists_live_passes_and_the_contacts_in_none(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire(cp.api, "c1", KEY)
    Clock(cp).settle()
    assert membership(cp.api, "c1", "ghost", "c1") == {
        "contactMemberships": [
            {"contactKey": "c1", "definitionKey": "alpha", "version": 1},
            {"contactKey": "c1", "definitionKey": "beta", "version": 1},
        ],
        "contactsNotFound": ["ghost"],
    }
    Clock(cp).advance("2d")  # alpha is over for c1
    assert [m["definitionKey"] for m in membership(cp.api, "c1")["contactMemberships"]] == ["beta"]
    assert membership(cp.other, "c1") == {"contactMemberships": [], "contactsNotFound": ["c1"]}  # another MID


def test_contact_membership_checks_its_body(cp: ControlCase) -> None:
    path = f"{BASE}/contactMembership"
    assert_error(
        cp.api.post(path, json={}), 400, 10002, "ContactKeyList is required: an array of contact keys."
    )
    too_many = {"ContactKeyList": [f"c{i}" for i in range(51)]}
    assert_error(
        cp.api.post(path, json=too_many), 400, 10005, "ContactKeyList holds at most 50 contact keys."
    )
    assert_error(cp.api.post(path, json={"ContactKeyList": ["ok", 5]}), 400, 10005,
                 "ContactKeyList[1] must be a string.")  # fmt: skip


def test_contact_exit_removes_the_contact_on_the_next_engine_step(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire(cp.api, "c1", KEY)
    fire(cp.api, "c2", KEY)
    Clock(cp).settle()
    body = [{"ContactKey": "c1", "DefinitionKey": "beta"}, {"ContactKey": "c2", "DefinitionKey": "nope"}]
    response = cp.api.post(f"{BASE}/contactexit", json=body)
    assert response.status_code == 202
    assert response.json() == {"errors": [{"contactKey": "c2", "definitionKey": "nope",
                                           "status": [{"version": 1, "message": "Exit request Ignored - Invalid Interaction Name."}]}]}  # fmt: skip
    status = cp.api.post(f"{BASE}/contactexit/status", json=[{"ContactKey": "c1", "DefinitionKey": "beta"}])
    assert status.status_code == 200
    # Unless the engine thread was quicker, the request is still waiting for it.
    assert status.json()[0]["status"][0]["message"] in (
        "Exit request received for processing",
        "Exit process Completed.",
    )
    Clock(cp).settle()
    [answer] = cp.api.post(
        f"{BASE}/contactexit/status", json=[{"ContactKey": "c1", "DefinitionKey": "beta"}]
    ).json()
    assert answer["contactKey"] == "c1" and answer["definitionKey"] == "beta"
    [done] = answer["status"]
    assert done["version"] == 1 and done["message"] == "Exit process Completed."
    assert (
        done["definitionInstanceId"]
        == history(cp.api, "c1", definitionKeys=["beta"])[0]["definitionInstanceId"]
    )
    assert [m["definitionKey"] for m in membership(cp.api, "c1")["contactMemberships"]] == ["alpha"]
    assert path_of(cp.api, "c1")[-1] == ("", "Exited")
    # A contact that is not in the journey: the request is carried out and says so.
    cp.api.post(f"{BASE}/contactexit", json=[{"ContactKey": "zed", "DefinitionKey": "beta", "Versions": [1]}])
    Clock(cp).settle()
    [zed] = cp.api.post(
        f"{BASE}/contactexit/status", json=[{"ContactKey": "zed", "DefinitionKey": "beta"}]
    ).json()
    assert zed["status"] == [
        {"version": 1, "message": "Exit request Ignored - Contact not found in the journey."}
    ]


def test_a_duplicate_exit_request_is_ignored(cp: ControlCase) -> None:
    _two_journeys(cp)
    body = [{"ContactKey": "c1", "DefinitionKey": "beta"}, {"ContactKey": "c1", "DefinitionKey": "beta"}]
    errors = cp.api.post(f"{BASE}/contactexit", json=body).json()["errors"]
    assert errors == [{"contactKey": "c1", "definitionKey": "beta",
                       "status": [{"version": 1, "message": "Exit request Ignored - Duplicate Request"}]}]  # fmt: skip


def test_contact_exit_checks_its_body(cp: ControlCase) -> None:
    path = f"{BASE}/contactexit"
    assert_error(cp.api.post(path, json={"ContactKey": "c"}), 400, 10001,
                 "The body must be an array of {ContactKey, DefinitionKey, Versions}.")  # fmt: skip
    assert_error(cp.api.post(path, json=[{"ContactKey": "c"}]), 400, 10002,
                 "[0].DefinitionKey is required (the journey key).")  # fmt: skip
    assert_error(
        cp.api.post(path, json=[{"DefinitionKey": "j"}] * 51), 400, 10005, "At most 50 contacts per request."
    )
    assert_error(cp.api.post(path, json=[{"ContactKey": "c", "DefinitionKey": "j", "Versions": ["1"]}]), 400, 10005,
                 "[0].Versions must be an array of version numbers.")  # fmt: skip


# --- journey history -----------------------------------------------------------------------------------


def test_history_search_filters_and_pages(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire_many(cp.api, KEY, [(f"c{i}", {"Email": f"c{i}@x.io"}) for i in range(5)])
    Clock(cp).advance("1d")
    everything = history(cp.api)
    assert len(everything) == 5 * (2 + 5)  # beta: trigger, wait; alpha: trigger, wait, wait end, email, end
    first = cp.api.post(HISTORY, params={"$page": 1, "$pageSize": 7}, json={}).json()
    assert first["count"] == 35 and first["page"] == 1 and first["pageSize"] == 7 and len(first["items"]) == 7
    newest = first["items"][0]
    assert (
        newest["transactionTime"] == "2030-01-02T00:00:00Z"
        and newest["epochTimeInMilliseconds"] == T0_MS + DAY
    )
    assert set(newest) >= {"contactKey", "status", "clientStatus", "activityId", "activityName", "activityType",
                           "definitionId", "definitionName", "definitionInstanceId", "eventId", "message"}  # fmt: skip
    emails = history(cp.api, activityTypes=["emailv2"])
    assert len(emails) == 5 and {r["activityName"] for r in emails} == {"EMAIL-1"}
    waits = history(cp.api, statuses=["waiting"], definitionKeys=["beta"])
    assert len(waits) == 5 and {r["clientStatus"] for r in waits} == {"EnteredWait"}
    window = history(cp.api, start="2030-01-01T12:00:00Z", end=None)
    assert len(window) == 5 * 3 and all(r["epochTimeInMilliseconds"] == T0_MS + DAY for r in window)
    by_instance = history(cp.api, definitionInstanceIds=[emails[0]["definitionInstanceId"]])
    assert {r["contactKey"] for r in by_instance} == {emails[0]["contactKey"]}
    assert history(cp.other) == []


def test_history_search_checks_its_body(cp: ControlCase) -> None:
    assert_error(cp.api.post(HISTORY, json={"start": "yesterday"}), 400, 10005,
                 "start must be an ISO 8601 date such as 2024-05-04T09:30:00Z.")  # fmt: skip
    assert_error(cp.api.post(HISTORY, json={"contactKeys": "c1x" and 5}), 400, 10005,
                 "contactKeys must be an array of at most 1000 strings.")  # fmt: skip
    assert_error(cp.api.post(HISTORY, params={"$orderBy": "Name"}, json={}), 400, 10005,
                 "$orderBy must be TransactionTime asc or TransactionTime desc.")  # fmt: skip


def test_history_download_estimate_and_freshness(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire_many(cp.api, KEY, [("c1", {"Email": "c1@x.io"}), ("c2", {})])
    Clock(cp).advance("1d")
    path = f"{BASE}/journeyhistory/download"
    response = cp.api.post(path, params={"columns": "ContactKey,Status,ActivityName,TransactionTime"},
                           json={"contactKeys": ["c2"], "definitionKeys": ["alpha"]})  # fmt: skip
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["ContactKey", "Status", "ActivityName", "TransactionTime"],
        ["c2", "MetCriteria", "TRIGGER", "2030-01-01T00:00:00"],
        ["c2", "Waiting", "W-1", "2030-01-01T00:00:00"],
        ["c2", "Complete", "W-1", "2030-01-02T00:00:00"],
        ["c2", "Failed", "EMAIL-1", "2030-01-02T00:00:00"],  # no address
    ]
    default = list(csv.reader(io.StringIO(cp.api.post(path, json={}).text)))
    assert default[0] == ["TransactionTime", "ContactKey", "Status", "DefinitionId", "DefinitionName", "ActivityId",
                          "ActivityName", "ActivityType"]  # fmt: skip
    assert len(default) == 1 + 2 * 2 + 4 + 5
    assert_error(cp.api.post(path, params={"columns": "ContactKey,Shoe"}, json={}), 400, 10005,
                 "columns: 'Shoe' is not a column; known: TransactionTime, EpochTimeInMilliseconds, ContactKey, Status, "
                 "ClientStatus, DefinitionId, DefinitionName, DefinitionInstanceId, ActivityId, ActivityName, "
                 "ActivityType, EventId, Message, Id.")  # fmt: skip
    estimate = cp.api.post(f"{BASE}/journeyhistory/estimate", json={"contactKeys": ["c2"]}).json()
    assert (
        estimate["rowCount"] == 6 and estimate["fileSizeInBytes"] > estimate["compressedFileSizeInBytes"] > 0
    )
    assert cp.api.get(f"{BASE}/journeyhistory/freshness").json() == {"freshnessInSeconds": 0}


# --- the control plane: clock, outbox, contacts -----------------------------------------------------------


def test_the_clock_is_real_until_frozen_and_moves_only_forward(cp: ControlCase) -> None:
    first = cp.admin.ok("GET", "/clock")
    assert first["frozen"] is False and first["now"].endswith("Z")
    frozen = cp.admin.ok("POST", "/clock/freeze")
    assert frozen["frozen"] is True
    assert cp.admin.ok("GET", "/clock")["nowMs"] == frozen["nowMs"]
    moved = cp.admin.ok("POST", "/clock/advance", json={"by": "1d12h"})
    assert moved["to"]["nowMs"] - moved["from"]["nowMs"] == DAY * 3 // 2
    assert moved["processed"] == {"events": 0, "entries": 0, "steps": 0, "sweeps": 0, "exits": 0, "pauses": 0}
    assert cp.admin.ok("POST", "/clock/advance", json={"to": T0})["to"]["now"] == "2030-01-01T00:00:00Z"
    back = cp.admin.request("POST", "/clock/advance", json={"to": "2029-01-01T00:00:00Z"})
    assert_error(
        back,
        400,
        10005,
        "to must not be earlier than the engine's current time (the clock only moves forward).",
    )
    real = cp.admin.ok("POST", "/clock/real")
    assert real["frozen"] is False and real["nowMs"] < T0_MS


@pytest.mark.parametrize(
    ("body", "errorcode", "message"),
    [
        ({}, 10002, 'Give exactly one of "by" (a duration such as 15d) or "to" (an ISO 8601 instant).'),
        (
            {"by": "1d", "to": T0},
            10002,
            'Give exactly one of "by" (a duration such as 15d) or "to" (an ISO 8601 instant).',
        ),
        (
            {"by": "fortnight"},
            10005,
            "by must be a duration such as 15d, 1d12h, 90m or 30s (units ms, s, m, h, d, w).",
        ),
        ({"by": 15}, 10005, "by must be a string such as 15d."),
        ({"by": "99999d"}, 10005, "by must be at most 3660 days."),
        ({"to": "soon"}, 10005, "to must be an ISO 8601 date such as 2024-05-04T09:30:00Z."),
    ],
)
def test_a_clock_advance_checks_its_body(
    cp: ControlCase, body: dict[str, object], errorcode: int, message: str
) -> None:
    assert_error(cp.admin.request("POST", "/clock/advance", json=body), 400, errorcode, message)


def test_the_clock_and_the_runtime_state_are_in_snapshots_and_reset(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire(cp.api, "c1", KEY, Email="c1@x.io")
    Clock(cp).advance("1d")
    cp.admin.ok("PUT", "/contacts/c1/attributes", params={"mid": cp.api.mid}, json={"Crm": {"Tier": 1}})
    snapshot = cp.admin.ok("GET", "/snapshot")
    tables = snapshot["tables"]
    assert tables["engine_clock"] == [{"id": 1, "frozen": True, "now_ms": T0_MS + DAY}]
    assert len(tables["journey_instances"]) == 2 and len(tables["engine_outbox"]) == 1
    assert tables["contact_attributes"][0]["contact_key"] == "c1"
    cp.admin.ok("POST", "/reset")
    assert cp.admin.ok("GET", "/clock")["frozen"] is False
    assert outbox(cp) == [] and history(cp.api) == []
    cp.admin.ok("POST", "/snapshot", json=snapshot)
    assert cp.admin.ok("GET", "/clock")["nowMs"] == T0_MS + DAY
    assert (
        len(outbox(cp)) == 1 and membership(cp.api, "c1")["contactMemberships"][0]["definitionKey"] == "beta"
    )
    Clock(cp).advance("5d")  # the restored contact goes on where it was
    assert membership(cp.api, "c1")["contactsNotFound"] == ["c1"]


def test_the_outbox_filters_and_clears(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire_many(cp.api, KEY, [("c1", {"Email": "c1@x.io"}), ("c2", {"Email": "c2@x.io"})])
    Clock(cp).advance("1d")
    assert sorted(m["contactKey"] for m in outbox(cp)) == ["c1", "c2"]
    assert [m["address"] for m in outbox(cp, contactKey="c2")] == ["c2@x.io"]
    assert outbox(cp, journeyKey="beta") == [] and len(outbox(cp, activityKey="EMAIL-1")) == 2
    assert cp.admin.ok("DELETE", "/outbox", params={"mid": cp.other.mid}) == {"deleted": 0}
    assert cp.admin.ok("DELETE", "/outbox") == {"deleted": 2}
    assert outbox(cp) == []


def test_contact_attributes_are_replaced_and_read_back(cp: ControlCase) -> None:
    path = "/contacts/someone%40x.io/attributes"
    saved = cp.admin.ok("PUT", path, json={"Crm": {"Tier": "gold", "Orders": 3}})
    assert saved == {
        "mid": 1000001,
        "contactKey": "someone@x.io",
        "attributes": {"Crm": {"Tier": "gold", "Orders": 3}},
    }
    cp.admin.ok("PUT", path, json={"Default": {"Email": "someone@x.io"}})
    assert cp.admin.ok("GET", path)["attributes"] == {"Default": {"Email": "someone@x.io"}}
    assert cp.admin.ok("GET", path, params={"mid": cp.other.mid})["attributes"] == {}
    assert_error(cp.admin.request("PUT", path, json={"Crm": "gold"}), 400, 10001,
                 "Crm must be an object of at most 500 field values.")  # fmt: skip


def test_outbox_and_attributes_take_every_mid_the_other_control_plane_calls_take(cp: ControlCase) -> None:
    # Found writing the OpenAPI document: MIDs are BIGINTs (up to 2^63-1) everywhere else, but
    # these four refused a MID past 2^31-1.
    big = 2**63 - 1
    assert cp.admin.ok("GET", "/outbox", params={"mid": big}) == {"count": 0, "items": []}
    assert cp.admin.ok("DELETE", "/outbox", params={"mid": big}) == {"deleted": 0}
    path = "/contacts/c1/attributes"
    assert cp.admin.ok("PUT", path, params={"mid": big}, json={"Crm": {"Tier": "gold"}})["mid"] == big
    assert cp.admin.ok("GET", path, params={"mid": big})["attributes"] == {"Crm": {"Tier": "gold"}}
    assert cp.admin.ok("GET", path)["attributes"] == {}
    for method in ("GET", "DELETE"):
        error = assert_error(cp.admin.request(method, "/outbox", params={"mid": 2**63}), 400, 400,
                             "Please validate that your request is properly formed.")  # fmt: skip
        assert error["validationErrors"][0]["path"] == "mid"


# --- every new route is described and journaled ------------------------------------------------------

RUNTIME_ROUTES = [
    ("post", "/interaction/v1/events"),
    ("post", "/interaction/v1/async/events"),
    ("post", f"{BASE}/contactMembership"),
    ("post", f"{BASE}/contactexit"),
    ("post", f"{BASE}/contactexit/status"),
    ("post", f"{BASE}/journeyhistory/search"),
    ("post", f"{BASE}/journeyhistory/download"),
    ("post", f"{BASE}/journeyhistory/estimate"),
    ("get", f"{BASE}/journeyhistory/freshness"),
    ("get", "/_journeystack/clock"),
    ("post", "/_journeystack/clock/freeze"),
    ("post", "/_journeystack/clock/advance"),
    ("post", "/_journeystack/clock/run-until-idle"),
    ("post", "/_journeystack/clock/real"),
    ("get", "/_journeystack/outbox"),
    ("delete", "/_journeystack/outbox"),
    ("get", "/_journeystack/contacts/{contactKey}/attributes"),
    ("put", "/_journeystack/contacts/{contactKey}/attributes"),
]


def test_every_runtime_route_is_in_openapi_and_the_sfmc_ones_in_the_journal(cp: ControlCase) -> None:
    paths = cp.api.client.get("/openapi.json").json()["paths"]
    for method, path in RUNTIME_ROUTES:
        assert method in paths.get(path, {}), (method, path)
        assert paths[path][method]["summary"]
    event_definition(cp.api, KEY)
    cp.admin.ok("DELETE", "/journal")
    fire(cp.api, "c1", KEY)
    sfmc = [(m, p) for m, p in RUNTIME_ROUTES if not p.startswith("/_journeystack")]
    for method, path in sfmc[1:]:
        body: object = [{"ContactKey": "c1", "DefinitionKey": "x"}] if "contactexit" in path else {}
        cp.api.request(method.upper(), path, json=body)
    journaled = {(e["method"].lower(), e["path"].split("?")[0]) for e in cp.admin.journal(limit=100)}
    assert journaled == set(sfmc)
