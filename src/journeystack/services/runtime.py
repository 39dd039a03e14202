"""Runtime use cases the API offers: fire entry events, contact membership and exit, journey
history, and (control plane) the outbox and contact attributes.

Firing an event only records it (one row) and answers; the engine admits the contact in fired
order, as SFMC queues events. `POST /_journeystack/clock/run-until-idle` (or any clock advance)
waits for that, so a test can fire and then look.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from journeystack.domain.dates import format_ms
from journeystack.domain.events import EventDefinition
from journeystack.domain.queries import Page
from journeystack.domain.runtime.engagement import CLICK, KINDS, EngagementEvent
from journeystack.domain.runtime.entry import check_contact_key, check_data, schema_fields
from journeystack.domain.runtime.records import (
    HISTORY_RETENTION_MS,
    ExitRequest,
    HistoryQuery,
    InboxEvent,
    JourneyStats,
    OutboxQuery,
)
from journeystack.domain.runtime.steps import HistoryRow, OutboxMessage
from journeystack.errors import EventDefinitionNotFound, OutboxMessageNotFound, Problem, refused
from journeystack.storage.ports import UnitOfWork

from .clock import engine_now
from .context import ServiceContext

MAX_BATCH_MEMBERS: Final = 100
MAX_CONTACTS_PER_CALL: Final = 50
EXIT_RECEIVED: Final = "Exit request received for processing"
EXIT_INVALID_NAME: Final = "Exit request Ignored - Invalid Interaction Name."
EXIT_DUPLICATE: Final = "Exit request Ignored - Duplicate Request"
EXIT_NOT_REQUESTED: Final = "Exit request not found for this contact and journey."
BATCH_LIMIT_CODE: Final = 10000


def _event(uow: UnitOfWork, mid: int, event_key: Any, member: str) -> EventDefinition:
    if not isinstance(event_key, str) or not event_key.strip():
        raise refused([Problem(f"{member} is required.", 10002, member)])
    found = uow.events.get(mid, key=event_key)
    if found is None:
        raise EventDefinitionNotFound(
            f"{member} {event_key[:200]!r} does not name an event definition of this business unit."
        )
    return found


def fire_event(ctx: ServiceContext, mid: int, *, contact_key: Any, event_key: Any, data: Any) -> str:
    """Record one fired event for the engine; returns its eventInstanceId.

    Raises InvalidRequest (missing or bad ContactKey, Data that does not fit the event's schema),
    EventDefinitionNotFound (400: no event definition has that key).
    """
    checked = check_contact_key(contact_key, "ContactKey")
    with ctx.uow(write=True) as uow:
        event = _event(uow, mid, event_key, "EventDefinitionKey")
        problems = [checked] if isinstance(checked, Problem) else []
        problems += check_data(data, schema_fields(event.body), "Data")
        if problems:
            raise refused(problems)
        assert isinstance(checked, str)
        instance_id = ctx.ids.new_id()
        fired = InboxEvent(mid=mid, event_key=event.key, contact_key=checked, event_instance_id=instance_id,
                           data=dict(data or {}), fired_ms=engine_now(uow, ctx.clock))  # fmt: skip
        uow.runtime.add_events([fired])
        uow.commit()
    ctx.notify()
    return instance_id


@dataclass(frozen=True, slots=True)
class MemberResult:
    contact_key: Any
    event_instance_id: str | None
    errorcode: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    request_id: str
    members: list[MemberResult]

    @property
    def not_queued(self) -> int:
        return sum(1 for m in self.members if m.errorcode is not None)


def fire_batch(ctx: ServiceContext, mid: int, *, event_key: Any, members: Any) -> BatchResult:
    """Record up to 100 fired events (POST /async/events); a member that is refused is answered
    with its errorcode and message and the others are queued.

    Raises InvalidRequest (no members, more than 100), EventDefinitionNotFound.
    """
    if not isinstance(members, list) or not members:
        raise refused([Problem("members is required: an array of {contactKey, data}.", 10002, "members")])
    if len(members) > MAX_BATCH_MEMBERS:
        raise refused(
            [Problem(f"members holds {len(members)} contacts; at most {MAX_BATCH_MEMBERS} are allowed.",
                     BATCH_LIMIT_CODE, "members")],
            f"Interaction Count Limit Exceeded: at most {MAX_BATCH_MEMBERS} members per request.",
        )  # fmt: skip
    results: list[MemberResult] = []
    queued: list[InboxEvent] = []
    with ctx.uow(write=True) as uow:
        event = _event(uow, mid, event_key, "eventDefinitionKey")
        fields = schema_fields(event.body)
        now = engine_now(uow, ctx.clock)
        request_id = ctx.ids.new_id()
        for index, member in enumerate(members):
            path = f"members[{index}]"
            if not isinstance(member, Mapping):
                results.append(MemberResult(None, None, "10001", f"{path} must be an object."))
                continue
            lowered = {str(k).lower(): v for k, v in member.items()}
            contact = check_contact_key(lowered.get("contactkey"), "contactKey")
            data = lowered.get("data")
            problems = [contact] if isinstance(contact, Problem) else []
            problems += check_data(data, fields, "data")
            if problems:
                results.append(
                    MemberResult(lowered.get("contactkey"), None, str(problems[0].code), problems[0].message)
                )
                continue
            assert isinstance(contact, str)
            instance_id = ctx.ids.new_id()
            queued.append(InboxEvent(mid=mid, event_key=event.key, contact_key=contact, event_instance_id=instance_id,
                                     data=dict(data or {}), fired_ms=now, request_id=request_id))  # fmt: skip
            results.append(MemberResult(contact, instance_id))
        uow.runtime.add_events(queued)
        uow.commit()
    if queued:
        ctx.notify()
    return BatchResult(request_id, results)


def _contact_keys(raw: Any, member: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise refused([Problem(f"{member} is required: an array of contact keys.", 10002, member)])
    if len(raw) > MAX_CONTACTS_PER_CALL:
        raise refused(
            [Problem(f"{member} holds at most {MAX_CONTACTS_PER_CALL} contact keys.", 10005, member)]
        )
    keys = []
    for index, key in enumerate(raw):
        checked = check_contact_key(key, f"{member}[{index}]")
        if isinstance(checked, Problem):
            raise refused([checked])
        keys.append(checked)
    return keys


def contact_membership(
    ctx: ServiceContext, mid: int, raw_keys: Any
) -> tuple[list[tuple[str, str, int]], list[str]]:
    """Which journeys (key and version) each contact is in now, and the contacts in none."""
    keys = _contact_keys(raw_keys, "ContactKeyList")
    with ctx.uow() as uow:
        found = uow.runtime.membership(mid, sorted(set(keys)))
    present = {contact for contact, _, _ in found}
    by_contact = {k: [f for f in found if f[0] == k] for k in present}
    ordered = [row for key in dict.fromkeys(keys) for row in by_contact.get(key, [])]
    return ordered, [k for k in dict.fromkeys(keys) if k not in present]


@dataclass(frozen=True, slots=True)
class ExitItem:
    contact_key: str
    journey_key: str
    versions: tuple[int, ...] | None


def parse_exit_items(raw: Any) -> list[ExitItem]:
    """The contactexit body: an array of up to 50 {ContactKey, DefinitionKey, Versions?}. Raises InvalidRequest."""
    if not isinstance(raw, list) or not raw:
        raise refused(
            [Problem("The body must be an array of {ContactKey, DefinitionKey, Versions}.", 10001, "")]
        )
    if len(raw) > MAX_CONTACTS_PER_CALL:
        raise refused([Problem(f"At most {MAX_CONTACTS_PER_CALL} contacts per request.", 10005, "")])
    items = []
    for index, item in enumerate(raw):
        path = f"[{index}]"
        if not isinstance(item, Mapping):
            raise refused([Problem(f"{path} must be an object.", 10001, path)])
        lowered = {str(k).lower(): v for k, v in item.items()}
        contact = check_contact_key(lowered.get("contactkey"), f"{path}.ContactKey")
        if isinstance(contact, Problem):
            raise refused([contact])
        journey_key = lowered.get("definitionkey")
        if not isinstance(journey_key, str) or not journey_key.strip() or len(journey_key) > 200:
            raise refused(
                [
                    Problem(
                        f"{path}.DefinitionKey is required (the journey key).", 10002, f"{path}.DefinitionKey"
                    )
                ]
            )
        versions = lowered.get("versions")
        if versions is not None and (
            not isinstance(versions, list)
            or any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 2**31 - 1 for v in versions)
        ):
            raise refused(
                [Problem(f"{path}.Versions must be an array of version numbers.", 10005, f"{path}.Versions")]
            )
        items.append(ExitItem(contact, journey_key, tuple(versions) if versions else None))
    return items


def request_exits(ctx: ServiceContext, mid: int, items: list[ExitItem]) -> list[dict[str, Any]]:
    """Queue exit requests; returns SFMC's per-item errors (unknown journey key, a duplicate of a
    request still pending). The engine carries the requests out in due order."""
    errors: list[dict[str, Any]] = []
    accepted: list[ExitRequest] = []
    with ctx.uow(write=True) as uow:
        now = engine_now(uow, ctx.clock)
        seen: set[tuple[str, str]] = set()
        for item in items:
            versions = list(item.versions) if item.versions else [1]
            if uow.journeys.latest(mid, key=item.journey_key) is None:
                errors.append(_exit_error(item, versions, EXIT_INVALID_NAME))
                continue
            pending = uow.runtime.latest_exit_request(mid, item.contact_key, item.journey_key)
            if (item.contact_key, item.journey_key) in seen or (
                pending is not None and pending.done_ms is None
            ):
                errors.append(_exit_error(item, versions, EXIT_DUPLICATE))
                continue
            seen.add((item.contact_key, item.journey_key))
            accepted.append(ExitRequest(mid, item.contact_key, item.journey_key, item.versions, now))
        uow.runtime.add_exit_requests(accepted)
        uow.commit()
    if accepted:
        ctx.notify()
    return errors


def _exit_error(item: ExitItem, versions: list[int], message: str) -> dict[str, Any]:
    return {
        "contactKey": item.contact_key,
        "definitionKey": item.journey_key,
        "status": [{"version": v, "message": message} for v in versions],
    }


def exit_statuses(ctx: ServiceContext, mid: int, items: list[ExitItem]) -> list[dict[str, Any]]:
    """Where each contact's latest exit request from each journey stands."""
    answers = []
    with ctx.uow() as uow:
        for item in items:
            request = uow.runtime.latest_exit_request(mid, item.contact_key, item.journey_key)
            if request is None:
                status = [{"version": v, "message": EXIT_NOT_REQUESTED} for v in (item.versions or [1])]
            elif request.done_ms is None:
                status = [
                    {"version": v, "message": EXIT_RECEIVED}
                    for v in (request.versions or item.versions or [1])
                ]
            else:
                status = [dict(entry) for entry in request.outcome or ()]
            answers.append(
                {"contactKey": item.contact_key, "definitionKey": item.journey_key, "status": status}
            )
    return answers


# --- history ---------------------------------------------------------------------------------------


def retained(ctx: ServiceContext, query: HistoryQuery) -> HistoryQuery:
    """The query limited to the retained window (SFMC keeps journey history 30 days)."""
    with ctx.uow() as uow:
        now = engine_now(uow, ctx.clock)
    oldest = now - HISTORY_RETENTION_MS
    start = oldest if query.start_ms is None else max(query.start_ms, oldest)
    return replace(query, start_ms=start)


def search_history(
    ctx: ServiceContext, query: HistoryQuery, page: int, page_size: int
) -> Page[tuple[int, HistoryRow]]:
    query = retained(ctx, query)
    with ctx.uow() as uow:
        return uow.history.search(query, page, page_size)


def _time(_pk: int, r: HistoryRow) -> object:
    return format_ms(r.transaction_ms)


# Download columns SFMC documents (Result.* and the server-side ones journeystack does not keep are
# left out), each with how to read it from a history row.
DOWNLOAD_COLUMNS: Final[dict[str, Callable[[int, HistoryRow], object]]] = {
    "TransactionTime": _time,
    "EpochTimeInMilliseconds": lambda _pk, r: r.transaction_ms,
    "ContactKey": lambda _pk, r: r.contact_key,
    "Status": lambda _pk, r: r.status,
    "ClientStatus": lambda _pk, r: r.client_status,
    "DefinitionId": lambda _pk, r: r.definition_id,
    "DefinitionName": lambda _pk, r: r.definition_name,
    "DefinitionInstanceId": lambda _pk, r: r.definition_instance_id or "",
    "ActivityId": lambda _pk, r: r.activity_id or "",
    "ActivityName": lambda _pk, r: r.activity_name or "",
    "ActivityType": lambda _pk, r: r.activity_type or "",
    "EventId": lambda _pk, r: r.event_instance_id or "",
    "Message": lambda _pk, r: r.message or "",
    "Id": lambda pk, _r: pk,
}
DEFAULT_DOWNLOAD_COLUMNS: Final = (
    "TransactionTime", "ContactKey", "Status", "DefinitionId", "DefinitionName", "ActivityId", "ActivityName",
    "ActivityType",
)  # fmt: skip


def download_columns(raw: str | None) -> list[str]:
    """The `columns` query parameter as known column names (case-insensitive). Raises InvalidRequest."""
    if not raw:
        return list(DEFAULT_DOWNLOAD_COLUMNS)
    by_lower = {name.lower(): name for name in DOWNLOAD_COLUMNS}
    names = []
    for part in raw.split(","):
        name = by_lower.get(part.strip().lower())
        if name is None:
            known = ", ".join(DOWNLOAD_COLUMNS)
            raise refused(
                [
                    Problem(
                        f"columns: {part.strip()[:100]!r} is not a column; known: {known}.", 10005, "columns"
                    )
                ]
            )
        names.append(name)
    return names


def download_history(ctx: ServiceContext, query: HistoryQuery, columns: list[str], limit: int) -> str:
    """The matching history as CSV (oldest first), at most `limit` rows."""
    query = replace(retained(ctx, query), descending=False)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    getters = [DOWNLOAD_COLUMNS[c] for c in columns]
    with ctx.uow() as uow:
        for pk, row in uow.history.rows(query, limit):
            writer.writerow([get(pk, row) for get in getters])
    return out.getvalue()


def estimate_history(ctx: ServiceContext, query: HistoryQuery) -> tuple[int, int]:
    query = retained(ctx, query)
    with ctx.uow() as uow:
        return uow.history.bytes_estimate(query)


# --- journey stats, the outbox and contact attributes ------------------------------------------------


def journey_stats(ctx: ServiceContext, definition_ids: Iterable[str]) -> dict[str, JourneyStats]:
    with ctx.uow() as uow:
        return uow.runtime.stats(list(definition_ids))


def list_outbox(ctx: ServiceContext, query: OutboxQuery) -> tuple[int, list[tuple[int, OutboxMessage]]]:
    with ctx.uow() as uow:
        return uow.history.outbox(query)


def clear_outbox(ctx: ServiceContext, mid: int | None) -> int:
    with ctx.uow(write=True) as uow:
        deleted = uow.history.clear_outbox(mid)
        uow.commit()
    return deleted


def record_engagement(
    ctx: ServiceContext, message_id: int, body: Mapping[str, Any]
) -> tuple[OutboxMessage, list[EngagementEvent]]:
    """Record an open, click or bounce against an outbox message, at the engine's current time;
    returns the message and all of its engagement. An engagement split decides from what is
    recorded by the time the contact reaches it. Raises InvalidRequest, OutboxMessageNotFound."""
    kind = body.get("type")
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        text = "type must be open, click or bounce."
        raise refused([Problem(text, 10005, "type")], text)
    kind = kind.lower()
    url_id, url = body.get("urlId"), body.get("url")
    if url_id is not None and (
        isinstance(url_id, bool) or not isinstance(url_id, str | int) or len(str(url_id)) > 200
    ):
        raise refused([Problem("urlId must be a string or a number (a tracked URL's id).", 10005, "urlId")])
    if url is not None and (not isinstance(url, str) or len(url) > 2048):
        raise refused([Problem("url must be a string of at most 2048 characters.", 10005, "url")])
    if kind != CLICK and (url_id is not None or url is not None):
        raise refused([Problem("urlId and url go with a click only.", 10005, "urlId")])
    with ctx.uow(write=True) as uow:
        message = uow.engagement.message(message_id)
        if message is None:
            raise OutboxMessageNotFound(message_id)
        event = EngagementEvent(message_id, kind, engine_now(uow, ctx.clock),
                                None if url_id is None else str(url_id), url)  # fmt: skip
        uow.engagement.add(message, event)
        events = uow.engagement.of_message(message.definition_instance_id, message.activity_key, message_id)
        uow.commit()
    return message, events


MAX_ATTRIBUTE_SETS: Final = 100
MAX_FIELDS_PER_SET: Final = 500


def get_attributes(ctx: ServiceContext, mid: int, contact_key: str) -> dict[str, Any]:
    with ctx.uow() as uow:
        return uow.runtime.attributes(mid, [contact_key]).get(contact_key, {})


def put_attributes(ctx: ServiceContext, mid: int, contact_key: str, document: Any) -> dict[str, Any]:
    """Replace a contact's attributes: {"<AttributeSet>": {"<Field>": value, ...}, ...}. Raises InvalidRequest."""
    checked = check_contact_key(contact_key, "contactKey")
    if isinstance(checked, Problem):
        raise refused([checked])
    if not isinstance(document, Mapping) or len(document) > MAX_ATTRIBUTE_SETS:
        raise refused([Problem(f"The body must be an object of at most {MAX_ATTRIBUTE_SETS} attribute sets, "
                               "each an object of field values.", 10001, "")])  # fmt: skip
    for name, fields in document.items():
        if not isinstance(fields, Mapping) or len(fields) > MAX_FIELDS_PER_SET:
            raise refused(
                [
                    Problem(
                        f"{name} must be an object of at most {MAX_FIELDS_PER_SET} field values.", 10001, name
                    )
                ]
            )
    with ctx.uow(write=True) as uow:
        uow.runtime.save_attributes(mid, {checked: dict(document)}, engine_now(uow, ctx.clock))
        uow.commit()
    return dict(document)
