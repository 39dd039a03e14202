"""Audit entries: one per change to a journey version, written in the change's own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .journey import JourneyVersion


class AuditAction(StrEnum):
    CREATE = "Create"
    MODIFY = "Modify"
    PUBLISH = "Publish"
    UNPUBLISH = "Unpublish"
    DELETE = "Delete"
    STOP = "Stop"
    PAUSE = "Pause"
    RESUME = "Resume"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    mid: int
    journey_id: str
    key: str
    version: int
    definition_id: str
    action: AuditAction
    name: str
    description: str
    execution_mode: str
    user: str
    timestamp_ms: int
    # Action-specific facts: publish_status, publish_request_id, errors, contacts_ejected, ...
    details: dict[str, Any] = field(default_factory=dict)


def entry_for(
    version: JourneyVersion, action: AuditAction, *, user: str, now_ms: int, **details: Any
) -> AuditEntry:
    execution_mode = version.definition.spec.get("executionMode")
    return AuditEntry(
        mid=version.mid,
        journey_id=version.id,
        key=version.key,
        version=version.version,
        definition_id=version.definition_id,
        action=action,
        name=version.definition.name,
        description=version.definition.description,
        execution_mode=execution_mode if isinstance(execution_mode, str) else "Production",
        user=user,
        timestamp_ms=now_ms,
        details=details,
    )
