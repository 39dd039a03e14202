"""Control-plane bodies on the wire: fault rules, reset and import results, server info."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from journeystack import __version__
from journeystack.config import Settings
from journeystack.domain.auth import InstalledPackage
from journeystack.domain.faults import MAX_LATENCY_MS, MAX_RETRY_AFTER, METHODS
from journeystack.errors import InvalidFaultRule, Problem
from journeystack.services.admin import ImportResult, ResetResult
from journeystack.services.faults import RuleView
from journeystack.storage.state import Cleared

from .common import COUNT, closed


class FaultRuleBody(BaseModel):
    """A fault rule as POSTed. Unknown members are refused, so a misspelt one cannot go unnoticed."""

    model_config = ConfigDict(
        extra="forbid",
        title="FaultRule",
        # A rule needs an action (domain/faults.py, new_rule): a status, or some latency.
        json_schema_extra={
            "anyOf": [
                {"required": ["status"], "properties": {"status": {"type": "integer"}}},
                {"required": ["latencyMs"], "properties": {"latencyMs": {"minimum": 1}}},
            ]
        },
    )

    method: StrictStr | None = Field(
        default=None,
        description="GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (any case) or *; null or omitted: any.",
        json_schema_extra={"enum": [*METHODS, "*", None]},
    )
    path: StrictStr = Field(
        default="*",
        description="Glob over the decoded path, case-insensitive; * matches across /. "
        "Example: /interaction/v1/interactions*",
        json_schema_extra={"pattern": "^[/*]"},
    )
    mid: StrictInt | None = Field(default=None, description="Only calls whose bearer token is for this MID.")
    probability: float = Field(
        default=1.0,
        description="Share of the calls to fire on, 0 to 1.",
        json_schema_extra={"minimum": 0, "maximum": 1},
    )
    seed: StrictInt | None = Field(default=None, description="Seed of the rule's random draws.")
    nth: StrictInt | None = Field(
        default=None,
        description="Fire on the Nth matching call only (not with times).",
        json_schema_extra={"minimum": 1},
    )
    times: StrictInt | None = Field(
        default=None, description="Fire on the first N matching calls.", json_schema_extra={"minimum": 1}
    )
    status: StrictInt | None = Field(
        default=None,
        description="Answer with this status; a rule needs a status or latencyMs.",
        json_schema_extra={"minimum": 400, "maximum": 599},
    )
    retryAfter: StrictInt | None = Field(
        default=None,
        description="Seconds for Retry-After and retryAfter (default 1 for 429 and 503); needs a status.",
        json_schema_extra={"minimum": 0, "maximum": MAX_RETRY_AFTER},
    )
    message: StrictStr | None = Field(default=None, description="The envelope's message (default SFMC's).")
    errorcode: StrictInt | None = Field(
        default=None, description="The envelope's errorcode (default SFMC's)."
    )
    latencyMs: StrictInt = Field(
        default=0,
        description="Delay the answer by this many milliseconds.",
        json_schema_extra={"minimum": 0, "maximum": MAX_LATENCY_MS},
    )


def parse_fault_rule(raw: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields as `FaultBook.add` takes them. Raises InvalidFaultRule."""
    try:
        body = FaultRuleBody.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            where = ".".join(str(part) for part in item["loc"])
            problems.append(Problem(f"{where}: {item['msg']}.", 10001, where))
        raise InvalidFaultRule(problems) from None
    return {
        "method": body.method,
        "path": body.path,
        "mid": body.mid,
        "probability": body.probability,
        "seed": body.seed,
        "nth": body.nth,
        "times": body.times,
        "status": body.status,
        "retry_after": body.retryAfter,
        "message": body.message,
        "errorcode": body.errorcode,
        "latency_ms": body.latencyMs,
    }


def render_rule(view: RuleView) -> dict[str, Any]:
    rule = view.rule
    return {
        "id": rule.id,
        "method": rule.method,
        "path": rule.path,
        "mid": rule.mid,
        "probability": rule.probability,
        "seed": rule.seed,
        "nth": rule.nth,
        "times": rule.times,
        "status": rule.status,
        "retryAfter": rule.retry_after,
        "message": rule.message,
        "errorcode": rule.errorcode,
        "latencyMs": rule.latency_ms,
        "matched": view.matched,
        "fired": view.fired,
    }


def _cleared(cleared: Cleared) -> dict[str, Any]:
    return {"deleted": cleared.deleted, "kept": cleared.kept}


def render_reset(result: ResetResult) -> dict[str, Any]:
    return {"scope": {"mid": result.mid}, **_cleared(result.cleared)}


def render_import(result: ImportResult) -> dict[str, Any]:
    return {"scope": {"mid": result.mid}, **_cleared(result.cleared), "inserted": result.inserted}


# Settings worth knowing when testing against a server, by the variable that sets them. Never the
# admin token, package secrets or the database password: only what is listed here is shown.
_INFO_SETTINGS = (
    "host", "port", "public_url", "workers", "token_lifetime_seconds", "strict_scopes", "max_body_bytes",
    "max_json_depth", "operation_delay_seconds", "worker_poll_seconds", "operation_lease_seconds",
    "pool_size", "pool_max_overflow", "log_level", "access_log", "control_plane", "journal",
    "journal_size", "journal_body_bytes", "seed_file", "soap_max_objects", "soap_max_filter_value_length",
    "operation_attempts", "max_reported_problems", "max_problem_message_bytes", "max_response_bytes",
    "outbound_allow", "outbound_max_in_flight", "call_lease_seconds",
)  # fmt: skip


def render_info(
    settings: Settings,
    packages: list[InstalledPackage],
    *,
    fault_rules: int,
    journal_entries: int,
) -> dict[str, Any]:
    shown = settings.model_dump(mode="json")
    return {
        "name": "journeystack",
        "version": __version__,
        "store": settings.database_url_for_display(),
        "packages": [
            {"clientId": p.client_id, "userId": p.user_id, "mids": list(p.mids), "scopes": sorted(p.scopes)}
            for p in packages
        ],
        "settings": {
            f"JOURNEYSTACK_{name.upper()}": shown.get(name) for name in _INFO_SETTINGS if name in shown
        },
        "controlPlane": {
            "faultRules": fault_rules,
            "journalEntries": journal_entries,
        },
    }


_INT: dict[str, Any] = {"type": "integer"}
_TEXT: dict[str, Any] = {"type": "string"}
_CLEARED_PROPERTIES: dict[str, Any] = {
    "scope": closed({"mid": {"type": ["integer", "null"]}}),
    "deleted": {"type": "object", "additionalProperties": COUNT},
    "kept": {"type": "array", "items": _TEXT},
}
RESET_SCHEMA: dict[str, Any] = {"title": "ResetResult", **closed(_CLEARED_PROPERTIES)}
IMPORT_SCHEMA: dict[str, Any] = {
    "title": "ImportResult",
    **closed({**_CLEARED_PROPERTIES, "inserted": {"type": "object", "additionalProperties": COUNT}}),
}
SNAPSHOT_SCHEMA: dict[str, Any] = {
    "title": "Snapshot",
    "description": "A journeystack snapshot (docs/control-plane.md): rows of every state table in scope.",
    **closed(
        {
            "format": {"const": "journeystack-snapshot"},
            "format_version": {"const": 1},
            "scope": closed({"mid": {"type": ["integer", "null"]}}),
            "tables": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
        }
    ),
}
FAULT_RULE_SCHEMA: dict[str, Any] = {
    "title": "FaultRuleState",
    "description": "A fault rule with its counters: calls it matched and calls it fired on.",
    **closed(
        {
            "id": {"type": "string", "minLength": 1},
            "method": {"type": ["string", "null"]},
            "path": _TEXT,
            "mid": {"type": ["integer", "null"]},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "seed": {"type": ["integer", "null"]},
            "nth": {"type": ["integer", "null"], "minimum": 1},
            "times": {"type": ["integer", "null"], "minimum": 1},
            "status": {"type": ["integer", "null"], "minimum": 400, "maximum": 599},
            "retryAfter": {"type": ["integer", "null"], "minimum": 0},
            "message": {"type": ["string", "null"]},
            "errorcode": {"type": ["integer", "null"]},
            "latencyMs": {"type": "integer", "minimum": 0},
            "matched": COUNT,
            "fired": COUNT,
        }
    ),
}
FAULT_RULES_SCHEMA: dict[str, Any] = {
    "title": "FaultRules",
    **closed({"count": COUNT, "rules": {"type": "array", "items": FAULT_RULE_SCHEMA}}),
}
DELETED_SCHEMA: dict[str, Any] = {"title": "Deleted", **closed({"deleted": COUNT})}
_CALL_SIDE = closed(
    {
        "headers": {"type": "object", "additionalProperties": _TEXT},
        "body": {},
        "bodyBytes": COUNT,
        "bodyTruncated": {"type": "boolean"},
    }
)
JOURNAL_SCHEMA: dict[str, Any] = {
    "title": "Journal",
    **closed(
        {
            "enabled": {"type": "boolean"},
            "count": COUNT,
            "entries": {
                "type": "array",
                "items": closed(
                    {
                        "direction": {"type": "string", "enum": ["inbound", "outbound"]},
                        # An outbound call's (the engine's custom-activity calls): its full URL, and
                        # why no answer came, if none did.
                        "url": _TEXT,
                        "error": {"type": ["string", "null"]},
                        "sequence": _INT,
                        "time": _TEXT,
                        "requestId": _TEXT,
                        "method": _TEXT,
                        "path": _TEXT,
                        "query": _TEXT,
                        "status": _INT,
                        "durationMs": {"type": "number", "minimum": 0},
                        "mid": {"type": ["integer", "null"]},
                        "fault": {"type": ["string", "null"]},
                        "reason": {
                            "type": ["string", "null"],
                            "description": "Why journeystack refused the call where SFMC's body does not "
                            "say (every 401: no header, not Bearer, unknown or expired token, wrong "
                            "client or business unit); null otherwise.",
                        },
                        "request": _CALL_SIDE,
                        "response": _CALL_SIDE,
                    },
                    optional=("url", "error"),
                ),
            },
        }
    ),
}
HEALTH_SCHEMA: dict[str, Any] = {"title": "Health", **closed({"status": {"const": "ok"}, "version": _TEXT})}
READY_SCHEMA: dict[str, Any] = {"title": "Ready", **closed({"status": {"const": "ready"}})}
INFO_SCHEMA: dict[str, Any] = {
    "title": "ServerInfo",
    **closed(
        {
            "name": {"const": "journeystack"},
            "version": _TEXT,
            "store": _TEXT,
            "packages": {
                "type": "array",
                "items": closed(
                    {
                        "clientId": _TEXT,
                        "userId": _INT,
                        "mids": {"type": "array", "items": _INT},
                        "scopes": {"type": "array", "items": _TEXT},
                    }
                ),
            },
            "settings": {"type": "object", "propertyNames": {"pattern": "^JOURNEYSTACK_[A-Z_]+$"}},
            "controlPlane": closed({"faultRules": COUNT, "journalEntries": COUNT}),
        }
    ),
}
