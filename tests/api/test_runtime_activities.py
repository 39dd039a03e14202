"""Execution: waits, splits, messages, contact updates, Wait Until API Event, goals and exit criteria,
pause and resume, on the engine's clock."""

from __future__ import annotations

from typing import Any

from tests.control_plane import ControlCase
from tests.runtime_support import (
    DAY,
    T0_MS,
    Clock,
    condition,
    decision,
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
    random_split,
    wait,
)
from tests.support import BASE

KEY = "APIEvent-run"


def _times(api: Any, contact: str) -> list[tuple[str, str, int]]:
    return [
        (r["activityKey"], r["status"], r["epochTimeInMilliseconds"] - T0_MS) for r in history(api, contact)
    ]


def test_waits_end_on_the_engine_clock_and_steps_run_at_their_own_time(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    activities = [
        wait("W-MIN", 90, "MINUTES", "W-HOUR"),
        wait("W-HOUR", 2, "HOURS", "W-WEEK"),
        wait("W-WEEK", 1, "WEEKS", "W-MONTH"),
        wait("W-MONTH", 1, "MONTHS", "W-TIME"),
        wait("W-TIME", 1, "DAYS", None, specifiedTime="09:30", timeZone="Eastern Standard Time"),
    ]
    published(cp.api, journey("waits", KEY, activities))
    clock = Clock(cp)
    clock.start_at()  # 2030-01-01T00:00:00Z
    fire(cp.api, "c1", KEY)
    clock.settle()
    hour, minute = 3_600_000, 60_000
    week_end = 90 * minute + 2 * hour + 7 * DAY
    month_end = 38 * DAY + 3 * hour + 30 * minute  # 2030-02-08T03:30Z: Jan 8 03:30 + 1 calendar month (UTC)
    # A day later is 2030-02-09T03:30Z, 22:30 on Feb 8 in New York; the next 09:30 there is Feb 9 14:30Z.
    time_end = 39 * DAY + 14 * hour + 30 * minute
    clock.advance("8d")
    ends = [t for key, status, t in _times(cp.api, "c1") if status == "Complete" and key]
    assert ends == [90 * minute, 90 * minute + 2 * hour, week_end]
    clock.advance("32d")  # history is kept 30 days: the first rows are gone by now
    ends = [t for key, status, t in _times(cp.api, "c1") if status == "Complete" and key]
    assert ends == [month_end, time_end]
    assert path_of(cp.api, "c1")[-1] == ("", "Complete")


def test_a_random_split_is_repeatable_and_close_to_its_percentages(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    split = random_split("SPLIT", [(30, "W-A"), (70, "W-B")])
    activities = [split, wait("W-A", 1, "DAYS", None), wait("W-B", 1, "DAYS", None)]
    published(cp.api, journey("split", KEY, activities))
    Clock(cp).start_at()
    fire_many(cp.api, KEY, [(f"c{i:03d}", {}) for i in range(400)])
    Clock(cp).settle()
    paths = {r["contactKey"]: r["message"] for r in history(cp.api, activityKeys=["SPLIT"])}
    assert set(paths.values()) == {"Path: P0", "Path: P1"} and len(paths) == 400
    share = sum(1 for p in paths.values() if p == "Path: P0") / 400
    assert 0.2 < share < 0.4  # 30 % expected; binomial sd 2.3 %, so this is > 4 sd wide
    # The same seed, journey, version, contact and entry number always draw the same path (a
    # second business unit runs the same journey: same draws).
    event_definition(cp.other, KEY)
    published(cp.other, journey("split", KEY, activities))
    fire_many(cp.other, KEY, [(f"c{i:03d}", {}) for i in range(400)])
    Clock(cp).settle()
    again = {r["contactKey"]: r["message"] for r in history(cp.other, activityKeys=["SPLIT"])}
    assert again == paths


def test_a_decision_split_takes_the_first_matching_path_else_the_remainder(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    split = decision("DEC", [
        ("big", condition(f"Event.{KEY}.Score", "GreaterThan", "100"), "W-BIG"),
        ("gold", condition("Loyalty.Tier", "Equal", "gold"), "W-GOLD"),
        ("rest", None, None),
    ])  # fmt: skip
    activities = [split, wait("W-BIG", 1, "DAYS", None), wait("W-GOLD", 1, "DAYS", None)]
    published(cp.api, journey("dec", KEY, activities))
    cp.admin.ok(
        "PUT", "/contacts/both/attributes", params={"mid": cp.api.mid}, json={"Loyalty": {"Tier": "Gold"}}
    )
    cp.admin.ok(
        "PUT", "/contacts/gold/attributes", params={"mid": cp.api.mid}, json={"Loyalty": {"Tier": "gold"}}
    )
    Clock(cp).start_at()
    fire(cp.api, "both", KEY, Score=500)
    fire(cp.api, "gold", KEY, Score=5)
    fire(cp.api, "none", KEY, Score=5)
    Clock(cp).settle()
    assert path_of(cp.api, "both")[1:] == [("DEC", "Complete"), ("W-BIG", "Waiting")]
    assert path_of(cp.api, "gold")[1:] == [("DEC", "Complete"), ("W-GOLD", "Waiting")]
    assert path_of(cp.api, "none")[1:] == [("DEC", "Complete"), ("", "Complete")]
    assert [r["message"] for r in history(cp.api, activityKeys=["DEC"], contactKeys=["none"])] == [
        "Path: rest"
    ]


def test_messages_go_to_the_outbox_and_no_address_ejects(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    subject = f'Hello {{{{Event.{KEY}."FirstName"}}}}, your plan: {{{{Contact.Attribute.Crm.Plan}}}}'
    published(cp.api, journey("mail", KEY, [email("EMAIL-1", subject, "W-1"), wait("W-1", 1, "DAYS", None)]))
    cp.admin.ok("PUT", "/contacts/ann/attributes", params={"mid": cp.api.mid}, json={"Crm": {"Plan": "pro"}})
    Clock(cp).start_at()
    fire(cp.api, "ann", KEY, Email="ann@example.com", FirstName="Ann")
    fire(cp.api, "bob", KEY, FirstName="Bob")  # no email address anywhere
    Clock(cp).settle()
    [sent] = outbox(cp)
    assert sent["contactKey"] == "ann" and sent["address"] == "ann@example.com" and sent["channel"] == "email"
    assert sent["subject"] == "Hello Ann, your plan: pro"
    assert (
        sent["data"] == {"contactKey": "ann"}
        and sent["activityKey"] == "EMAIL-1"
        and sent["journeyKey"] == "mail"
    )
    bob = history(cp.api, "bob")
    assert [(r["activityKey"], r["status"], r["clientStatus"]) for r in bob][1:] == [
        ("EMAIL-1", "Failed", "Error")
    ]
    assert (
        bob[-1]["message"]
        == "The contact has no email address: a hard error, so the contact left the journey."
    )
    assert membership(cp.api, "bob")["contactsNotFound"] == ["bob"]
    # the contact's own default address is the fallback
    cp.admin.ok(
        "PUT", "/contacts/cy/attributes", params={"mid": cp.api.mid}, json={"Default": {"Email": "cy@x.io"}}
    )
    fire(cp.api, "cy", KEY, FirstName="Cy")
    Clock(cp).settle()
    assert [m["address"] for m in outbox(cp, contactKey="cy")] == ["cy@x.io"]


def test_update_contact_writes_attributes_that_later_activities_read(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    update = {
        "key": "UPD", "name": "UPD", "type": "UPDATECONTACTDATA", "outcomes": [{"key": "u", "next": "DEC"}],
        "arguments": {"activityData": {"updateContactFields": [
            {"dataExtensionId": "Crm", "field": "Plan", "value": f"{{{{Event.{KEY}.Plan}}}}"},
        ]}},
    }  # fmt: skip
    split = decision("DEC", [("pro", condition("Crm.Plan", "Equal", "pro"), "W-PRO"), ("rest", None, None)])
    published(cp.api, journey("upd", KEY, [update, split, wait("W-PRO", 1, "DAYS", None)]))
    Clock(cp).start_at()
    fire(cp.api, "c1", KEY, Plan="pro")
    Clock(cp).settle()
    assert path_of(cp.api, "c1")[1:] == [("UPD", "Complete"), ("DEC", "Complete"), ("W-PRO", "Waiting")]
    saved = cp.admin.ok("GET", "/contacts/c1/attributes", params={"mid": cp.api.mid})
    assert saved == {"mid": cp.api.mid, "contactKey": "c1", "attributes": {"Crm": {"Plan": "pro"}}}


def test_activity_types_the_engine_does_not_simulate_pass_on_their_first_outcome(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    other = {"key": "WA-1", "name": "WhatsApp", "type": "WHATSAPPACTIVITY", "outcomes": [{"key": "r", "next": "W-1"}],
             "configurationArguments": {"message": "hi"}}  # fmt: skip
    published(cp.api, journey("pass", KEY, [other, wait("W-1", 1, "DAYS", None)]))
    Clock(cp).start_at()
    fire(cp.api, "c1", KEY)
    Clock(cp).settle()
    rows = history(cp.api, "c1")
    assert [(r["activityKey"], r["status"]) for r in rows] == [
        ("TRIGGER", "MetCriteria"),
        ("WA-1", "Complete"),
        ("W-1", "Waiting"),
    ]
    assert (
        rows[1]["message"]
        == "WHATSAPPACTIVITY is not simulated by journeystack; the contact took its first path."
    )


def test_wait_until_api_event_is_released_by_an_event_or_times_out(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    event_definition(cp.api, "APIEvent-paid", [{"name": "Amount", "dataType": "Decimal"}])
    until = {
        "key": "W-EVENT", "name": "W-EVENT", "type": "WAIT",
        "outcomes": [{"key": "arrived", "next": "EMAIL-PAID"}, {"key": "timeout", "next": None}],
        "configurationArguments": {"waitForEventKey": "APIEvent-paid", "waitDuration": 3, "waitUnit": "DAYS"},
        "metaData": {"uiType": "WAITBYEVENT"},
    }  # fmt: skip
    subject = 'Thanks for {{Event.APIEvent-paid."Amount"}}'
    published(cp.api, journey("paid", KEY, [until, email("EMAIL-PAID", subject, None)]))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "payer", KEY, Email="p@x.io")
    fire(cp.api, "idle", KEY, Email="i@x.io")
    clock.settle()
    clock.advance("1d")
    response = cp.api.post("/interaction/v1/async/events", json={
        "eventDefinitionKey": "APIEvent-paid", "members": [{"contactKey": "payer", "data": {"Amount": 12.5}}]})  # fmt: skip
    assert response.status_code == 202
    clock.settle()
    assert _times(cp.api, "payer")[1:] == [("W-EVENT", "Waiting", 0), ("W-EVENT", "Complete", DAY),
                                           ("EMAIL-PAID", "Complete", DAY), ("", "Complete", DAY)]  # fmt: skip
    assert [m["subject"] for m in outbox(cp)] == ["Thanks for 12.5"]
    clock.advance("3d")
    idle = history(cp.api, "idle")
    assert [(r["activityKey"], r["status"]) for r in idle][1:] == [
        ("W-EVENT", "Waiting"),
        ("W-EVENT", "Complete"),
        ("", "Complete"),
    ]
    assert idle[2]["message"] == "No event 'APIEvent-paid' arrived before the wait timed out."
    assert idle[2]["epochTimeInMilliseconds"] - T0_MS == 3 * DAY


def test_exit_criteria_and_goals(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    activities = [wait("W-1", 2, "DAYS", "W-2"), wait("W-2", 10, "DAYS", None)]
    body = journey(
        "goals", KEY, activities,
        exits=[{"key": "EXIT", "configurationArguments": {"criteria": condition("Crm.Unsubscribed", "Is", "true")}}],
        goals=[{"key": "GOAL", "name": "Bought", "configurationArguments": {"criteria": condition("Crm.Orders", "GreaterThan", "0")},
                "metaData": {"isExitCriteria": False, "conversionUnit": "percentage", "conversionValue": "10"}}],
    )  # fmt: skip
    clock = Clock(cp)
    clock.start_at()  # before publishing: the daily sweeps count from the publish
    created = published(cp.api, body)
    for contact in ("buyer", "quitter", "plain"):
        fire(cp.api, contact, KEY)
    clock.settle()
    attributes = {"buyer": {"Crm": {"Orders": 2}}, "quitter": {"Crm": {"Unsubscribed": True}}}
    for contact, document in attributes.items():
        cp.admin.ok("PUT", f"/contacts/{contact}/attributes", params={"mid": cp.api.mid}, json=document)
    clock.advance("3d")
    # The exit criteria are checked when a wait ends (day 2) and by the daily sweep (day 1 already).
    assert _times(cp.api, "quitter")[-1] == ("", "MetExitCriteria", DAY)
    assert ("", "MetGoalCriteria", DAY) in _times(cp.api, "buyer")  # counted, not ejected
    assert path_of(cp.api, "buyer")[-1] == ("W-2", "Waiting")
    stats = cp.api.get(f"{BASE}/{created['id']}?extras=stats").json()["stats"]
    assert stats == {"currentPopulation": 2, "cumulativePopulation": 3, "metGoal": 1, "metExitCriteria": 1,
                     "goalPerformance": 33.33}  # fmt: skip


def test_pause_freezes_progress_and_resume_extends_duration_waits(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    extended = published(cp.api, journey("ext", KEY, [wait("W-1", 2, "DAYS", None)]))
    plain = published(cp.api, journey("plain", KEY, [wait("W-1", 2, "DAYS", None)]))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "c1", KEY)
    clock.settle()
    body = {"ExtendWaitEndDates": True}
    assert cp.api.post(f"{BASE}/pause/{extended['id']}?versionNumber=1", json=body).status_code == 202
    assert cp.api.post(f"{BASE}/pause/{plain['id']}?versionNumber=1", json={}).status_code == 202
    clock.advance("5d")
    assert membership(cp.api, "c1")["contactMemberships"] == [
        {"contactKey": "c1", "definitionKey": "ext", "version": 1},
        {"contactKey": "c1", "definitionKey": "plain", "version": 1},
    ]
    assert {(r["definitionKey"], r["status"]) for r in history(cp.api, "c1")} == {
        ("ext", "MetCriteria"), ("ext", "Waiting"), ("plain", "MetCriteria"), ("plain", "Waiting"),
    }  # fmt: skip
    for created in (extended, plain):
        assert cp.api.post(f"{BASE}/resume/{created['id']}?versionNumber=1").status_code == 202
    clock.settle()
    ends = {r["definitionKey"]: r["epochTimeInMilliseconds"] - T0_MS for r in history(cp.api, "c1")
            if r["activityKey"] == "W-1" and r["status"] == "Complete"}  # fmt: skip
    assert ends == {"plain": 5 * DAY}  # the expired wait is worked right after resume
    clock.advance("2d")
    ends = {r["definitionKey"]: r["epochTimeInMilliseconds"] - T0_MS for r in history(cp.api, "c1")
            if r["activityKey"] == "W-1" and r["status"] == "Complete"}  # fmt: skip
    assert ends == {"plain": 5 * DAY, "ext": 7 * DAY}  # 2 days + the 5-day pause


def test_a_pause_runs_out_on_the_engine_clock(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    created = published(cp.api, journey("guard", KEY, [wait("W-1", 30, "DAYS", None)]))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "c1", KEY)
    clock.settle()
    body = {"PausedDays": 2, "GuardrailAction": "Stop"}
    assert cp.api.post(f"{BASE}/pause/{created['id']}?versionNumber=1", json=body).status_code == 202
    clock.advance("1d")
    assert cp.api.get(f"{BASE}/{created['id']}").json()["status"] == "Paused"
    clock.advance("1d")
    assert cp.api.get(f"{BASE}/{created['id']}").json()["status"] == "Stopped"
    assert _times(cp.api, "c1")[-1] == ("", "Ejected", 2 * DAY)
