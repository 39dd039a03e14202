"""SQL of what the runtime reports: journey history searches and downloads, and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, select

from journeystack.domain.queries import Page
from journeystack.domain.runtime.records import HISTORY_COUNT_CAP, HistoryQuery, OutboxQuery
from journeystack.domain.runtime.steps import HistoryRow, OutboxMessage

from .tables import engine_outbox, journey_history

_HISTORY_FIELDS = [c.name for c in journey_history.c if c.name != "pk"]
_OUTBOX_FIELDS = [c.name for c in engine_outbox.c if c.name != "pk"]


def _history_where(query: HistoryQuery) -> Any:
    h = journey_history.c
    conditions: list[Any] = [h.mid == query.mid]
    if query.start_ms is not None:
        conditions.append(h.transaction_ms >= query.start_ms)
    if query.end_ms is not None:
        conditions.append(h.transaction_ms <= query.end_ms)
    for column, values in (
        (h.definition_id, query.definition_ids),
        (h.journey_key, query.journey_keys),
        (h.activity_id, query.activity_ids),
        (h.activity_key, query.activity_keys),
        (h.contact_key, query.contact_keys),
        (h.definition_instance_id, query.definition_instance_ids),
    ):
        if values:
            conditions.append(column.in_(values))
    if query.activity_types:
        conditions.append(func.upper(h.activity_type).in_([t.upper() for t in query.activity_types]))
    if query.statuses:
        conditions.append(func.lower(h.status).in_([s.lower() for s in query.statuses]))
    if query.client_statuses:
        conditions.append(func.lower(h.client_status).in_([s.lower() for s in query.client_statuses]))
    return and_(*conditions)


def _to_history(row: Any) -> tuple[int, HistoryRow]:
    return row[0], HistoryRow(**dict(zip(_HISTORY_FIELDS, row[1:], strict=True)))


class SqlHistoryRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def _ordered(self, query: HistoryQuery) -> Any:
        h = journey_history.c
        order = [h.transaction_ms.desc(), h.pk.desc()] if query.descending else [h.transaction_ms, h.pk]
        columns = [h.pk, *(journey_history.c[name] for name in _HISTORY_FIELDS)]
        return select(*columns).where(_history_where(query)).order_by(*order)

    def count(self, query: HistoryQuery, cap: int = HISTORY_COUNT_CAP) -> int:
        """Matching rows, counted up to `cap` (SFMC's search reports at most 10,000)."""
        capped = select(journey_history.c.pk).where(_history_where(query)).limit(cap).subquery()
        return int(self._c.execute(select(func.count()).select_from(capped)).scalar_one())

    def search(self, query: HistoryQuery, page: int, page_size: int) -> Page[tuple[int, HistoryRow]]:
        rows = self._c.execute(self._ordered(query).limit(page_size).offset((page - 1) * page_size)).all()
        return Page(
            count=self.count(query), page=page, page_size=page_size, items=[_to_history(r) for r in rows]
        )

    def rows(self, query: HistoryQuery, limit: int) -> Iterator[tuple[int, HistoryRow]]:
        for row in self._c.execute(self._ordered(query).limit(limit)):
            yield _to_history(row)

    def bytes_estimate(self, query: HistoryQuery) -> tuple[int, int]:
        """(rows, total length of the text columns) of what a download would carry."""
        h = journey_history.c
        size = (
            func.length(h.contact_key) + func.length(h.status) + func.length(h.definition_id)
            + func.length(h.definition_name) + func.coalesce(func.length(h.activity_id), 0)
            + func.coalesce(func.length(h.activity_name), 0) + func.coalesce(func.length(h.activity_type), 0)
        )  # fmt: skip
        row = self._c.execute(
            select(func.count(), func.coalesce(func.sum(size), 0)).where(_history_where(query))
        ).one()
        return int(row[0]), int(row[1])

    # --- outbox ---------------------------------------------------------------------------------------

    def outbox(self, query: OutboxQuery) -> tuple[int, list[tuple[int, OutboxMessage]]]:
        o = engine_outbox.c
        conditions: list[Any] = []
        if query.mid is not None:
            conditions.append(o.mid == query.mid)
        if query.contact_key is not None:
            conditions.append(o.contact_key == query.contact_key)
        if query.journey_key is not None:
            conditions.append(o.journey_key == query.journey_key)
        if query.activity_key is not None:
            conditions.append(o.activity_key == query.activity_key)
        where = and_(*conditions) if conditions else None
        counted = select(func.count()).select_from(engine_outbox)
        listed = select(o.pk, *(engine_outbox.c[name] for name in _OUTBOX_FIELDS)).order_by(o.pk)
        if where is not None:
            counted, listed = counted.where(where), listed.where(where)
        total = int(self._c.execute(counted).scalar_one())
        rows = self._c.execute(listed.limit(query.limit).offset(query.offset)).all()
        items = []
        for row in rows:
            values = dict(zip(_OUTBOX_FIELDS, row[1:], strict=True))
            values["data"] = orjson.loads(values["data"])
            items.append((int(row[0]), OutboxMessage(**values)))
        return total, items

    def clear_outbox(self, mid: int | None) -> int:
        statement = delete(engine_outbox)
        if mid is not None:
            statement = statement.where(engine_outbox.c.mid == mid)
        return int(self._c.execute(statement).rowcount)
