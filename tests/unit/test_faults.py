"""Fault rules: matching, nth/times/probability, the order rules are evaluated in, checks, answers."""

from __future__ import annotations

from typing import Any

import pytest

from journeystack import errors as e
from journeystack.domain.faults import FaultRule, answer_error, counter_for, decide, new_rule
from journeystack.services.faults import FaultBook

BASE = "/interaction/v1/interactions"


def _rules(*rules: FaultRule) -> list[tuple[FaultRule, Any]]:
    return [(rule, counter_for(rule)) for rule in rules]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "/anything/at/all", True),
        ("/interaction/v1/interactions*", f"{BASE}/key:a/b", True),
        ("/interaction/v1/interactions", f"{BASE}/", False),
        ("/interaction/v1/interactions/key:*", f"{BASE}/KEY%3Aabc", True),
        ("/Interaction/V1/*", f"{BASE}?$page=2", True),
        ("/v2/token", "/v2/token?x=1", True),
        ("/interaction/v1/interactions/????????-*", f"{BASE}/0a1b2c3d-0000", True),
        ("/interaction/v1/[ie]*", "/interaction/v1/eventDefinitions", True),
    ],
)
def test_paths_are_matched_as_case_insensitive_globs(pattern: str, path: str, matches: bool) -> None:
    assert new_rule("r", path=pattern, status=500).matches("GET", path, None) is matches


def test_method_and_business_unit_narrow_a_rule() -> None:
    rule = new_rule("r", method="post", mid=7, status=500)
    assert rule.method == "POST"
    assert rule.matches("POST", BASE, 7)
    assert not rule.matches("GET", BASE, 7)
    assert not rule.matches("POST", BASE, 8)
    assert not rule.matches("POST", BASE, None)  # unauthenticated calls have no business unit
    assert new_rule("r", method="*", status=500).method is None


def test_nth_fires_once_on_that_call() -> None:
    rules = _rules(new_rule("r", status=500, nth=2))
    assert [decide(rules, "GET", BASE, None) is not None for _ in range(4)] == [False, True, False, False]


def test_times_fires_on_the_first_calls() -> None:
    rules = _rules(new_rule("r", status=500, times=2))
    assert [decide(rules, "GET", BASE, None) is not None for _ in range(4)] == [True, True, False, False]


def test_probability_is_repeatable_with_a_seed_and_roughly_right() -> None:
    def run() -> list[bool]:
        rules = _rules(new_rule("r", status=500, probability=0.3, seed=11))
        return [decide(rules, "GET", BASE, None) is not None for _ in range(1000)]

    first = run()
    assert first == run()
    assert 200 < sum(first) < 400


def test_the_first_answering_rule_wins_and_latencies_before_it_add_up() -> None:
    slow, slower = new_rule("a", latency_ms=10), new_rule("b", latency_ms=20)
    answer, later = new_rule("c", status=429), new_rule("d", status=500)
    rules = _rules(slow, answer, slower, later)
    decision = decide(rules, "GET", BASE, None)
    assert decision is not None
    assert decision.answer == answer and decision.latency_ms == 10 and decision.marker == "a,c"
    assert [counter.matched for _, counter in rules] == [1, 1, 0, 0]  # later rules never saw the call


def test_latency_only_rules_let_the_route_answer() -> None:
    decision = decide(_rules(new_rule("a", latency_ms=5)), "GET", BASE, None)
    assert decision is not None and decision.answer is None and decision.latency_ms == 5


def test_no_rule_no_decision() -> None:
    assert decide(_rules(new_rule("a", path="/v2/*", status=500)), "GET", BASE, None) is None
    assert decide([], "GET", BASE, None) is None


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({}, "status"),
        ({"status": 302}, "status"),
        ({"status": 500, "nth": 1, "times": 1}, "nth"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "probability": -0.1}, "probability"),
        ({"status": 500, "path": ""}, "path"),
        ({"status": 500, "method": "TRACE"}, "method"),
        ({"latency_ms": -1}, "latencyMs"),
        ({"status": 429, "retry_after": 7200}, "retryAfter"),
        ({"latency_ms": 5, "message": "m"}, "message"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(fields: dict[str, Any], where: str) -> None:
    with pytest.raises(e.InvalidFaultRule) as raised:
        new_rule("r", **fields)
    assert where in [p.path for p in raised.value.problems]
    assert raised.value.message.startswith("The fault rule was refused: ")


def test_retry_after_defaults_to_one_second_for_429_and_503_only() -> None:
    assert new_rule("r", status=429).retry_after == 1
    assert new_rule("r", status=503).retry_after == 1
    assert new_rule("r", status=500).retry_after is None
    assert new_rule("r", status=500, retry_after=3).retry_after == 3


def test_answers_carry_sfmcs_envelopes() -> None:
    limited = answer_error(new_rule("r1", status=429), "r1")
    assert isinstance(limited, e.RateLimitExceeded)
    assert (limited.status, limited.code, limited.message, limited.retry_after) == (
        429,
        50100,
        "Rate limit exceeded",
        1,
    )
    busy = answer_error(new_rule("r2", status=503, retry_after=4), "r2")
    assert (busy.status, busy.code, busy.retry_after) == (503, 50300, 4)
    failed = answer_error(new_rule("r3", status=500), "r3")
    assert (failed.status, failed.code) == (500, 500)
    assert (
        failed.message == "There was a problem processing your request, please try again or contact support"
    )
    chosen = answer_error(new_rule("r4", status=418, message="short and stout", errorcode=1), "x,r4")
    assert (chosen.status, chosen.code, chosen.message, chosen.rule_ids) == (
        418,
        1,
        "short and stout",
        "x,r4",
    )
    assert answer_error(new_rule("r5", status=599), "r5").message == "Error"


def test_the_book_numbers_lists_counts_and_removes_rules() -> None:
    book = FaultBook()
    first = book.add(status=500, times=1)
    second = book.add(latency_ms=1)
    assert (first.rule.id, second.rule.id) == ("f1", "f2")
    assert book.decide("GET", BASE, None) is not None
    assert [(v.matched, v.fired) for v in book.rules()] == [(1, 1), (0, 0)]
    book.remove("f1")
    with pytest.raises(e.FaultRuleNotFound):
        book.remove("f1")
    with pytest.raises(e.FaultRuleNotFound):
        book.get("f9")
    assert book.clear() == 1 and len(book) == 0
    assert book.add(status=500).rule.id == "f3"  # ids are never reused
    with pytest.raises(e.InvalidFaultRule):
        book.add(status=200)
    assert len(book) == 1
