"""`serve --workers N` hands its settings to the worker processes as JOURNEYSTACK_* variables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from journeystack.config import load_settings, settings_environment


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [n for n in os.environ if n.startswith("JOURNEYSTACK_")]:
        monkeypatch.delenv(name)
    original = load_settings(
        database_url="postgresql+psycopg://u:secret@127.0.0.1:5432/js",
        pool_size=3,
        pool_max_overflow=0,
        workers=4,
        access_log=False,
        packages='[{"client_id": "a", "client_secret": "b", "mids": [1, 2], "scopes": ["journeys_read"]}]',
        packages_file=tmp_path / "packages.json",
        operation_delay_seconds=0.25,
    )
    environment = settings_environment(original)
    assert environment["JOURNEYSTACK_ACCESS_LOG"] == "false"
    assert "JOURNEYSTACK_PUBLIC_URL" not in environment  # None: left unset
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original


def test_a_configuration_error_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.control_plane import run_cli

    monkeypatch.setenv("JOURNEYSTACK_TOKEN_LIFETIME_SECONDS", "30")
    monkeypatch.setenv("JOURNEYSTACK_PACKAGES", '[{"client_id": "a", "client_secret": "hush", "mids": []}]')
    status, _, err = run_cli("db", "upgrade")
    assert status == 2
    assert err == (
        "journeystack: invalid configuration:\n"
        "  JOURNEYSTACK_PACKAGES ([0].mids): List should have at least 1 item after validation, not 0\n"
        "  JOURNEYSTACK_TOKEN_LIFETIME_SECONDS: Input should be greater than or equal to 60 (got '30')\n"
    )
