"""Fault rules: SFMC's own error envelopes, Retry-After, latency, nth/times, probability, scoping."""

from __future__ import annotations

import time

import pytest

from tests.control_plane import PREFIX, ControlCase, assert_refused
from tests.support import BASE

DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
RATE_LIMITED = {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 1, "documentation": DOC}
INTERNAL = {
    "message": "There was a problem processing your request, please try again or contact support",
    "errorcode": 500,
    "documentation": "",
}
JOURNEYS = "/interaction/v1/interactions*"


def test_a_client_retry_loop_honouring_retry_after_gets_through(cp: ControlCase) -> None:
    """What a well-behaved SFMC client does: on 429 or 503, wait Retry-After seconds and try again."""
    cp.api.create("target")
    rate = cp.admin.add_fault(path=JOURNEYS, method="GET", status=429, times=1, retryAfter=1)
    busy = cp.admin.add_fault(path=JOURNEYS, method="GET", status=503, times=1, retryAfter=1)

    attempts: list[int] = []
    slept = 0.0
    started = time.monotonic()
    for _ in range(5):
        response = cp.api.get(f"{BASE}/key:target")
        attempts.append(response.status_code)
        if response.status_code not in (429, 503):
            break
        wait = int(response.headers["Retry-After"])
        assert response.json()["retryAfter"] == wait
        time.sleep(wait)
        slept += wait

    assert attempts == [429, 503, 200]
    assert response.json()["key"] == "target"
    assert slept == 2 and time.monotonic() - started >= 2.0
    rules = {rule["id"]: rule for rule in cp.admin.ok("GET", "/faults")["rules"]}
    assert (rules[rate["id"]]["matched"], rules[rate["id"]]["fired"]) == (3, 1)
    assert (rules[busy["id"]]["matched"], rules[busy["id"]]["fired"]) == (2, 1)


def test_429_is_sfmcs_rate_limit_envelope(cp: ControlCase) -> None:
    rule = cp.admin.add_fault(status=429)
    assert rule["retryAfter"] == 1 and rule["id"]
    response = cp.api.get(BASE)
    assert response.status_code == 429
    assert response.json() == RATE_LIMITED
    assert list(response.json()) == ["message", "errorcode", "retryAfter", "documentation"]
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-Journeystack-Fault"] == rule["id"]


def test_503_and_500_envelopes(cp: ControlCase) -> None:
    cp.admin.add_fault(status=503, retryAfter=1, nth=1)
    cp.admin.add_fault(status=500, nth=2)
    busy = cp.api.get(BASE)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json()["errorcode"] == 50300 and busy.json()["retryAfter"] == 1
    failed = cp.api.get(BASE)  # rule 2 sees its second matching call (rule 1 answered the first)
    assert failed.status_code == 200
    failed = cp.api.get(BASE)
    assert failed.status_code == 500 and failed.json() == INTERNAL and "Retry-After" not in failed.headers


def test_any_error_status_with_a_chosen_envelope(cp: ControlCase) -> None:
    cp.admin.add_fault(status=409, message="Conflict, the journey is being published", errorcode=30002)
    cp.admin.add_fault(status=502)
    response = cp.api.post(BASE, json={"key": "k", "name": "n", "workflowApiVersion": 1.0})
    assert response.status_code == 409
    assert response.json() == {
        "message": "Conflict, the journey is being published", "errorcode": 30002, "documentation": ""
    }  # fmt: skip
    cp.admin.ok("DELETE", f"/faults/{_first_id(cp)}")
    response = cp.api.get(BASE)
    assert response.status_code == 502
    assert response.json() == {"message": "Bad Gateway", "errorcode": 502, "documentation": ""}


def _first_id(cp: ControlCase) -> str:
    rule_id: str = cp.admin.ok("GET", "/faults")["rules"][0]["id"]
    return rule_id


def test_a_faulted_call_never_reaches_the_route(cp: ControlCase) -> None:
    cp.admin.add_fault(method="POST", path=BASE, status=500, times=1)
    assert cp.api.post(BASE, json={"key": "k", "name": "n", "workflowApiVersion": 1.0}).status_code == 500
    assert cp.api.get(BASE).json()["count"] == 0
    assert cp.api.post(BASE, json={"key": "k", "name": "n", "workflowApiVersion": 1.0}).status_code == 200


def test_nth_fails_only_that_call_and_times_the_first_n(cp: ControlCase) -> None:
    cp.admin.add_fault(path="/interaction/v1/interactions", status=500, nth=3)
    codes = [cp.api.get(BASE).status_code for _ in range(5)]
    assert codes == [200, 200, 500, 200, 200]
    cp.admin.ok("DELETE", "/faults")
    cp.admin.add_fault(path="/interaction/v1/interactions", status=500, times=2)
    assert [cp.api.get(BASE).status_code for _ in range(4)] == [500, 500, 200, 200]


def test_latency_delays_the_answer_and_marks_it(cp: ControlCase) -> None:
    rule = cp.admin.add_fault(path=JOURNEYS, latencyMs=300)
    started = time.monotonic()
    response = cp.api.get(BASE)
    assert time.monotonic() - started >= 0.3  # at least the delay; never assert an upper bound
    assert response.status_code == 200 and response.json()["count"] == 0
    assert response.headers["X-Journeystack-Fault"] == rule["id"]
    # A route error after the delay is still marked.
    missing = cp.api.get(f"{BASE}/key:nope")
    assert missing.status_code == 404 and missing.headers["X-Journeystack-Fault"] == rule["id"]


def test_latency_and_an_answer_combine(cp: ControlCase) -> None:
    slow = cp.admin.add_fault(latencyMs=200)
    failing = cp.admin.add_fault(status=500)
    started = time.monotonic()
    response = cp.api.get(BASE)
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 500
    assert response.headers["X-Journeystack-Fault"] == f"{slow['id']},{failing['id']}"


def test_a_seeded_probability_repeats_exactly(cp: ControlCase) -> None:
    def pattern() -> list[int]:
        cp.admin.ok("DELETE", "/faults")
        cp.admin.add_fault(path=JOURNEYS, status=503, probability=0.5, seed=42)
        return [cp.api.get(BASE).status_code for _ in range(12)]

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 503}


def test_probability_zero_never_fires(cp: ControlCase) -> None:
    cp.admin.add_fault(status=500, probability=0)
    assert {cp.api.get(BASE).status_code for _ in range(5)} == {200}


def test_rules_match_method_path_glob_and_business_unit(cp: ControlCase) -> None:
    cp.admin.add_fault(
        method="delete", path="/INTERACTION/v1/interactions/key:*", mid=cp.other.mid, status=500
    )
    cp.api.create("mine")
    cp.other.create("theirs")
    assert cp.api.delete(f"{BASE}/key:mine").status_code == 200  # another business unit
    assert cp.other.get(f"{BASE}/key:theirs").status_code == 200  # another method
    assert cp.other.delete(f"{BASE}/key%3Atheirs").status_code == 500  # path decoded, case-insensitive
    assert cp.other.delete(BASE).status_code != 500  # the glob does not match


def test_tokens_route_can_be_faulted_but_the_control_plane_and_openapi_cannot(cp: ControlCase) -> None:
    cp.admin.add_fault(path="*", status=503)
    assert cp.api.client.post("/v2/token", json={}).status_code == 503
    assert cp.admin.get("/info").status_code == 200
    assert cp.api.client.get(PREFIX + "/health").status_code == 200
    assert cp.api.client.get("/openapi.json").status_code == 200


def test_unauthenticated_and_unrouted_calls_are_not_faulted(cp: ControlCase) -> None:
    cp.admin.add_fault(path="*", status=503)
    assert cp.api.client.get(BASE).status_code == 401  # no token: refused before any rule
    assert cp.api.get("/interaction/v1/nothing-here").status_code == 404


def test_list_show_and_delete_rules(cp: ControlCase) -> None:
    first = cp.admin.add_fault(status=500, nth=1)
    second = cp.admin.add_fault(latencyMs=1, method="GET")
    listed = cp.admin.ok("GET", "/faults")
    assert listed["count"] == 2 and [r["id"] for r in listed["rules"]] == [first["id"], second["id"]]
    assert listed["rules"][1] == {
        "id": second["id"], "method": "GET", "path": "*", "mid": None, "probability": 1.0, "seed": None,
        "nth": None, "times": None, "status": None, "retryAfter": None, "message": None, "errorcode": None,
        "latencyMs": 1, "matched": 0, "fired": 0,
    }  # fmt: skip
    cp.api.get(BASE)
    shown = cp.admin.ok("GET", f"/faults/{first['id']}")
    assert (shown["matched"], shown["fired"]) == (1, 1)
    assert cp.admin.ok("DELETE", f"/faults/{first['id']}") == {"deleted": 1}
    body = assert_refused(cp.admin.get(f"/faults/{first['id']}"), 404, 90003)
    assert body["message"] == f"No fault rule has the id '{first['id']}'."
    assert_refused(cp.admin.delete(f"/faults/{first['id']}"), 404, 90003)
    assert cp.admin.ok("DELETE", "/faults") == {"deleted": 1}
    assert cp.admin.ok("GET", "/faults") == {"count": 0, "rules": []}


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ({}, "A rule needs an action"),
        ({"status": 200}, "status must be an error status, 400 to 599."),
        ({"status": 500, "nth": 1, "times": 2}, "Give nth"),
        ({"status": 500, "probability": 1.5}, "probability must be between 0 and 1."),
        ({"status": 500, "method": "FETCH"}, "method must be one of"),
        ({"status": 500, "path": "interaction"}, "path must be a glob pattern starting with / or *."),
        ({"latencyMs": 1, "retryAfter": 1}, "retryAfter needs a status"),
        ({"latencyMs": 120_000}, "latencyMs must be between 0 and 60000."),
        ({"status": "429"}, "status: Input should be a valid integer."),
        ({"status": 429, "retry_after": 1}, "retry_after: Extra inputs are not permitted."),
        ({"status": 500, "nth": 0}, "nth must be 1 or more."),
    ],
)
def test_a_bad_rule_is_refused(cp: ControlCase, rule: dict[str, object], fragment: str) -> None:
    body = assert_refused(cp.admin.post("/faults", json=rule), 400, 90005)
    assert body["message"].startswith("The fault rule was refused: ")
    assert fragment in body["message"], body
    assert cp.admin.ok("GET", "/faults")["count"] == 0
