"""Schemathesis against /openapi.json with a valid token (issue 12, general guard): no input,
however odd, gets a 5xx, except the SOAP faults the schema documents (HTTP 500, text/xml).
Examples are bounded and derandomized, so the run is the same every time and fits `make test`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from journeystack.api.app import api_of, create_app
from journeystack.config import load_settings
from tests.support import CLIENT_ID, CLIENT_SECRET, running_server, token_body

EXAMPLES = 12


@pytest.fixture(scope="session")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory = tmp_path_factory.mktemp("schemathesis")
    packages = directory / "packages.json"
    packages.write_text(
        json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [1000001]}])
    )
    env = {"JOURNEYSTACK_PACKAGES_FILE": str(packages), "JOURNEYSTACK_ACCESS_LOG": "false"}
    with running_server(
        f"sqlite:///{directory / 'j.db'}", env=env, log_path=directory / "server.log"
    ) as base:
        token = httpx.post(base + "/v2/token", json=token_body()).json()["access_token"]
        yield base, token


def _document() -> dict[str, Any]:
    """The same /openapi.json a server answers, built in-process (no database is opened)."""
    import tempfile

    url = f"sqlite:///{tempfile.gettempdir()}/journeystack-openapi-never-opened.db"
    app = create_app(load_settings(database_url=url, access_log=False))
    document: dict[str, Any] = api_of(app).openapi
    return document


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case: Any, fuzzed_server: tuple[str, str]) -> None:
    base, token = fuzzed_server
    response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    soap_fault = case.path == "/Service.asmx" and "text/xml" in " ".join(
        response.headers.get("content-type", [])
    )
    assert response.status_code < 500 or soap_fault, (
        case.method,
        case.path,
        response.status_code,
        response.text[:500],
    )
