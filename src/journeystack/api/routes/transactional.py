"""/interaction/v1/interactions/transactional/create, /pause and /resume: the lifecycle of
transactional-send journeys (undocumented by SFMC; Journey Builder and mcdev call them)."""

from __future__ import annotations

from collections.abc import Callable

from journeystack.errors import InvalidRequest, Problem
from journeystack.services import transactional

from ..http import ApiRequest, ApiResponse, json_response, parse_json_object
from ..routing import Route
from ..schemas.common import closed
from ..state import AppState
from .interactions import BASE, user_of

_BODY = {
    "type": "object",
    "required": ["definitionId"],
    "properties": {"definitionId": {"type": "string", "description": "The journey's id."}},
}
# SFMC's recorded answer to each of the three (mcdev's fixtures).
_ANSWER = {"title": "TransactionalAccepted", **closed({"errors": {"type": "array", "maxItems": 0}})}


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx
    depth = state.settings.max_json_depth

    def handler(action: Callable[..., object]) -> Callable[[ApiRequest], ApiResponse]:
        def handle(request: ApiRequest) -> ApiResponse:
            body = parse_json_object(request.body, max_depth=depth)
            definition_id = body.get("definitionId")
            if not isinstance(definition_id, str) or not definition_id.strip():
                raise InvalidRequest([Problem("definitionId is required.", 10002, "definitionId")])
            action(ctx, request.mid, definition_id.strip(), user=user_of(request))
            return json_response({"errors": []})

        return handle

    refused = {
        400: "No definitionId, not a transactional-send journey (10005), or (create) the publish checks "
        "refused it (errorcode 121500, `errors` lists why).",
        404: "Interaction not found (errorcode 30003).",
        409: "Cannot {verb} interaction in {Status} status. (errorcode 30002)",
    }
    return [
        Route("POST", f"{BASE}/transactional/{verb}", handler(action), f"{verb}Transactional", summary,
              strict_scopes=("journeys_execute",) if verb == "create" else ("journeys_aspr",),
              request_schema=_BODY, response_schema=_ANSWER, responses=refused, tag="lifecycle")
        for verb, action, summary in (
            ("create", transactional.create, "Publish a transactional-send journey (now)."),
            ("pause", transactional.pause, "Pause a Published transactional-send journey."),
            ("resume", transactional.resume, "Resume a Paused transactional-send journey."),
        )
    ]  # fmt: skip
