"""The activities that look outside the journey: engagement splits (opens, clicks and bounces recorded
against outbox messages), Einstein STO waits, Path Optimizer, Join, SMS and push, Salesforce object
activities; and custom activities' lifecycle calls and the journal of outbound calls."""

from __future__ import annotations

import time
from typing import Any

from journeystack.domain.runtime.sto import StoRequest, hashed_best_hour
from tests.control_plane import ControlCase
from tests.receiver import running_receiver
from tests.runtime_support import (
    DAY,
    T0_MS,
    Clock,
    email,
    event_definition,
    fire,
    fire_many,
    history,
    journey,
    outbox,
    path_of,
    published,
    random_split,
    wait,
)
from tests.support import BASE, publish

KEY = "APIEvent-outside"


def engagement(
    key: str, stats: int, yes: str | None, no: str | None, url_id: str | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {"refActivityCustomerKey": "EMAIL-1", "statsTypeId": stats}
    if url_id is not None:
        config["statusUrlId"] = url_id
    return {
        "key": key, "name": key, "type": "ENGAGEMENTDECISION", "configurationArguments": config,
        "outcomes": [{"key": f"{key}-yes", "next": yes, "arguments": {"when": True}, "metaData": {"label": "Yes"}},
                     {"key": f"{key}-no", "next": no, "arguments": {"when": False}, "metaData": {"label": "No"}}],
    }  # fmt: skip


def _ends(api: Any, contact: str) -> str:
    return path_of(api, contact)[-1][0]


def test_an_engagement_split_routes_by_recorded_opens_clicks_and_bounces(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    activities = [
        email("EMAIL-1", "Hi", "W-1"), wait("W-1", 1, "DAYS", "OPENED?"),
        engagement("OPENED?", 2, "CLICKED?", "BOUNCED?"),
        engagement("CLICKED?", 3, "W-CLICKED", "W-OPENED", url_id="7"),
        engagement("BOUNCED?", 6, "W-BOUNCED", "W-NOTHING"),
        *(wait(k, 1, "DAYS", None) for k in ("W-CLICKED", "W-OPENED", "W-BOUNCED", "W-NOTHING")),
    ]  # fmt: skip
    published(cp.api, journey("engage", KEY, activities))
    clock = Clock(cp)
    clock.start_at()
    contacts = ["opener", "clicker", "other-link", "bouncer", "silent"]
    fire_many(cp.api, KEY, [(c, {"Email": f"{c}@x.io"}) for c in contacts])
    clock.settle()
    sent = {m["contactKey"]: m["id"] for m in outbox(cp)}
    assert set(sent) == set(contacts)
    engaged = cp.admin.ok("POST", f"/outbox/{sent['opener']}/engagement", json={"type": "open"})
    assert engaged["engagement"] == [{"type": "open", "date": "2030-01-01T00:00:00Z"}]
    cp.admin.ok("POST", f"/outbox/{sent['other-link']}/engagement", json={"type": "click", "urlId": 8})
    cp.admin.ok("POST", f"/outbox/{sent['bouncer']}/engagement", json={"type": "bounce"})
    status, out, err = cp.cli(
        "outbox", "click", str(sent["clicker"]), "--url-id", "7", "--clicked-url", "https://x.io/a"
    )
    assert status == 0, err
    assert '"urlId": "7"' in out or '"urlId":"7"' in out
    clock.advance("1d")
    assert {c: _ends(cp.api, c) for c in contacts} == {
        "opener": "W-OPENED", "clicker": "W-CLICKED", "other-link": "W-OPENED", "bouncer": "W-BOUNCED",
        "silent": "W-NOTHING",
    }  # fmt: skip
    messages = {r["activityKey"]: r["message"] for r in history(cp.api, "other-link") if r["activityKey"]}
    assert messages["CLICKED?"] == "Path: No: the email 'EMAIL-1' was not clicked on the link '7' by then."
    # Engagement recorded after the contact reached the split does not change its path.
    cp.admin.ok("POST", f"/outbox/{sent['silent']}/engagement", json={"type": "open"})
    clock.advance("1d")
    assert _ends(cp.api, "silent") == ""  # its wait ended; the path ended
    refused = cp.admin.request("POST", "/outbox/999999/engagement", json={"type": "open"})
    assert refused.status_code == 404 and refused.json()["errorcode"] == 90006
    bad = cp.admin.request("POST", f"/outbox/{sent['silent']}/engagement", json={"type": "forward"})
    assert bad.status_code == 400 and bad.json()["message"] == "type must be open, click or bounce."


def test_einstein_sto_releases_each_contact_at_its_best_hour(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    sto = {"key": "STO", "name": "STO", "type": "STOWAIT", "outcomes": [{"key": "s", "next": "EMAIL-1"}],
           "configurationArguments": {"maxWaitHours": 24}}  # fmt: skip
    narrow = {**sto, "key": "STO-9", "configurationArguments": {"params": {"slidingWindowHours": 9}},
              "outcomes": [{"key": "s9", "next": None}]}  # fmt: skip
    published(cp.api, journey("sto", KEY, [sto, email("EMAIL-1", "Now", "STO-9"), narrow]))
    clock = Clock(cp)
    clock.start_at()
    contacts = [f"c{i}" for i in range(12)]
    fire_many(cp.api, KEY, [(c, {"Email": f"{c}@x.io"}) for c in contacts])
    clock.settle()
    clock.advance("3d")
    for contact in contacts:
        expected = hashed_best_hour(StoRequest(0, cp.api.mid, "sto", "STO", contact, T0_MS, 24))
        assert 0 < expected - T0_MS <= DAY and (expected - T0_MS) % 3_600_000 == 0
        [sent] = outbox(cp, contactKey=contact)
        assert sent["createdDate"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expected / 1000))
        rows = [r for r in history(cp.api, contact) if r["activityKey"] == "STO-9"]
        held, released = rows[0]["epochTimeInMilliseconds"], rows[-1]["epochTimeInMilliseconds"]
        assert held == expected and 0 < released - held <= 9 * 3_600_000
    waiting = history(cp.api, "c0", activityKeys=["STO"])[0]
    assert waiting["status"] == "Waiting" and waiting["message"].endswith(
        "the contact's best hour within 24 hours."
    )


def test_path_optimizer_splits_at_random_then_sends_everyone_down_the_winner(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    test = {
        "key": "ABN", "name": "ABN", "type": "ABNTEST",
        "outcomes": [{"key": "a", "next": "EMAIL-A", "arguments": {"percentage": 50}, "metaData": {"label": "A"}},
                     {"key": "b", "next": "EMAIL-B", "arguments": {"percentage": 50}, "metaData": {"label": "B"}}],
        "configurationArguments": {"winnerEvaluationType": "Engagement", "engagementPeriod": 2,
                                   "engagementPeriodUnits": "Days", "engagementWinnerMetric": "Opens"},
    }  # fmt: skip
    stop = {
        "key": "ABNSTOP",
        "name": "ABNSTOP",
        "type": "ABNTESTSTOP",
        "outcomes": [{"key": "z", "next": "W-END"}],
    }
    activities = [test, email("EMAIL-A", "A", "ABNSTOP"), email("EMAIL-B", "B", "ABNSTOP"), stop,
                  wait("W-END", 1, "DAYS", None)]  # fmt: skip
    published(cp.api, journey("abn", KEY, activities))
    clock = Clock(cp)
    clock.start_at()
    fire_many(cp.api, KEY, [(f"t{i:02d}", {"Email": f"t{i}@x.io"}) for i in range(40)])
    clock.settle()
    sent = outbox(cp)
    by_path = {m["activityKey"]: [x for x in sent if x["activityKey"] == m["activityKey"]] for m in sent}
    assert set(by_path) == {"EMAIL-A", "EMAIL-B"}  # a random split while the test runs
    for message in by_path["EMAIL-B"]:  # path B's emails get opened, path A's do not
        cp.admin.ok("POST", f"/outbox/{message['id']}/engagement", json={"type": "open"})
    assert path_of(cp.api, "t00")[1:] == [("ABN", "Complete"), (by_path_key(sent, "t00"), "Complete"),
                                          ("ABNSTOP", "Complete"), ("W-END", "Waiting")]  # fmt: skip
    clock.advance("2d")
    fire_many(cp.api, KEY, [(f"w{i:02d}", {"Email": f"w{i}@x.io"}) for i in range(10)])
    clock.settle()
    winners = [r for r in history(cp.api, activityKeys=["ABN"]) if r["contactKey"].startswith("w")]
    count_b = len(by_path["EMAIL-B"])
    assert {r["message"] for r in winners} == {
        f"Path: B (the winner at 2030-01-03T00:00:00Z (path 1: 0/{40 - count_b}, path 2: {count_b}/{count_b}))"
    }
    assert len(winners) == 10


def by_path_key(sent: list[dict[str, Any]], contact: str) -> str:
    key: str = next(m["activityKey"] for m in sent if m["contactKey"] == contact)
    return key


def test_join_sms_push_and_salesforce_objects_go_to_the_outbox(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    join = {"key": "JOIN-1", "name": "JOIN-1", "type": "JOIN", "outcomes": [{"key": "j", "next": "SF-1"}]}
    salesforce = {
        "key": "SF-1", "name": "Create lead", "type": "SALESCLOUDACTIVITY", "outcomes": [{"key": "o", "next": "SMS-1"}],
        "arguments": {"objectMap": {"objects": [{"type": "Lead", "action": "Create", "fields": [
            {"FieldName": "Contact__c", "FieldValue": "Assign to the Person in the Journey", "Processor": "personInJourney"},
            {"FieldName": "Email", "FieldValue": f"{{{{Event.{KEY}.Email}}}}", "Processor": "static"},
            {"FieldName": "Entered__c", "FieldValue": "Date Contact Enters Activity", "Processor": "dateContactEnters"},
        ]}]}},
    }  # fmt: skip
    sms = {"key": "SMS-1", "name": "SMS-1", "type": "SMSSYNC", "outcomes": [{"key": "s", "next": "PUSH-1"}],
           "configurationArguments": {"message": "Lead {{Interaction.SF-1.salesforceObjectID}}"},
           "arguments": {"lead": "{{Interaction.SF-1.salesforceObjectID}}"}}  # fmt: skip
    push = {"key": "PUSH-1", "name": "PUSH-1", "type": "PUSHNOTIFICATIONACTIVITY", "outcomes": [{"key": "p", "next": None}],
            "configurationArguments": {"title": "Hi"}, "arguments": {"title": "Hi"}}  # fmt: skip
    split = random_split("SPLIT", [(50, "JOIN-1"), (50, "JOIN-1")])
    published(cp.api, journey("objects", KEY, [split, join, salesforce, sms, push]))
    cp.admin.ok("PUT", "/contacts/ann/attributes", params={"mid": cp.api.mid},
                json={"Default": {"MobileNumber": "+15550100"}})  # fmt: skip
    Clock(cp).start_at()
    fire(cp.api, "ann", KEY, Email="ann@x.io")
    Clock(cp).settle()
    assert [k for k, _ in path_of(cp.api, "ann")] == [
        "TRIGGER",
        "SPLIT",
        "JOIN-1",
        "SF-1",
        "SMS-1",
        "PUSH-1",
        "",
    ]
    lead, text, note = outbox(cp)
    assert (lead["channel"], lead["subject"], lead["address"]) == ("salesforce", "would create Lead", "ann")
    [created] = lead["data"]["objects"]
    assert created["fields"] == {
        "Contact__c": "ann",
        "Email": "ann@x.io",
        "Entered__c": "2030-01-01T00:00:00Z",
    }
    assert len(created["id"]) == 18
    assert (text["channel"], text["address"], text["data"]) == ("sms", "+15550100", {"lead": created["id"]})
    assert (note["channel"], note["address"]) == ("push", "ann")


def test_lifecycle_calls_and_the_journal_of_outbound_calls(cp: ControlCase) -> None:
    with running_receiver() as receiver:
        event_definition(cp.api, KEY)
        url = receiver.url

        def custom(key: str, prefix: str) -> dict[str, Any]:
            return {
                "key": "REST-1", "name": "REST-1", "type": "REST", "outcomes": [{"key": "r", "next": None}],
                "arguments": {"execute": {"url": f"{url}/{prefix}/execute", "useJwt": True,
                                          "inArguments": [{"apiToken": "s3cr3t-value"}, {"who": "{{Contact.Key}}"}]}},
                "configurationArguments": {step: {"url": f"{url}/{prefix}/{step}"}
                                           for step in ("save", "validate", "publish", "stop")},
            }  # fmt: skip

        created = published(cp.api, journey("calls", KEY, [custom("REST-1", "good")]))
        # validate, then publish, were called (signed) before the publish completed.
        assert [len(receiver.of(f"/good/{s}")) for s in ("validate", "publish")] == [1, 1]
        [validate] = receiver.of("/good/validate")
        assert validate.content_type == "application/jwt" and validate.claims["interactionKey"] == "calls"
        assert (
            validate.claims["interactionId"] == created["id"] and validate.claims["interactionVersion"] == "1"
        )
        _eventually(lambda: len(receiver.of("/good/save")) == 1)  # saves are called after the save answers
        Clock(cp).start_at()
        fire(cp.api, "c1", KEY)
        Clock(cp).settle()
        assert path_of(cp.api, "c1")[1:] == [("REST-1", "Complete"), ("", "Complete")]
        assert cp.api.post(f"{BASE}/stop/{created['id']}?versionNumber=1").status_code == 200
        _eventually(lambda: len(receiver.of("/good/stop")) == 1)
        assert receiver.rejected == []

        # A failing validate call fails the publish, with the failure in publishStatus.errors.
        receiver.failing.add("/bad/validate")
        failing = cp.api.post(BASE, json=journey("failing", KEY, [custom("REST-1", "bad")])).json()
        status = publish(cp.api, failing)
        assert status["status"] == "Error"
        [error] = status["errors"]
        assert error["errorCode"] == "121114"
        assert error["errorDetail"] == (
            f"activity 'REST-1': the validate call to {url}/bad/validate failed (HTTP 500; the answer began: "
            '{"error": "not ready"})'
        )
        assert receiver.of("/bad/publish") == []

        # Every outbound call is in the journal, the signed body shown as its claims, secrets masked.
        entries = cp.admin.journal(direction="outbound", limit=200)
        executes = [e for e in entries if e["url"] == f"{url}/good/execute"]
        [execute] = executes
        assert (execute["method"], execute["status"], execute["error"]) == ("POST", 200, None)
        assert execute["request"]["headers"]["content-type"] == "application/jwt"
        assert execute["request"]["body"]["inArguments"] == [{"apiToken": "********"}, {"who": "c1"}]
        assert {e["url"].rsplit("/", 1)[-1] for e in entries} >= {"validate", "publish", "save", "execute"}
        inbound = cp.admin.journal(direction="inbound", limit=200)
        assert all(e["direction"] == "inbound" for e in inbound)


def _eventually(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)
