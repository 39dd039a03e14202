"""The request journal: what it records, what it masks, filters, bounds, and switching it off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from tests.control_plane import (
    ADMIN_TOKEN,
    PREFIX,
    Admin,
    ControlCase,
    assert_refused,
    make_case,
    packages_json,
)
from tests.support import (
    BASE,
    CLIENT_SECRET,
    SFMC_ERROR_DOC,
    app_in_thread,
    migrated_sqlite_url,
    running_server,
    token_body,
)


def test_a_call_is_recorded_with_its_answer(cp: ControlCase) -> None:
    cp.api.create("k", description="d")
    cp.api.get(f"{BASE}/key:k?extras=all", headers={"X-Request-Id": "req-42"})
    newest, created = cp.admin.journal(limit=2)
    assert newest["method"] == "GET" and newest["path"] == f"{BASE}/key:k" and newest["query"] == "extras=all"
    assert newest["status"] == 200 and newest["requestId"] == "req-42" and newest["mid"] == cp.api.mid
    assert newest["fault"] is None and newest["durationMs"] >= 0 and newest["time"].endswith("Z")
    assert newest["response"]["body"]["key"] == "k" and newest["response"]["bodyTruncated"] is False
    assert newest["response"]["headers"]["x-request-id"] == "req-42"
    assert created["method"] == "POST" and created["request"]["body"]["description"] == "d"
    assert created["sequence"] < newest["sequence"]


def test_secrets_and_tokens_are_masked(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    issued = cp.api.client.post("/v2/token", json=token_body(cp.api.mid)).json()["access_token"]
    cp.api.client.get(BASE, headers={"Authorization": f"Bearer {issued}"})
    cp.api.client.post(
        "/v2/token",
        content=f"grant_type=client_credentials&client_id=journeystack&client_secret={CLIENT_SECRET}x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    cp.api.get(BASE, params={"access_token": "query-secret-1", "x": "1"})
    cp.api.post(BASE, json={"key": "k", "name": "n", "workflowApiVersion": 1.0,
                            "metaData": {"apiPassword": "pw-1", "nested": [{"refresh_token": "rt-1"}]}})  # fmt: skip
    response = cp.admin.get("/journal")
    raw = response.text
    for secret in (issued, cp.api.token, CLIENT_SECRET + "x", "query-secret-1", "pw-1", "rt-1", ADMIN_TOKEN):
        assert secret not in raw
    entries = response.json()["entries"]
    form, sent_token, listing, token = entries[2], entries[3], entries[1], entries[4]
    assert token["request"]["body"]["client_secret"] == "********"
    assert token["request"]["body"]["client_id"] == "journeystack"
    assert token["response"]["body"]["access_token"] == "********"
    assert token["response"]["body"]["expires_in"] > 0
    assert sent_token["request"]["headers"]["authorization"] == "Bearer ********"
    assert form["request"]["body"]["client_secret"] == "********" and form["status"] == 400
    assert listing["query"] == "access_token=%2A%2A%2A%2A%2A%2A%2A%2A&x=1"
    created = entries[0]["request"]["body"]["metaData"]
    assert created == {"apiPassword": "********", "nested": [{"refresh_token": "********"}]}


def test_control_plane_calls_are_not_journaled(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    cp.admin.get("/info")
    cp.api.client.get(PREFIX + "/health")
    cp.api.client.get("/_JourneyStack/info/")  # refused, and still the control plane
    cp.api.get(BASE)
    assert [entry["path"] for entry in cp.admin.journal()] == [BASE]


def test_filters_by_path_status_business_unit_and_limit(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    cp.api.create("a")
    cp.api.get(f"{BASE}/key:missing")
    cp.other.get(BASE)
    cp.api.get(BASE)
    assert [e["status"] for e in cp.admin.journal(status=404)] == [404]
    assert [e["status"] for e in cp.admin.journal(status="4xx")] == [404]
    assert [e["path"] for e in cp.admin.journal(path="KEY:")] == [f"{BASE}/key:missing"]
    assert {e["mid"] for e in cp.admin.journal(mid=cp.other.mid)} == {cp.other.mid}
    assert len(cp.admin.journal(limit=2)) == 2
    assert len(cp.admin.journal(path="/interaction", status=200)) == 3
    assert_refused(cp.admin.get("/journal", params={"status": "teapot"}), 400, 400)
    assert_refused(cp.admin.get("/journal", params={"limit": "0"}), 400, 400)


def test_faulted_calls_are_marked(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    rule = cp.admin.add_fault(status=429, times=1)
    cp.api.get(BASE)
    cp.api.get(BASE)
    ok, faulted = cp.admin.journal()
    assert faulted["fault"] == rule["id"] and faulted["status"] == 429
    assert faulted["response"]["headers"]["retry-after"] == "1"
    assert ok["fault"] is None and ok["status"] == 200


def test_clearing_the_journal(cp: ControlCase) -> None:
    cp.api.get(BASE)
    cleared = cp.admin.ok("DELETE", "/journal")
    assert cleared["deleted"] >= 1
    assert cp.admin.ok("GET", "/journal") == {"enabled": True, "count": 0, "entries": []}


@pytest.fixture
def small(tmp_path: Path) -> Iterator[ControlCase]:
    """An app whose journal keeps 3 calls and 200 bytes of each body."""
    url = migrated_sqlite_url(tmp_path / "journeystack.db")
    settings = load_settings(database_url=url, access_log=False, packages=packages_json(), admin_token=ADMIN_TOKEN,
                             journal_size=3, journal_body_bytes=200)  # fmt: skip
    with app_in_thread(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        yield make_case("inprocess", client, base_url, url)


def test_the_journal_keeps_only_the_last_n_calls(small: ControlCase) -> None:
    for index in range(5):
        small.api.get(f"{BASE}/key:k{index}")
    assert [e["path"][-2:] for e in small.admin.journal()] == ["k4", "k3", "k2"]


def test_large_bodies_are_cut_and_still_masked(small: ControlCase) -> None:
    body = {
        "client_secret": "s3cr3t-value",
        "name": "n",
        "key": "k",
        "workflowApiVersion": 1.0,
        "pad": "x" * 500,
    }
    small.api.post(BASE, json=body)
    (entry,) = small.admin.journal(limit=1)
    captured = entry["request"]
    assert captured["bodyTruncated"] is True and captured["bodyBytes"] > 500
    assert isinstance(captured["body"], str) and len(captured["body"]) == 200
    assert '"client_secret":"********"' in captured["body"] and "s3cr3t" not in captured["body"]
    assert entry["response"]["bodyTruncated"] is True


@pytest.fixture(params=["inprocess", "server"])
def journal_off(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ControlCase]:
    url = migrated_sqlite_url(tmp_path / "journeystack.db")
    if request.param == "inprocess":
        settings = load_settings(database_url=url, access_log=False, packages=packages_json(),
                                 admin_token=ADMIN_TOKEN, journal=False)  # fmt: skip
        with app_in_thread(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
            yield make_case("inprocess", client, base_url, url)
    else:
        from tests.control_plane import server_env

        env = server_env(tmp_path, JOURNEYSTACK_JOURNAL="false")
        with running_server(url, env=env) as base_url, httpx.Client(base_url=base_url) as client:
            yield make_case("server", client, base_url, url)


def test_a_journal_switched_off_records_nothing(journal_off: ControlCase) -> None:
    journal_off.api.get(BASE)
    assert journal_off.admin.ok("GET", "/journal") == {"enabled": False, "count": 0, "entries": []}
    assert journal_off.admin.ok("GET", "/info")["settings"]["JOURNEYSTACK_JOURNAL"] is False


def test_admin_helper_sends_the_token(cp: ControlCase) -> None:
    assert Admin(cp.api.client).get("/info").status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no Authorization header"),
        ({"Authorization": "Basic abc"}, "the Authorization header is not 'Bearer <access token>'"),
        ({"Authorization": "Bearer"}, "the Authorization header is not 'Bearer <access token>'"),
        ({"Authorization": "Bearer not-a-token"}, "unknown access token: not issued by this server's store"),
    ],
)
def test_a_401_names_its_reason_in_the_journal_and_the_body_stays_sfmc(
    cp: ControlCase, headers: dict[str, str], reason: str
) -> None:
    response = cp.api.client.get(BASE, headers=headers)
    assert response.json() == {"message": "Not Authorized", "errorcode": 0, "documentation": SFMC_ERROR_DOC}
    (entry,) = cp.admin.journal(limit=1)
    assert (entry["status"], entry["reason"]) == (401, reason)


def test_a_refused_token_request_names_its_reason_in_the_journal(cp: ControlCase) -> None:
    refusals = [
        ({"client_id": "nobody"}, "unknown client_id"),
        ({"client_secret": "wrong"}, "wrong client_secret for client_id 'journeystack'"),
        ({"account_id": 999}, "client_id 'journeystack' may not act for business unit 999"),
    ]
    for change, reason in refusals:
        response = cp.api.client.post("/v2/token", json={**token_body(cp.api.mid), **change})
        assert response.status_code == 401 and set(response.json()) == {
            "error",
            "error_description",
            "error_uri",
        }
        (entry,) = cp.admin.journal(limit=1)
        assert (entry["status"], entry["reason"]) == (401, reason)


def test_an_answered_call_has_no_reason(cp: ControlCase) -> None:
    cp.api.get(BASE)
    assert cp.admin.journal(limit=1)[0]["reason"] is None
