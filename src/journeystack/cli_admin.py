"""`journeystack admin ...`: the control plane from the command line, and what `serve` does for it.

Commands that concern a running server (health, ready, info, journal, faults, and the engine's
clock, outbox and contact attributes) call its HTTP API (`--url`, `--admin-token`). Reset, export
and import call it too, or, given `--database-url`, act on the database directly (no server needed;
a running server's token cache is then not told).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import orjson

from journeystack.config import DEFAULT_DATA_DIR, Settings
from journeystack.errors import JourneystackError

PREFIX = "/_journeystack"
# Where `serve` keeps the admin token it generated, so a restart keeps it (relative to the current
# directory, beside the default store); `admin` reads it when no token is given.
KEPT_TOKEN = DEFAULT_DATA_DIR / "admin-token"
EPILOG = """\
HTTP commands call a running server: --url (default http://JOURNEYSTACK_HOST:JOURNEYSTACK_PORT) and
--admin-token (default $JOURNEYSTACK_ADMIN_TOKEN, else the token `serve` generated and keeps in
.journeystack/admin-token). reset, export and import act on the database directly instead when given
--database-url. Output is JSON on stdout; the exit status is 0 on success, 1 when the server (or
database) refused, 2 for a usage error. See docs/control-plane.md."""


def add_parser(commands: Any) -> None:
    """Add `admin` and its subcommands to the top-level subparsers."""
    admin = commands.add_parser(
        "admin",
        help="control plane: health, info, reset, snapshots, journal, faults, engine clock, outbox, contacts",
        description="The control plane under /_journeystack/ of a running server, or of its database.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ADMIN_COMMAND")

    def http(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--url", help="base URL of the server (default http://HOST:PORT from settings)")
        parser.add_argument("--admin-token", help="the admin token (default $JOURNEYSTACK_ADMIN_TOKEN)")

    def either(parser: argparse.ArgumentParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--url", help="base URL of a running server (HTTP; the default)")
        target.add_argument("--database-url", help="act on this database directly instead of over HTTP")
        parser.add_argument(
            "--admin-token", help="the admin token, over HTTP (default $JOURNEYSTACK_ADMIN_TOKEN)"
        )

    def mid(parser: argparse.ArgumentParser, what: str) -> None:
        parser.add_argument(
            "--mid", type=int, help=f"{what} one business unit only (default: the whole store)"
        )

    http(sub.add_parser("health", help="[HTTP] liveness of a server"))
    http(sub.add_parser("ready", help="[HTTP] readiness: database reachable, no pending migration (exit 1 if not)"))  # fmt: skip
    http(sub.add_parser("info", help="[HTTP] version, store, packages (no secrets) and settings"))

    reset = sub.add_parser("reset", help="[HTTP or --database-url] delete the whole state, or one MID's")
    either(reset)
    mid(reset, "reset")
    reset.add_argument("--tokens", action="store_true", help="also delete access tokens (kept by default)")

    export = sub.add_parser("export", help="[HTTP or --database-url] write a snapshot of the state")
    either(export)
    mid(export, "export")
    export.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")

    load = sub.add_parser("import", help="[HTTP or --database-url] replace the state by a snapshot's")
    load.add_argument(
        "file", type=Path, help="a snapshot written by `admin export` or GET /_journeystack/snapshot"
    )
    either(load)
    mid(load, "expect a snapshot of")
    load.add_argument(
        "--create-missing-folders",
        action="store_true",
        help="make a journey folder for every categoryId the snapshot's journeys name that none of its "
        "folders has (an export from a real tenant)",
    )

    journal = sub.add_parser(
        "journal",
        help="[HTTP] the request journal: show (the default) or clear",
        description="The request journal: the last calls, newest first. Without a command: show it.",
    )
    # Options go before or after the command (`journal --url U show`, `journal show --url U`):
    # the commands' own options have no defaults (SUPPRESS), so they never overwrite the group's.
    calls = journal.add_subparsers(dest="journal_command", metavar="[JOURNAL_COMMAND]")
    show = calls.add_parser("show", help="the last calls, newest first (the default)",
                            argument_default=argparse.SUPPRESS)  # fmt: skip
    for parser in (journal, show):
        http(parser)
        parser.add_argument("--path", help="only paths containing this")
        parser.add_argument("--status", help="only this status (429) or class (5xx)")
        parser.add_argument("--mid", type=int, help="only calls of this business unit")
        parser.add_argument("--limit", type=int, help="at most this many entries (default 50)")
    http(calls.add_parser("clear", help="empty the journal", argument_default=argparse.SUPPRESS))

    faults = sub.add_parser("faults", help="[HTTP] fault rules").add_subparsers(
        dest="faults_command", required=True, metavar="FAULTS_COMMAND"
    )
    http(faults.add_parser("list", help="every rule with its counters"))
    add = faults.add_parser("add", help="add a rule; prints it with its id")
    http(add)
    add.add_argument("--method", help="GET, POST, PUT, PATCH or DELETE (default any)")
    add.add_argument("--path", help="glob over the path; * matches across / (default *)")
    add.add_argument("--mid", type=int, help="only calls whose token is for this MID")
    add.add_argument("--status", type=int, help="answer with this status: 429, 500, 503, ...")
    add.add_argument("--retry-after", type=int, help="Retry-After seconds (default 1 for 429 and 503)")
    add.add_argument("--message", help="the envelope's message (default SFMC's)")
    add.add_argument("--errorcode", type=int, help="the envelope's errorcode (default SFMC's)")
    add.add_argument("--latency-ms", type=int, help="delay matching calls by this many milliseconds")
    add.add_argument("--probability", type=float, help="fire on this share of matching calls (0 to 1)")
    add.add_argument("--seed", type=int, help="seed of the rule's random draws")
    once = add.add_mutually_exclusive_group()
    once.add_argument("--nth", type=int, help="fire on the Nth matching call only")
    once.add_argument("--times", type=int, help="fire on the first N matching calls")
    show_rule = faults.add_parser("show", help="one rule with its counters")
    show_rule.add_argument("id")
    http(show_rule)
    clear = faults.add_parser("clear", help="remove one rule, or every rule")
    clear.add_argument("id", nargs="?", help="the rule to remove (default: all)")
    http(clear)

    _add_engine_parsers(sub, http, mid)


def _add_engine_parsers(
    sub: Any,
    http: Callable[[argparse.ArgumentParser], None],
    mid: Callable[[argparse.ArgumentParser, str], None],
) -> None:
    """clock, outbox and contacts: the journey engine's side of the control plane."""

    def command(group: Any, name: str, text: str, description: str) -> argparse.ArgumentParser:
        # Options given before the command (`admin clock --url U freeze`) stay: a command's own
        # defaults would otherwise overwrite them, so its options have none (SUPPRESS).
        parser: argparse.ArgumentParser = group.add_parser(
            name, help=text, description=description, argument_default=argparse.SUPPRESS
        )
        http(parser)
        return parser

    clock = sub.add_parser(
        "clock",
        help="[HTTP] the engine's clock: show, freeze, advance, run-until-idle, real",
        description="The clock journeys run on (entries, waits, history, pause expiries). It is real time "
        "until frozen; a frozen clock moves only when advanced. Tokens, publish operations and "
        "modifiedDate keep the wall clock. Without a command: show it.",
    )
    http(clock)
    clocks = clock.add_subparsers(dest="clock_command", metavar="[CLOCK_COMMAND]")
    command(clocks, "show", "now, in ISO 8601 and epoch ms, and whether it is frozen (the default)",
            "Print the engine's clock: {now, nowMs, frozen}.")  # fmt: skip
    command(clocks, "freeze", "stop the clock where it is",
            "Freeze the engine's clock at its current time: from then on it moves only when advanced "
            "(work already due, such as fired events, still runs).")  # fmt: skip
    advance = command(
        clocks, "advance", "move the clock forward and work everything that falls due",
        "Freeze the engine's clock at a later moment and work everything that falls due up to it, each "
        "step at its own due time, before answering {from, to, processed}. The clock only moves forward.",
    )  # fmt: skip
    moment = advance.add_mutually_exclusive_group(required=True)
    moment.add_argument(
        "--by", metavar="DURATION", help="a duration: 15d, 1d12h, 90m, 30s, 500ms, 2w (at most 3660 days)"
    )
    moment.add_argument(
        "--to", metavar="INSTANT", help="an ISO 8601 instant, such as 2030-01-01T00:00:00Z (no offset: UTC)"
    )
    command(clocks, "run-until-idle", "work everything due now, fired events included",
            "Work everything due at the engine's current time (fired events, entries, steps) until "
            "nothing is left, then print {clock, processed}.")  # fmt: skip
    command(clocks, "real", "follow real time again, as at start",
            "Unfreeze the engine's clock: it follows real time again.")  # fmt: skip

    outbox = sub.add_parser(
        "outbox",
        help="[HTTP] the messages journeys sent (email, SMS, push): show or clear",
        description="The outbox: every message journeys' activities sent, oldest first. Without a "
        "command: show it.",
    )
    http(outbox)
    boxes = outbox.add_subparsers(dest="outbox_command", metavar="[OUTBOX_COMMAND]")
    show_box = command(boxes, "show", "the messages, oldest first (the default)",
                       "Print {count, items}: the messages that match every filter given, oldest first.")  # fmt: skip
    for parser in (outbox, show_box):
        mid(parser, "show")
        parser.add_argument("--contact-key", help="only messages to this contact")
        parser.add_argument("--journey-key", help="only messages of this journey")
        parser.add_argument("--activity-key", help="only messages of this activity")
        parser.add_argument("--limit", type=int, help="at most this many (default 1000, at most 10000)")
        parser.add_argument("--offset", type=int, help="skip this many first (default 0)")
    clear_box = command(boxes, "clear", "delete the messages, or one MID's",
                        "Empty the outbox, or one business unit's; prints {deleted}.")  # fmt: skip
    mid(clear_box, "clear")
    for kind, what in (("open", "opened"), ("click", "clicked"), ("bounce", "bounced")):
        engage = command(boxes, kind, f"record that a message was {what} (engagement splits read it)",
                         f"Record that the outbox message MESSAGE_ID was {what}, at the engine's current time; "
                         "prints the message's engagement.")  # fmt: skip
        engage.add_argument(
            "message_id", metavar="MESSAGE_ID", type=int, help="the message's id in the outbox"
        )
        if kind == "click":
            engage.add_argument("--url-id", help="the tracked URL's id (an engagement split's statusUrlId)")
            engage.add_argument("--clicked-url", help="the URL clicked, for the record")

    contacts = sub.add_parser(
        "contacts",
        help="[HTTP] a contact's attributes, which journeys read and Update Contact writes",
        description="Contact attributes: {attribute set: {field: value}} per business unit and "
        "contact key, what {{Contact.Attribute.Set.Field}} bindings, decision splits and messages' "
        "addresses read.",
    )
    people = contacts.add_subparsers(dest="contacts_command", required=True, metavar="CONTACTS_COMMAND")
    get = people.add_parser("get", help="print a contact's attributes",
                            description="Print {mid, contactKey, attributes}; a contact with none has {}.")  # fmt: skip
    put = people.add_parser(
        "set", help="replace a contact's attributes",
        description='Replace every attribute of the contact by a JSON object such as {"Crm": {"Tier": "gold"}, '
        '"Default": {"Email": "ann@example.com"}}, and print them. Sets left out are deleted.',
    )  # fmt: skip
    for parser in (get, put):
        parser.add_argument(
            "contact_key", metavar="CONTACT_KEY", help="the contact key, as it is (any characters)"
        )
        parser.add_argument(
            "--mid", type=int, help="the business unit (default: the first package's first MID)"
        )
        http(parser)
    document = put.add_mutually_exclusive_group(required=True)
    document.add_argument("--file", type=Path, help="a file holding the JSON object")
    document.add_argument("--json", metavar="TEXT", help="the JSON object itself")


class _Refused(Exception):
    """The server or the database refused; the body says why."""

    def __init__(self, body: Any) -> None:
        super().__init__(str(body))
        self.body = body


class _Usage(Exception):
    """A usage error argparse cannot see (exit status 2); the message says what to do."""


class AdminClient:
    """The control plane of a running server, over HTTP (standard library only)."""

    def __init__(self, url: str, admin_token: str | None, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def call(
        self, method: str, path: str, *, query: dict[str, Any] | None = None, body: bytes | None = None
    ) -> Any:
        """The JSON answer. Raises _Refused (an error answer) or OSError (server not reached)."""
        pairs = {name: value for name, value in (query or {}).items() if value is not None}
        url = self.url + PREFIX + path + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        request = urllib.request.Request(url, data=body, method=method)
        if self.admin_token:
            request.add_header("Authorization", f"Bearer {self.admin_token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return orjson.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                detail = orjson.loads(raw)
            except orjson.JSONDecodeError:
                detail = {"status": error.code, "body": raw.decode("utf-8", "replace")}
            raise _Refused(detail) from None


def _default_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def kept_admin_token() -> str | None:
    """The admin token `serve` generated and keeps in .journeystack/admin-token, if there is one."""
    try:
        return KEPT_TOKEN.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """Carry out one `admin` command; returns the exit status."""
    out = out or sys.stdout
    url = getattr(args, "url", None) or _default_url(settings)
    token = getattr(args, "admin_token", None) or settings.admin_token or kept_admin_token()
    try:
        result = _dispatch(args, AdminClient(url, token))
    except _Usage as usage:
        sys.stderr.write(f"journeystack admin: {usage}\n")
        return 2
    except _Refused as refused:
        body = refused.body
        # stderr stays one JSON document: what to do about the token goes into it.
        if isinstance(body, dict) and body.get("errorcode") == ADMIN_NOT_AUTHENTICATED:
            body = {**body, "hint": _token_hint(token)}
        sys.stderr.write(_dump(body))
        return 1
    except JourneystackError as error:  # the database-direct path refused
        problems = getattr(error, "problems", [])
        body = {"message": error.message, "errorcode": error.code}
        if problems:
            body["validationErrors"] = [{"message": p.message, "path": p.path} for p in problems]
        sys.stderr.write(_dump(body))
        return 1
    except OSError as error:
        reason = getattr(error, "reason", None) or error
        sys.stderr.write(
            f"journeystack admin: cannot reach the server at {url}: {reason} (is `journeystack serve` "
            "running there? --url names another server)\n"
        )
        return 1
    if isinstance(result, _Output):
        result.path.write_bytes(orjson.dumps(result.document, option=orjson.OPT_INDENT_2) + b"\n")
        result = {
            "written": str(result.path),
            "tables": {k: len(v) for k, v in result.document["tables"].items()},
        }
    out.write(_dump(result))
    return 0


class _Output:
    def __init__(self, path: Path, document: Any) -> None:
        self.path = path
        self.document = document


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


ADMIN_NOT_AUTHENTICATED = 90001


def _token_hint(token: str | None) -> str:
    if token is None:
        return (
            "no admin token was given: pass --admin-token TOKEN or set JOURNEYSTACK_ADMIN_TOKEN (serve "
            f"prints its token, and keeps a generated one in {KEPT_TOKEN.as_posix()}, which admin reads "
            "from the current directory)"
        )
    return (
        "the server refused the admin token given (--admin-token, JOURNEYSTACK_ADMIN_TOKEN or "
        f"{KEPT_TOKEN.as_posix()})"
    )


def _dispatch(args: argparse.Namespace, client: AdminClient) -> Any:
    command = args.admin_command
    if getattr(args, "database_url", None):
        return _direct(command, args)
    if command == "health":
        return client.call("GET", "/health")
    if command == "ready":
        return client.call("GET", "/ready")
    if command == "info":
        return client.call("GET", "/info")
    if command == "reset":
        return client.call(
            "POST", "/reset", query={"mid": args.mid, "tokens": "true" if args.tokens else None}
        )
    if command == "export":
        document = client.call("GET", "/snapshot", query={"mid": args.mid})
        return _Output(args.output, document) if args.output else document
    if command == "import":
        body = args.file.read_bytes()
        query = {"mid": args.mid, "createMissingFolders": "true" if args.create_missing_folders else None}
        return client.call("POST", "/snapshot", query=query, body=body)
    if command == "journal":
        if args.journal_command == "clear":
            return client.call("DELETE", "/journal")
        query = {"path": args.path, "status": args.status, "mid": args.mid, "limit": args.limit}
        return client.call("GET", "/journal", query=query)
    if command == "faults":
        return _faults(client, args)
    if command == "clock":
        return _clock(client, args)
    if command == "outbox":
        return _outbox(client, args)
    if command == "contacts":
        return _contacts(client, args)
    raise AssertionError(command)


def _faults(client: AdminClient, args: argparse.Namespace) -> Any:
    if args.faults_command == "list":
        return client.call("GET", "/faults")
    if args.faults_command == "show":
        return client.call("GET", f"/faults/{urllib.parse.quote(args.id, safe='')}")
    if args.faults_command == "clear":
        if args.id:
            return client.call("DELETE", f"/faults/{urllib.parse.quote(args.id, safe='')}")
        return client.call("DELETE", "/faults")
    names = {
        "method": "method", "path": "path", "mid": "mid", "status": "status", "retry_after": "retryAfter",
        "message": "message", "errorcode": "errorcode", "latency_ms": "latencyMs",
        "probability": "probability", "seed": "seed", "nth": "nth", "times": "times",
    }  # fmt: skip
    rule = {wire: getattr(args, name) for name, wire in names.items() if getattr(args, name) is not None}
    return client.call("POST", "/faults", body=orjson.dumps(rule))


def _clock(client: AdminClient, args: argparse.Namespace) -> Any:
    action = args.clock_command or "show"
    if action == "show":
        return client.call("GET", "/clock")
    if action == "advance":
        by = getattr(args, "by", None)  # one of the two, argparse saw to it
        moment = {"by": by} if by is not None else {"to": args.to}
        return client.call("POST", "/clock/advance", body=orjson.dumps(moment))
    return client.call("POST", f"/clock/{action}")  # freeze, run-until-idle, real


def _outbox(client: AdminClient, args: argparse.Namespace) -> Any:
    names = {"contact_key": "contactKey", "journey_key": "journeyKey", "activity_key": "activityKey",
             "limit": "limit", "offset": "offset"}  # fmt: skip
    filters = {wire: getattr(args, name) for name, wire in names.items()}
    if args.outbox_command in ("open", "click", "bounce"):
        body: dict[str, Any] = {"type": args.outbox_command}
        if args.outbox_command == "click":
            body |= {k: v for k, v in (("urlId", args.url_id), ("url", args.clicked_url)) if v is not None}
        return client.call("POST", f"/outbox/{args.message_id}/engagement", body=orjson.dumps(body))
    if args.outbox_command == "clear":
        # `outbox --contact-key K clear` parses (the filters belong to `outbox`), but the route
        # clears whole business units: refuse rather than delete more than was asked.
        given = ["--" + name.replace("_", "-") for name in names if getattr(args, name) is not None]
        if given:
            raise _Usage(
                f"outbox clear takes --mid only, not {', '.join(given)}: it empties whole business units"
            )
        return client.call("DELETE", "/outbox", query={"mid": args.mid})
    return client.call("GET", "/outbox", query={"mid": args.mid, **filters})


def _contacts(client: AdminClient, args: argparse.Namespace) -> Any:
    path = f"/contacts/{urllib.parse.quote(args.contact_key, safe='')}/attributes"
    if args.contacts_command == "get":
        return client.call("GET", path, query={"mid": args.mid})
    if args.json is not None:
        document = args.json.encode("utf-8")
    else:
        try:
            document = args.file.read_bytes()
        except OSError as error:  # not "cannot reach the server": nothing was sent
            raise _Usage(f"cannot read {args.file}: {error.strerror or error}") from None
    return client.call("PUT", path, query={"mid": args.mid}, body=document)


def _direct(command: str, args: argparse.Namespace) -> Any:
    """reset, export or import straight on a database, through the same services as the API."""
    from journeystack.services import admin
    from journeystack.storage.sql.admin import SqlStateStore
    from journeystack.storage.sql.store import SqlStore

    store = SqlStore(args.database_url, pool_size=1, max_overflow=0)
    try:
        state = SqlStateStore(store)
        admin.check_ready(state)
        if command == "reset":
            result = admin.reset_state(state, args.mid, tokens=args.tokens)
            return {
                "scope": {"mid": result.mid},
                "deleted": result.cleared.deleted,
                "kept": result.cleared.kept,
            }
        if command == "export":
            document = admin.export_snapshot(state, args.mid)
            return _Output(args.output, document) if args.output else document
        imported = admin.import_snapshot(
            state,
            admin.read_snapshot_file(args.file),
            mid=args.mid,
            create_missing_folders=args.create_missing_folders,
        )
        return {
            "scope": {"mid": imported.mid},
            "deleted": imported.cleared.deleted,
            "kept": imported.cleared.kept,
            "inserted": imported.inserted,
        }
    finally:
        store.dispose()


def prepare_serve(settings: Settings, out: TextIO) -> Settings:
    """What `serve` does for the control plane once migrations are applied, before it answers:
    load the seed snapshot, if any, and settle the admin token (a random one when none is set, the
    same for every worker process). Prints what it did; raises SystemExit(2) if the seed is refused.
    """
    if settings.seed_file is not None:
        _apply_seed(settings, out)
    base = f"http://{settings.host}:{settings.port}{PREFIX}/"
    if not settings.control_plane:
        out.write("  control:   disabled (JOURNEYSTACK_CONTROL_PLANE=false)\n")
        return settings
    if settings.admin_token:
        out.write(f"  control:   {base}  admin token: from JOURNEYSTACK_ADMIN_TOKEN\n")
        return settings
    token, how = _keep_admin_token()
    out.write(f"  control:   {base}  admin token: {token}  ({how}; set JOURNEYSTACK_ADMIN_TOKEN to choose)\n")
    return settings.model_copy(update={"admin_token": token})


def _keep_admin_token() -> tuple[str, str]:
    """The token in .journeystack/admin-token, or a new one written there (mode 0600) so that the
    next start keeps it; and how it was had, for the banner. Servers starting together in one
    directory agree on one token: the file appears whole, by a link, or not at all."""
    kept = kept_admin_token()
    if kept is not None:
        return kept, f"kept in {KEPT_TOKEN.as_posix()}"
    token = secrets.token_urlsafe(24)
    draft = KEPT_TOKEN.with_name(f".admin-token.{os.getpid()}")
    try:
        KEPT_TOKEN.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(token + "\n")
        try:
            os.link(draft, KEPT_TOKEN)
        except FileExistsError:  # another server got there first: use its token
            return kept_admin_token() or token, f"kept in {KEPT_TOKEN.as_posix()}"
        finally:
            draft.unlink(missing_ok=True)
    except OSError as error:
        return token, f"generated; not kept ({KEPT_TOKEN.as_posix()}: {error.strerror or error})"
    return token, f"generated, kept in {KEPT_TOKEN.as_posix()}"


def _apply_seed(settings: Settings, out: TextIO) -> None:
    from journeystack.services import admin
    from journeystack.storage.sql.admin import SqlStateStore
    from journeystack.storage.sql.store import SqlStore

    assert settings.seed_file is not None
    store = SqlStore(settings.database_url, pool_size=1, max_overflow=0)
    try:
        result = admin.import_snapshot(
            SqlStateStore(store),
            admin.read_snapshot_file(settings.seed_file),
            create_missing_folders=settings.seed_create_missing_folders,
        )
    except JourneystackError as error:
        sys.stderr.write(f"journeystack: seed {settings.seed_file} refused: {error.message}\n")
        for problem in getattr(error, "problems", [])[1:]:
            sys.stderr.write(f"  {problem.path}: {problem.message}\n")
        raise SystemExit(2) from None
    finally:
        store.dispose()
    rows = ", ".join(f"{table} {count}" for table, count in result.inserted.items())
    scope = "whole store" if result.mid is None else f"MID {result.mid}"
    out.write(f"  seed:      {settings.seed_file} ({scope}; rows: {rows})\n")
