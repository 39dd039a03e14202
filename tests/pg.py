"""A throwaway PostgreSQL server for the tests: a cluster made with initdb and pg_ctl in a temporary
directory, or the server JOURNEYSTACK_TEST_DATABASE_URL names. Tests get databases on it.

The cluster listens on a free loopback port with its unix socket inside its own directory, and
trades durability for speed (fsync, synchronous_commit and full_page_writes off): it lives as long
as one test session (a watchdog removes it if the session is killed before its teardown). initdb
and postgres refuse to run as root, so as root they run as `nobody`. The benchmarks (bench/stores.py)
start their clusters with `temporary_cluster` too, with settings of their own.
Missing binaries are an error, not a skip: `scripts/ensure-postgres.sh` (run by `make test`)
installs them.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from journeystack.storage.sql.tables import metadata
from tests.support import free_port

URL_VARIABLE = "JOURNEYSTACK_TEST_DATABASE_URL"
BINDIR_VARIABLE = "JOURNEYSTACK_PG_BINDIR"
PREFERRED_BINDIR = "/usr/lib/postgresql/15/bin"
UNPRIVILEGED_USER = "nobody"
SERVER_OPTIONS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # 4 servers x (pool + overflow) in the torture test, plus per-test apps on each xdist worker.
    "max_connections": "300",
}
_names = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the throwaway cluster did not start."""


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: $JOURNEYSTACK_PG_BINDIR, PostgreSQL 15's Debian
    location, any other installed version (newest first), then wherever `initdb` on PATH points."""
    candidates: list[str] = []
    if os.environ.get(BINDIR_VARIABLE):
        candidates.append(os.environ[BINDIR_VARIABLE])
    candidates.append(PREFERRED_BINDIR)
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: int(Path(p).parent.name or 0), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(os.path.realpath(on_path)).parent))
    for candidate in candidates:
        directory = Path(candidate)
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


class PostgresServer:
    """A server tests may create and drop databases on, through a maintenance URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def url(self, database: str) -> str:
        """The URL of `database` on this server, for SqlStore and `--database-url`."""
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def create_database(self, purpose: str, *, template: str | None = None) -> str:
        """A new, uniquely named database (a copy of `template` when given); returns its name."""
        name = f"js_{purpose}_{os.getpid()}_{next(_names)}_{uuid.uuid4().hex[:6]}"
        statement = f'CREATE DATABASE "{name}"'
        if template is not None:
            statement += f' TEMPLATE "{template}"'
        with self._admin.connect() as connection:
            connection.execute(text(statement))
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, disconnecting whatever is still connected to it."""
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def empty_database(self, name: str) -> None:
        """Delete every row journeystack keeps in `name`, leaving the schema and its version.

        Cheaper than a new database per test (CREATE DATABASE copies ~8 MB and takes ~0.5 s on a
        busy machine; TRUNCATE makes new files for every table and index), and the test sees the
        same thing: an empty, migrated store.
        """
        engine = create_engine(self.url(name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                for table in reversed(metadata.sorted_tables):
                    connection.execute(table.delete())
        finally:
            engine.dispose()

    def close(self) -> None:
        self._admin.dispose()


class _Cluster:
    """initdb + pg_ctl in a temporary directory owned by whoever the server runs as."""

    def __init__(
        self, bindir: Path, parent: Path | None = None, options: Mapping[str, str] | None = None
    ) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.options = dict(SERVER_OPTIONS if options is None else options)
        if parent is not None and self.as_root and not _reachable(parent):
            raise PostgresUnavailable(f"{UNPRIVILEGED_USER} cannot reach {parent}: make it searchable by all")
        self.directory = Path(tempfile.mkdtemp(prefix="journeystack-pg-", dir=parent or _shared_tmp()))
        self.data = self.directory / "data"
        self.sockets = self.directory / "sockets"
        self.log = self.directory / "server.log"
        self.started = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self.sockets.mkdir()
        if self.as_root:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in (self.directory, self.sockets):
                os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", UNPRIVILEGED_USER, "--"] if self.as_root else []
        if self.as_root and shutil.which("runuser") is None:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            prefix = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
        result = subprocess.run(
            [*prefix, *command], cwd=self.directory, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{log}"
            )

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> int:
        """Start on a free loopback port (a few tries: another process may take the port first)."""
        failure = PostgresUnavailable("pg_ctl start was not tried")
        for _ in range(3):
            port = free_port()
            options = {**self.options, "port": str(port), "unix_socket_directories": str(self.sockets)}
            flags = " ".join(f"-c {name}={shlex.quote(value)}" for name, value in options.items())
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-w", "-t", "60", "-o", flags, "start")  # fmt: skip
            except PostgresUnavailable as error:
                failure = error
                continue
            self.started = True
            self._reap_when_orphaned()
            return port
        raise failure

    def _reap_when_orphaned(self) -> None:
        """A watchdog in its own session: if this process dies without its teardown (killed by a
        timeout, say), it stops the server and deletes the directory a second later."""
        script = (
            'while kill -0 "$0" 2>/dev/null; do sleep 1; done; '
            '[ -f "$1/postmaster.pid" ] && kill -QUIT "$(head -n 1 "$1/postmaster.pid")" 2>/dev/null; '
            'sleep 1; rm -rf "$2"'
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script, str(os.getpid()), str(self.data), str(self.directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def remove(self) -> None:
        """Stop the server if it runs (immediately: nothing in it is worth a checkpoint), delete its files."""
        try:
            if self.started:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            if self._watchdog is not None:  # its work is done
                self._watchdog.kill()
                self._watchdog.wait()


def _reachable(path: Path) -> bool:
    """Whether every user may search `path` and each directory above it."""
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def _shared_tmp() -> str:
    """A temporary directory the unprivileged server user can reach (pytest's own is root-only)."""
    base = tempfile.gettempdir()
    return base if _reachable(Path(base)) else "/tmp"


@contextlib.contextmanager
def temporary_cluster(
    *, parent: Path | None = None, options: Mapping[str, str] | None = None
) -> Iterator[PostgresServer]:
    """Start a throwaway cluster; stop it and remove its files afterwards.

    Its directory is made in `parent` (default: a temporary directory every user can reach), and
    the server runs with `options` (default SERVER_OPTIONS; listen_addresses belongs in them)."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
            f"${BINDIR_VARIABLE}, {PREFERRED_BINDIR}, /usr/lib/postgresql/*/bin or PATH. "
            "Install them with scripts/ensure-postgres.sh (make test does), or point "
            f"${URL_VARIABLE} at a server where the tests may create databases."
        )
    cluster = _Cluster(bindir, parent, options)
    server: PostgresServer | None = None
    try:
        cluster.init()
        port = cluster.start()
        server = PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
        yield server
    finally:
        if server is not None:
            server.close()
        cluster.remove()


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server named by $JOURNEYSTACK_TEST_DATABASE_URL, else a throwaway cluster."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        server = PostgresServer(url)
        try:
            yield server
        finally:
            server.close()
        return
    with temporary_cluster() as cluster:
        yield cluster
