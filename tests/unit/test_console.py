"""The console's pure parts: what the canvas writes, its layout, the version diff, and the
tickets, sessions and CSRF tokens behind the login."""

from __future__ import annotations

import time

import pytest

from journeystack.console.auth import SESSION_SECONDS, TICKET_SECONDS, ConsoleAuth, cookie_value
from journeystack.console.canvas import build_canvas, slug
from journeystack.console.describe import criteria_summary, outcome_labels, problem_place, wait_summary
from journeystack.console.diff import diff_versions
from journeystack.domain.console import END, Flow
from journeystack.domain.ids import RandomIds
from journeystack.domain.journey import JourneyDefinition, first_version, next_version
from tests.console_journeys import TIER_CRITERIA, large, welcome


def _spec(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("key", "name", "workflowApiVersion", "entryMode")}


def _version(body: dict, previous=None):
    definition = JourneyDefinition.build(key=body["key"], name=body["name"], workflow_api_version=1.0,
                                         entry_mode=body["entryMode"], spec=_spec(body))  # fmt: skip
    if previous is None:
        return first_version(definition, mid=1, ids=RandomIds(), now_ms=1)
    from dataclasses import replace

    from journeystack.domain.journey import Status

    return next_version(replace(previous, status=Status.PUBLISHED), definition, ids=RandomIds(), now_ms=2)


def test_the_canvas_writes_waits_subjects_split_percentages_and_criteria() -> None:
    assert (
        wait_summary({"type": "WAIT", "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}})
        == "1 day"
    )
    assert (
        wait_summary({"type": "WAIT", "configurationArguments": {"waitDuration": 2, "waitUnit": "WEEKS"}})
        == "2 weeks"
    )
    assert wait_summary({"type": "WAIT", "configurationArguments": {"waitForEventKey": "APIEvent-x", "waitDuration": 3,
                                                                     "waitUnit": "DAYS"}}) == "until event APIEvent-x, at most 3 days"  # fmt: skip
    assert wait_summary({"type": "WAIT", "configurationArguments": {"waitUnit": "FORTNIGHTS"}}).startswith(
        "cannot be timed"
    )
    assert criteria_summary(TIER_CRITERIA) == "Crm.Tier = gold"
    assert criteria_summary("<not xml").startswith("unreadable criteria")
    split = welcome()["activities"][1]
    assert outcome_labels(split) == ["A · 50%", "B · 50%"]
    decision = large()["activities"][2]
    assert outcome_labels(decision) == ["Gold: Crm.Tier = gold", "Others: Remainder"]

    canvas = build_canvas(_spec(welcome()), fingerprint="welcome")
    by_key = {n.key: n for n in canvas.nodes}
    assert by_key[""].kind == "trigger" and by_key[""].lines == ["Event APIEvent-console"]
    assert by_key["WAIT-1"].lines == ["1 day"] and by_key["WAIT-1"].type_label == "Wait"
    assert by_key["EMAIL-A"].lines == ["Subject: Welcome aboard!"]
    assert [a.label for a in canvas.arrows if a.source == by_key["SPLIT"].id] == ["A · 50%", "B · 50%"]
    assert [n.kind for n in canvas.nodes].count("end") == 1  # the tip email ends the only path end


def test_a_50_activity_journey_is_laid_out_left_to_right_without_overlaps() -> None:
    started = time.perf_counter()
    canvas = build_canvas(_spec(large(50)), fingerprint=f"large-{time.time()}")
    elapsed = time.perf_counter() - started
    boxes = [n for n in canvas.nodes if n.kind == "activity"]
    assert len(boxes) == 50
    for a in canvas.nodes:
        for b in canvas.nodes:
            if a is not b:
                apart = (
                    a.x + a.width <= b.x
                    or b.x + b.width <= a.x
                    or a.y + a.height <= b.y
                    or b.y + b.height <= a.y
                )
                assert apart, f"{a.id} overlaps {b.id}"
    by_id = {n.id: n for n in canvas.nodes}
    # Every arrow goes right: the layout ranks each activity after those that lead to it.
    assert all(by_id[a.target].x > by_id[a.source].x for a in canvas.arrows)
    assert all(
        0 <= n.x and n.x + n.width <= canvas.width and n.y + n.height <= canvas.height for n in canvas.nodes
    )
    assert elapsed < 2.0  # about 30 ms on the reference machine; bench/console.py measures it


def test_counts_go_on_boxes_and_arrows() -> None:
    flow = Flow(
        waiting={"WAIT-2": 2, None: 1},
        moves={("TRIGGER", "WAIT-1"): 3, ("WAIT-1", "SPLIT"): 3, ("SPLIT", "EMAIL-A"): 2, ("SPLIT", "EMAIL-B"): 1,
               ("EMAIL-A", "WAIT-2"): 2, ("EMAIL-B", "WAIT-2"): 1, ("WAIT-2", "EMAIL-TIP"): 1, ("EMAIL-TIP", END): 1},
    )  # fmt: skip
    canvas = build_canvas(_spec(welcome()), fingerprint="welcome-counts", flow=flow)
    by_key = {n.key: n for n in canvas.nodes}
    assert (by_key[""].now, by_key[""].reached) == (1, 3)
    assert (by_key["WAIT-2"].now, by_key["WAIT-2"].reached) == (2, 3)
    counts = {(a.source, a.target): a.count for a in canvas.arrows}
    assert counts[(by_key["SPLIT"].id, by_key["EMAIL-A"].id)] == 2
    assert counts[(by_key["SPLIT"].id, by_key["EMAIL-B"].id)] == 1
    end = next(n for n in canvas.nodes if n.kind == "end")
    assert counts[(by_key["EMAIL-TIP"].id, end.id)] == 1


def test_problems_point_at_their_activity() -> None:
    keys = ["WAIT-1", "SPLIT"]
    assert problem_place("activities[1].outcomes[0]", None, keys) == "SPLIT"
    assert problem_place("anything", "EMAIL-A", keys) == "EMAIL-A"
    assert problem_place("triggers[0].metaData", None, keys) == ""
    assert problem_place("activities[9]", None, keys) is None
    assert slug("WAIT-1") == "WAIT-1" and slug("a b") != slug("a_b") and slug("é/x") == "_e9__2f_x"


def test_the_diff_names_added_removed_and_changed_activities_and_the_lines() -> None:
    v1 = _version(welcome())
    body = welcome(tip_subject="A tip, a week in")
    body["activities"] = [a for a in body["activities"] if a["key"] != "EMAIL-B"]
    body["activities"][1]["outcomes"][1]["next"] = "EMAIL-NEW"
    body["activities"].append({"key": "EMAIL-NEW", "name": "New", "type": "EMAILV2", "outcomes": [{"key": "n", "next": "WAIT-2"}],
                               "configurationArguments": {"triggeredSend": {"emailSubject": "New"}}})  # fmt: skip
    v2 = _version(body, v1)
    compared = diff_versions(v1, v2)
    assert compared.added == ["EMAIL-NEW"] and compared.removed == ["EMAIL-B"]
    assert compared.changed == ["SPLIT", "EMAIL-TIP"] and not compared.trigger_changed
    assert compared.mark("EMAIL-B", "left") == "removed" and compared.mark("EMAIL-B", "right") is None
    assert compared.mark("EMAIL-NEW", "right") == "added" and compared.mark("SPLIT", "left") == "changed"
    added = [(line.right_text or "").strip() for line in compared.lines if line.kind in ("added", "changed")]
    removed = [
        (line.left_text or "").strip() for line in compared.lines if line.kind in ("removed", "changed")
    ]
    facing = [
        (line.left_text.strip(), line.right_text.strip()) for line in compared.lines if line.kind == "changed"
    ]
    assert ('"emailSubject": "A week in: a tip"', '"emailSubject": "A tip, a week in"') in facing
    assert '"emailSubject": "A tip, a week in"' in added and '"emailSubject": "A week in: a tip"' in removed
    assert diff_versions(v1, v1).identical and diff_versions(v1, v1).lines == []


def test_a_login_ticket_is_good_once_and_not_after_a_day() -> None:
    auth = ConsoleAuth("admin-token")
    now = 1_800_000_000
    ticket = auth.ticket(now)
    assert auth.redeem(ticket, now + 5) and not auth.redeem(ticket, now + 6)
    late = auth.ticket(now)
    assert not auth.redeem(late, now + TICKET_SECONDS + 1)
    other = ConsoleAuth("another-token").ticket(now)
    assert not auth.redeem(other, now)
    issued, nonce, mac = auth.ticket(now).split(".")
    assert not auth.redeem(f"{int(issued) + 1}.{nonce}.{mac}", now)  # the time is signed too
    assert not auth.redeem("garbage", now) and not auth.redeem("", now)


def test_sessions_are_signed_expire_and_end_and_csrf_tokens_are_per_session() -> None:
    auth = ConsoleAuth("admin-token")
    now = 1_800_000_000
    value = auth.new_session(now)
    session = auth.session(value, now + 10)
    assert session is not None
    assert auth.session(value, now + SESSION_SECONDS + 1) is None
    session_id, expires, mac = value.split(".")
    assert auth.session(f"{session_id}.{int(expires) + 3600}.{mac}", now) is None  # a longer life is forged
    assert ConsoleAuth("another-token").session(value, now) is None  # a new admin token ends every session
    other = auth.session(auth.new_session(now), now)
    assert other is not None
    assert auth.csrf_ok(session, auth.csrf_token(session)) and not auth.csrf_ok(
        session, auth.csrf_token(other)
    )
    assert not auth.csrf_ok(session, "")
    auth.end(session, now + 20)
    assert auth.session(value, now + 21) is None
    assert cookie_value("a=1; journeystack_console=x.y.z; b=2") == "x.y.z" and cookie_value("a=1") is None


@pytest.mark.parametrize("token", ["", "admin-tokenx", "admin-toke"])
def test_only_the_admin_token_signs_in(token: str) -> None:
    auth = ConsoleAuth("admin-token")
    assert auth.is_admin_token("admin-token") and not auth.is_admin_token(token)
