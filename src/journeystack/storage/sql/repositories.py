"""SQL repositories: every query journeystack runs against its tables."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, exists, false, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from journeystack.domain.auth import Grant
from journeystack.domain.journey import (
    JourneyDefinition,
    JourneyVersion,
    Status,
    StoredJourney,
    parse_status,
    tag_names,
    trigger_event_reference,
)
from journeystack.domain.lifecycle import RUNNING
from journeystack.domain.queries import JourneyQuery, OrderColumn, Page
from journeystack.storage.ports import TooMuchToRead, WriteConflict

from .anchors import ListAnchors
from .prepared import Prepared
from .tables import journey_counts, journeys, tokens

_LIST_COLUMNS = [c for c in journeys.c if c.name != "spec"]


def _positions(columns: Any) -> dict[str, int]:
    return {column.name: i for i, column in enumerate(columns)}


_ALL_AT = _positions(journeys.c)
_LIST_AT = _positions(_LIST_COLUMNS)


def _to_version(row: Any, spec: dict[str, Any] | None = None, at: dict[str, int] = _ALL_AT) -> JourneyVersion:
    """A journey version from a row of `journeys` (a driver tuple or an SQLAlchemy row), its
    columns at the positions `at` names."""
    if spec is None:
        spec = orjson.loads(row[at["spec"]])
    key = row[at["key"]]
    pause_options = row[at["pause_options"]]
    return JourneyVersion(
        mid=row[at["mid"]],
        id=row[at["journey_id"]],
        key=key,
        version=row[at["version"]],
        definition_id=row[at["definition_id"]],
        status=Status(row[at["status"]]),
        created_ms=row[at["created_ms"]],
        modified_ms=row[at["modified_ms"]],
        last_published_ms=row[at["last_published_ms"]],
        operation_id=row[at["operation_id"]],
        paused_until_ms=row[at["paused_until_ms"]],
        pause_options=orjson.loads(pause_options) if pause_options else None,
        definition=JourneyDefinition(
            key=key,
            name=row[at["name"]],
            description=row[at["description"]],
            workflow_api_version=row[at["workflow_api_version"]],
            entry_mode=row[at["entry_mode"]],
            definition_type=row[at["definition_type"]],
            spec=spec,
        ),
    )


def _if_it_fits(value: str | None, column: Any) -> str | None:
    length: int | None = getattr(column.type, "length", None)
    return value if value is None or length is None or len(value) <= length else None


def _definition_values(v: JourneyVersion) -> dict[str, Any]:
    d = v.definition
    event_key, event_id = trigger_event_reference(d)
    # A reference longer than any event definition's key or id names none of them; PostgreSQL
    # would refuse it (SQLite does not enforce lengths). The spec keeps it as the client sent it.
    tags = tag_names(d.spec)
    return {
        "tags": orjson.dumps(tags).decode("utf-8") if tags else None,
        "event_definition_key": _if_it_fits(event_key, journeys.c.event_definition_key),
        "event_definition_id": _if_it_fits(event_id, journeys.c.event_definition_id),
        "name": d.name,
        "description": d.description,
        "workflow_api_version": d.workflow_api_version,
        "entry_mode": d.entry_mode,
        "definition_type": d.definition_type,
        "spec": orjson.dumps(d.spec).decode("utf-8"),
        "modified_ms": v.modified_ms,
    }


# Hot statements are built once: building a statement costs far more than running it on SQLite.
_BY_KEY = and_(journeys.c.mid == bindparam("mid"), journeys.c.key == bindparam("key"))
_BY_ID = and_(journeys.c.mid == bindparam("mid"), journeys.c.journey_id == bindparam("journey_id"))
_LATEST = {
    name: Prepared(select(journeys).where(identity).order_by(journeys.c.version.desc()).limit(1))
    for name, identity in (("key", _BY_KEY), ("journey_id", _BY_ID))
}
_GET = {
    name: Prepared(select(journeys).where(identity, journeys.c.version == bindparam("version")))
    for name, identity in (("key", _BY_KEY), ("journey_id", _BY_ID))
}
_BY_DEFINITION = Prepared(select(journeys).where(journeys.c.definition_id == bindparam("definition_id")))
_INSERT = journeys.insert()
# The columns a PUT rewrites: _definition_values' keys.
_REWRITTEN = [
    "tags", "event_definition_key", "event_definition_id", "name", "description", "workflow_api_version",
    "entry_mode", "definition_type", "spec", "modified_ms",
]  # fmt: skip
_COMPARE_AND_SWAP = Prepared(
    update(journeys)
    .where(
        journeys.c.mid == bindparam("w_mid"),
        journeys.c.journey_id == bindparam("w_journey_id"),
        journeys.c.version == bindparam("w_version"),
        journeys.c.modified_ms == bindparam("w_seen"),
        # The status the update was checked against (a Draft, or a Paused transactional journey).
        journeys.c.status == bindparam("w_status"),
        journeys.c.operation_id.is_(None),
    )
    .values({name: bindparam(name) for name in _REWRITTEN})
)


_HEADS_OF = select(func.count()).where(
    journeys.c.mid == bindparam("mid"),
    journeys.c.journey_id == bindparam("journey_id"),
    journeys.c.is_head.is_(True),
)
_COUNT_HEADS = select(journey_counts.c.heads).where(journey_counts.c.mid == bindparam("mid"))
_GENERATION = Prepared(select(journey_counts.c.generation).where(journey_counts.c.mid == bindparam("mid")))
_NEW_GENERATION = Prepared(
    update(journey_counts)
    .where(journey_counts.c.mid == bindparam("mid"))
    .values(generation=bindparam("generation"))
)


def _upsert(dialect: str) -> Any:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def _is_default_listing(query: JourneyQuery) -> bool:
    """The heads of a business unit, unfiltered: the count kept in journey_counts."""
    return (
        query.most_recent_version_only
        and query.journey_id is None
        and query.key is None
        and query.status is None
        and query.definition_type is None
        and query.workflow_api_version is None
        and not query.name_or_description
        and query.version_number is None
        and query.tag is None
        and not query.most_recent_or_running
    )


_LATER = journeys.alias("later")


def _versions(query: JourneyQuery) -> list[Any]:
    """Which versions of each journey the list holds (domain/queries.py: the order of precedence)."""
    if query.journey_id is not None:
        conditions: list[Any] = [journeys.c.journey_id == query.journey_id]
        if query.status is not None:
            conditions.append(_status_is(query.status))
        return conditions
    if query.status is not None:
        conditions = [_status_is(query.status)]
        if query.most_recent_version_only:
            # ... the most recent version of its journey in that status: no later one is in it.
            later = (
                select(_LATER.c.pk)
                .where(
                    _LATER.c.mid == journeys.c.mid,
                    _LATER.c.journey_id == journeys.c.journey_id,
                    _LATER.c.version > journeys.c.version,
                    _LATER.c.status == journeys.c.status,
                )
            )  # fmt: skip
            conditions.append(~exists(later))
        return conditions
    if query.version_number is not None:
        return [journeys.c.version == query.version_number, journeys.c.status != Status.DELETED.value]
    if query.most_recent_or_running:
        return [or_(journeys.c.is_head.is_(True), journeys.c.status.in_([s.value for s in RUNNING]))]
    if query.most_recent_version_only:
        return [journeys.c.is_head.is_(True)]
    return []


def _status_is(text: str) -> Any:
    status = parse_status(text)
    return journeys.c.status == status.value if status is not None else false()


def _identity_params(mid: int, key: str | None, journey_id: str | None) -> tuple[str, dict[str, Any]]:
    if key is not None:
        return "key", {"mid": mid, "key": key}
    if journey_id is not None:
        return "journey_id", {"mid": mid, "journey_id": journey_id}
    raise ValueError("a journey is named by key or by id")


class SqlJourneyRepository:
    def __init__(self, connection: Connection, anchors: ListAnchors | None = None) -> None:
        self._c = connection
        self._anchors = anchors

    def _generation(self, mid: int) -> int | None:
        """The business unit's list generation (storage/sql/anchors.py); None before its first journey."""
        row = _GENERATION.first(self._c, {"mid": mid})
        return None if row is None else int(row[0])

    def _changed(self, mid: int) -> None:
        """Give the business unit a new list generation, in this transaction: what any process
        remembers about its list positions no longer holds."""
        _NEW_GENERATION.execute(self._c, {"mid": mid, "generation": secrets.randbits(62)})

    def _identity(self, mid: int, key: str | None, journey_id: str | None) -> Any:
        if key is not None:
            return and_(journeys.c.mid == mid, journeys.c.key == key)
        if journey_id is not None:
            return and_(journeys.c.mid == mid, journeys.c.journey_id == journey_id)
        raise ValueError("a journey is named by key or by id")

    def _row(self, mid: int, version: int | None, key: str | None, journey_id: str | None) -> Any:
        """The whole row of one version (the latest when `version` is None), or None."""
        by, params = _identity_params(mid, key, journey_id)
        if version is None:
            return _LATEST[by].first(self._c, params)
        return _GET[by].first(self._c, {**params, "version": version})

    def latest(
        self, mid: int, *, key: str | None = None, journey_id: str | None = None
    ) -> JourneyVersion | None:
        row = self._row(mid, None, key, journey_id)
        return _to_version(row) if row is not None else None

    def stored(
        self, mid: int, version: int | None, *, key: str | None = None, journey_id: str | None = None
    ) -> StoredJourney | None:
        """One version (the latest when `version` is None) with its spec as stored, unparsed."""
        row = self._row(mid, version, key, journey_id)
        return StoredJourney(_to_version(row, {}), row[_ALL_AT["spec"]]) if row is not None else None

    def get(
        self, mid: int, version: int, *, key: str | None = None, journey_id: str | None = None
    ) -> JourneyVersion | None:
        row = self._row(mid, version, key, journey_id)
        return _to_version(row) if row is not None else None

    def versions(
        self, mid: int, *, key: str | None = None, journey_id: str | None = None
    ) -> list[JourneyVersion]:
        rows = self._c.execute(
            select(journeys).where(self._identity(mid, key, journey_id)).order_by(journeys.c.version)
        ).all()
        return [_to_version(row) for row in rows]

    def add(self, version: JourneyVersion) -> None:
        values = _definition_values(version) | {
            "mid": version.mid,
            "journey_id": version.id,
            "key": version.key,
            "version": version.version,
            "definition_id": version.definition_id,
            "status": version.status.value,
            "created_ms": version.created_ms,
            "last_published_ms": version.last_published_ms,
            "is_head": False,
            "operation_id": version.operation_id,
        }
        try:
            with self._c.begin_nested():
                self._c.execute(_INSERT, values)
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc
        self._refresh_head(version.mid, version.id)
        self._changed(version.mid)

    def replace_if_unmodified(self, new: JourneyVersion, seen_modified_ms: int) -> bool:
        where = {
            "w_mid": new.mid,
            "w_journey_id": new.id,
            "w_version": new.version,
            "w_seen": seen_modified_ms,
            "w_status": new.status.value,
        }
        if _COMPARE_AND_SWAP.rowcount(self._c, {**_definition_values(new), **where}) != 1:
            return False
        self._changed(new.mid)
        return True

    def set_status(
        self,
        current: JourneyVersion,
        status: Status,
        *,
        modified_ms: int,
        last_published_ms: int | None = None,
        paused_until_ms: int | None = None,
        pause_options: dict[str, Any] | None = None,
    ) -> bool:
        paused = status is Status.PAUSED
        values: dict[str, Any] = {
            "status": status.value,
            "modified_ms": modified_ms,
            # Pause state lives exactly as long as the version is Paused.
            "paused_until_ms": paused_until_ms if paused else None,
            "pause_options": orjson.dumps(pause_options).decode() if paused and pause_options else None,
        }
        if last_published_ms is not None:
            values["last_published_ms"] = last_published_ms
        result = self._c.execute(
            update(journeys)
            .where(
                journeys.c.mid == current.mid,
                journeys.c.journey_id == current.id,
                journeys.c.version == current.version,
                journeys.c.status == current.status.value,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        if Status.DELETED in (status, current.status):
            self._refresh_head(current.mid, current.id)
        self._changed(current.mid)
        return True

    def _version_row(self, version: JourneyVersion) -> Any:
        return and_(
            journeys.c.mid == version.mid,
            journeys.c.journey_id == version.id,
            journeys.c.version == version.version,
        )

    def attach_operation(self, version: JourneyVersion, operation_id: str) -> bool:
        """Mark an operation in flight on a version, if none is and its status is unchanged."""
        result = self._c.execute(
            update(journeys)
            .where(
                self._version_row(version),
                journeys.c.status == version.status.value,
                journeys.c.operation_id.is_(None),
            )
            .values(operation_id=operation_id)
        )
        return result.rowcount == 1

    def detach_operation(self, mid: int, journey_id: str, version: int, operation_id: str) -> None:
        self._c.execute(
            update(journeys)
            .where(
                journeys.c.mid == mid,
                journeys.c.journey_id == journey_id,
                journeys.c.version == version,
                journeys.c.operation_id == operation_id,
            )
            .values(operation_id=None)
        )

    def lock_journey(self, mid: int, journey_id: str) -> None:
        """Serialise lifecycle changes of one journey (row locks on PostgreSQL; SQLite has one writer)."""
        self._c.execute(
            select(journeys.c.pk)
            .where(journeys.c.mid == mid, journeys.c.journey_id == journey_id)
            .order_by(journeys.c.pk)
            .with_for_update()
        ).all()

    def expired_pauses(self, now_ms: int, limit: int = 100) -> list[JourneyVersion]:
        rows = self._c.execute(
            select(journeys)
            .where(journeys.c.paused_until_ms <= now_ms, journeys.c.status == Status.PAUSED.value)
            .order_by(journeys.c.paused_until_ms)
            .limit(limit)
        ).all()
        return [_to_version(row) for row in rows]

    def by_definition(self, definition_id: str) -> JourneyVersion | None:
        """The version with this definitionId, in any business unit (the engine's instances name it)."""
        row = _BY_DEFINITION.first(self._c, {"definition_id": definition_id})
        return _to_version(row) if row is not None else None

    def running_for_event(self, mid: int, event_key: str, limit: int) -> list[JourneyVersion]:
        """The Published and Paused versions whose trigger names the event definition key, oldest
        journey first."""
        rows = self._c.execute(
            select(journeys)
            .where(
                journeys.c.mid == mid,
                journeys.c.event_definition_key == event_key,
                journeys.c.status.in_([s.value for s in RUNNING]),
            )
            .order_by(journeys.c.pk)
            .limit(limit)
        ).all()
        return [_to_version(row) for row in rows]

    def count_using_event(self, mid: int, key: str, event_id: str, statuses: list[Status] | None) -> int:
        """How many journeys have a version (in one of `statuses`, if given) triggered by the event."""
        conditions = [
            journeys.c.mid == mid,
            or_(journeys.c.event_definition_key == key, journeys.c.event_definition_id == event_id),
            journeys.c.status != Status.DELETED.value,
        ]
        if statuses is not None:
            conditions.append(journeys.c.status.in_([s.value for s in statuses]))
        return int(
            self._c.execute(
                select(func.count(func.distinct(journeys.c.journey_id))).where(*conditions)
            ).scalar_one()
        )

    def _heads_of(self, mid: int, journey_id: str) -> int:
        return int(self._c.execute(_HEADS_OF, {"mid": mid, "journey_id": journey_id}).scalar_one())

    def _refresh_head(self, mid: int, journey_id: str) -> None:
        """Mark the most recent non-Deleted version of a journey as its head, and only that one,
        and keep the business unit's count of listed journeys in step."""
        before = self._heads_of(mid, journey_id)
        head = (
            select(func.max(journeys.c.version))
            .where(
                journeys.c.mid == mid,
                journeys.c.journey_id == journey_id,
                journeys.c.status != Status.DELETED.value,
            )
            .scalar_subquery()
        )
        self._c.execute(
            update(journeys)
            .where(journeys.c.mid == mid, journeys.c.journey_id == journey_id)
            .values(is_head=func.coalesce(journeys.c.version == head, False))
        )
        delta = self._heads_of(mid, journey_id) - before
        if delta:
            upsert = _upsert(self._c.dialect.name)(journey_counts).values(mid=mid, heads=delta)
            self._c.execute(
                upsert.on_conflict_do_update(
                    index_elements=[journey_counts.c.mid], set_={"heads": journey_counts.c.heads + delta}
                )
            )

    def list(
        self, mid: int, query: JourneyQuery, *, with_spec: bool, spec_budget: int | None = None
    ) -> Page[JourneyVersion]:
        conditions: list[Any] = [journeys.c.mid == mid, *_versions(query)]
        if query.key is not None:
            conditions.append(journeys.c.key == query.key)
        if query.version_number is not None and (query.journey_id is not None or query.status is not None):
            conditions.append(journeys.c.version == query.version_number)
        if query.tag is not None:
            # `tags` is a JSON array of names: a name's JSON string, quotes included, matches it whole.
            pattern = "%" + escape_like(orjson.dumps(query.tag).decode("utf-8")) + "%"
            conditions.append(journeys.c.tags.like(pattern, escape="\\"))
        if query.definition_type is not None:
            conditions.append(func.lower(journeys.c.definition_type) == query.definition_type.lower())
        if query.workflow_api_version is not None:
            conditions.append(journeys.c.workflow_api_version == query.workflow_api_version)
        if query.name_or_description:
            pattern = "%" + escape_like(query.name_or_description.lower()) + "%"
            conditions.append(
                or_(
                    func.lower(journeys.c.name).like(pattern, escape="\\"),
                    func.lower(journeys.c.description).like(pattern, escape="\\"),
                )
            )
        where = and_(*conditions)
        listing = (mid, replace(query, page=1, page_size=1))
        generation = self._generation(mid) if self._anchors is not None else None
        if _is_default_listing(query):
            count = self._c.execute(_COUNT_HEADS, {"mid": mid}).scalar() or 0
        else:
            # A filtered count reads every match; a process remembers it for as long as the business
            # unit's journeys are unchanged (the anchors' generation), as clients page through a list.
            remembered = (
                self._anchors.count(listing, generation)
                if self._anchors is not None and generation is not None
                else None
            )
            if remembered is None:
                count = self._c.execute(select(func.count()).select_from(journeys).where(where)).scalar_one()
                if self._anchors is not None and generation is not None:
                    self._anchors.remember_count(listing, generation, count)
            else:
                count = remembered
        column = journeys.c.modified_ms if query.order_by is OrderColumn.MODIFIED_DATE else journeys.c.name
        ordering = (
            [column.desc(), journeys.c.pk.desc()] if query.descending else [column.asc(), journeys.c.pk.asc()]
        )
        columns = list(journeys.c) if with_spec else _LIST_COLUMNS
        at = _ALL_AT if with_spec else _LIST_AT
        start, size = query.offset, query.page_size
        seek = None
        if generation is not None and self._anchors is not None and start > 0:
            seek = self._anchors.nearest(listing, generation, start)
        skip, matching = start, where
        if seek is not None:
            anchored_at, (value, pk) = seek
            boundary = tuple_(column, journeys.c.pk)
            after = boundary < tuple_(value, pk) if query.descending else boundary > tuple_(value, pk)
            skip, matching = start - anchored_at, and_(where, after)
        # Also the row just before the page, when there is one: where this page starts, for next time.
        before = 1 if skip > 0 and generation is not None else 0
        # The page's rows are found by primary key first: skipping rows then walks only the listing
        # index (covering for the default listing) instead of fetching every skipped row.
        page_keys = (
            select(journeys.c.pk)
            .where(matching)
            .order_by(*ordering)
            .limit(size + before)
            .offset(skip - before)
        )
        result = self._c.execute(
            select(*columns).where(journeys.c.pk.in_(page_keys.scalar_subquery())).order_by(*ordering)
        )
        if spec_budget is None or not with_spec:
            rows = result.all()
        else:
            rows, read, spec_at = [], 0, at["spec"]
            for row in result:  # stop loading as soon as the page is too large to answer
                read += len(row[spec_at])
                if read > spec_budget:
                    result.close()
                    raise TooMuchToRead(read)
                rows.append(row)
        if generation is not None and self._anchors is not None:
            sort_at, pk_at = at[column.name], at["pk"]
            if before and rows:
                first, rows = rows[0], rows[1:]
                self._anchors.remember(listing, generation, start, (first[sort_at], first[pk_at]))
            if len(rows) == size:
                self._anchors.remember(
                    listing, generation, start + size, (rows[-1][sort_at], rows[-1][pk_at])
                )
        items = [_to_version(row) if with_spec else _to_version(row, {}, _LIST_AT) for row in rows]
        return Page(count=count, page=query.page, page_size=query.page_size, items=items)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, token_hash: str, grant: Grant) -> None:
        self._c.execute(
            tokens.insert().values(
                token_hash=token_hash,
                client_id=grant.client_id,
                mid=grant.mid,
                scopes=" ".join(sorted(grant.scopes)),
                expires_at_ms=grant.expires_at_ms,
            )
        )

    def get(self, token_hash: str) -> Grant | None:
        row = self._c.execute(select(tokens).where(tokens.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return Grant(
            client_id=row.client_id,
            mid=row.mid,
            scopes=frozenset(row.scopes.split()),
            expires_at_ms=row.expires_at_ms,
        )

    def purge_expired(self, now_ms: int) -> int:
        return self._c.execute(tokens.delete().where(tokens.c.expires_at_ms < now_ms)).rowcount
