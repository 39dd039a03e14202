"""The SQL store: engine, migrations and units of work over one database."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from .anchors import ListAnchors
from .calls_repository import SqlCallRepository, SqlEngagementRepository
from .console_repository import SqlConsoleReads
from .engine import Transaction, begin, build_engine, driver, is_sqlite
from .folder_repository import SqlFolderRepository
from .history_repository import SqlHistoryRepository
from .lifecycle_repositories import SqlAuditRepository, SqlEventDefinitionRepository, SqlOperationRepository
from .repositories import SqlJourneyRepository, SqlTokenRepository
from .runtime_repository import SqlRuntimeRepository

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("journeystack.storage")
KEPT_READER_CACHE_KIB = 65_536
_UPGRADE_LOCK = threading.Lock()


class SqlUnitOfWork:
    """One transaction. Leaving the block without `commit()` rolls it back."""

    journeys: SqlJourneyRepository
    tokens: SqlTokenRepository
    operations: SqlOperationRepository
    audit: SqlAuditRepository
    events: SqlEventDefinitionRepository
    folders: SqlFolderRepository
    runtime: SqlRuntimeRepository
    history: SqlHistoryRepository
    calls: SqlCallRepository
    engagement: SqlEngagementRepository
    console: SqlConsoleReads

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        write_lock: threading.Lock | None,
        anchors: ListAnchors | None = None,
        kept: Connection | None = None,
    ) -> None:
        self._engine = engine
        self._anchors = anchors
        self._kept = kept
        self._write = write
        self._lock = write_lock if write else None
        self._connection: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._lock is not None:
            self._lock.acquire()
        try:
            if self._kept is not None:
                # A plain SQLite read on the thread that keeps a connection: nothing to check out,
                # and nothing to begin (a SQLite read needs no BEGIN; see engine.py).
                connection = self._kept
            else:
                connection = self._engine.connect()
                begin(connection, Transaction.WRITE if self._write else Transaction.READ)
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self._connection = connection
        self.journeys = SqlJourneyRepository(connection, self._anchors)
        self.tokens = SqlTokenRepository(connection)
        self.operations = SqlOperationRepository(connection)
        self.audit = SqlAuditRepository(connection)
        self.events = SqlEventDefinitionRepository(connection)
        self.folders = SqlFolderRepository(connection)
        self.runtime = SqlRuntimeRepository(connection)
        self.history = SqlHistoryRepository(connection)
        self.calls = SqlCallRepository(connection)
        self.engagement = SqlEngagementRepository(connection)
        self.console = SqlConsoleReads(connection)
        return self

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for SQL beyond the repositories (storage/sql/admin.py)."""
        assert self._connection is not None, "outside the unit of work's block"
        return self._connection

    def commit(self) -> None:
        assert self._connection is not None
        self._connection.commit()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._connection is self._kept and self._kept is not None:
                if self._kept.in_transaction():
                    self._kept.rollback()
                self._connection = None
            elif self._connection is not None:
                self._connection.rollback()
                self._connection.close()
                self._connection = None
        finally:
            if self._lock is not None:
                self._lock.release()


class SqlStore:
    """A database journeystack keeps its state in, and the factory of its units of work."""

    def __init__(self, url: str, *, pool_size: int = 8, max_overflow: int | None = None) -> None:
        self.url = url
        self.engine = build_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        # SQLite allows one writer; queueing writers here is cheaper than SQLite's busy-wait sleeps.
        self._write_lock = threading.Lock() if is_sqlite(url) else None
        self._checkpoints: tuple[threading.Thread, threading.Event] | None = None
        self._kept: tuple[int, Connection] | None = None
        # List positions this process remembers (anchors.py): valid across processes, by generation.
        self.anchors = ListAnchors()

    @property
    def single_writer(self) -> bool:
        """Whether the database takes one writer at a time (SQLite): its units of work never wait
        on the network, only on each other."""
        return self._write_lock is not None

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        kept = self._kept
        if kept is not None and not write and kept[0] == threading.get_ident():
            return SqlUnitOfWork(
                self.engine, write=False, write_lock=None, anchors=self.anchors, kept=kept[1]
            )
        return SqlUnitOfWork(self.engine, write=write, write_lock=self._write_lock, anchors=self.anchors)

    def keep_reader_on_this_thread(self) -> None:
        """On SQLite, let the calling thread's read units of work share one connection kept open
        for it, instead of checking one out of the pool each time: for the event loop's thread,
        where handlers run (api/app.py), that is a third of what a keyed read costs. A connection
        outside a transaction reads the latest commit with every statement, so nothing goes stale.
        `dispose()` closes it."""
        if self._write_lock is None or self._kept is not None:
            return
        connection = self.engine.connect()
        # Every GET goes through this connection: let it keep the upper levels of the indexes and
        # the recently read rows of a large store (64 MB, against SQLite's default 2 MB).
        connection.exec_driver_sql(f"PRAGMA cache_size=-{KEPT_READER_CACHE_KIB}")
        self._kept = (threading.get_ident(), connection)

    @contextlib.contextmanager
    def consistent_read(self) -> Iterator[Connection]:
        """One read-only transaction that sees one state of every table, whatever commits
        meanwhile (a snapshot export)."""
        with self.engine.connect() as connection:
            with begin(connection, Transaction.SNAPSHOT):
                yield connection

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self) -> None:
        """Apply every pending migration. Safe to call from processes starting together: on
        PostgreSQL they take turns under an advisory lock (migrations/env.py); SQLite has one writer."""
        # A store already at head (a restart, a copied template) is left alone: Alembic's upgrade
        # would load every migration script again only to find nothing to do.
        if not self.pending_migrations():
            return
        # Alembic keeps its migration context in module globals: one upgrade per process at a time.
        with _UPGRADE_LOCK:
            command.upgrade(self._alembic_config(), "head")

    def pending_migrations(self) -> bool:
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        return set(current) != _script_heads()

    def start_checkpoints(self, every_seconds: float = 1.0) -> None:
        """On a SQLite file, checkpoint the WAL from a thread every `every_seconds` (PASSIVE: it
        never waits for, or blocks, readers and the writer). Without it a commit that crosses
        SQLite's threshold copies the pages back itself, a stall in the middle of a request; and
        a hot page written many times in a second is copied once. `dispose()` stops it."""
        if self._write_lock is None or self._checkpoints is not None or ":memory:" in self.url:
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_checkpoint_every, args=(self.engine, every_seconds, stop), name="journeystack-wal-checkpoint",
            daemon=True,
        )  # fmt: skip
        thread.start()
        self._checkpoints = (thread, stop)

    def dispose(self) -> None:
        if self._kept is not None:
            self._kept[1].close()
            self._kept = None
        if self._checkpoints is not None:
            thread, stop = self._checkpoints
            stop.set()
            thread.join(timeout=10)
            self._checkpoints = None
        self.engine.dispose()


@functools.cache
def _script_heads() -> frozenset[str]:
    """The head revisions of the migration scripts, read once per process: they ship with it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _checkpoint_every(engine: Engine, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            with engine.connect() as connection:
                driver(connection).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception:  # the next round tries again; the commit-time backstop still holds
            log.warning("WAL checkpoint failed", exc_info=True)
