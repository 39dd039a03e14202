"""A journeystack server in a thread of this process, on a temporary SQLite store: what the pytest
plugin starts, and what any other test runner can start too (`serve_in_thread`)."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from journeystack.config import Settings

CLIENT_ID: Final = "journeystack"
CLIENT_SECRET: Final = "journeystack"
MIDS: Final = (1000001, 1000002)
# Publish and validate stay "in process" for 50 ms (a served journeystack: 1 s), long enough that
# polling is real and short enough that a suite does not wait. The background threads look for work
# every 100 ms (operations) and 250 ms (the engine): a session's servers then cost about 1.5 % of
# a core while idle instead of 5 %, and tests that need the engine now call run_until_idle() or
# advance the clock anyway.
FAST_OPERATIONS: Final[dict[str, Any]] = {
    "operation_delay_seconds": 0.05,
    "worker_poll_seconds": 0.1,
    "engine_poll_seconds": 0.25,
}
START_TIMEOUT: Final = 30.0


@dataclass(frozen=True, slots=True)
class RunningServer:
    """Where a server answers and how to talk to it."""

    url: str
    admin_token: str
    client_id: str
    client_secret: str
    mids: tuple[int, ...]
    strict_scopes: bool


def server_settings(database_url: str, *, admin_token: str, strict_scopes: bool = False,
                  mids: tuple[int, ...] = MIDS, **overrides: Any) -> Settings:  # fmt: skip
    """The settings of a test server: one package (journeystack/journeystack) acting for `mids`,
    fast publish operations, no access log; `overrides` are any other Settings fields."""
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise ValueError(f"not journeystack settings: {', '.join(unknown)}")
    values: dict[str, Any] = {
        "database_url": database_url,
        "packages": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": list(mids)}],
        "admin_token": admin_token,
        "strict_scopes": strict_scopes,
        "access_log": False,
        "log_level": "warning",
        **FAST_OPERATIONS,
        **overrides,
    }
    # model_validate, not Settings(...): the constructor would also read JOURNEYSTACK_* variables,
    # and a test server must not change with the environment of whoever runs the tests.
    return Settings.model_validate(values)


@contextlib.contextmanager
def serve_in_thread(
    directory: Path | None = None,
    *,
    strict_scopes: bool = False,
    mids: tuple[int, ...] = MIDS,
    **overrides: Any,
) -> Iterator[RunningServer]:
    """Start journeystack on a free loopback port, in a daemon thread of this process, on a SQLite
    file in `directory` (a temporary one by default); stop it when the block ends.

    Raises RuntimeError when it does not start within 30 seconds."""
    import uvicorn

    from journeystack.api.app import create_app

    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="journeystack-")))
        admin_token = secrets.token_urlsafe(24)
        settings = server_settings(
            f"sqlite:///{directory / 'journeystack.db'}",
            admin_token=admin_token,
            strict_scopes=strict_scopes,
            mids=mids,
            **overrides,
        )
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning", access_log=False,
            lifespan="on", server_header=False,
        )  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="journeystack-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError("the journeystack test server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield RunningServer(
                url=f"http://127.0.0.1:{port}",
                admin_token=admin_token,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                mids=mids,
                strict_scopes=strict_scopes,
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
