"""The runtime API on the wire: entry events, membership, exits, journey history, the engine's
clock, the outbox and contact attributes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from journeystack.domain.queries import Page
from journeystack.domain.runtime.records import ClockState, HistoryQuery, Processed
from journeystack.domain.runtime.steps import HistoryRow, OutboxMessage
from journeystack.errors import Problem, refused
from journeystack.services.runtime import BatchResult

from .common import COUNT, GUID, UTC_INSTANT, closed, page_of

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_MAX_FILTER_VALUES = 1000


def members_ci(body: Mapping[str, Any]) -> dict[str, Any]:
    """A body's members by lower-cased name (SFMC's own clients spell ContactKey and contactKey)."""
    return {str(k).lower(): v for k, v in body.items()}


def iso_ms(ms: int) -> str:
    """An instant as UTC ISO 8601 with milliseconds and `Z` (journey history's transactionTime)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ms % 1000:03d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def parse_instant(value: Any, member: str) -> int | None:
    """An ISO 8601 date or instant (no offset: UTC) as epoch ms; None for null/absent. Raises InvalidRequest."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            if 1970 <= parsed.year <= 9999:
                return int(parsed.timestamp() * 1000)
    raise refused(
        [Problem(f"{member} must be an ISO 8601 date such as 2024-05-04T09:30:00Z.", 10005, member)],
        f"{member} must be an ISO 8601 date such as 2024-05-04T09:30:00Z.",
    )


def _strings(body: Mapping[str, Any], member: str) -> tuple[str, ...]:
    value = body.get(member.lower())
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or len(value) > _MAX_FILTER_VALUES
        or not all(isinstance(v, str) for v in value)
    ):
        text = f"{member} must be an array of at most {_MAX_FILTER_VALUES} strings."
        raise refused([Problem(text, 10005, member)], text)
    return tuple(value)


def parse_history_query(mid: int, body: Mapping[str, Any], order_by: str | None) -> HistoryQuery:
    """The journey history filters of a search, download or estimate body. Raises InvalidRequest."""
    lowered = members_ci(body)
    descending = True
    if order_by:
        words = order_by.replace(",", " ").split()
        if words and words[0].lower() != "transactiontime":
            text = "$orderBy must be TransactionTime asc or TransactionTime desc."
            raise refused([Problem(text, 10005, "$orderBy")], text)
        descending = not (len(words) > 1 and words[1].lower() == "asc")
    return HistoryQuery(
        mid=mid,
        start_ms=parse_instant(lowered.get("start"), "start"),
        end_ms=parse_instant(lowered.get("end"), "end"),
        definition_ids=tuple(v.lower() for v in _strings(lowered, "definitionIds")),
        journey_keys=_strings(lowered, "definitionKeys"),
        activity_ids=tuple(v.lower() for v in _strings(lowered, "activityIds")),
        activity_keys=_strings(lowered, "activityKeys"),
        activity_types=_strings(lowered, "activityTypes"),
        contact_keys=_strings(lowered, "contactKeys"),
        definition_instance_ids=tuple(v.lower() for v in _strings(lowered, "definitionInstanceIds")),
        statuses=_strings(lowered, "statuses"),
        client_statuses=tuple(
            s for s in _strings(lowered, "clientStatuses") if s.lower() != "allactivitymembership"
        ),
        descending=descending,
    )


def render_batch(result: BatchResult) -> dict[str, Any]:
    members = []
    for member in result.members:
        item: dict[str, Any] = {
            "contactKey": member.contact_key,
            "eventInstanceId": member.event_instance_id or "",
        }
        if member.errorcode is not None:
            item["errorcode"] = member.errorcode
            item["message"] = member.message
        members.append(item)
    return {
        "requestId": result.request_id,
        "count": len(result.members),
        "notQueuedCount": result.not_queued,
        "members": members,
    }


def render_membership(found: list[tuple[str, str, int]], not_found: list[str]) -> dict[str, Any]:
    return {
        "results": {
            "contactMemberships": [
                {"contactKey": contact, "definitionKey": key, "version": version}
                for contact, key, version in found
            ],
            "contactsNotFound": not_found,
        }
    }


def render_history_item(pk: int, row: HistoryRow) -> dict[str, Any]:
    return {
        "id": pk,
        "mid": row.mid,
        "definitionId": row.definition_id,
        "definitionKey": row.journey_key,
        "definitionName": row.definition_name,
        "versionNumber": row.version,
        "contactKey": row.contact_key,
        "transactionTime": iso_ms(row.transaction_ms),
        "epochTimeInMilliseconds": row.transaction_ms,
        "status": row.status,
        "clientStatus": row.client_status,
        "message": row.message or "",
        "activityId": row.activity_id or ZERO_GUID,
        "activityKey": row.activity_key or "",
        "activityType": row.activity_type or "",
        "activityName": row.activity_name or "",
        "definitionInstanceId": row.definition_instance_id or "",
        "eventId": row.event_instance_id or "",
    }


def render_history_page(page: Page[tuple[int, HistoryRow]]) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "links": {},
        "items": [render_history_item(pk, row) for pk, row in page.items],
    }


def render_clock(state: ClockState) -> dict[str, Any]:
    return {"now": iso_ms(state.now_ms), "nowMs": state.now_ms, "frozen": state.frozen}


def render_processed(processed: Processed) -> dict[str, int]:
    return {
        "events": processed.events,
        "entries": processed.entries,
        "steps": processed.steps,
        "sweeps": processed.sweeps,
        "exits": processed.exits,
        "pauses": processed.pauses,
    }


def render_outbox_item(pk: int, message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": pk,
        "mid": message.mid,
        "createdDate": iso_ms(message.created_ms),
        "channel": message.channel,
        "contactKey": message.contact_key,
        "address": message.address,
        "subject": message.subject,
        "data": message.data,
        "journeyKey": message.journey_key,
        "journeyId": message.journey_id,
        "version": message.version,
        "definitionId": message.definition_id,
        "activityKey": message.activity_key,
        "activityId": message.activity_id,
        "activityType": message.activity_type,
        "activityName": message.activity_name,
        "definitionInstanceId": message.definition_instance_id,
    }


# Request bodies, as services/runtime.py reads them. Member names are matched ignoring case there;
# these name them as SFMC documents them.
_CONTACT_KEY: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 254, "pattern": "\\S"}
_FIELDS: dict[str, Any] = {"type": "object", "maxProperties": 500}
_JOURNEY_KEY: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}
_FILTER: dict[str, Any] = {
    "anyOf": [
        {"type": "array", "maxItems": _MAX_FILTER_VALUES, "items": {"type": "string"}},
        {"type": "string"},
        {"type": "null"},
    ]
}
_INSTANT: dict[str, Any] = {
    "type": ["string", "null"],
    "description": "ISO 8601, years 1970-9999 (no offset: UTC).",
    "pattern": "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?(Z|[+-][01][0-9]:[0-5][0-9])?)?$",
}
HISTORY_FILTERS_SCHEMA: dict[str, Any] = {
    "title": "JourneyHistoryFilters",
    "type": "object",
    "properties": {
        "start": {**_INSTANT, "description": "ISO 8601; default 30 days ago (the retention)."},
        "end": _INSTANT,
        **dict.fromkeys(
            (
                "definitionIds",
                "definitionKeys",
                "activityIds",
                "activityKeys",
                "activityTypes",
                "contactKeys",
                "definitionInstanceIds",
                "statuses",
                "clientStatuses",
            ),
            _FILTER,
        ),  # fmt: skip
    },
}
EVENT_SCHEMA: dict[str, Any] = {
    "title": "EntryEvent",
    "type": "object",
    "required": ["ContactKey", "EventDefinitionKey"],
    "properties": {
        "ContactKey": _CONTACT_KEY,
        "EventDefinitionKey": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"},
        "Data": {
            **_FIELDS,
            "description": "Field values; checked against the event's schema when it has one.",
        },
    },
}
BATCH_SCHEMA: dict[str, Any] = {
    "title": "EntryEventBatch",
    "type": "object",
    "required": ["eventDefinitionKey", "members"],
    "properties": {
        "eventDefinitionKey": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"},
        "members": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "required": ["contactKey"],
                "properties": {"contactKey": _CONTACT_KEY, "data": _FIELDS},
            },
        },
    },
}
EXIT_SCHEMA: dict[str, Any] = {
    "title": "ContactExits",
    "type": "array",
    "minItems": 1,
    "maxItems": 50,
    "items": {
        "type": "object",
        "required": ["ContactKey", "DefinitionKey"],
        "properties": {
            "ContactKey": _CONTACT_KEY,
            "DefinitionKey": _JOURNEY_KEY,
            "Versions": {
                "type": ["array", "null"],
                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            },
        },
    },
}
MEMBERSHIP_SCHEMA: dict[str, Any] = {
    "title": "ContactKeys",
    "type": "object",
    "required": ["ContactKeyList"],
    "properties": {"ContactKeyList": {"type": "array", "minItems": 1, "maxItems": 50, "items": _CONTACT_KEY}},
}

# Answers, as the render functions above write them.
_TEXT: dict[str, Any] = {"type": "string"}
FIRED_SCHEMA: dict[str, Any] = {"title": "EventFired", **closed({"eventInstanceId": GUID})}
BATCH_ANSWER_SCHEMA: dict[str, Any] = {
    "title": "EventBatchQueued",
    **closed(
        {
            "requestId": GUID,
            "count": COUNT,
            "notQueuedCount": COUNT,
            "members": {
                "type": "array",
                "items": closed(
                    {"contactKey": {}, "eventInstanceId": _TEXT, "errorcode": _TEXT, "message": _TEXT},
                    optional=("errorcode", "message"),
                ),
            },
        }
    ),
}
MEMBERSHIP_ANSWER_SCHEMA: dict[str, Any] = {
    "title": "ContactMemberships",
    **closed(
        {
            "results": closed(
                {
                    "contactMemberships": {
                        "type": "array",
                        "items": closed(
                            {
                                "contactKey": _TEXT,
                                "definitionKey": _TEXT,
                                "version": {"type": "integer", "minimum": 1},
                            }
                        ),
                    },
                    "contactsNotFound": {"type": "array", "items": _TEXT},
                }
            )
        }
    ),
}


def _exit_item(version: dict[str, Any]) -> dict[str, Any]:
    return closed(
        {
            "contactKey": _TEXT,
            "definitionKey": _TEXT,
            "status": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["version", "message"],
                    "properties": {"version": version, "message": _TEXT},
                },
            },
        }
    )


EXIT_ERRORS_SCHEMA: dict[str, Any] = {
    "title": "ContactExitErrors",
    **closed({"errors": {"type": "array", "items": _exit_item({"type": "integer"})}}),
}
# The engine answers `version: null` for a request that named no Versions when the contact was in
# no version of the journey (services/engine.py); the other answers say 1 for such a request.
EXIT_STATUS_SCHEMA: dict[str, Any] = {
    "title": "ContactExitStatuses",
    "type": "array",
    "items": _exit_item({"type": ["integer", "null"]}),
}
HISTORY_ITEM_SCHEMA: dict[str, Any] = {
    "title": "JourneyHistoryItem",
    **closed(
        {
            "id": {"type": "integer"},
            "mid": {"type": "integer"},
            "definitionId": _TEXT,
            "definitionKey": _TEXT,
            "definitionName": _TEXT,
            "versionNumber": {"type": "integer"},
            "contactKey": _TEXT,
            "transactionTime": UTC_INSTANT,
            "epochTimeInMilliseconds": {"type": "integer"},
            "status": _TEXT,
            "clientStatus": _TEXT,
            "message": _TEXT,
            "activityId": _TEXT,
            "activityKey": _TEXT,
            "activityType": _TEXT,
            "activityName": _TEXT,
            "definitionInstanceId": _TEXT,
            "eventId": _TEXT,
        }
    ),
}
HISTORY_PAGE_SCHEMA: dict[str, Any] = {"title": "JourneyHistoryPage", **page_of(HISTORY_ITEM_SCHEMA)}
HISTORY_CSV_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "CSV (RFC 4180, CRLF): a header row of the chosen columns, then one row per entry.",
}
ESTIMATE_SCHEMA: dict[str, Any] = {
    "title": "JourneyHistoryEstimate",
    **closed({"rowCount": COUNT, "fileSizeInBytes": COUNT, "compressedFileSizeInBytes": COUNT}),
}
FRESHNESS_SCHEMA: dict[str, Any] = {
    "title": "JourneyHistoryFreshness",
    **closed({"freshnessInSeconds": {"type": "integer", "minimum": 0}}),
}
CLOCK_SCHEMA: dict[str, Any] = {
    "title": "EngineClock",
    **closed({"now": UTC_INSTANT, "nowMs": {"type": "integer"}, "frozen": {"type": "boolean"}}),
}
PROCESSED_SCHEMA: dict[str, Any] = closed(
    dict.fromkeys(("events", "entries", "steps", "sweeps", "exits", "pauses"), COUNT)
)
OUTBOX_ITEM_SCHEMA: dict[str, Any] = {
    "title": "OutboxMessage",
    "type": "object",
    "required": ["id", "mid", "createdDate", "channel", "contactKey"],
    "properties": {
        "id": {"type": "integer"},
        "mid": {"type": "integer"},
        "createdDate": UTC_INSTANT,
        "channel": _TEXT,
        "contactKey": _TEXT,
        "version": {"type": ["integer", "null"]},
    },
}
