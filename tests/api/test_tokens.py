"""POST /v2/token and the bearer-token rules of every /interaction route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.domain.clock import FrozenClock
from tests.support import BASE, Api, app_in_thread, assert_error, migrated_sqlite_url, token_body

NOT_AUTHORIZED = "Not Authorized"
DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"


def test_token_response_has_what_sfmc_clients_read(api: Api) -> None:
    response = api.client.post("/v2/token", json=token_body(api.mid))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1079 and isinstance(body["expires_in"], int)
    assert isinstance(body["scope"], str) and "journeys_read" in body["scope"].split()
    base = str(api.client.base_url).rstrip("/") + "/"
    assert body["rest_instance_url"] == base
    assert body["soap_instance_url"] == base
    assert len(body["access_token"]) >= 40


def test_query_string_on_the_token_path_is_ignored(api: Api) -> None:
    url = "/v2/token?t=https://mctestlocal00000000000000000.auth.marketingcloudapis.com/"
    assert api.client.post(url, json=token_body(api.mid)).status_code == 200


def test_a_nul_in_the_ignored_query_string_is_ignored_too(api: Api) -> None:
    # Found writing the OpenAPI document: the NUL guard answered SFMC's envelope (400) on /v2/token,
    # whose errors are OAuth bodies and whose query string is ignored. Routes that read no query
    # parameter now ignore the query string whole; the others still refuse a NUL in it.
    assert api.client.post("/v2/token?x=%00", json=token_body(api.mid)).status_code == 200
    refused = api.client.post("/v2/token?x=%00", json={"grant_type": "password"})
    assert refused.status_code == 400 and refused.json()["error"] == "unsupported_grant_type"
    assert api.get("/interaction/v1/interactions/journeyhistory/freshness?x=%00").status_code == 200
    assert api.get(f"{BASE}?x=%00").status_code == 400


def test_account_id_may_be_a_string(api: Api) -> None:
    assert api.client.post("/v2/token", json=token_body(str(api.mid))).status_code == 200


def test_requested_scopes_are_narrowed_to_the_package(api: Api) -> None:
    body = api.client.post("/v2/token", json=token_body(api.mid, scope="journeys_read made_up_scope")).json()
    assert body["scope"] == "journeys_read"


@pytest.mark.parametrize(
    "change", [{"client_id": "nobody"}, {"client_secret": "wrong"}, {"client_secret": None}, {"client_id": 5}]
)
def test_bad_credentials_are_401_invalid_client(api: Api, change: dict[str, object]) -> None:
    response = api.client.post("/v2/token", json={**token_body(api.mid), **change})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"] and body["error_uri"]


def test_other_grant_types_are_400_unsupported_grant_type(api: Api) -> None:
    response = api.client.post("/v2/token", json={**token_body(api.mid), "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_unparseable_token_request_is_400_invalid_request(api: Api) -> None:
    response = api.client.post("/v2/token", content=b"grant_type=client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_business_unit_outside_the_package_is_refused(api: Api) -> None:
    response = api.client.post("/v2/token", json=token_body(999))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", BASE), ("POST", BASE), ("PUT", BASE + "/key:x"),
                                              ("DELETE", BASE + "/key:x"), ("GET", BASE + "/nope/nothing")])  # fmt: skip
def test_interaction_routes_need_a_valid_bearer_token(
    api: Api, headers: dict[str, str], method: str, path: str
) -> None:
    response = api.client.request(method, path, headers=headers, json={})
    body = assert_error(response, 401, 0, NOT_AUTHORIZED)
    assert body["documentation"] == DOC
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_sees_only_its_own_business_unit(api: Api) -> None:
    mine = api.create("mine")
    other = Api(client=api.client, mid=api.other_mid, database_url=api.database_url).authenticate()
    assert other.get(f"{BASE}/key:mine").status_code == 404
    assert other.get(f"{BASE}/{mine['id']}").status_code == 404
    assert other.get(BASE).json()["count"] == 0
    assert other.delete(f"{BASE}/key:mine").status_code == 404
    assert (
        other.post(BASE, json={"key": "mine", "name": "theirs", "workflowApiVersion": 1}).status_code == 200
    )
    assert api.get(f"{BASE}/key:mine").json()["name"] == mine["name"]
    stale_put = {
        "key": "mine",
        "name": "x",
        "version": 1,
        "workflowApiVersion": 1,
        "modifiedDate": mine["modifiedDate"],
    }
    assert other.put(BASE, json=stale_put).status_code in (400, 200)  # their own journey, never mine
    assert api.get(f"{BASE}/key:mine").json()["name"] == mine["name"]


@pytest.fixture
def frozen() -> Iterator[tuple[httpx.Client, FrozenClock]]:
    import tempfile

    clock = FrozenClock()
    with tempfile.TemporaryDirectory() as directory:
        settings = load_settings(
            database_url=migrated_sqlite_url(Path(directory) / "js.db"),
            access_log=False,
            packages='[{"client_id": "journeystack", "client_secret": "journeystack", "mids": [1, 2]}]',
        )
        app = create_app(settings, clock=clock)
        with app_in_thread(app) as url, httpx.Client(base_url=url) as client:
            yield client, clock


def test_tokens_expire_after_twenty_minutes(frozen: tuple[httpx.Client, FrozenClock]) -> None:
    client, clock = frozen
    token = client.post("/v2/token", json=token_body(1)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(20 * 60 * 1000 - 1)
    assert client.get(BASE, headers=headers).status_code == 200
    clock.advance(1)
    assert_error(client.get(BASE, headers=headers), 401, 0, NOT_AUTHORIZED)


def test_every_401_names_its_reason_in_the_server_log(
    frozen: tuple[httpx.Client, FrozenClock], caplog: pytest.LogCaptureFixture
) -> None:
    client, clock = frozen
    token = client.post("/v2/token", json=token_body(1)).json()["access_token"]
    clock.advance(20 * 60 * 1000)
    caplog.set_level("INFO", logger="journeystack.api")
    calls = [
        ({}, "no Authorization header"),
        ({"Authorization": "Token abc"}, "the Authorization header is not 'Bearer <access token>'"),
        ({"Authorization": "Bearer nope"}, "unknown access token: not issued by this server's store"),
        ({"Authorization": f"Bearer {token}"}, "access token expired at 2023-11-14T22:33:20Z"),
    ]
    for headers, reason in calls:
        response = client.get(BASE, headers={**headers, "X-Request-Id": "why-401"})
        assert_error(response, 401, 0, NOT_AUTHORIZED)
        logged = caplog.records[-1]
        assert (logged.name, logged.levelname, logged.getMessage()) == (
            "journeystack.api",
            "INFO",
            f"401 GET {BASE}: {reason}",
        )
        assert logged.request_id == "why-401"  # type: ignore[attr-defined]
    refused = client.post("/v2/token", json=token_body(3))
    assert refused.status_code == 401
    assert caplog.records[-1].getMessage() == (
        "401 POST /v2/token: client_id 'journeystack' may not act for business unit 3"
    )
    assert token not in caplog.text
