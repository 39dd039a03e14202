"""The stores a benchmark runs against, and how each is seeded in bulk.

Only SQLite today. The PostgreSQL hook: add a `Store` whose `url` names a scratch database (created
and dropped by the store) and whose `seed` bulk-loads the same rows with COPY, register it in
`STORES`, and `python -m bench --store postgresql` runs every scenario against it; the runner, the
load generator and the report need no change.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects import sqlite as sqlite_dialect

from journeystack.api.schemas.journeys import parse_create
from journeystack.domain.journey import JourneyVersion, first_version
from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import journeys

from .journeys import MID, SHAPES, journey_body, journey_key, journey_name

# 2024-01-01T00:00:00Z; journey i was created, and last modified, i seconds later.
BASE_MS = 1_704_067_200_000
BATCH = 50_000
# The columns that differ between two journeys of the same shape, and what each holds.
_PER_JOURNEY = ("key", "name", "journey_id", "definition_id", "created_ms", "modified_ms")


@dataclass(frozen=True, slots=True)
class SeedResult:
    journeys: int
    seconds: float
    database_bytes: int


class Store(Protocol):
    name: str

    @property
    def url(self) -> str:
        """The SQLAlchemy URL `journeystack serve --database-url` gets."""
        ...

    def seed(self, count: int, *, seed: int) -> SeedResult:
        """Apply the migrations, then store journeys 0..count-1, each one Draft version."""
        ...


def journey_id(index: int, seed: int) -> str:
    """A random-looking (version 4) GUID, the same for the same (index, seed)."""
    h = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class _OneId:
    def __init__(self, value: str) -> None:
        self.value = value

    def new_id(self) -> str:
        return self.value


def journey_version(index: int, seed: int) -> JourneyVersion:
    """Journey `index` as POST would have created it: parse_create, then first_version."""
    definition = parse_create(journey_body(index, seed=seed))
    return first_version(
        definition, mid=MID, ids=_OneId(journey_id(index, seed)), now_ms=BASE_MS + index * 1000
    )


def _per_journey_values(index: int, seed: int) -> tuple[Any, ...]:
    """The _PER_JOURNEY columns of journey `index`, without parsing its body."""
    ident = journey_id(index, seed)
    now = BASE_MS + index * 1000
    return (journey_key(index), journey_name(index, seed=seed), ident, ident, now, now)


class SqliteStore:
    """A fresh SQLite file in `directory`, left in WAL mode as journeystack's engine leaves it."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "journeystack.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path.resolve()}"

    def seed(self, count: int, *, seed: int) -> SeedResult:
        """Journeys 0..SHAPES-1 (one of each shape) and a few probes go through journeystack's own
        repository; every other row copies its shape's row and sets only the _PER_JOURNEY columns,
        and each probe proves that copy equals what the repository wrote."""
        started = time.perf_counter()
        store = SqlStore(self.url)
        store.upgrade()
        probes = sorted({i for i in (SHAPES, SHAPES + 1 + count // 2, count - 1) if SHAPES <= i < count})
        by_repository = [*range(min(count, SHAPES)), *probes]
        with store(write=True) as uow:
            for index in by_repository:
                uow.journeys.add(journey_version(index, seed))
            uow.commit()
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(journeys).where(journeys.c.key.in_([journey_key(i) for i in by_repository]))
            )
            stored = {row.key: row._asdict() for row in rows}
        store.dispose()
        columns = [c.name for c in journeys.c if c.name != "pk"]
        shapes = [tuple(stored[journey_key(i)][c] for c in columns) for i in range(min(count, SHAPES))]
        spots = [columns.index(c) for c in _PER_JOURNEY]

        def row(index: int) -> tuple[Any, ...]:
            values = list(shapes[index % SHAPES])
            for spot, value in zip(spots, _per_journey_values(index, seed), strict=True):
                values[spot] = value
            return tuple(values)

        for index in probes:
            expected = tuple(stored[journey_key(index)][c] for c in columns)
            if row(index) != expected:
                differ = [c for c, a, b in zip(columns, row(index), expected, strict=True) if a != b]
                raise AssertionError(
                    f"bulk rows differ from the repository's in {differ}: update bench/stores.py"
                )
        skip = set(by_repository)
        self._bulk_insert(columns, (row(i) for i in range(count) if i not in skip))
        return SeedResult(count, time.perf_counter() - started, self.path.stat().st_size)

    def _bulk_insert(self, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        compiled = journeys.insert().compile(
            dialect=sqlite_dialect.dialect(paramstyle="qmark"), column_keys=columns
        )
        if list(compiled.positiontup or []) != columns:
            raise AssertionError("unexpected parameter order in the compiled INSERT")
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            # A scratch file needs no durability; the journal mode goes back to WAL at the end.
            connection.execute("PRAGMA journal_mode=OFF")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA cache_size=-262144")
            # Secondary indexes are cheaper built once at the end than kept up row by row; they are
            # re-created from the very SQL the migrations wrote.
            indexes = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journeys' AND sql IS NOT NULL"
            ).fetchall()
            for name, _sql in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            iterator: Iterator[tuple[Any, ...]] = iter(rows)
            while batch := list(islice(iterator, BATCH)):
                connection.execute("BEGIN")
                connection.executemany(str(compiled), batch)
                connection.execute("COMMIT")
            for _name, sql in indexes:
                connection.execute(sql)
            # The per-business-unit count the repository keeps with every change (migration 0004);
            # older schemas have no such table.
            tables = {
                name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "journey_counts" in tables:
                connection.execute("DELETE FROM journey_counts")
                connection.execute(
                    "INSERT INTO journey_counts (mid, heads) "
                    "SELECT mid, COUNT(*) FROM journeys WHERE is_head GROUP BY mid"
                )
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()


STORES = {"sqlite": SqliteStore}
