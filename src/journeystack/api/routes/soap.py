"""POST /Service.asmx: SFMC's SOAP partner API, the small part SFMC tools need (journeystack.soap)."""

from __future__ import annotations

from journeystack.soap.endpoint import CONTENT_TYPE, SoapEndpoint, SoapLimits

from ..http import ApiRequest, ApiResponse
from ..routing import Answer, Route
from ..state import AppState

_XML = {"type": "string", "description": "A SOAP 1.1 envelope (text/xml)."}


def routes(state: AppState) -> list[Route]:
    settings = state.settings
    limits = SoapLimits(settings.soap_max_objects, settings.soap_max_filter_value_length)
    endpoint = SoapEndpoint(state.ctx, state.tokens, limits)

    def service(request: ApiRequest) -> ApiResponse:
        reply = endpoint.handle(request.body)
        return ApiResponse(status=reply.status, body=reply.body, headers={"Content-Type": CONTENT_TYPE})

    return [
        Route(
            "POST",
            "/Service.asmx",
            service,
            "soapService",
            "SOAP partner API: Retrieve/Create/Update of DataFolder, AccountUser, and empty answers for "
            "the dependency types SFMC tools cache. The token travels in the fueloauth header element.",
            # The token is in the envelope, not in an Authorization header; the endpoint checks it.
            authenticated=False,
            scopes=(),
            request_schema=_XML,
            request_media_type="text/xml",
            response_schema=_XML,
            media_type="text/xml",
            responses={
                500: Answer(
                    "SOAP fault (faultstring `Token Expired` for a missing or expired token; "
                    "`soap:Client` for a request journeystack cannot read).",
                    _XML,
                    "text/xml",
                ),
            },
            tag="soap",
            # Up to JOURNEYSTACK_SOAP_MAX_OBJECTS writes, or a filter over every folder: off the loop.
            blocking=True,
        )
    ]
