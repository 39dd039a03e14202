"""SQL of the web console's read models (domain/console.py): the journey list, where contacts are
and how they moved, which journeys use an event, a journey's operations. Reads only."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import JSON, Connection, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from journeystack.domain.console import (
    END,
    ContactMatch,
    EventUse,
    JourneyListPage,
    JourneyListQuery,
    JourneySummary,
)
from journeystack.domain.folders import category_of
from journeystack.domain.lifecycle import Operation
from journeystack.domain.runtime.effects import END_TYPE, LIVE

from .lifecycle_repositories import _to_operation
from .repositories import escape_like
from .tables import (
    contact_attributes,
    journey_counts,
    journey_history,
    journey_instances,
    journeys,
    operations,
)


def _folder_of(spec_text: str) -> int | None:
    try:
        spec = orjson.loads(spec_text)
    except orjson.JSONDecodeError:
        return None
    return category_of(spec) if isinstance(spec, dict) else None


class SqlConsoleReads:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @property
    def _postgresql(self) -> bool:
        return self._c.dialect.name == "postgresql"

    def _category(self) -> Any:
        """The stored spec's categoryId, as text, in SQL (no column holds it: the list reads it from
        the document of each row it walks, so a folder filter costs a scan on a large store)."""
        if self._postgresql:
            return func.json_extract_path_text(cast(journeys.c.spec, JSON), "categoryId")
        return cast(func.json_extract(journeys.c.spec, "$.categoryId"), String)

    def journey_page(self, query: JourneyListQuery) -> JourneyListPage:
        """The heads (most recent versions not Deleted) that match, newest change first, walked in
        the list index's order so a page stops reading once it is full."""
        j = journeys.c
        conditions: list[Any] = [j.mid == query.mid, j.is_head.is_(True)]
        if query.text:
            pattern = "%" + escape_like(query.text.lower()) + "%"
            conditions.append(
                or_(
                    func.lower(j.name).like(pattern, escape="\\"),
                    func.lower(j.key).like(pattern, escape="\\"),
                )
            )
        if query.status:
            other = aliased(journeys)
            conditions.append(
                exists().where(
                    and_(
                        other.c.mid == j.mid,
                        other.c.journey_id == j.journey_id,
                        other.c.status == query.status,
                    )
                )
            )
        if query.folder_id is not None:
            conditions.append(self._category() == str(query.folder_id))
        rows = self._c.execute(
            select(j.journey_id, j.key, j.definition_id, j.version, j.status, j.modified_ms, j.name, j.spec)
            .where(and_(*conditions))
            .order_by(j.modified_ms.desc(), j.pk.desc())
            .limit(query.page_size + 1)
            .offset((query.page - 1) * query.page_size)
        ).all()
        has_more = len(rows) > query.page_size
        rows = rows[: query.page_size]
        versions: dict[str, list[tuple[int, str]]] = {}
        if rows:
            for journey_id, version, status in self._c.execute(
                select(j.journey_id, j.version, j.status)
                .where(and_(j.mid == query.mid, j.journey_id.in_([r.journey_id for r in rows])))
                .order_by(j.journey_id, j.version)
            ):
                versions.setdefault(journey_id, []).append((version, status))
        total = None
        if not query.filtered:
            total = int(
                self._c.execute(
                    select(journey_counts.c.heads).where(journey_counts.c.mid == query.mid)
                ).scalar()
                or 0
            )
        items = [
            JourneySummary(
                journey_id=r.journey_id, key=r.key, name=r.name, version=r.version, status=r.status,
                modified_ms=r.modified_ms, folder_id=_folder_of(r.spec),
                versions=tuple(versions.get(r.journey_id, ())),
            )
            for r in rows
        ]  # fmt: skip
        return JourneyListPage(items, query.page, query.page_size, has_more, total)

    def journeys_using_events(self, mid: int, event_keys: list[str]) -> list[EventUse]:
        """Every version (not Deleted) whose trigger names one of the event keys, by key, journey
        name and version."""
        if not event_keys:
            return []
        j = journeys.c
        rows = self._c.execute(
            select(j.event_definition_key, j.journey_id, j.key, j.name, j.version, j.status)
            .where(and_(j.mid == mid, j.event_definition_key.in_(event_keys), j.status != "Deleted"))
            .order_by(j.event_definition_key, j.name, j.key, j.version)
        )
        return [EventUse(*row) for row in rows]

    def operations_of(self, mid: int, journey_id: str, limit: int) -> list[Operation]:
        """A journey's publish and validate operations, newest first."""
        rows = self._c.execute(
            select(operations)
            .where(and_(operations.c.mid == mid, operations.c.journey_id == journey_id))
            .order_by(operations.c.created_ms.desc(), operations.c.id)
            .limit(limit)
        )
        return [_to_operation(row) for row in rows]

    def waiting(self, definition_id: str) -> dict[str | None, int]:
        """Live passes of a version by the activity they wait in (None: queued before the first)."""
        i = journey_instances.c
        return {
            position: int(count)
            for position, count in self._c.execute(
                select(i.position, func.count())
                .where(and_(i.definition_id == definition_id, i.status.in_(sorted(LIVE))))
                .group_by(i.position)
            )
        }

    def history_mark(self) -> int:
        """The newest history row's number: history is append-only, so while it stands still, moves
        counted before still hold."""
        return int(self._c.execute(select(func.max(journey_history.c.pk))).scalar() or 0)

    def moves(self, mid: int, definition_id: str, since_ms: int) -> dict[tuple[str, str], int]:
        """Each move from one place of the canvas to the next in a version's history kept since
        `since_ms`: the trigger's row starts a pass, a Stop row ends it (END); rows that are no
        place on the canvas (a goal met, an ejection) are left out. Reads every such row of the
        version: the caller keeps the answer while `history_mark` stands still."""
        h = journey_history.c
        place = func.coalesce(h.activity_key, literal(END))
        steps = (
            select(
                place.label("place"),
                func.lag(place).over(partition_by=h.definition_instance_id, order_by=h.pk).label("previous"),
            )
            .where(
                and_(
                    h.mid == mid,
                    h.transaction_ms >= since_ms,
                    h.definition_id == definition_id,
                    h.definition_instance_id.is_not(None),
                    or_(h.activity_key.is_not(None), h.activity_type == END_TYPE),
                )
            )
            .subquery()
        )
        return {
            (previous, place_): int(count)
            for previous, place_, count in self._c.execute(
                select(steps.c.previous, steps.c.place, func.count())
                .where(and_(steps.c.previous.is_not(None), steps.c.previous != steps.c.place))
                .group_by(steps.c.previous, steps.c.place)
            )
        }

    def contacts(self, mid: int, text: str, limit: int) -> list[ContactMatch]:
        """Contacts whose key contains `text` (any case): those with journey passes, then those
        with attributes only, by key."""
        pattern = "%" + escape_like(text.lower()) + "%"
        i = journey_instances.c
        live = func.sum(case((i.status.in_(sorted(LIVE)), 1), else_=0))
        found = [
            ContactMatch(key, int(passes), int(live_count or 0))
            for key, passes, live_count in self._c.execute(
                select(i.contact_key, func.count(), live)
                .where(and_(i.mid == mid, func.lower(i.contact_key).like(pattern, escape="\\")))
                .group_by(i.contact_key)
                .order_by(i.contact_key)
                .limit(limit)
            )
        ]
        if len(found) < limit:
            a = contact_attributes.c
            seen = {m.contact_key for m in found}
            for (key,) in self._c.execute(
                select(a.contact_key)
                .where(and_(a.mid == mid, func.lower(a.contact_key).like(pattern, escape="\\")))
                .order_by(a.contact_key)
                .limit(limit)
            ):
                if key not in seen and len(found) < limit:
                    found.append(ContactMatch(key, 0, 0))
        return found
