"""Control-plane bodies on the wire: fault rules, reset and import results, server info."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from journeystack import __version__
from journeystack.config import Settings
from journeystack.domain.auth import InstalledPackage
from journeystack.errors import InvalidFaultRule, Problem
from journeystack.services.admin import ImportResult, ResetResult
from journeystack.services.faults import RuleView
from journeystack.storage.state import Cleared


class FaultRuleBody(BaseModel):
    """A fault rule as POSTed. Unknown members are refused, so a misspelt one cannot go unnoticed."""

    model_config = ConfigDict(extra="forbid", title="FaultRule")

    method: StrictStr | None = Field(default=None, description="GET, POST, PUT, PATCH, DELETE; omitted: any.")
    path: StrictStr = Field(
        default="*",
        description="Glob over the decoded path, case-insensitive; * matches across /. "
        "Example: /interaction/v1/interactions*",
    )
    mid: StrictInt | None = Field(default=None, description="Only calls whose bearer token is for this MID.")
    probability: float = Field(default=1.0, description="Share of the calls to fire on, 0 to 1.")
    seed: StrictInt | None = Field(default=None, description="Seed of the rule's random draws.")
    nth: StrictInt | None = Field(default=None, description="Fire on the Nth matching call only.")
    times: StrictInt | None = Field(default=None, description="Fire on the first N matching calls.")
    status: StrictInt | None = Field(default=None, description="Answer with this status (400-599).")
    retryAfter: StrictInt | None = Field(
        default=None, description="Seconds for Retry-After and retryAfter (default 1 for 429 and 503)."
    )
    message: StrictStr | None = Field(default=None, description="The envelope's message (default SFMC's).")
    errorcode: StrictInt | None = Field(
        default=None, description="The envelope's errorcode (default SFMC's)."
    )
    latencyMs: StrictInt = Field(default=0, description="Delay the answer by this many milliseconds.")


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


_CLEARED_PROPERTIES: dict[str, Any] = {
    "scope": {"type": "object", "properties": {"mid": {"type": ["integer", "null"]}}},
    "deleted": {"type": "object", "additionalProperties": {"type": "integer"}},
    "kept": {"type": "array", "items": {"type": "string"}},
}
RESET_SCHEMA = {"type": "object", "properties": _CLEARED_PROPERTIES}
IMPORT_SCHEMA = {
    "type": "object",
    "properties": {
        **_CLEARED_PROPERTIES,
        "inserted": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
SNAPSHOT_SCHEMA = {
    "type": "object",
    "description": "A journeystack snapshot (docs/control-plane.md): rows of every state table in scope.",
    "required": ["format", "format_version", "scope", "tables"],
    "properties": {
        "format": {"const": "journeystack-snapshot"},
        "format_version": {"const": 1},
        "scope": {"type": "object", "properties": {"mid": {"type": ["integer", "null"]}}},
        "tables": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "object"}},
        },
    },
}
FAULT_RULE_SCHEMA = {
    "type": "object",
    "description": "A fault rule with its counters: calls it matched and calls it fired on.",
    "properties": {
        "id": {"type": "string"},
        "matched": {"type": "integer"},
        "fired": {"type": "integer"},
    },
    "additionalProperties": True,
}
JOURNAL_SCHEMA = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    name: {"type": kind}
                    for name, kind in [
                        ("sequence", "integer"),
                        ("time", "string"),
                        ("requestId", "string"),
                        ("method", "string"),
                        ("path", "string"),
                        ("query", "string"),
                        ("status", "integer"),
                        ("durationMs", "number"),
                        ("mid", ["integer", "null"]),
                        ("fault", ["string", "null"]),
                        ("request", "object"),
                        ("response", "object"),
                    ]
                },  # fmt: skip
            },
        },
    },
}
