"""Lifecycle rules that need time under control: operations in flight, pause expiry, multi-process polling."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.domain.clock import FrozenClock
from tests.support import (
    BASE,
    Api,
    app_in_thread,
    assert_error,
    create_event,
    migrated_sqlite_url,
    publish,
    publishable_journey,
    running_server,
    wait_for_operation,
)

CONFLICT = (
    "Conflict, this change would cause a current operation on the specified interaction or a running "
    "interaction to be changed, which is not permitted"
)
DAY = 86_400_000


@dataclass
class Frozen:
    api: Api
    clock: FrozenClock
    app: Any


@pytest.fixture
def frozen() -> Iterator[Frozen]:
    clock = FrozenClock()
    with tempfile.TemporaryDirectory() as directory:
        url = migrated_sqlite_url(Path(directory) / "js.db")
        settings = load_settings(
            database_url=url, access_log=False, operation_delay_seconds=5, worker_poll_seconds=0.02
        )
        app = create_app(settings, clock=clock)
        with app_in_thread(app) as base, httpx.Client(base_url=base) as client:
            yield Frozen(Api(client=client, mid=1000001, database_url=url).authenticate(), clock, app)


def test_put_while_a_publish_is_in_process_is_409(frozen: Frozen) -> None:
    api = frozen.api
    create_event(api)
    journey = api.post(BASE, json=publishable_journey("busy")).json()
    started = api.post(f"{BASE}/publishAsync/{journey['id']}?versionNumber=1").json()
    assert api.get(started["statusUrl"]).json()["status"] == "PublishInProcess"
    assert_error(api.put(BASE, json={**journey, "name": "changed"}), 409, 409, CONFLICT)
    again = api.post(f"{BASE}/publishAsync/{journey['id']}?versionNumber=1")
    assert_error(again, 409, 30002, "An operation is already in process for this interaction version.")
    assert_error(api.delete(f"{BASE}/key:busy"), 409, 409, CONFLICT)
    frozen.clock.advance(5000)
    assert wait_for_operation(api, started["statusUrl"])["status"] == "PublishCompleted"


def test_validate_in_process_blocks_edits_then_releases_them(frozen: Frozen) -> None:
    api = frozen.api
    journey = api.create("v")
    started = api.post(f"{BASE}/validateAsync/key:v?versionNumber=1").json()
    assert api.get(started["statusUrl"]).json()["status"] == "ValidateInProcess"
    assert_error(api.put(BASE, json={**journey, "name": "changed"}), 409, 409, CONFLICT)
    frozen.clock.advance(5000)
    assert wait_for_operation(api, started["statusUrl"])["status"] == "Error"
    assert api.put(BASE, json={**journey, "name": "changed"}).status_code == 200


@pytest.mark.parametrize(("action", "after"), [("Stop", "Stopped"), ("Resume", "Published")])
def test_a_pause_expires_after_paused_days_by_its_guardrail_action(
    frozen: Frozen, action: str, after: str
) -> None:
    api = frozen.api
    create_event(api)
    journey = api.post(BASE, json=publishable_journey("p")).json()
    started = api.post(f"{BASE}/publishAsync/{journey['id']}?versionNumber=1").json()
    frozen.clock.advance(5000)
    wait_for_operation(api, started["statusUrl"])
    options = {"PausedDays": 2, "GuardrailAction": action, "ExtendWaitEndDates": True}
    assert api.post(f"{BASE}/pause/key:p?versionNumber=1", json=options).status_code == 202
    frozen.clock.advance(2 * DAY - 1)
    frozen.app.state.engine.run_until()
    api.authenticate()  # the frozen clock ages tokens too
    assert api.get(f"{BASE}/key:p").json()["status"] == "Paused"
    frozen.clock.advance(1)
    frozen.app.state.engine.run_until()
    assert api.get(f"{BASE}/key:p").json()["status"] == after
    audit = api.get(f"{BASE}/key:p/audit/all").json()["items"][0]
    assert audit["action"] == action and "expired" in audit["user"]["name"]


def test_default_pause_lasts_fourteen_days_then_stops(frozen: Frozen) -> None:
    api = frozen.api
    create_event(api)
    journey = api.post(BASE, json=publishable_journey("p14")).json()
    started = api.post(f"{BASE}/publishAsync/{journey['id']}?versionNumber=1").json()
    frozen.clock.advance(5000)
    wait_for_operation(api, started["statusUrl"])
    api.post(f"{BASE}/pause/key:p14?versionNumber=1")
    frozen.clock.advance(14 * DAY)
    frozen.app.state.engine.run_until()
    api.authenticate()
    assert api.get(f"{BASE}/key:p14").json()["status"] == "Stopped"


def test_a_publish_started_on_one_process_is_polled_to_completion_on_another(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {"JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0.5", "JOURNEYSTACK_ACCESS_LOG": "false"}
    with running_server(url, env=env) as first, running_server(url, env=env) as second:
        with httpx.Client(base_url=first) as a, httpx.Client(base_url=second) as b:
            one = Api(client=a, mid=1000001, database_url=url).authenticate()
            two = Api(client=b, mid=1000001, database_url=url)
            two.headers = one.headers  # a token issued by one process is good on the other
            create_event(one)
            journey = one.post(BASE, json=publishable_journey("shared")).json()
            started = one.post(f"{BASE}/publishAsync/{journey['id']}?versionNumber=1").json()
            assert two.get(started["statusUrl"]).json()["status"] == "PublishInProcess"
            assert wait_for_operation(two, started["statusUrl"])["status"] == "PublishCompleted"
            assert two.get(f"{BASE}/key:shared").json()["status"] == "Published"


def test_strict_scopes(tmp_path: Any) -> None:
    url = migrated_sqlite_url(tmp_path / "scopes.db")
    settings = load_settings(
        database_url=url, access_log=False, strict_scopes=True, operation_delay_seconds=0
    )
    with app_in_thread(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        full = Api(client=client, mid=1000001, database_url=url).authenticate()
        token = client.post("/v2/token", json={"grant_type": "client_credentials", "client_id": "journeystack",
                                              "client_secret": "journeystack", "scope": "journeys_read"}).json()  # fmt: skip
        reader = {"Authorization": f"Bearer {token['access_token']}"}
        privileges = "Insufficient Privileges"
        assert client.get(BASE, headers=reader).status_code == 200
        assert_error(client.post(BASE, headers=reader, json={"key": "k", "name": "n", "workflowApiVersion": 1}),
                     403, 20002, privileges)  # fmt: skip
        created = full.create("k")
        for method, path in (("POST", f"publishAsync/{created['id']}?versionNumber=1"),
                             ("POST", f"stop/{created['id']}?versionNumber=1"),
                             ("POST", f"pause/{created['id']}?versionNumber=1"),
                             ("DELETE", "key:k")):  # fmt: skip
            assert_error(client.request(method, f"{BASE}/{path}", headers=reader), 403, 20002, privileges)
        assert publish(full, created)["status"] == "Error"  # the full token may (the journey is empty)


def test_default_scopes_follow_sfmc_journeys_read_everywhere(tmp_path: Any) -> None:
    url = migrated_sqlite_url(tmp_path / "loose.db")
    with (
        app_in_thread(create_app(load_settings(database_url=url, access_log=False))) as base,
        httpx.Client(base_url=base) as client,
    ):
        token = client.post("/v2/token", json={"grant_type": "client_credentials", "client_id": "journeystack",
                                              "client_secret": "journeystack", "scope": "journeys_read"}).json()  # fmt: skip
        reader = {"Authorization": f"Bearer {token['access_token']}"}
        assert (
            client.post(
                BASE, headers=reader, json={"key": "k", "name": "n", "workflowApiVersion": 1}
            ).status_code
            == 200
        )
        nothing = client.post("/v2/token", json={"grant_type": "client_credentials", "client_id": "journeystack",
                                                "client_secret": "journeystack", "scope": ""}).json()  # fmt: skip
        assert nothing["scope"] == ""
        response = client.get(BASE, headers={"Authorization": f"Bearer {nothing['access_token']}"})
        assert_error(response, 403, 20002, "Insufficient Privileges")
