"""The pytest plugin (entry point `pytest11`): the `journeystack` fixture.

A journeystack server runs in a thread of the test process, on a free loopback port and a temporary
SQLite store, once per test session (per xdist worker); before each test the control plane empties
it. `--journeystack-url` points the fixture at a running server instead. The marker
`@pytest.mark.journeystack(mid=..., strict_scopes=True)` picks the business unit a test acts for and
a server that enforces the strict per-verb scopes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from journeystack.client import Client

    from .handle import Journeystack
    from .server import RunningServer

MARKER = "journeystack"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("journeystack", "journeystack (SFMC Journey Builder API for tests)")
    group.addoption(
        "--journeystack-url",
        default=os.environ.get("JOURNEYSTACK_TEST_URL"),
        help="use this running journeystack instead of one in a thread (env JOURNEYSTACK_TEST_URL); "
        "its state is reset before every test",
    )
    group.addoption(
        "--journeystack-admin-token",
        default=os.environ.get("JOURNEYSTACK_TEST_ADMIN_TOKEN"),
        help="the admin token of --journeystack-url (env JOURNEYSTACK_TEST_ADMIN_TOKEN)",
    )
    group.addoption(
        "--journeystack-client-id",
        default=os.environ.get("JOURNEYSTACK_TEST_CLIENT_ID", "journeystack"),
        help="client id of an installed package of --journeystack-url (default journeystack)",
    )
    group.addoption(
        "--journeystack-client-secret",
        default=os.environ.get("JOURNEYSTACK_TEST_CLIENT_SECRET", "journeystack"),
        help="its client secret (default journeystack)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("journeystack_url") and not config.getoption("journeystack_admin_token"):
        raise pytest.UsageError(
            "--journeystack-url needs --journeystack-admin-token (or JOURNEYSTACK_TEST_ADMIN_TOKEN)"
        )
    config.addinivalue_line(
        "markers",
        f"{MARKER}(mid=None, strict_scopes=False): the business unit the journeystack fixture acts "
        "for, and whether its server enforces the strict per-verb scopes",
    )


@dataclass
class _Servers:
    """The servers of a test session: in threads, started when first asked for, or one external."""

    config: pytest.Config
    settings: dict[str, Any]
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    started: dict[bool, RunningServer] = field(default_factory=dict)

    def get(self, strict_scopes: bool) -> RunningServer:
        external = self.config.getoption("journeystack_url")
        if external:
            return self._external(external, strict_scopes)
        if strict_scopes not in self.started:
            from .server import serve_in_thread

            self.started[strict_scopes] = self.stack.enter_context(
                serve_in_thread(strict_scopes=strict_scopes, **self.settings)
            )
        return self.started[strict_scopes]

    def _external(self, url: str, strict_scopes: bool) -> RunningServer:
        import httpx

        from .server import RunningServer

        if False not in self.started:
            token = self.config.getoption("journeystack_admin_token")
            client_id = self.config.getoption("journeystack_client_id")
            answer = httpx.get(
                url.rstrip("/") + "/_journeystack/info",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            if answer.status_code != 200:
                raise pytest.UsageError(
                    f"{url}/_journeystack/info answered {answer.status_code}: {answer.text}"
                )
            info = answer.json()
            mids = next((p["mids"] for p in info["packages"] if p["clientId"] == client_id), None)
            if not mids:
                raise pytest.UsageError(f"{url} has no installed package with client id {client_id!r}")
            self.started[False] = RunningServer(
                url=url.rstrip("/"),
                admin_token=token,
                client_id=client_id,
                client_secret=self.config.getoption("journeystack_client_secret"),
                mids=tuple(mids),
                strict_scopes=bool(info["settings"].get("JOURNEYSTACK_STRICT_SCOPES")),
            )
        server = self.started[False]
        if strict_scopes and not server.strict_scopes:
            pytest.fail(
                f"this test needs strict scopes, and the journeystack at {server.url} does not enforce "
                "them: start it with JOURNEYSTACK_STRICT_SCOPES=true",
                pytrace=False,
            )
        return server


@pytest.fixture(scope="session")
def journeystack_settings() -> dict[str, Any]:
    """Settings of the in-thread servers beyond the plugin's own (any `journeystack.config.Settings`
    field, e.g. {"random_seed": 7}); override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def _journeystack_servers(
    pytestconfig: pytest.Config, journeystack_settings: dict[str, Any]
) -> Iterator[_Servers]:
    servers = _Servers(pytestconfig, dict(journeystack_settings))
    with servers.stack:
        yield servers


@pytest.fixture
def journeystack(request: pytest.FixtureRequest, _journeystack_servers: _Servers) -> Iterator[Journeystack]:
    """A journeystack server, emptied for this test: `.url`, `.client_id`, `.client_secret`, `.mid`,
    `.token`, `.client()`, and the control plane (`.reset()`, `.seed()`, `.snapshot()`, `.faults`,
    `.journal`, `.clock`, `.outbox`, `.contacts`)."""
    from .handle import Journeystack

    marker = request.node.get_closest_marker(MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    unknown = set(options) - {"mid", "strict_scopes"}
    if unknown or (marker and marker.args):
        pytest.fail(f"@pytest.mark.journeystack takes mid= and strict_scopes= only, not {sorted(unknown)}")
    server = _journeystack_servers.get(bool(options.get("strict_scopes", False)))
    mid = options.get("mid")
    if mid is not None and mid not in server.mids:
        pytest.fail(
            f"@pytest.mark.journeystack(mid={mid}): the server's package acts for {list(server.mids)}"
        )
    handle = Journeystack(
        server.url, server.admin_token, client_id=server.client_id, client_secret=server.client_secret,
        mids=server.mids, mid=mid, strict_scopes=server.strict_scopes,
    )  # fmt: skip
    try:
        handle.clean()
        yield handle
    finally:
        handle.close()


@pytest.fixture
def journeystack_client(journeystack: Journeystack) -> Client:
    """A typed `journeystack.client.Client` for the test's business unit."""
    return journeystack.client()
