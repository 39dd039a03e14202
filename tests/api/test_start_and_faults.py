"""A failed start changes nothing, and fault rules never starve the control plane (issue 12 §9-10)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from journeystack.api.app import create_app
from journeystack.config import load_settings
from tests.control_plane import ADMIN_TOKEN, PREFIX
from tests.support import BASE, Api, app_in_thread, migrated_sqlite_url, running_server


def test_a_second_serve_on_a_busy_port_loads_no_seed_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    seed = tmp_path / "seed.json"
    seed.write_text(
        '{"format": "journeystack-snapshot", "format_version": 1, "scope": {"mid": null}, "tables": {}}'
    )
    with running_server(url) as base, httpx.Client(base_url=base, timeout=30) as client:
        api = Api(client=client, mid=1000001, database_url=url).authenticate()
        api.create("survivor")
        port = str(urlparse(base).port)
        second = subprocess.run(
            [sys.executable, "-m", "journeystack", "serve", "--port", port, "--database-url", url, "--seed", str(seed)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 2, second.stderr
        assert "cannot listen on" in second.stderr and "nothing was changed" in second.stderr
        assert "Traceback" not in second.stderr
        assert [i["key"] for i in api.get(BASE).json()["items"]] == ["survivor"]


def test_a_latency_rule_cannot_starve_the_admin(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=migrated_sqlite_url(tmp_path / "j.db"), access_log=False, admin_token=ADMIN_TOKEN
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with app_in_thread(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        api = Api(client=client, mid=1000001, database_url="").authenticate()
        assert client.post(f"{PREFIX}/faults", json={"latencyMs": 10_000}, headers=admin).status_code == 200

        def slow_call() -> None:
            with httpx.Client(base_url=url, timeout=30) as own:
                own.get(BASE, headers=api.headers)

        callers = [threading.Thread(target=slow_call) for _ in range(60)]  # more than the thread pool
        for caller in callers:
            caller.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert client.get(f"{PREFIX}/faults", headers=admin).status_code == 200
        assert client.delete(f"{PREFIX}/faults", headers=admin).json() == {"deleted": 1}
        # Starved, the admin would wait for a sleeping caller's thread: 10 s. The bound is far
        # from both that and from what the calls take on a loaded machine (well under a second).
        assert time.monotonic() - started < 6.0
        for caller in callers:
            caller.join(timeout=30)


def _serve_fails(tmp_path: Path, url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "journeystack", "db", "upgrade", "--database-url", url],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_an_unknown_dialect_is_one_line_saying_what_to_use(tmp_path: Path) -> None:
    assert "postgresql+psycopg://" in _serve_fails(tmp_path, "postgres://u:secret@127.0.0.1:1/db")


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    message = _serve_fails(tmp_path, "postgresql+psycopg://u:secret@127.0.0.1:1/db")
    assert "cannot use the database" in message and "secret" not in message


def test_a_read_only_database_is_one_line(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:  # root writes anyway: make the file itself unwritable through the URL
        url = f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true"
        (tmp_path / "ro.db").write_bytes(b"")
    else:
        (tmp_path / "ro.db").write_bytes(b"")
        (tmp_path / "ro.db").chmod(0o444)
        url = f"sqlite:///{tmp_path / 'ro.db'}"
    assert "cannot use the database" in _serve_fails(tmp_path, url)
