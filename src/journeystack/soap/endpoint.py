"""POST /Service.asmx: the partner-API calls SFMC tools make around journeys.

Retrieve of DataFolder answers the business unit's folders; Create and Update of DataFolder make
and rename folders; AccountUser answers the installed package's user; the dependency types mcdev
caches answer empty results. The access token travels in the `fueloauth` header element; a
missing, unknown or expired one is the fault `Token Expired`, on which sfmc-sdk fetches a new
token and retries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from journeystack.domain.auth import Grant
from journeystack.domain.folders import NewFolder
from journeystack.domain.queries import MAX_BIG_INTEGER
from journeystack.errors import FolderError, InvalidFolder, InvalidRequest, NotAuthenticated
from journeystack.services import folders as folder_service
from journeystack.services.context import ServiceContext
from journeystack.services.tokens import TokenService

from . import render
from .envelope import ChangeRequest, RetrieveRequest, SoapObject, SoapParseError, parse_envelope
from .filters import UnsupportedFilter, check_lengths, matches
from .objects import (
    ACCOUNT_USER_PROPERTIES,
    EMPTY_TYPES,
    FOLDER_PROPERTIES,
    account_user_record,
    chosen_properties,
    folder_records,
    selected,
)

log = logging.getLogger("journeystack.soap")

CONTENT_TYPE = "text/xml; charset=utf-8"
TOKEN_EXPIRED = "Token Expired"
INTERNAL_FAULT = "There was a problem processing your request, please try again or contact support"


@dataclass(frozen=True, slots=True)
class SoapLimits:
    """Work one SOAP request may ask for (settings JOURNEYSTACK_SOAP_*)."""

    # SFMC: "Maximum batch size for synchronous API requests: 50 objects".
    max_objects: int = 50
    max_filter_value_length: int = 1000


@dataclass(frozen=True, slots=True)
class SoapReply:
    status: int
    body: bytes


class SoapEndpoint:
    def __init__(self, ctx: ServiceContext, tokens: TokenService, limits: SoapLimits | None = None) -> None:
        self._ctx = ctx
        self._tokens = tokens
        self._limits = limits or SoapLimits()

    def handle(self, body: bytes) -> SoapReply:
        """The reply to one SOAP request: never raises. Whatever goes wrong is a SOAP fault, as
        SFMC answers (soap:Server, HTTP 500, for anything unexpected)."""
        request_id = self._ctx.ids.new_id()
        try:
            return self._handle(body, request_id)
        except Exception:
            log.exception("SOAP request %s failed unexpectedly", request_id)
            return self._fault("soap:Server", INTERNAL_FAULT, request_id)

    def _handle(self, body: bytes, request_id: str) -> SoapReply:
        try:
            envelope = parse_envelope(body)
        except SoapParseError as error:
            return self._fault("soap:Client", str(error), request_id)
        try:
            grant = self._tokens.verify(envelope.token)
        except NotAuthenticated:
            return self._fault("soap:Client", TOKEN_EXPIRED, request_id)
        request = envelope.request
        if isinstance(request, RetrieveRequest):
            return self._retrieve(grant, request, request_id)
        if isinstance(request, ChangeRequest):
            return self._change(grant, request, request_id)
        return self._fault("soap:Client", f"{envelope.action} is not supported by journeystack.", request_id)

    def _fault(self, code: str, message: str, request_id: str) -> SoapReply:
        return SoapReply(500, render.fault(code=code, message=message, message_id=request_id))

    def _retrieve(self, grant: Grant, request: RetrieveRequest, request_id: str) -> SoapReply:
        object_type = request.object_type
        order: tuple[str, ...]
        if object_type == "DataFolder":
            records = folder_records(folder_service.list_folders(self._ctx, grant.mid))
            order = FOLDER_PROPERTIES
        elif object_type == "AccountUser":
            records = [account_user_record(grant)]
            order = ACCOUNT_USER_PROPERTIES
        elif object_type in EMPTY_TYPES:
            records, order = [], ()
        else:
            status = f"Error: The object type {object_type} is not supported by journeystack."
            return SoapReply(200, render.retrieve_response(request_id=request_id, object_type=object_type,
                                                           results=[], status=status))  # fmt: skip
        try:
            check_lengths(request.filter, self._limits.max_filter_value_length)
            found = [r for r in records if matches(request.filter, r)]
        except UnsupportedFilter as error:
            status = f"Error: {error}"
            return SoapReply(200, render.retrieve_response(request_id=request_id, object_type=object_type,
                                                           results=[], status=status))  # fmt: skip
        chosen = chosen_properties(request.properties, order)
        results = [render.nest(r, selected(r, chosen)) for r in found]
        return SoapReply(
            200, render.retrieve_response(request_id=request_id, object_type=object_type, results=results)
        )

    def _change(self, grant: Grant, request: ChangeRequest, request_id: str) -> SoapReply:
        limit = self._limits.max_objects
        if len(request.objects) > limit:
            message = (
                f"The {request.action} request holds {len(request.objects)} objects; at most {limit} are "
                "accepted in one request (JOURNEYSTACK_SOAP_MAX_OBJECTS). Nothing was changed."
            )
            return self._fault("soap:Client", message, request_id)
        results = [self._change_one(grant, request.action, obj, n) for n, obj in enumerate(request.objects)]
        return SoapReply(
            200, render.change_response(action=request.action, request_id=request_id, results=results)
        )

    def _change_one(self, grant: Grant, action: str, obj: SoapObject, ordinal: int) -> render.ChangeResult:
        if obj.type != "DataFolder" or action == "Delete":
            what = (
                "Deleting folders" if obj.type == "DataFolder" else f"{action} of {obj.type or 'this object'}"
            )
            return render.ChangeResult(
                False, f"{what} is not supported by journeystack.", ordinal, error_code=10005
            )
        try:
            if action == "Create":
                folder = folder_service.create_folder(self._ctx, grant.mid, _new_folder(obj.fields))
                return render.ChangeResult(True, "Folder created successfully.", ordinal,
                                           new_id=folder.id, new_object_id=folder.object_id)  # fmt: skip
            folder_id = _int(obj.fields.get("ID"), "ID")
            folder_service.update_folder(
                self._ctx, grant.mid, folder_id,
                name=_str_or_none(obj.fields.get("Name")), description=_str_or_none(obj.fields.get("Description")),
            )  # fmt: skip
            return render.ChangeResult(True, "Folder updated successfully.", ordinal)
        except FolderError as error:
            return render.ChangeResult(False, error.message, ordinal, error_code=error.code)
        except InvalidRequest as error:
            return render.ChangeResult(False, error.message, ordinal, error_code=10005)


def _int(raw: Any, field: str) -> int:
    """A folder id: ASCII digits that fit the stores' BIGINT, as every backend holds them."""
    text = str(raw).strip()
    if text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_BIG_INTEGER:
        return int(text)
    raise InvalidFolder(f"{field} must be a whole number from 0 to {MAX_BIG_INTEGER}.", field)


def _str_or_none(raw: Any) -> str | None:
    return raw if isinstance(raw, str) else None


def _bool(raw: Any, default: bool) -> bool:
    if isinstance(raw, str) and raw.strip():
        return raw.strip().lower() == "true"
    return default


def _new_folder(fields: dict[str, Any]) -> NewFolder:
    parent = fields.get("ParentFolder")
    parent_id = parent.get("ID") if isinstance(parent, dict) else None
    return NewFolder(
        name=_str_or_none(fields.get("Name")) or "",
        parent_id=_int(parent_id if parent_id is not None else "", "ParentFolder.ID"),
        content_type=_str_or_none(fields.get("ContentType")) or None,
        customer_key=_str_or_none(fields.get("CustomerKey")) or None,
        description=_str_or_none(fields.get("Description")) or "",
        is_active=_bool(fields.get("IsActive"), True),
        is_editable=_bool(fields.get("IsEditable"), True),
        allow_children=_bool(fields.get("AllowChildren"), True),
    )
