"""The stores a benchmark runs against, and how each is seeded in bulk.

Both stores write the same rows: one journey of each shape, and a few probes, through journeystack's
own repository, then every other journey as a copy of its shape's row (`_seed_rows`). SQLite loads
them with `executemany`; PostgreSQL (a throwaway cluster, or the server JOURNEYSTACK_BENCH_DATABASE_URL
names) with COPY, and is served by `journeystack serve --workers 2`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from journeystack.api.schemas.journeys import parse_create
from journeystack.domain.journey import JourneyVersion, first_version, with_server_members
from journeystack.domain.runtime.plan import activity_id
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
    # `journeystack serve --workers`; the floor (one process, SQLite) and pinning (one server
    # process on one core) apply only where `pinnable`.
    workers: int
    pinnable: bool

    @property
    def url(self) -> str:
        """The SQLAlchemy URL `journeystack serve --database-url` gets."""
        ...

    @property
    def label(self) -> str:
        """How the report names the store and its server, e.g. "PostgreSQL 15, 2 worker processes"."""
        ...

    @property
    def version(self) -> str:
        """The database's version, once seeded."""
        ...

    @property
    def database_pid(self) -> int:
        """The first process of a database server on this machine (its process tree's CPU is
        measured apart from journeystack's), or 0: none, or not visible from here."""
        ...

    def seed(self, count: int, *, seed: int) -> SeedResult:
        """Apply the migrations, then store journeys 0..count-1, each one Draft version."""
        ...

    def close(self) -> None:
        """Stop and remove whatever the store started (idempotent)."""
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
    """Journey `index` as POST would have created it: parse_create, first_version, then the members
    the server adds (activity and trigger ids, activity schemas)."""
    definition = parse_create(journey_body(index, seed=seed))
    version = first_version(
        definition, mid=MID, ids=_OneId(journey_id(index, seed)), now_ms=BASE_MS + index * 1000
    )
    return replace(version, definition=with_server_members(definition, version.id))


def _keys(body: dict[str, Any]) -> list[str]:
    """The keys of a body's triggers and activities, whose ids the server assigns."""
    return [element["key"] for element in (*body.get("triggers", []), *body.get("activities", []))]


def _assigned_ids(keys: list[str], ident: str) -> list[str]:
    return [activity_id(ident, {"key": key}) for key in keys]


def _per_journey_values(index: int, seed: int) -> tuple[Any, ...]:
    """The _PER_JOURNEY columns of journey `index`, without parsing its body."""
    ident = journey_id(index, seed)
    now = BASE_MS + index * 1000
    return (journey_key(index), journey_name(index, seed=seed), ident, ident, now, now)


def _seed_rows(url: str, count: int, seed: int) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Migrate `url` and store journeys 0..SHAPES-1 (one of each shape) and a few probes through
    journeystack's own repository; returns the columns of `journeys` but pk and the rows of every
    other journey 0..count-1 in that order, to bulk-load.

    Each row copies its shape's stored row and sets only the _PER_JOURNEY columns; each probe proves
    that copy equals what the repository wrote, so a schema change in src/ fails the seed loudly."""
    store = SqlStore(url)
    try:
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
    finally:
        store.dispose()
    columns = [c.name for c in journeys.c if c.name != "pk"]
    shapes = [tuple(stored[journey_key(i)][c] for c in columns) for i in range(min(count, SHAPES))]
    spots = [columns.index(c) for c in _PER_JOURNEY]
    spec_spot = columns.index("spec")
    # A shape's stored spec names its own journey's activity ids; each copy gets its own.
    shape_keys = [_keys(journey_body(i, seed=seed)) for i in range(min(count, SHAPES))]
    shape_ids = [_assigned_ids(keys, journey_id(i, seed)) for i, keys in enumerate(shape_keys)]

    def row(index: int) -> tuple[Any, ...]:
        values = list(shapes[index % SHAPES])
        for spot, value in zip(spots, _per_journey_values(index, seed), strict=True):
            values[spot] = value
        spec = values[spec_spot]
        own = _assigned_ids(shape_keys[index % SHAPES], journey_id(index, seed))
        for shape_id, own_id in zip(shape_ids[index % SHAPES], own, strict=True):
            spec = spec.replace(shape_id, own_id)
        values[spec_spot] = spec
        return tuple(values)

    for index in probes:
        expected = tuple(stored[journey_key(index)][c] for c in columns)
        if row(index) != expected:
            differ = [c for c, a, b in zip(columns, row(index), expected, strict=True) if a != b]
            raise AssertionError(
                f"bulk rows differ from the repository's in {differ}: update bench/stores.py"
            )
    skip = set(by_repository)
    return columns, (row(i) for i in range(count) if i not in skip)


class SqliteStore:
    """A fresh SQLite file in `directory`, left in WAL mode as journeystack's engine leaves it."""

    name = "sqlite"
    workers = 1
    pinnable = True
    label = "SQLite, 1 server process"
    version = sqlite3.sqlite_version
    database_pid = 0

    def __init__(self, directory: Path) -> None:
        self.path = directory / "journeystack.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path.resolve()}"

    def seed(self, count: int, *, seed: int) -> SeedResult:
        started = time.perf_counter()
        columns, rows = _seed_rows(self.url, count, seed)
        self._bulk_insert(columns, rows)
        return SeedResult(count, time.perf_counter() - started, self.path.stat().st_size)

    def close(self) -> None:
        """Nothing to stop: the file goes with the run's temporary directory."""

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


BENCH_URL_VARIABLE = "JOURNEYSTACK_BENCH_DATABASE_URL"
# The throwaway cluster's settings beyond PostgreSQL's defaults. Commits do not wait for their WAL
# to reach the disk, as journeystack's SQLite (WAL, synchronous=NORMAL) does not fsync on commit;
# fsync and full-page writes stay on, unlike the test suite's cluster.
SERVER_OPTIONS = {"listen_addresses": "127.0.0.1", "synchronous_commit": "off"}


def postgresql_problem() -> str | None:
    """Why a PostgreSQL store cannot start here, or None."""
    if os.environ.get(BENCH_URL_VARIABLE):
        return None
    from tests.pg import find_bindir

    if find_bindir() is not None:
        return None
    return (
        "the PostgreSQL pass needs PostgreSQL's server binaries (initdb, pg_ctl, postgres) and none "
        "were found ($JOURNEYSTACK_PG_BINDIR, /usr/lib/postgresql/*/bin, PATH). Install them with "
        f"`bash scripts/ensure-postgres.sh` (make bench does), set {BENCH_URL_VARIABLE} to a server "
        "where the bench may create a database, or leave PostgreSQL out with --no-postgresql."
    )


class PostgresStore:
    """A scratch database on a throwaway PostgreSQL cluster in `directory` (initdb + pg_ctl on a free
    127.0.0.1 port, as the tests' tests/pg.py makes it), or on the server $JOURNEYSTACK_BENCH_DATABASE_URL
    names; journeystack serves it with two worker processes. `close` stops and removes the cluster
    (on that server: drops the database)."""

    name = "postgresql"
    workers = 2
    # Two workers, the database's backends and the generator share the machine's cores: pinning
    # the server to one core would measure a starved server, so nothing is pinned.
    pinnable = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._stack = contextlib.ExitStack()
        self._url = ""
        self._version = ""
        self._major = ""
        self._database_pid = 0

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("the PostgreSQL store has no database before seed()")
        return self._url

    @property
    def label(self) -> str:
        return f"PostgreSQL {self._major}, {self.workers} worker processes"

    @property
    def version(self) -> str:
        return self._version

    @property
    def database_pid(self) -> int:
        return self._database_pid

    def seed(self, count: int, *, seed: int) -> SeedResult:
        started = time.perf_counter()
        self._url = self._create_database()
        columns, rows = _seed_rows(self._url, count, seed)
        size = self._bulk_copy(columns, rows)
        return SeedResult(count, time.perf_counter() - started, size)

    def close(self) -> None:
        self._stack.close()

    def _create_database(self) -> str:
        from tests.pg import PostgresServer, temporary_cluster

        external = os.environ.get(BENCH_URL_VARIABLE)
        if external:
            server = self._stack.enter_context(contextlib.closing(PostgresServer(external)))
        else:
            parent: Path | None = self.directory
            if os.geteuid() == 0:
                # The cluster runs as `nobody`, in a directory of its own inside this one; where
                # `nobody` cannot reach this one, tests/pg.py picks a directory it can reach.
                self.directory.chmod(0o711)
                if not all(os.stat(p).st_mode & 0o001 for p in self.directory.parents):
                    parent = None
            server = self._stack.enter_context(temporary_cluster(parent=parent, options=SERVER_OPTIONS))
        name = server.create_database("bench")
        if external:  # a throwaway cluster goes as a whole
            self._stack.callback(server.drop_database, name)
        return server.url(name)

    def _conninfo(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def _bulk_copy(self, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        """COPY `rows` into journeys in one transaction; returns the database's size in bytes."""
        with psycopg.connect(self._conninfo()) as connection:  # commits at the end of the block
            # Secondary indexes are cheaper built once at the end; those that back a constraint stay.
            indexes = connection.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = 'journeys'::regclass "
                "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
            ).fetchall()
            for name, _definition in indexes:
                connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            statement = sql.SQL("COPY journeys ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            for _name, definition in indexes:
                connection.execute(definition)
            # The per-business-unit count the repository keeps with every change (migration 0004).
            if connection.execute("SELECT to_regclass('journey_counts')").fetchone() != (None,):
                connection.execute("DELETE FROM journey_counts")
                connection.execute(
                    "INSERT INTO journey_counts (mid, heads) "
                    "SELECT mid, COUNT(*) FROM journeys WHERE is_head GROUP BY mid"
                )
        with psycopg.connect(self._conninfo(), autocommit=True) as connection:
            # What a long-lived database has: planner statistics, hint bits and the visibility map
            # set, and the load's dirty pages written, so no window pays for the load.
            connection.execute("VACUUM (ANALYZE) journeys")
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                connection.execute("CHECKPOINT")
            version, number, size, backend = connection.execute(
                "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
                "pg_database_size(current_database()), pg_backend_pid()"
            ).fetchone() or (None, 0, 0, 0)
            self._version, self._major = str(version), str(number // 10_000)
            self._database_pid = self._postmaster(backend)
        return int(size)

    def _postmaster(self, backend: int) -> int:
        """The parent of our backend process, when the server runs on this machine and /proc shows it."""
        host = make_url(self.url).host or ""
        if host not in ("", "127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            return 0
        try:
            stat = Path(f"/proc/{backend}/stat").read_bytes()
            parent = int(stat.rsplit(b")", 1)[1].split()[1])
            command = Path(f"/proc/{parent}/comm").read_bytes().strip()
        except (OSError, ValueError, IndexError):
            return 0
        return parent if command == b"postgres" and stat.split(b"(", 1)[1].startswith(b"postgres)") else 0


STORES: dict[str, Callable[[Path], Store]] = {"sqlite": SqliteStore, "postgresql": PostgresStore}
