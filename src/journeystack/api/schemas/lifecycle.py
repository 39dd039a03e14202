"""Lifecycle bodies on the wire: operation status documents and audit entries."""

from __future__ import annotations

from typing import Any

from journeystack.domain.audit import AuditAction, AuditEntry
from journeystack.domain.dates import format_ms
from journeystack.domain.lifecycle import Operation, OperationKind, OperationProblem, OperationState
from journeystack.domain.queries import MAX_INTEGER, Page

from .common import GUID, SFMC_DATE, closed, page_of

_IN_PROCESS = {OperationKind.PUBLISH: "PublishInProcess", OperationKind.VALIDATE: "ValidateInProcess"}
_COMPLETED = {OperationKind.PUBLISH: "PublishCompleted", OperationKind.VALIDATE: "ValidateCompleted"}
STATUS_PATH = {OperationKind.PUBLISH: "publishStatus", OperationKind.VALIDATE: "validateStatus"}


def render_started(op: Operation) -> dict[str, Any]:
    return {"statusId": op.id, "statusUrl": f"/interaction/v1/interactions/{STATUS_PATH[op.kind]}/{op.id}"}


def _problem(p: OperationProblem) -> dict[str, Any]:
    # `message` is not in SFMC's samples; mcdev crashes on an errors[] item without one.
    return {
        "errorCode": p.code,
        "errorDetail": p.detail,
        "errorType": p.level,
        "additionalInfo": p.info,
        "message": p.detail,
    }


def render_status(op: Operation) -> dict[str, Any]:
    if op.state is OperationState.IN_PROCESS:
        status = _IN_PROCESS[op.kind]
    elif op.state is OperationState.COMPLETED:
        status = _COMPLETED[op.kind]
    else:
        status = "Error"
    return {
        "statusId": op.id,
        "status": status,
        "errors": [_problem(p) for p in op.errors],
        "warnings": [_problem(p) for p in op.warnings],
    }


_DETAIL_NAMES = {
    "publish_status": "publishStatus",
    "publish_request_id": "publishRequestId",
    "errors": "errors",
    "contacts_ejected": "ContactsEjected",
}


def render_audit_entry(entry: AuditEntry) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "action": entry.action.value,
        "key": entry.key,
        "versionNumber": entry.version,
        "id": entry.journey_id,
        "originalDefinitionId": entry.definition_id,
        "name": entry.name,
        "description": entry.description,
        "timeStamp": format_ms(entry.timestamp_ms),
        "user": {"name": entry.user, "userId": entry.user},
        "executionMode": entry.execution_mode,
    }
    for name, value in entry.details.items():
        if name == "errors":
            if not value:
                continue  # mcdev's audit prints an empty "Errors: •" for an empty list
            # Like every errors[] journeystack answers, each item carries `message` (mcdev reads it).
            value = [{**item, "message": item.get("ErrorDetail", "")} for item in value]
        wire[_DETAIL_NAMES.get(name, name)] = value
    return wire


def render_audit_page(page: Page[AuditEntry]) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "links": {},
        "items": [render_audit_entry(e) for e in page.items],
    }


_TEXT: dict[str, Any] = {"type": "string"}
OPERATION_STARTED_SCHEMA: dict[str, Any] = {
    "title": "OperationStarted",
    **closed(
        {
            "statusId": GUID,
            "statusUrl": {
                "type": "string",
                "pattern": "^/interaction/v1/interactions/(publishStatus|validateStatus)/[0-9a-f-]{36}$",
            },
        }
    ),
}
_PROBLEM = closed(
    {
        "errorCode": _TEXT,
        "errorDetail": _TEXT,
        "errorType": _TEXT,
        "additionalInfo": {"type": "object"},
        "message": _TEXT,
    }
)


def operation_status_schema(kind: OperationKind) -> dict[str, Any]:
    """What `render_status` answers for a publish or a validation."""
    return {
        "title": f"{kind.value.title()}Status",
        **closed(
            {
                "statusId": GUID,
                "status": {"enum": [_IN_PROCESS[kind], _COMPLETED[kind], "Error"]},
                "errors": {"type": "array", "items": _PROBLEM},
                "warnings": {"type": "array", "items": _PROBLEM},
            }
        ),
    }


AUDIT_ENTRY_SCHEMA: dict[str, Any] = {
    "title": "AuditEntry",
    "type": "object",
    "required": [
        "action", "key", "versionNumber", "id", "originalDefinitionId", "name", "description", "timeStamp",
        "user", "executionMode",
    ],
    "properties": {
        "action": {"enum": [a.value for a in AuditAction]},
        "key": _TEXT,
        "versionNumber": {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER},
        "id": GUID,
        "originalDefinitionId": GUID,
        "name": _TEXT,
        "description": _TEXT,
        "timeStamp": SFMC_DATE,
        "user": closed({"name": _TEXT, "userId": _TEXT}),
        "executionMode": _TEXT,
        "publishStatus": _TEXT,
        "publishRequestId": GUID,
        "errors": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["message"]}},
        "ContactsEjected": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": True,
}  # fmt: skip
AUDIT_PAGE_SCHEMA: dict[str, Any] = {"title": "AuditPage", **page_of(AUDIT_ENTRY_SCHEMA)}
