"""`journeystack export`, `import` and `validate`: journeys as files (docs in the README)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from journeystack.config import Settings


def add_parsers(commands: Any) -> None:
    """Add export, import and validate to the top-level subparsers."""
    export = commands.add_parser(
        "export",
        help="write every journey version and event definition of a server to files",
        description="Write one JSON file per journey version (DIR/journeys/KEY/vN.json) and per event "
        "definition (DIR/events/KEY.json), with a stable member order, through the Interaction API of "
        "journeystack or SFMC. Files of journeys that no longer exist are removed.",
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    export.add_argument("--key", action="append", help="only this journey key (repeatable)")
    _connection(export)

    load = commands.add_parser(
        "import",
        help="bring a server to the journeys in files (journeystack export or mcdev retrieve/)",
        description="Create, update, publish, pause or stop journey versions, and create or update event "
        "definitions, so that the server matches DIR: journeystack's export layout, or mcdev's retrieve/ "
        "layout (one business unit's directory, or above it). Nothing is deleted. Exit status 1 when "
        "anything could not be done.",
    )
    load.add_argument("directory", type=Path, metavar="DIR")
    _connection(load)

    validate = commands.add_parser(
        "validate",
        help="run the save and publish checks on journey files, without a server",
        description="Check journey files as POST /interactions and publishing would: save checks, "
        "publish checks and what the engine could not run. Problems name the JSON path of their cause. "
        "Event definitions: those named with --event or found among the inputs (events/*.json, "
        "*.event-meta.json) exist; when none is named, every reference is taken to exist. Custom "
        "activities' URLs must be loopback or hosts of JOURNEYSTACK_OUTBOUND_ALLOW, as on a server; their "
        "validate and publish calls are not made. Exit status 1 when any file has errors.",
    )
    validate.add_argument("paths", type=Path, nargs="+", metavar="FILE", help="journey files or directories")
    validate.add_argument(
        "--event", action="append", default=[], metavar="KEY", help="an event definition key that exists"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", help="journeystack's base URL (default http://HOST:PORT from JOURNEYSTACK_HOST/PORT)"
    )
    parser.add_argument(
        "--auth-url",
        help="SFMC instead: your tenant's https://<subdomain>.auth.marketingcloudapis.com/ "
        "(REST and SOAP calls go where the token answer says)",
    )
    parser.add_argument("--client-id", default="journeystack", help="installed package's client id")
    parser.add_argument("--client-secret", default="journeystack", help="installed package's client secret")
    parser.add_argument("--mid", help="business unit (account_id) to act for (default: the package's first)")


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.command == "validate":
        return _validate(args, out)
    import httpx

    from journeystack.client import Client, ClientError

    from .files.transfer import export_tree, import_tree

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = args.auth_url or args.url or f"http://{host}:{settings.port}"
    try:
        with Client(url, args.client_id, args.client_secret, account_id=args.mid) as client:
            if args.command == "export":
                report = export_tree(client, args.directory, keys=set(args.key) if args.key else None)
                versions = sum(1 for line in report.done if not line.startswith(("event ", "removed ")))
                events = sum(1 for line in report.done if line.startswith("event "))
                for line in report.done:
                    if line.startswith("removed "):
                        out.write(line + "\n")
                out.write(
                    f"wrote {versions} journey version(s) and {events} event definition(s) to {args.directory}\n"
                )
            else:
                report = import_tree(client, args.directory)
                for line in report.done:
                    out.write(line + "\n")
    except ClientError as error:
        sys.stderr.write(f"journeystack {args.command}: {error}\n")
        return 1
    except httpx.TransportError as error:
        sys.stderr.write(f"journeystack {args.command}: cannot reach {url}: {error}\n")
        return 1
    for problem in report.problems:
        sys.stderr.write(f"journeystack {args.command}: {problem}\n")
    return 0 if report.ok else 1


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from .config import load_settings
    from .domain.outbound import OutboundPolicy
    from .files.validate import render_json, render_text, validate_paths

    outbound = OutboundPolicy.parse(load_settings().outbound_allow)
    verdicts, events, problems = validate_paths(args.paths, args.event, outbound)
    if args.format == "json":
        out.write(render_json(verdicts, events, problems).decode("utf-8"))
    else:
        out.write(render_text(verdicts, events))
        for problem in problems:
            sys.stderr.write(f"journeystack validate: {problem}\n")
    if problems and not verdicts:
        return 2
    return 0 if all(v.valid for v in verdicts) and not problems else 1
