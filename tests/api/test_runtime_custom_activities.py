"""Custom activities against a real custom-activity server on loopback (tests/receiver.py): signed
execute calls carrying the documented envelope, out-arguments bound for later activities, custom
splits steered by branchResult, timeouts, retries and ejections in history, concurrentRequests held
at the server, lifecycle calls, and the outbound allow-list."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.control_plane import ControlCase
from tests.receiver import by_contact, running_receiver
from tests.runtime_support import (
    T0_MS,
    Clock,
    condition,
    decision,
    event_definition,
    fire,
    fire_many,
    history,
    journey,
    membership,
    published,
    wait,
)
from tests.support import BASE

KEY = "APIEvent-custom"
FIELDS = [{"name": "Email", "dataType": "EmailAddress"}, {"name": "Plan", "dataType": "Text"},
          {"name": "Behaviour", "dataType": "Text"}]  # fmt: skip
ENVELOPE = {"inArguments", "outArguments", "activityObjectID", "journeyId", "activityId", "definitionInstanceId",
            "activityInstanceId", "keyValue", "mode"}  # fmt: skip
PLANS = ("gold", "silver", "bronze")
# Contacts by what the server does with them (the rest answer at once): 15 fail once with a 500,
# 5 never answer (a decision split sends them to an activity with a 1,000 ms timeout), 5 always 500,
# 3 are refused with a 400, 2 redirected.
BEHAVIOURS = {**dict.fromkeys(range(470, 485), "flaky"),
              **dict.fromkeys(range(485, 490), "slow"), **dict.fromkeys(range(490, 495), "fail"),
              **dict.fromkeys(range(495, 498), "refuse"), **dict.fromkeys(range(498, 500), "moved")}  # fmt: skip
ATTEMPTS = {"ok": 1, "flaky": 2, "fail": 3, "refuse": 1, "moved": 1}
FAILING = ("slow", "fail", "refuse", "moved")


def rest(
    key: str, url: str, next_key: str | None, *, in_arguments: list[dict[str, Any]], **execute: Any
) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "REST", "outcomes": [{"key": f"{key}-out", "next": next_key}],
        "arguments": {"execute": {"url": url, "inArguments": in_arguments, "outArguments": [{"discountCode": ""}],
                                  **execute}},
    }  # fmt: skip


def rest_split(
    key: str, url: str, branches: list[tuple[str | None, str | None]], **execute: Any
) -> dict[str, Any]:
    """branches: (branchResult or None for the remainder path, next)."""
    outcomes = [
        {"key": f"{key}-{value or 'rest'}", "next": target, "metaData": {"label": value or "rest"},
         **({"arguments": {"branchResult": value}} if value is not None else {})}
        for value, target in branches
    ]  # fmt: skip
    return {"key": key, "name": key, "type": "RestDecision", "outcomes": outcomes,
            "arguments": {"execute": {"url": url, **execute}}}  # fmt: skip


def _contact(i: int) -> tuple[str, str, str]:
    return f"c{i:03d}", PLANS[i % 3], BEHAVIOURS.get(i, "ok")


def test_500_contacts_through_a_signed_custom_activity_and_a_custom_split(cp: ControlCase) -> None:
    with running_receiver() as receiver:
        event_definition(cp.api, KEY, FIELDS)
        in_arguments = [
            {"contactKey": "{{Contact.Key}}"},
            {"plan": f"{{{{Event.{KEY}.Plan}}}}"},
            {"behaviour": f"{{{{Event.{KEY}.Behaviour}}}}"},
        ]
        slow = condition(f"Event.{KEY}.Behaviour", "Equal", "slow")
        activities = [
            decision("DEC", [("slow", slow, "REST-SLOW"), ("rest", None, "REST-1")]),
            # A generous timeout where answers are expected (a busy machine must not make them late),
            # the shortest SFMC allows where they never come.
            rest("REST-1", f"{receiver.url}/execute", "SPLIT", useJwt=True, timeout=60000, retryCount=2,
                 retryDelay=100, concurrentRequests=10, in_arguments=in_arguments),
            rest("REST-SLOW", f"{receiver.url}/slow/execute", "W-REST", useJwt=True, timeout=1000,
                 retryCount=2, retryDelay=100, concurrentRequests=5, in_arguments=in_arguments),
            rest_split("SPLIT", f"{receiver.url}/split", [("gold", "W-GOLD"), ("silver", "W-SILVER"), (None, "W-REST")],
                       concurrentRequests=5, inArguments=[{"code": "{{Interaction.REST-1.tier}}"}]),
            wait("W-GOLD", 1, "DAYS", None), wait("W-SILVER", 1, "DAYS", None), wait("W-REST", 1, "DAYS", None),
        ]  # fmt: skip
        created = published(cp.api, journey("custom", KEY, activities))
        Clock(cp).start_at()
        fire_many(cp.api, KEY, [(c, {"Plan": p, "Behaviour": b}) for c, p, b in map(_contact, range(500))])
        Clock(cp).settle()

        assert receiver.rejected == []  # every JWT verified with the package's secret
        executed = by_contact(receiver, "/execute")
        assert len(executed) == 495
        assert {c.content_type for c in receiver.of("/execute")} == {"application/jwt"}
        assert {c.content_type for c in receiver.of("/split")} == {"application/json"}
        rows = history(cp.api)
        [rest_id] = {r["activityId"] for r in rows if r["activityKey"] == "REST-1"}  # as history names it
        paths: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            paths.setdefault(row["contactKey"], []).append(row)
        tries = {"ok": "HTTP 200", "flaky": "HTTP 500; HTTP 200"}
        for contact, plan, behaviour in map(_contact, range(500)):
            steps = [(r["activityKey"], r["status"]) for r in paths[contact]]
            by_key = {r["activityKey"]: r for r in paths[contact]}
            assert all(r["epochTimeInMilliseconds"] == T0_MS for r in paths[contact])
            if behaviour == "slow":
                assert steps == [("TRIGGER", "MetCriteria"), ("DEC", "Complete"), ("REST-SLOW", "Failed")]
                continue
            calls = executed[contact]
            assert len(calls) == ATTEMPTS[behaviour], (contact, behaviour, len(calls))
            first = calls[0]
            assert set(first) == ENVELOPE
            assert first["inArguments"] == [{"contactKey": contact}, {"plan": plan}, {"behaviour": behaviour}]
            assert first["outArguments"] == [{"discountCode": ""}]
            assert (first["keyValue"], first["mode"], first["journeyId"]) == (contact, 0, created["id"])
            assert first["activityId"] == first["activityObjectID"] == rest_id
            # Retries carry the same ids, so the server can tell them apart from new calls.
            ids = {(c["activityId"], c["definitionInstanceId"], c["activityInstanceId"]) for c in calls}
            assert ids == {(first["activityId"], first["definitionInstanceId"], first["activityInstanceId"])}
            if behaviour in FAILING:
                assert steps == [("TRIGGER", "MetCriteria"), ("DEC", "Complete"), ("REST-1", "Failed")]
                assert by_key["REST-1"]["clientStatus"] == "Error"
                continue
            target = {"gold": "W-GOLD", "silver": "W-SILVER"}.get(plan, "W-REST")
            assert steps == [
                ("TRIGGER", "MetCriteria"),
                ("DEC", "Complete"),
                ("REST-1", "Complete"),
                ("SPLIT", "Complete"),
                (target, "Waiting"),
            ]
            assert by_key["REST-1"]["message"] == f"Answered: {tries[behaviour]}."
            why = f"branchResult {plan!r}" + (
                "" if plan != "bronze" else " matches no outcome: the remainder path"
            )
            label = plan if plan != "bronze" else "rest"
            assert by_key["SPLIT"]["message"] == f"Answered: HTTP 200. Path: {label} ({why})."

        failed = {r["contactKey"]: r["message"] for r in rows if r["status"] == "Failed"}
        assert failed["c485"] == (
            "The execute call failed after 3 attempts (timed out after 1000 ms; timed out after 1000 ms; timed out "
            "after 1000 ms). The contact left the journey."
        )
        assert failed["c490"] == (
            'The execute call failed after 3 attempts (HTTP 500; HTTP 500; HTTP 500); the answer began: {"error": '
            '"the CRM is down"}. The contact left the journey.'
        )
        assert failed["c495"].startswith("The execute call failed after 1 attempt (HTTP 400)")
        # No redirect is followed: SFMC ejects the contact on a 3xx.
        assert (
            failed["c498"]
            == "The execute call failed after 1 attempt (HTTP 302). The contact left the journey."
        )
        assert membership(cp.api, "c495")["contactsNotFound"] == ["c495"]
        # The slow calls reached the server (on a busy machine, not every attempt may have).
        slow_calls = by_contact(receiver, "/slow/execute")
        assert set(slow_calls) <= {f"c{i}" for i in range(485, 490)} and all(
            1 <= len(made) <= 3 for made in slow_calls.values()
        )
        # The split read the first activity's answer: {{Interaction.REST-1.tier}}.
        split = by_contact(receiver, "/split")
        assert {c: [call["inArguments"] for call in calls] for c, calls in split.items()} == {
            c: [[{"code": p}]] for c, p, b in map(_contact, range(500)) if b in ("ok", "flaky")
        }
        # concurrentRequests, as the server saw it.
        assert 1 <= receiver.max_in_flight["/execute"] <= 10
        assert receiver.max_in_flight["/slow/execute"] <= 5
        assert 1 <= receiver.max_in_flight["/split"] <= 5
        waiting = Counter(r["activityKey"] for r in rows if r["status"] == "Waiting")
        assert waiting == {"W-GOLD": 162, "W-SILVER": 162, "W-REST": 161}


def test_a_pause_keeps_answers_until_resume_and_a_stop_drops_them(cp: ControlCase) -> None:
    with running_receiver() as receiver:
        event_definition(cp.api, KEY, FIELDS)
        gated = [{"behaviour": "gated"}]
        held = published(
            cp.api,
            journey(
                "held",
                KEY,
                [
                    rest("REST-1", f"{receiver.url}/execute", "W-1", timeout=20000, in_arguments=gated),
                    wait("W-1", 1, "DAYS", None),
                ],
            ),
        )
        stopped = published(cp.api, journey("stopped", KEY, [
            rest("REST-1", f"{receiver.url}/other/execute", "W-1", timeout=20000, in_arguments=gated),
            wait("W-1", 1, "DAYS", None)]))  # fmt: skip
        clock = Clock(cp)
        clock.start_at()
        fire(cp.api, "c1", KEY)
        _eventually(lambda: len(receiver.of("/execute")) == 1 and len(receiver.of("/other/execute")) == 1)
        # Both calls are in flight: the contact is in both journeys (status Calling), no activity row yet.
        assert len(membership(cp.api, "c1")["contactMemberships"]) == 2
        assert cp.api.post(f"{BASE}/pause/{held['id']}?versionNumber=1", json={}).status_code == 202
        assert cp.api.post(f"{BASE}/stop/{stopped['id']}?versionNumber=1").status_code == 200
        receiver.gate.set()
        clock.advance("1h")
        ours = [r for r in history(cp.api, "c1") if r["definitionKey"] == "held"]
        assert [(r["activityKey"], r["status"]) for r in ours] == [("TRIGGER", "MetCriteria")]
        assert [(r["activityKey"], r["status"]) for r in history(cp.api, "c1") if r["definitionKey"] == "stopped"] == [
            ("TRIGGER", "MetCriteria"), ("", "Ejected")]  # fmt: skip
        # On resume the kept answer is applied, at resume time, and the contact goes on.
        assert cp.api.post(f"{BASE}/resume/{held['id']}?versionNumber=1").status_code == 202
        clock.settle()
        ours = [r for r in history(cp.api, "c1") if r["definitionKey"] == "held"]
        assert [(r["activityKey"], r["status"], r["epochTimeInMilliseconds"] - T0_MS) for r in ours] == [
            ("TRIGGER", "MetCriteria", 0), ("REST-1", "Complete", 3_600_000), ("W-1", "Waiting", 3_600_000)]  # fmt: skip
        assert len(receiver.of("/execute")) == 1 and len(receiver.of("/other/execute")) == 1


def _eventually(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)
