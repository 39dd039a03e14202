"""Helpers for the control-plane tests: an admin client, and a test case bundling it with SFMC clients."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from journeystack import cli
from tests.support import CLIENT_ID, CLIENT_SECRET, Api

ADMIN_TOKEN = "cp-test-admin-token-5d1f0c"
PREFIX = "/_journeystack"
MIDS = (1000001, 1000002)
FAST_OPERATIONS = {"operation_delay_seconds": 0.05, "worker_poll_seconds": 0.02}
# The test package's JWT signing secret: custom-activity calls of its journeys are signed with it.
JWT_SECRET = "test-package-jwt-signing-secret-7c1e"


def packages_json(mids: tuple[int, ...] = MIDS) -> list[dict[str, Any]]:
    return [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": list(mids),
             "jwt_signing_secret": JWT_SECRET}]  # fmt: skip


def server_env(directory: Path, **extra: str) -> dict[str, str]:
    """Environment for `journeystack serve` with the test package, fast operations, the admin token."""
    packages = directory / "packages.json"
    packages.write_text(json.dumps(packages_json()))
    return {
        "JOURNEYSTACK_PACKAGES_FILE": str(packages),
        "JOURNEYSTACK_ACCESS_LOG": "false",
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,
        **{f"JOURNEYSTACK_{name.upper()}": str(value) for name, value in FAST_OPERATIONS.items()},
        **extra,
    }


@dataclass
class Admin:
    """A client of the control plane that sends the admin token."""

    client: httpx.Client
    token: str = ADMIN_TOKEN

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(method, PREFIX + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def clean(self) -> None:
        """The whole store emptied (tokens kept), no fault rule, an empty journal."""
        self.ok("POST", "/reset")
        self.ok("DELETE", "/faults")
        self.ok("DELETE", "/journal")

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.ok("POST", "/faults", json=rule)
        return body

    def journal(self, **query: Any) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.ok("GET", "/journal", params=query)["entries"]
        return entries


@dataclass
class ControlCase:
    """One control-plane test's world: a server, its database, the admin and two SFMC clients."""

    kind: str
    base_url: str
    database_url: str
    admin: Admin
    api: Api  # acts for MIDS[0]
    other: Api  # the same package acting for MIDS[1]

    def cli(self, *args: str, admin_token: str | None = ADMIN_TOKEN) -> tuple[int, str, str]:
        """Run `journeystack admin ARGS` in this process against the case's server (HTTP)."""
        extra = ["--url", self.base_url] if "--database-url" not in args else []
        if admin_token is not None and "--database-url" not in args:
            extra += ["--admin-token", admin_token]
        return run_cli("admin", *args, *extra)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """`journeystack ARGV` run in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(argv))
        except SystemExit as exit_:
            status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


def make_case(kind: str, client: httpx.Client, base_url: str, database_url: str) -> ControlCase:
    api = Api(client=client, mid=MIDS[0], other_mid=MIDS[1], database_url=database_url).authenticate()
    other = Api(client=client, mid=MIDS[1], other_mid=MIDS[0], database_url=database_url).authenticate()
    return ControlCase(kind, base_url, database_url, Admin(client), api, other)


def assert_refused(response: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["errorcode"] == errorcode, body
    assert set(body) >= {"message", "errorcode", "documentation"}
    return body
