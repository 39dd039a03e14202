"""Helpers shared by the test suites: free ports, a real `journeystack serve` process, API clients."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from journeystack.storage.sql.store import MIGRATIONS, SqlStore

CLIENT_ID = "journeystack"
CLIENT_SECRET = "journeystack"
DEFAULT_MID = 1000001
BASE = "/interaction/v1/interactions"
SFMC_ERROR_DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
DRAFT_EXISTS_MESSAGE = (
    "A draft version of this interaction already exists. Update or delete the draft version "
    "before creating a new one."
)
# How long a test waits for a server process to answer: generous, because a loaded CI machine may
# take many seconds to start Python and migrate (a start that fails says so at once).
START_SECONDS = 120


_templates: dict[str, Path] = {}


def migrations_digest() -> str:
    """A digest of every file under the migrations directory: it changes when a migration does."""
    digest = hashlib.sha256()
    for path in sorted(p for p in MIGRATIONS.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(MIGRATIONS)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def migrated_sqlite_url(path: Path | str) -> str:
    """The URL of a new SQLite database at `path`, already migrated: a copy of this process's
    template (one per xdist worker and session, remade when the migrations change), which costs
    a file copy where running Alembic costs tens of milliseconds."""
    key = migrations_digest()
    template = _templates.get(key)
    if template is None:
        directory = Path(tempfile.mkdtemp(prefix="journeystack-template-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        template = directory / f"migrated-{key}.db"
        store = SqlStore(f"sqlite:///{template}")
        try:
            store.upgrade()
        finally:
            store.dispose()  # the last connection closed: the WAL is checkpointed into the file
        _templates[key] = template
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def app_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app built in this process with uvicorn in a thread; yields its base URL.

    Tests that need to reach inside the app (a frozen clock, seeded ids) use this.
    """
    import threading

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("in-process server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def running_server(
    database_url: str,
    *,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    cwd: Path | None = None,
) -> Iterator[str]:
    """Start `journeystack serve` on a free loopback port; yields its base URL and stops it after.

    It runs in `cwd`, by default a directory of its own: a server started without an admin token
    keeps the one it generates in ./.journeystack/admin-token, which must not land in the checkout."""
    if cwd is None:
        with tempfile.TemporaryDirectory(prefix="journeystack-serve-") as directory:
            with running_server(database_url, env=env, log_path=log_path, cwd=Path(directory)) as url:
                yield url
        return
    port = free_port()
    command = [sys.executable, "-m", "journeystack", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--database-url", database_url]  # fmt: skip
    full_env = {**os.environ, **(env or {})}
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        # One client for every poll: each new one loads the CA bundle, ~0.4 s on a loaded machine.
        with httpx.Client(timeout=1) as probe:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"journeystack serve exited with {process.returncode}")
                try:
                    if probe.get(url + "/openapi.json").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"journeystack serve did not start within {START_SECONDS} s")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()  # type: ignore[union-attr]


def token_body(mid: int = DEFAULT_MID, **extra: Any) -> dict[str, Any]:
    return {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "account_id": mid, **extra}  # fmt: skip


def journey_body(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "name": f"Journey {key}", "workflowApiVersion": 1.0, **extra}


@dataclass
class Api:
    """An authenticated client for one business unit, over any transport (in-process or real server)."""

    client: httpx.Client
    mid: int
    database_url: str
    other_mid: int = 0  # a second business unit the same package may act for
    token: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def authenticate(self) -> Api:
        response = self.client.post("/v2/token", json=token_body(self.mid))
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        return self

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, key: str, **extra: Any) -> dict[str, Any]:
        response = self.post(BASE, json=journey_body(key, **extra))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def as_sent(document: dict[str, Any], *, event_ids: bool = True) -> dict[str, Any]:
    """A journey answer without what the server adds inside its spec when it stores it (issue 13):
    activity and trigger ids, activity argument schemas and (with `event_ids`) the trigger's
    metaData.eventDefinitionId filled in from its key. Round-trip tests compare what was sent with this."""

    def element(item: Any, *, schema: bool) -> Any:
        if not isinstance(item, dict):
            return item
        kept = {k: v for k, v in item.items() if k != "id" and not (schema and k == "schema")}
        meta = kept.get("metaData")
        if event_ids and isinstance(meta, dict) and "eventDefinitionKey" in meta:
            kept["metaData"] = {k: v for k, v in meta.items() if k != "eventDefinitionId"}
        return kept

    result = dict(document)
    if isinstance(result.get("activities"), list):
        result["activities"] = [element(a, schema=True) for a in result["activities"]]
    if isinstance(result.get("triggers"), list):
        result["triggers"] = [element(t, schema=False) for t in result["triggers"]]
    return result


def assert_error(response: httpx.Response, status: int, errorcode: int, message: str) -> dict[str, Any]:
    """Status, errorcode and message of an SFMC error envelope, and that it is JSON."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["errorcode"] == errorcode, body
    assert body["message"] == message, body
    assert "documentation" in body
    return body


FIXTURES = Path(__file__).parent / "fixtures" / "journeys"


def realistic_journeys() -> list[dict[str, Any]]:
    """The ten realistic journeys in tests/fixtures/journeys, as a client would POST them."""
    import json

    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("[0-9]*.json"))]


def create_fixture_events(api: Api) -> None:
    """The event definitions the realistic journeys' triggers refer to."""
    import json

    for event in json.loads((FIXTURES / "_event_definitions.json").read_text()):
        body = {**event, "dataExtensionId": "8a1e7c6e-0000-4000-8000-00000000de01"}
        response = api.post("/interaction/v1/eventDefinitions", json=body)
        assert response.status_code == 200, response.text


def wait_for_operation(api: Api, status_url: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll a publishStatus/validateStatus URL until it leaves *InProcess."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(status_url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if not body["status"].endswith("InProcess"):
            return body
        assert time.monotonic() < deadline, f"operation still {body['status']} after {timeout} s"
        time.sleep(0.02)


def publish(api: Api, journey: dict[str, Any], kind: str = "publish") -> dict[str, Any]:
    """Start a publish (or validate) of a journey version and wait for its outcome."""
    response = api.post(f"{BASE}/{kind}Async/{journey['id']}?versionNumber={journey['version']}", json={})
    assert response.status_code == 200, response.text
    started = response.json()
    assert set(started) == {"statusId", "statusUrl"}
    return wait_for_operation(api, started["statusUrl"])


def publishable_journey(key: str, event_key: str = "APIEvent-publishable") -> dict[str, Any]:
    """The smallest journey that passes the publish checks (its event definition must exist)."""
    return {
        "key": key,
        "name": f"Journey {key}",
        "workflowApiVersion": 1.0,
        "entryMode": "MultipleEntries",
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": event_key}}],
        "activities": [
            {"key": "WAIT-1", "type": "WAIT", "outcomes": [{"key": "w1", "next": None}],
             "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}, "metaData": {"isConfigured": True}},
        ],
    }  # fmt: skip


def create_event(api: Api, key: str = "APIEvent-publishable") -> dict[str, Any]:
    body = {"type": "APIEvent", "name": key, "eventDefinitionKey": key, "dataExtensionId": "de-" + key[:20]}
    response = api.post("/interaction/v1/eventDefinitions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
