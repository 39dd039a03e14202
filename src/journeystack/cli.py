"""The journeystack command line: serve, db upgrade, admin, certs, export, import, validate."""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import socket
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from journeystack import __version__, cli_admin, cli_files
from journeystack.config import (
    DEFAULT_PACKAGE,
    Settings,
    describe_configuration_error,
    load_settings,
    settings_environment,
)
from journeystack.logs import configure_logging

if TYPE_CHECKING:
    from starlette.applications import Starlette


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeystack",
        description=(
            "A self-hosted Salesforce Marketing Cloud Journey Builder Interaction API (/interaction/v1 and "
            "/v2/token). Every option can also be set as a JOURNEYSTACK_* environment variable."
        ),
    )
    parser.add_argument("--version", action="version", version=f"journeystack {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API server", description="Run the API server.")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; JOURNEYSTACK_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4599; JOURNEYSTACK_PORT)")
    serve.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default sqlite:///.journeystack/journeystack.db; JOURNEYSTACK_DATABASE_URL)",
    )
    serve.add_argument(
        "--packages-file", help="JSON file listing installed packages (JOURNEYSTACK_PACKAGES_FILE)"
    )
    serve.add_argument("--log-level", help="debug, info, warning or error (default info)")
    serve.add_argument(
        "--workers", type=int, help="server processes sharing the port (default 1; JOURNEYSTACK_WORKERS)"
    )
    serve.add_argument(
        "--pool-size", type=int, help="database connections per process (default 8; JOURNEYSTACK_POOL_SIZE)"
    )
    serve.add_argument(
        "--pool-max-overflow",
        type=int,
        help="connections per process beyond the pool under load (default 8; JOURNEYSTACK_POOL_MAX_OVERFLOW)",
    )
    serve.add_argument(
        "--seed",
        dest="seed_file",
        help="snapshot to load after migrating, before answering (JOURNEYSTACK_SEED_FILE; docs/control-plane.md)",
    )

    serve.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (JOURNEYSTACK_TLS_CERT)")
    serve.add_argument("--tls-key", help="the PEM private key of --tls-cert (JOURNEYSTACK_TLS_KEY)")

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations and exit")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL of the store (JOURNEYSTACK_DATABASE_URL)")
    cli_admin.add_parser(commands)
    cli_files.add_parsers(commands)
    certs = commands.add_parser(
        "certs",
        help="make a throw-away local CA and a TLS certificate for the SFMC host names",
        description=(
            "Write DIR/ca.pem (trust it: NODE_EXTRA_CA_CERTS), DIR/cert.pem and DIR/key.pem (serve "
            "--tls-cert/--tls-key) for 127.0.0.1, localhost and <tenant>.{auth,rest,soap}.marketingcloudapis.com. "
            "The CA's key is thrown away."
        ),
    )
    certs.add_argument("directory", help="where to write the files")
    certs.add_argument(
        "--tenant", default=None, help="28-character tenant subdomain (default mc-journeystack-local-000000)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        database_url=getattr(args, "database_url", None),
        packages_file=getattr(args, "packages_file", None),
        log_level=getattr(args, "log_level", None),
        workers=getattr(args, "workers", None),
        pool_size=getattr(args, "pool_size", None),
        pool_max_overflow=getattr(args, "pool_max_overflow", None),
        seed_file=getattr(args, "seed_file", None),
        tls_cert=getattr(args, "tls_cert", None),
        tls_key=getattr(args, "tls_key", None),
    )


class StartFailed(Exception):
    """The store cannot be used; the message says what is wrong and how to fix it, in one line."""


def _upgrade(settings: Settings) -> None:
    """Apply pending migrations. Raises StartFailed (unknown dialect, unreachable or read-only)."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    from journeystack.storage.sql.store import SqlStore

    shown = _display_url(settings)
    try:
        store = SqlStore(settings.database_url, pool_size=1, max_overflow=0)
    except (NoSuchModuleError, ArgumentError, ValueError) as error:
        raise StartFailed(
            f"the database URL {shown} is not one journeystack can use ({_first_line(error)}); use "
            "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"
        ) from None
    except OSError as error:
        raise StartFailed(f"cannot create the database at {shown}: {error.strerror or error}") from None
    try:
        store.upgrade()
    except (SQLAlchemyError, OSError) as error:
        detail = _first_line(getattr(error, "orig", None) or error)
        if "readonly" in detail.replace("-", "").replace(" ", "").lower():
            hint = "journeystack writes to its database: check the file's and its folder's permissions"
        else:
            hint = "is the database server running, and are the URL, user and password right?"
        raise StartFailed(f"cannot use the database at {shown}: {detail}; {hint}") from None
    finally:
        store.dispose()


def _display_url(settings: Settings) -> str:
    try:
        return settings.database_url_for_display()
    except Exception:
        return "(unparseable URL)"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def worker_app() -> Starlette:
    """The app of one `serve --workers N` process: uvicorn imports this factory by name in each
    worker, which rebuilds its settings from the JOURNEYSTACK_* variables `serve` exported."""
    from journeystack.api.app import app_from_environment

    configure_logging(load_settings().log_level)
    app = app_from_environment()
    freeze_start_up_heap()
    return app


# How long a thread may hold the interpreter lock before another may take it (Python's default is
# 5 ms). Slow work runs in worker threads (the engine, SOAP, snapshots, history downloads) while the
# event loop answers everyone else; each small step the loop takes (a recv, a send, a callback)
# waits up to this long for the lock, so a short interval is what keeps /health answering in
# milliseconds while a thread grinds (tests/api/test_liveness.py).
SWITCH_INTERVAL_SECONDS = 0.0005


def freeze_start_up_heap() -> None:
    """Keep what a server process built at start (modules, settings, the app) out of every later
    garbage-collection pass: it lives as long as the process. Done here, at process start, and
    never in create_app, which tests and embedders call many times in one process. Also hand the
    interpreter lock over more often than Python's default (SWITCH_INTERVAL_SECONDS)."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def _serve(settings: Settings) -> int:
    import uvicorn

    from journeystack.api.app import create_app

    configure_logging(settings.log_level)
    if (settings.tls_cert is None) != (settings.tls_key is None):
        sys.stderr.write("journeystack: --tls-cert and --tls-key go together\n")
        return 2
    # A start that fails must change nothing: make sure the port can be had before migrating and
    # loading a seed into a database another server may be serving.
    busy = port_problem(settings.host, settings.port)
    if busy is not None:
        sys.stderr.write(
            f"journeystack: cannot listen on {settings.host}:{settings.port} ({busy}); nothing was changed "
            "(no migration, no seed). Stop the server using it, or choose another --port.\n"
        )
        return 2
    # Migrate once, before any worker exists (the workers' own check then finds nothing to do).
    _upgrade(settings)
    scheme = "https" if settings.tls_cert else "http"
    out = sys.stdout
    out.write(f"journeystack {__version__}\n")
    out.write(f"  store:     {settings.database_url_for_display()}\n")
    out.write(
        f"  REST/auth: {scheme}://{settings.host}:{settings.port}/  (POST /v2/token, /interaction/v1/..., SOAP /Service.asmx)\n"
    )
    default = DEFAULT_PACKAGE.to_domain()
    for package in settings.installed_packages():
        mids = ", ".join(str(m) for m in package.mids)
        # A configured secret is never printed; only the built-in default one, which is public.
        secret = f" client_secret={package.client_secret}" if package == default else ""
        out.write(
            f"  package:   client_id={package.client_id}{secret} MIDs={mids} user id={package.user_id}\n"
        )
    if settings.needs_jwt_secret():
        # Generated once here, so every worker process signs with it; a configured one is never printed.
        generated = secrets.token_urlsafe(32)
        settings = settings.model_copy(update={"jwt_signing_secret": generated})
        out.write(
            f"  jwt:       signing secret {generated} (generated: custom-activity calls are signed with it; "
            "set JOURNEYSTACK_JWT_SIGNING_SECRET or a package's jwt_signing_secret to choose one)\n"
        )
    if settings.workers > 1:
        out.write(f"  workers:   {settings.workers} processes\n")
    settings = cli_admin.prepare_serve(settings, out)  # seed, admin token
    _print_console(settings, scheme, out)
    out.flush()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "server_header": False,
    }
    if settings.tls_cert is not None and settings.tls_key is not None:
        options.update(ssl_certfile=str(settings.tls_cert), ssl_keyfile=str(settings.tls_key))
    if settings.workers > 1:
        # Each worker is a new process that builds its own app from the environment.
        os.environ.update(settings_environment(settings))
        uvicorn.run("journeystack.cli:worker_app", factory=True, workers=settings.workers, **options)
    else:
        app = create_app(settings)
        freeze_start_up_heap()
        uvicorn.run(app, **options)
    return 0


def _print_console(settings: Settings, scheme: str, out: Any) -> None:
    """The console's one-time login URL (docs/console.md), or what it needs."""
    from journeystack import console

    if not settings.control_plane or not settings.admin_token:
        return
    if not console.available():
        out.write(f"  console:   not installed ({console.MISSING_EXTRA})\n")
        return
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    link = console.login_url(f"{scheme}://{host}:{settings.port}", settings.admin_token, int(time.time()))
    out.write(f"  console:   {link}  (one-time login link)\n")


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (another server has it, no such address), or None."""
    if port == 0:
        return None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as error:
        return error.strerror or str(error)
    return None


def _certs(directory: str, tenant: str | None) -> int:
    from pathlib import Path

    try:
        from journeystack.certs import DEFAULT_TENANT, make_certificates
    except ModuleNotFoundError as missing:  # cryptography is an extra: journeystack[certs]
        sys.stderr.write(f"journeystack certs needs {missing.name}: pip install 'journeystack[certs]'\n")
        return 2
    try:
        files = make_certificates(Path(directory), tenant=tenant or DEFAULT_TENANT)
    except ValueError as error:
        sys.stderr.write(f"journeystack: {error}\n")
        return 2
    out = sys.stdout
    out.write(f"CA certificate:     {files.ca}   (NODE_EXTRA_CA_CERTS={files.ca})\n")
    out.write(f"server certificate: {files.cert}\n")
    out.write(f"server key:         {files.key}\n")
    out.write(f"names:              {', '.join(files.names)}\n")
    out.write(
        f"serve with:         journeystack serve --port 443 --tls-cert {files.cert} --tls-key {files.key}\n"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except Exception as error:  # settings errors are the user's to fix: say what, not a traceback
        sys.stderr.write(f"journeystack: invalid configuration:{describe_configuration_error(error)}\n")
        return 2
    try:
        if args.command == "serve":
            return _serve(settings)
        if args.command == "db" and args.db_command == "upgrade":
            _upgrade(settings)
            sys.stdout.write(f"database at {settings.database_url_for_display()} is up to date\n")
            return 0
    except StartFailed as failed:
        sys.stderr.write(f"journeystack: {failed}\n")
        return 2
    if args.command == "admin":
        return cli_admin.run(args, settings)
    if args.command == "certs":
        return _certs(args.directory, args.tenant)
    if args.command in ("export", "import", "validate"):
        return cli_files.run(args, settings)
    return 2
