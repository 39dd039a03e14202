"""The journeystack command line: serve, db upgrade."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from journeystack import __version__
from journeystack.config import Settings, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdDefault(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_RequestIdDefault())
    root = logging.getLogger("journeystack")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


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

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations and exit")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL of the store (JOURNEYSTACK_DATABASE_URL)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        database_url=getattr(args, "database_url", None),
        packages_file=getattr(args, "packages_file", None),
        log_level=getattr(args, "log_level", None),
    )


def _serve(settings: Settings) -> int:
    import uvicorn

    from journeystack.api.app import create_app

    configure_logging(settings.log_level)
    app = create_app(settings)
    out = sys.stdout
    out.write(f"journeystack {__version__}\n")
    out.write(f"  store:     {settings.database_url_for_display()}\n")
    out.write(
        f"  REST/auth: http://{settings.host}:{settings.port}/  (POST /v2/token, /interaction/v1/...)\n"
    )
    for package in settings.installed_packages():
        mids = ", ".join(str(m) for m in package.mids)
        out.write(
            f"  package:   client_id={package.client_id} client_secret={package.client_secret} MIDs={mids}\n"
        )
    out.flush()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except Exception as error:  # settings errors are the user's to fix: say what, not a traceback
        sys.stderr.write(f"journeystack: invalid configuration: {error}\n")
        return 2
    if args.command == "serve":
        return _serve(settings)
    if args.command == "db" and args.db_command == "upgrade":
        from journeystack.storage.sql.store import SqlStore

        store = SqlStore(settings.database_url)
        store.upgrade()
        store.dispose()
        sys.stdout.write(f"database at {settings.database_url_for_display()} is up to date\n")
        return 0
    return 2
