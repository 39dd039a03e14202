"""The control plane: who may use it, health, readiness, info, reset, and its OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.domain.auth import package_user_id
from journeystack.storage.sql.admin import SqlStateStore
from journeystack.storage.sql.store import SqlStore
from tests.control_plane import (
    ADMIN_TOKEN,
    PREFIX,
    ControlCase,
    assert_refused,
    server_env,
)
from tests.support import BASE, Api, app_in_thread, migrated_sqlite_url, running_server

GUARDED = [
    ("GET", "/info"),
    ("POST", "/reset"),
    ("GET", "/snapshot"),
    ("POST", "/snapshot"),
    ("POST", "/journeys"),
    ("GET", "/journal"),
    ("DELETE", "/journal"),
    ("GET", "/faults"),
    ("POST", "/faults"),
    ("DELETE", "/faults"),
    ("GET", "/faults/f1"),
    ("DELETE", "/faults/f1"),
    ("GET", "/clock"),
    ("POST", "/clock/freeze"),
    ("POST", "/clock/advance"),
    ("POST", "/clock/run-until-idle"),
    ("POST", "/clock/real"),
    ("GET", "/outbox"),
    ("DELETE", "/outbox"),
    ("POST", "/outbox/{id}/engagement"),
    ("GET", "/contacts/k1/attributes"),
    ("PUT", "/contacts/k1/attributes"),
]
ADMIN_REFUSAL = (
    "The control plane needs the admin token (JOURNEYSTACK_ADMIN_TOKEN), sent as "
    "'Authorization: Bearer <admin token>' or 'X-Journeystack-Admin-Token: <admin token>'; "
    "access tokens from /v2/token never open it."
)


# --- access -----------------------------------------------------------------------------------


def test_every_guarded_route_refuses_a_call_without_the_admin_token(cp: ControlCase) -> None:
    for method, path in GUARDED:
        response = cp.api.client.request(method, PREFIX + path, json={})
        body = assert_refused(response, 401, 90001)
        assert body["message"] == ADMIN_REFUSAL
        assert response.headers["www-authenticate"] == 'Bearer realm="journeystack-control-plane"'


def test_an_sfmc_access_token_never_opens_the_control_plane(cp: ControlCase) -> None:
    for method, path in GUARDED:
        response = cp.api.request(method, PREFIX + path, json={})  # Authorization: Bearer <SFMC token>
        assert assert_refused(response, 401, 90001)["message"] == ADMIN_REFUSAL


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": ADMIN_TOKEN},  # no scheme
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"X-Journeystack-Admin-Token": ADMIN_TOKEN + "x"},
        {"X-Journeystack-Admin-Token": ""},
    ],
)
def test_a_wrong_admin_token_is_refused(cp: ControlCase, headers: dict[str, str]) -> None:
    assert_refused(cp.api.client.get(PREFIX + "/info", headers=headers), 401, 90001)


def test_the_admin_token_is_accepted_in_either_header(cp: ControlCase) -> None:
    by_bearer = cp.api.client.get(PREFIX + "/info", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    by_header = cp.api.client.get(PREFIX + "/info", headers={"X-Journeystack-Admin-Token": ADMIN_TOKEN})
    # An SFMC token in Authorization does not spoil the admin header.
    both = cp.api.get(PREFIX + "/info", headers={"X-Journeystack-Admin-Token": ADMIN_TOKEN})
    assert by_bearer.status_code == by_header.status_code == both.status_code == 200


def test_the_admin_token_does_not_open_sfmc_routes(cp: ControlCase) -> None:
    response = cp.api.client.get(BASE, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert_refused(response, 401, 0)


@pytest.fixture(params=["inprocess", "server"])
def disabled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[httpx.Client]:
    url = migrated_sqlite_url(tmp_path / "journeystack.db")
    if request.param == "inprocess":
        settings = load_settings(
            database_url=url, access_log=False, control_plane=False, admin_token=ADMIN_TOKEN
        )
        with app_in_thread(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
            yield client
    else:
        env = server_env(tmp_path, JOURNEYSTACK_CONTROL_PLANE="false")
        with running_server(url, env=env) as base_url, httpx.Client(base_url=base_url) as client:
            yield client


def test_a_disabled_control_plane_answers_404_everywhere(disabled: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for method, path in [*GUARDED, ("GET", "/health"), ("GET", "/ready")]:
        response = disabled.request(method, PREFIX + path, headers=headers, json={})
        body = assert_refused(response, 404, 404)
        assert body["message"] == "Not Found"


def test_a_disabled_control_plane_is_absent_from_openapi_and_injects_nothing(disabled: httpx.Client) -> None:
    paths = disabled.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(PREFIX)]
    assert "x-journeystack-fault" not in disabled.get("/openapi.json").headers


# --- health, readiness, info ----------------------------------------------------------------------


def test_health_needs_no_token(cp: ControlCase) -> None:
    response = cp.api.client.get(PREFIX + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0"}


def test_ready_needs_no_token_and_says_ready(cp: ControlCase) -> None:
    response = cp.api.client.get(PREFIX + "/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_ready_is_503_while_migrations_are_pending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journeystack.db'}"
    app = create_app(load_settings(database_url=url, access_log=False, admin_token=ADMIN_TOKEN))
    with app_in_thread(app) as base_url, httpx.Client(base_url=base_url) as client:
        _ready_follows_the_migrations(client, url)


def _ready_follows_the_migrations(client: httpx.Client, url: str) -> None:
    store = SqlStore(url)
    with store.engine.begin() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("DELETE FROM alembic_version"))
    try:
        body = assert_refused(client.get(PREFIX + "/ready"), 503, 90004)
        assert "migrations pending" in body["message"]
    finally:
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})
        store.dispose()
    assert client.get(PREFIX + "/ready").status_code == 200


def test_an_unreachable_database_is_reported_as_not_ready() -> None:
    store = SqlStore("postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none", pool_size=1)
    try:
        problem = SqlStateStore(store).readiness_problem()
    finally:
        store.dispose()
    assert problem is not None and problem.startswith("The database is unreachable: ")
    assert "secret-pw" not in problem


def test_info_tells_version_store_packages_and_settings_but_no_secret(cp: ControlCase) -> None:
    response = cp.admin.get("/info")
    assert response.status_code == 200
    info = response.json()
    assert info["name"] == "journeystack" and info["version"] == "0.1.0"
    assert info["store"] == load_settings(database_url=cp.database_url).database_url_for_display()
    assert info["packages"] == [
        {
            "clientId": "journeystack",
            "userId": package_user_id("journeystack"),
            "mids": [1000001, 1000002],
            "scopes": info["packages"][0]["scopes"],
        }
    ]
    assert "journeys_read" in info["packages"][0]["scopes"]
    assert info["packages"][0]["userId"] == 75111234  # the README's table
    settings = info["settings"]
    assert settings["JOURNEYSTACK_CONTROL_PLANE"] is True and settings["JOURNEYSTACK_JOURNAL"] is True
    assert settings["JOURNEYSTACK_JOURNAL_SIZE"] == 200 and "JOURNEYSTACK_TOKEN_LIFETIME_SECONDS" in settings
    assert info["controlPlane"] == {"faultRules": 0, "journalEntries": info["controlPlane"]["journalEntries"]}
    raw = response.text
    for secret in (ADMIN_TOKEN, "client_secret", "clientSecret", 'JOURNEYSTACK_PACKAGES"', cp.api.token):
        assert secret not in raw
    assert '"journeystack"' in raw  # the client id is shown, and it happens to equal the secret...
    assert raw.count('"journeystack"') == 2  # ...so only the name and the client id may carry it


def test_info_never_shows_a_database_password() -> None:
    from journeystack.api.schemas.admin import render_info

    settings = load_settings(database_url="postgresql+psycopg://app:hunter2@db.example:5432/js")
    info = render_info(settings, settings.installed_packages(), fault_rules=0,
                       journal_entries=0)  # fmt: skip
    assert "hunter2" not in str(info)
    assert info["store"] == "postgresql+psycopg://app:***@db.example:5432/js"


# --- reset ----------------------------------------------------------------------------------------


def _keys(api: Api) -> list[str]:
    response = api.get(BASE + "?$orderBy=Name")
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["items"]]


def test_reset_empties_every_business_unit_and_keeps_tokens(cp: ControlCase) -> None:
    cp.api.create("a")
    cp.api.create("b")
    cp.other.create("c")
    answer = cp.admin.ok("POST", "/reset")
    assert answer["scope"] == {"mid": None}
    assert answer["deleted"]["journeys"] == 3 and answer["deleted"]["audit_entries"] >= 3
    assert answer["kept"] == ["tokens"]
    assert _keys(cp.api) == [] and _keys(cp.other) == []  # the same tokens still work


def test_reset_of_one_business_unit_leaves_the_others(cp: ControlCase) -> None:
    cp.api.create("mine")
    cp.other.create("theirs")
    answer = cp.admin.ok("POST", "/reset", params={"mid": cp.api.mid})
    assert answer["scope"] == {"mid": cp.api.mid} and answer["deleted"]["journeys"] == 1
    assert _keys(cp.api) == [] and _keys(cp.other) == ["theirs"]


def test_reset_with_tokens_logs_every_client_out(cp: ControlCase) -> None:
    cp.api.create("a")
    answer = cp.admin.ok("POST", "/reset", params={"tokens": "true"})
    assert answer["deleted"]["tokens"] >= 2 and answer["kept"] == []
    assert_refused(cp.api.get(BASE), 401, 0)
    cp.api.authenticate()
    assert _keys(cp.api) == []


def test_reset_with_tokens_of_one_business_unit_keeps_the_others_tokens(cp: ControlCase) -> None:
    cp.admin.ok("POST", "/reset", params={"tokens": "true", "mid": cp.api.mid})
    assert_refused(cp.api.get(BASE), 401, 0)
    assert cp.other.get(BASE).status_code == 200


@pytest.mark.parametrize("query", [{"mid": "abc"}, {"mid": "0"}, {"tokens": "maybe"}])
def test_reset_refuses_a_bad_query(cp: ControlCase, query: dict[str, str]) -> None:
    cp.api.create("kept")
    assert_refused(cp.admin.post("/reset", params=query), 400, 400)
    assert _keys(cp.api) == ["kept"]


# --- OpenAPI --------------------------------------------------------------------------------------


def test_openapi_describes_every_control_plane_route(cp: ControlCase) -> None:
    document = cp.api.client.get("/openapi.json").json()
    operations = {
        (method.upper(), path[len(PREFIX) :]): operation
        for path, methods in document["paths"].items()
        if path.startswith(PREFIX)
        for method, operation in methods.items()
    }
    expected = {*GUARDED, ("GET", "/health"), ("GET", "/ready")}
    assert set(operations) == {
        (m, p.replace("f1", "{id}").replace("k1", "{contactKey}")) for m, p in expected
    }
    for (_method, path), operation in operations.items():
        assert operation["tags"] == ["control-plane"]
        assert operation["summary"]
        if path in ("/health", "/ready"):
            assert "security" not in operation
        else:
            assert operation["security"] == [{"adminBearer": []}, {"adminHeader": []}]
            assert "401" in operation["responses"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["adminHeader"] == {"type": "apiKey", "in": "header", "name": "X-Journeystack-Admin-Token"}
    fault_body = operations[("POST", "/faults")]["requestBody"]["content"]["application/json"]["schema"]
    assert fault_body == {"$ref": "#/components/schemas/FaultRuleBody"}
    assert "latencyMs" in document["components"]["schemas"]["FaultRuleBody"]["properties"]
