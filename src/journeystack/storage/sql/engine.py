"""Engine construction: SQLite gets WAL, a busy timeout and IMMEDIATE write transactions;
PostgreSQL gets READ COMMITTED and a connection pool sized per process."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
from sqlalchemy.engine import make_url

WAL_BACKSTOP_PAGES = 10_000


class Transaction(StrEnum):
    """The kinds of transaction journeystack runs; `begin` starts each the one way it is started."""

    # Each statement reads the latest commit: no BEGIN on SQLite, autocommit on PostgreSQL.
    READ = "read"
    # Takes the write lock up front (SQLite BEGIN IMMEDIATE), so a read-then-write never has to
    # upgrade a stale snapshot halfway through.
    WRITE = "write"
    # One consistent view of every table across statements (SQLite BEGIN DEFERRED, PostgreSQL
    # REPEATABLE READ): a snapshot export.
    SNAPSHOT = "snapshot"


# Where a checked-out connection carries its transaction's kind for the begin listener. It lives
# in the pool's record of the connection, so the checkin listener clears it: no kind outlives the
# checkout that chose it.
_KIND = "journeystack.transaction"


def mark(connection: Connection, kind: Transaction) -> None:
    """Make the next transaction begun on `connection` (by SQLAlchemy or Alembic) one of `kind`."""
    connection.info[_KIND] = kind
    if connection.dialect.name == "postgresql":
        if kind is Transaction.READ:
            # Each statement of a READ COMMITTED transaction reads its own snapshot anyway, so a
            # read needs no transaction: no BEGIN and no ROLLBACK round trip. The pool puts the
            # connection's isolation level back when it is returned.
            connection.execution_options(isolation_level="AUTOCOMMIT")
        elif kind is Transaction.SNAPSHOT:
            connection.execution_options(isolation_level="REPEATABLE READ")


def begin(connection: Connection, kind: Transaction) -> RootTransaction:
    """Begin a transaction of `kind` on a connection just checked out of the pool."""
    mark(connection, kind)
    return connection.begin()


def driver(connection: Connection) -> Any:
    """The DBAPI connection (sqlite3 or psycopg) under a SQLAlchemy connection, for statements
    whose SQLAlchemy execution would cost more than the database's own work."""
    raw = connection.connection.driver_connection
    assert raw is not None, "the connection is closed"
    return raw


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, pool_size: int = 8, max_overflow: int | None = None) -> Engine:
    """An engine for `url` holding up to `pool_size` (+ `max_overflow`, default the same again)
    connections; for a SQLite file, its directory is created and WAL is switched on."""
    overflow = pool_size if max_overflow is None else max_overflow
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # READ COMMITTED is what makes the compare-and-swap UPDATE correct under concurrency: a
        # writer blocked on a row re-reads it after the other commits and then matches nothing,
        # where REPEATABLE READ would fail with a serialization error instead.
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=overflow,
            pool_pre_ping=True,
            isolation_level="READ COMMITTED",
        )
        _forget_kind_on_checkin(engine)
        return engine
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # Last in, first out: a thread gets back the connection it just used, whose page cache is
    # still warm. Taken in turn, each would find its cache emptied by the others' commits and
    # read its pages again (pread: 11% of POST /events, docs/benchmarks.md, Runtime).
    engine = create_engine(url, pool_size=pool_size, max_overflow=overflow, pool_use_lifo=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see begin listener).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A commit checkpoints the WAL only once it holds this many pages (~40 MB): a backstop.
        # A serving process checkpoints from a thread every second instead (SqlStore), so that
        # copying pages back into the database never happens inside a request.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: this runs for every write, and SQLAlchemy's execution path
        # costs several times what SQLite takes to begin.
        kind = connection.info.get(_KIND)
        if kind is Transaction.WRITE:
            driver(connection).execute("BEGIN IMMEDIATE")
        elif kind is Transaction.SNAPSHOT:
            driver(connection).execute("BEGIN DEFERRED")

    _forget_kind_on_checkin(engine)
    return engine


def _forget_kind_on_checkin(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_KIND, None)
