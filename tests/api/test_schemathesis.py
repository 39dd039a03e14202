"""Schemathesis against /openapi.json (issue 12, general guard): every answer, to any input, is one
the document describes (its status, media type, headers and body schema), and none is a 5xx except
the SOAP faults the document lists.

Every operation is fuzzed (schemathesis's examples, coverage and fuzzing phases), then the OpenAPI
links are followed as a state machine: create a journey, read it back, update it with the
modifiedDate it answered, publish it, poll the status, stop, pause, resume, delete it. SFMC routes run
against one server with a valid token; control-plane routes against another, with the admin token,
so a fuzzed fault rule, reset or clock change cannot disturb them. Examples are derandomized and
bounded, so the run is the same every time and fits `make test`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.generation.meta import CoverageScenario, coverage_scenario
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from journeystack.api.app import api_of, create_app
from journeystack.config import load_settings
from journeystack.errors import MethodNotAllowed
from tests.support import CLIENT_ID, CLIENT_SECRET, DEFAULT_MID, app_in_thread, running_server, token_body

EXAMPLES = 12
ADMIN_TOKEN = "schemathesis-admin-token"
CONTROL_PLANE = "/_journeystack/"


def _document() -> dict[str, Any]:
    """The same /openapi.json a server answers, built in-process (no database is opened)."""
    import tempfile

    url = f"sqlite:///{tempfile.gettempdir()}/journeystack-openapi-never-opened.db"
    app = create_app(load_settings(database_url=url, access_log=False))
    document: dict[str, Any] = api_of(app).openapi
    return document


PACKAGES = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [DEFAULT_MID]}]


@pytest.fixture(scope="session")
def sfmc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real `journeystack serve` process, as clients meet it."""
    directory = tmp_path_factory.mktemp("schemathesis-sfmc")
    packages = directory / "packages.json"
    packages.write_text(json.dumps(PACKAGES))
    env = {
        "JOURNEYSTACK_PACKAGES_FILE": str(packages),
        "JOURNEYSTACK_ACCESS_LOG": "false",
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,  # the stateful test resets the store between scenarios
        "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0",
    }
    url = f"sqlite:///{directory / 'j.db'}"
    with running_server(url, env=env, log_path=directory / "server.log") as base:
        token = httpx.post(base + "/v2/token", json=token_body()).json()["access_token"]
        yield base, {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def control_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server of its own for the control plane (in this process: it starts in a second), where
    fuzzed fault rules, resets and clock moves disturb no other test."""
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis-control') / 'j.db'}"
    settings = load_settings(database_url=url, access_log=False, packages=PACKAGES, admin_token=ADMIN_TOKEN)
    with app_in_thread(create_app(settings)) as base:
        yield base, {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx, except a SOAP fault (HTTP 500, text/xml), as the document lists."""
    soap_fault = case.path == "/Service.asmx" and "text/xml" in " ".join(
        response.headers.get("content-type", [])
    )
    assert response.status_code < 500 or soap_fault, (
        case.method,
        case.path,
        response.status_code,
        response.text[:500],
    )


def wrong_method_is_invalid_operation(ctx: Any, response: Any, case: Any) -> None:
    """A method the path does not list (the coverage phase sends several) answers as the document's
    `InvalidOperation` says: 400 (not 405), errorcode 30001, and `Allow` naming exactly the methods
    of the paths the request's path is one of."""
    if coverage_scenario(case) is not CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        return
    sent = response.request.method
    path = response.request.url.split("?", 1)[0].split("/", 3)[3]
    listed = ", ".join(
        sorted({m.upper() for t in DOCUMENT["paths"] if _matches(t, path) for m in DOCUMENT["paths"][t]})
    )
    assert response.status_code == 400, (sent, case.path, response.status_code)
    assert response.headers.get("allow") == [listed], (sent, case.path, response.headers.get("allow"))
    if sent != "HEAD":
        body = json.loads(response.content)
        assert body == {"message": MethodNotAllowed.default_message, "errorcode": 30001, "documentation": ""}


def _matches(template: str, path: str) -> bool:
    """Whether a request path is one of a path template's (literal segments in any case; `{id}`
    takes any segment but a `key:` one, `key:{key}` a `key:` one): a literal such as
    `contactMembership` is also an `{id}`, so `Allow` names the methods of both."""
    wanted = [s for s in template.split("/") if s]
    given = [unquote(s) for s in path.split("/") if s]
    if len(wanted) != len(given):
        return False
    for pattern, segment in zip(wanted, given, strict=True):
        if pattern.startswith("{"):
            if segment.lower().startswith("key:"):
                return False
        elif pattern.endswith("}"):
            if not segment.lower().startswith(pattern.split("{")[0].lower()):
                return False
        elif pattern.lower() != segment.lower():
            return False
    return True


CHECKS = [
    no_server_error,
    wrong_method_is_invalid_operation,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

DOCUMENT = _document()
# Only the links the document declares: no inferred ones, so the scenarios are the documented ones.
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {
            "stateful": {
                # Valid requests with the fixture's token: the stateless run covers invalid ones.
                "generation": {"mode": "positive", "with-security-parameters": False, "allow-x00": False},
                "inference": {"algorithms": []},
            }
        }
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


# One connection pool for every call (keep-alive), rather than a new session per case.
SESSION = requests.Session()


def _target(case: Any, request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    fixture = "control_server" if case.path.startswith(CONTROL_PLANE) else "sfmc_server"
    target: tuple[str, dict[str, str]] = request.getfixturevalue(fixture)
    return target


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_one_the_document_describes(case: Any, request: pytest.FixtureRequest) -> None:
    base, headers = _target(case, request)
    case.call_and_validate(base_url=base, headers=headers, checks=CHECKS, timeout=30, session=SESSION)


STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 10


def test_following_the_links_every_answer_is_one_the_document_describes(
    request: pytest.FixtureRequest,
) -> None:
    """The OpenAPI links as a state machine: a journey created is read back by id and key, updated
    with the modifiedDate it answered, published, validated, polled, stopped, paused, resumed and
    deleted; an event definition is read, updated, fired and deleted; a fault rule is read and
    removed (on the control-plane server, whose rules are cleared before each scenario too)."""

    sfmc_base, _ = request.getfixturevalue("sfmc_server")
    admin = httpx.Client(base_url=sfmc_base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
    request.addfinalizer(admin.close)
    control_base, control_headers = request.getfixturevalue("control_server")
    control = httpx.Client(base_url=control_base, headers=control_headers, timeout=30)
    request.addfinalizer(control.close)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Every scenario starts from the same (empty) store and no fault rule, so the same draws
            # meet the same answers: Hypothesis requires it, and it makes a failing scenario replayable.
            reset = admin.post(f"{CONTROL_PLANE}reset")
            assert reset.status_code == 200, reset.text
            assert control.delete(f"{CONTROL_PLANE}faults").status_code == 200

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            base, headers = _target(case, request)
            return {"base_url": base, "headers": headers, "timeout": 30, "session": SESSION}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(
                    response, checks=CHECKS, headers=kwargs.get("headers"), transport_kwargs=kwargs
                )
            except Exception as failure:
                failures.append(failure)
                raise

    failures: list[Exception] = []
    try:
        _run(Workflow)
    except FlakyStrategyDefinition:
        # A publish that finished, or had not yet, can still make the same draws meet other answers
        # (the store is reset, the background worker's timing is not). Hypothesis then stops; as
        # schemathesis's own runner does, that ends the run, not the test, unless a check failed.
        if failures:
            raise failures[0] from None


def _run(workflow: Any) -> None:
    workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            # Generate only: a scenario's rules depend on what the server answered, so replaying or
            # shrinking one against a server whose state moved on draws different rules.
            phases=[Phase.generate],
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
