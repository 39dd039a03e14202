"""The OpenAPI document against the route table and the renderers it describes, without a server
(tests/api/test_schemathesis.py checks it against a running one)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import orjson
import pytest

from journeystack import errors as e
from journeystack.api.app import api_of, create_app
from journeystack.api.errors import ERROR_HANDLING_DOC, OAUTH_DOC, STATUS, render_error
from journeystack.api.routing import EMPTY_OK, Route
from journeystack.config import load_settings
from journeystack.console import is_console_path
from journeystack.domain.lifecycle import OperationProblem
from journeystack.errors import Problem


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Route], dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'never-opened.db'}"
    api = api_of(create_app(load_settings(database_url=url, access_log=False)))
    # The web console's HTML pages are served beside the API but are not part of it (docs/console.md).
    return [
        r for r in api.router.routes if r.operation_id != "openapi" and not is_console_path(r.template)
    ], api.openapi


def test_the_console_is_served_but_not_described(tmp_path: Any) -> None:
    api = api_of(create_app(load_settings(database_url=f"sqlite:///{tmp_path / 'never-opened.db'}")))
    assert any(is_console_path(r.template) for r in api.router.routes)
    assert not [path for path in api.openapi["paths"] if is_console_path(path)]


def _valid(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
    return bool(validator.is_valid(value))


def _operation(document: dict[str, Any], route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][route.template][route.method.lower()]
    return operation


def test_every_route_is_one_operation_with_its_own_success_status(built: tuple[list[Route], Any]) -> None:
    routes, document = built
    assert sum(len(methods) for methods in document["paths"].values()) == len(routes)
    statuses = {}
    for route in routes:
        operation = _operation(document, route)
        assert operation["operationId"] == route.operation_id
        answer = operation["responses"][str(route.status)]
        if route.status != 304 and route.responses.get(route.status) is not EMPTY_OK:
            assert list(answer["content"]) == [route.media_type]
        assert "413" in operation["responses"]
        if route.authenticated or route.admin:
            assert "$ref" in operation["responses"]["401"]
        statuses[route.operation_id] = route.status
    assert statuses["postInteractionsEvents"] == 201
    assert {
        statuses[o] for o in ("postInteractionsAsyncEvents", "contactExit", "pauseById", "resumeByKey")
    } == {202}
    assert statuses["postInteraction"] == statuses["getInteractionCollection"] == 200


def test_stop_and_event_definition_delete_answer_an_empty_200(built: tuple[list[Route], Any]) -> None:
    routes, document = built
    empty = {r.operation_id for r in routes if r.responses.get(r.status) is EMPTY_OK}
    assert empty == {"stopById", "stopByKey", "deleteEventDefinitionById", "deleteEventDefinitionByKey"}
    for route in routes:
        if route.operation_id in empty:
            assert "content" not in _operation(document, route)["responses"]["200"]


def test_the_unknown_route_404_is_sfmcs_body_and_an_error_envelope(built: tuple[list[Route], Any]) -> None:
    _routes, document = built
    value = orjson.loads(render_error(e.RouteNotFound()).body or b"")
    assert value == {"message": "Not Found", "errorcode": 404, "documentation": ERROR_HANDLING_DOC}
    assert _valid(document, {"$ref": "#/components/schemas/Error"}, value)


def test_a_put_that_changes_nothing_is_a_304_without_a_body(built: tuple[list[Route], Any]) -> None:
    _routes, document = built
    for path in ("/interaction/v1/interactions", "/interaction/v1/interactions/{id}"):
        answer = document["paths"][path]["put"]["responses"]["304"]
        assert "content" not in answer


def test_soap_answers_and_faults_are_text_xml(built: tuple[list[Route], Any]) -> None:
    _routes, document = built
    operation = document["paths"]["/Service.asmx"]["post"]
    assert list(operation["requestBody"]["content"]) == ["text/xml"]
    assert list(operation["responses"]["200"]["content"]) == ["text/xml"]
    assert list(operation["responses"]["500"]["content"]) == ["text/xml"]


def test_lists_answer_sfmc_pages(built: tuple[list[Route], Any]) -> None:
    _routes, document = built
    schemas = document["components"]["schemas"]
    for name in ("JourneyPage", "EventDefinitionPage", "AuditPage", "JourneyHistoryPage"):
        assert schemas[name]["required"] == ["count", "page", "pageSize", "links", "items"]
        assert schemas[name]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (e.InvalidTokenRequest(), 400, "invalid_request"),
        (e.UnsupportedGrantType(), 400, "unsupported_grant_type"),
        (e.InvalidClient(), 401, "invalid_client"),
        (e.UnauthorizedClient(), 401, "unauthorized_client"),
    ],
)
def test_the_token_errors_are_described_exactly(
    built: tuple[list[Route], Any], error: e.OAuthError, status: int, body: str
) -> None:
    _routes, document = built
    answer = document["paths"]["/v2/token"]["post"]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    rendered = render_error(error)
    assert rendered.status == status
    value = orjson.loads(rendered.body or b"")
    assert value["error"] == body and value["error_uri"] == OAUTH_DOC
    assert _valid(document, schema, value)
    assert not _valid(document, schema, {**value, "error_description": "something else"})
    assert not _valid(document, schema, {**value, "extra": 1})
    other = "invalid_client" if status == 400 else "invalid_request"
    assert not _valid(document, schema, {**value, "error": other})


def _instances() -> list[e.JourneystackError]:
    """One instance of each error the table maps (constructors that need arguments get some)."""
    made: list[e.JourneystackError] = []
    for cls in STATUS:
        if cls is e.MethodNotAllowed:
            made.append(e.MethodNotAllowed(["GET", "PUT"]))
        elif cls is e.PayloadTooLarge:
            made.append(e.PayloadTooLarge(4096))
        elif cls is e.FaultRuleNotFound:
            made.append(e.FaultRuleNotFound("f9"))
        elif cls is e.OutboxMessageNotFound:
            made.append(e.OutboxMessageNotFound(7))
        elif cls in (e.RateLimitExceeded, e.ServiceUnavailable):
            made.append(cls("f1", retry_after=1))
        elif issubclass(cls, e.InvalidRequest):
            made.append(cls([Problem("x is wrong.", 10005, "x")]))
        elif cls is e.TransactionalPublishFailed:
            made.append(
                cls(
                    [
                        OperationProblem(
                            "121001", "An activity is not configured.", "Error", {"activityKey": "A"}
                        )
                    ]
                )
            )
        elif cls is e.FolderError:
            made.append(e.FolderError("no", "Name"))
        else:
            made.append(cls())
    return made


@pytest.mark.parametrize("error", _instances(), ids=lambda error: type(error).__name__)
def test_every_error_the_table_renders_is_the_envelope_the_document_describes(
    built: tuple[list[Route], Any], error: e.JourneystackError
) -> None:
    _routes, document = built
    rendered = render_error(error)
    if rendered.status == 304:
        assert rendered.body is None
        return
    value = orjson.loads(rendered.body or b"")
    if isinstance(error, e.OAuthError):
        schema = document["paths"]["/v2/token"]["post"]["responses"][str(rendered.status)]
        assert _valid(document, schema["content"]["application/json"]["schema"], value)
        return
    assert _valid(document, {"$ref": "#/components/schemas/Error"}, value), value
    shared = {
        e.NotAuthenticated: "NotAuthorized",
        e.AdminNotAuthenticated: "AdminTokenRequired",
        e.PayloadTooLarge: "PayloadTooLarge",
        e.UnsupportedMediaType: "UnsupportedMediaType",
        e.MethodNotAllowed: "InvalidOperation",
    }
    if type(error) in shared:
        response = document["components"]["responses"][shared[type(error)]]
        assert _valid(document, response["content"]["application/json"]["schema"], value)
        for header, spec in response["headers"].items():
            if spec.get("required") and header != "X-Request-Id":  # the pipeline adds that one
                assert header in rendered.headers
    if isinstance(error, e.NotAuthenticated):
        assert value["documentation"] == ERROR_HANDLING_DOC


def test_required_query_parameters_are_the_ones_handlers_refuse_to_go_without(
    built: tuple[list[Route], Any],
) -> None:
    _routes, document = built
    publish = document["paths"]["/interaction/v1/interactions/publishAsync/{id}"]["post"]
    (version,) = [p for p in publish["parameters"] if p["name"] == "versionNumber"]
    assert version["required"] is True and version["schema"]["maximum"] == 2**31 - 1
    pause = document["paths"]["/interaction/v1/interactions/pause/{id}"]["post"]
    assert not any(p["required"] for p in pause["parameters"] if p["in"] == "query")


def test_the_root_is_described(built: tuple[list[Route], Any]) -> None:
    _routes, document = built
    operation = document["paths"]["/"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    root = {
        "name": "journeystack",
        "version": "0.1.0",
        "links": {"openapi": "/openapi.json", "discovery": "/interaction/v1/rest", "console": "/console/"},
    }
    assert _valid(document, schema, root)
    assert not _valid(document, schema, {**root, "extra": 1})
    assert "security" not in operation


def test_every_route_taking_a_json_body_describes_the_415(built: tuple[list[Route], Any]) -> None:
    routes, document = built
    takers = [r for r in routes if r.refuses_other_media_types()]
    assert {"postInteraction", "updateInteraction"} <= {r.operation_id for r in takers}
    assert "getToken" not in {r.operation_id for r in takers}  # OAuth: it reads its body itself
    for route in routes:
        responses = _operation(document, route)["responses"]
        assert ("415" in responses) == (route in takers), route.operation_id
    answer = render_error(e.UnsupportedMediaType())
    schema = _operation(document, takers[0])["responses"]["415"]
    schema = document["components"]["responses"][schema["$ref"].rsplit("/", 1)[-1]]
    assert answer.status == 415
    assert _valid(document, schema["content"]["application/json"]["schema"], orjson.loads(answer.body or b""))
