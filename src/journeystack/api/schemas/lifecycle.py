"""Lifecycle bodies on the wire: operation status documents and audit entries."""

from __future__ import annotations

from typing import Any

from journeystack.domain.audit import AuditEntry
from journeystack.domain.auth import package_user_id
from journeystack.domain.dates import format_ms
from journeystack.domain.lifecycle import Operation, OperationKind, OperationProblem, OperationState
from journeystack.domain.queries import Page

_IN_PROCESS = {OperationKind.PUBLISH: "PublishInProcess", OperationKind.VALIDATE: "ValidateInProcess"}
_COMPLETED = {OperationKind.PUBLISH: "PublishCompleted", OperationKind.VALIDATE: "ValidateCompleted"}
STATUS_PATH = {OperationKind.PUBLISH: "publishStatus", OperationKind.VALIDATE: "validateStatus"}


def render_started(op: Operation) -> dict[str, Any]:
    return {"statusId": op.id, "statusUrl": f"/interaction/v1/interactions/{STATUS_PATH[op.kind]}/{op.id}"}


def render_problem(p: OperationProblem) -> dict[str, Any]:
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
        "errors": [render_problem(p) for p in op.errors],
        "warnings": [render_problem(p) for p in op.warnings],
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
        "user": {"name": entry.user, "userId": package_user_id(entry.user)},
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
