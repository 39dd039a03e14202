"""Custom activities against a real custom-activity server on loopback (tests/receiver.py): signed
execute calls carrying the documented envelope, out-arguments bound for later activities, custom
splits steered by branchResult, timeouts, retries and ejections in history, concurrentRequests held
at the server, lifecycle calls, and the outbound allow-list."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.control_plane import ControlCase
from tests.receiver import by_contact, running_receiver
from tests.runtime_support import (
    T0_MS,
    Clock,
    event_definition,
    fire_many,
    history,
    journey,
    membership,
    published,
    wait,
)

KEY = "APIEvent-custom"
FIELDS = [{"name": "Email", "dataType": "EmailAddress"}, {"name": "Plan", "dataType": "Text"},
          {"name": "Behaviour", "dataType": "Text"}]  # fmt: skip
ENVELOPE = {"inArguments", "outArguments", "activityObjectID", "journeyId", "activityId", "definitionInstanceId",
            "activityInstanceId", "keyValue", "mode"}  # fmt: skip
PLANS = ("gold", "silver", "bronze")
# Contacts by what the server does with them (the rest answer at once): 10 fail once with a 500,
# 5 are slow once (past the timeout), 5 always slow, 5 always 500, 5 refused with a 400.
BEHAVIOURS = {**dict.fromkeys(range(470, 480), "flaky"), **dict.fromkeys(range(480, 485), "slow-once"),
              **dict.fromkeys(range(485, 490), "slow"), **dict.fromkeys(range(490, 495), "fail"),
              **dict.fromkeys(range(495, 500), "refuse")}  # fmt: skip
ATTEMPTS = {"ok": 1, "flaky": 2, "slow-once": 2, "slow": 3, "fail": 3, "refuse": 1}


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
        activities = [
            rest("REST-1", f"{receiver.url}/execute", "SPLIT", useJwt=True, timeout=1000, retryCount=2,
                 retryDelay=100, concurrentRequests=10,
                 in_arguments=[{"contactKey": "{{Contact.Key}}"}, {"plan": f"{{{{Event.{KEY}.Plan}}}}"},
                               {"behaviour": f"{{{{Event.{KEY}.Behaviour}}}}"}]),
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
        assert len(executed) == 500
        assert {c.content_type for c in receiver.of("/execute")} == {"application/jwt"}
        assert {c.content_type for c in receiver.of("/split")} == {"application/json"}
        rows = history(cp.api)
        [rest_id] = {
            r["activityId"] for r in rows if r["activityKey"] == "REST-1"
        }  # the history's activityId
        paths: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            paths.setdefault(row["contactKey"], []).append(row)
        for contact, plan, behaviour in map(_contact, range(500)):
            calls = executed[contact]
            assert len(calls) == ATTEMPTS[behaviour], (contact, behaviour, len(calls))
            first = calls[0]
            assert set(first) == ENVELOPE
            assert first["inArguments"] == [{"contactKey": contact}, {"plan": plan}, {"behaviour": behaviour}]
            assert first["outArguments"] == [{"discountCode": ""}]
            assert (first["keyValue"], first["mode"], first["journeyId"]) == (contact, 0, created["id"])
            assert first["activityId"] == first["activityObjectID"] == rest_id
            # Retries carry the same ids, so the server can tell them apart from new calls.
            assert {(c["activityId"], c["definitionInstanceId"], c["activityInstanceId"]) for c in calls} == {
                (first["activityId"], first["definitionInstanceId"], first["activityInstanceId"])
            }
            steps = [(r["activityKey"], r["status"]) for r in paths[contact]]
            by_key = {r["activityKey"]: r for r in paths[contact]}
            assert all(r["epochTimeInMilliseconds"] == T0_MS for r in paths[contact])
            if behaviour in ("slow", "fail", "refuse"):
                assert steps == [("TRIGGER", "MetCriteria"), ("REST-1", "Failed")], (contact, steps)
                assert by_key["REST-1"]["clientStatus"] == "Error"
                continue
            target = {"gold": "W-GOLD", "silver": "W-SILVER"}.get(plan, "W-REST")
            assert steps == [
                ("TRIGGER", "MetCriteria"),
                ("REST-1", "Complete"),
                ("SPLIT", "Complete"),
                (target, "Waiting"),
            ]
            tries = {
                "ok": "HTTP 200",
                "flaky": "HTTP 500; HTTP 200",
                "slow-once": "timed out after 1000 ms; HTTP 200",
            }
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
        assert membership(cp.api, "c495")["contactsNotFound"] == ["c495"]
        # The split read the first activity's answer: {{Interaction.REST-1.tier}}.
        split = by_contact(receiver, "/split")
        assert len(split) == 485
        assert all(calls == [calls[0]] for calls in split.values())
        assert {c: calls[0]["inArguments"] for c, calls in split.items()} == {
            c: [{"code": p}] for c, p, b in map(_contact, range(500)) if b not in ("slow", "fail", "refuse")
        }
        # concurrentRequests, as the server saw it.
        assert 1 <= receiver.max_in_flight["/execute"] <= 10
        assert 1 <= receiver.max_in_flight["/split"] <= 5
        waiting = Counter(r["activityKey"] for r in rows if r["status"] == "Waiting")
        assert waiting == {"W-GOLD": 162, "W-SILVER": 162, "W-REST": 161}
