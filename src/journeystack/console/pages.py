"""The console's pages: journeys (list, one journey on its canvas, a diff of two versions),
event definitions, the request journal, contacts, the outbox and the engine's clock. Each handler
parses the query, calls services, and renders a template (docs/console.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import orjson

from journeystack.api.http import ApiRequest, ApiResponse, query_int
from journeystack.api.journal import JournalQuery
from journeystack.api.routing import Route
from journeystack.domain.console import JourneyListQuery
from journeystack.domain.journey import Status, spec_document
from journeystack.domain.lifecycle import OperationKind, allows
from journeystack.domain.queries import MAX_BIG_INTEGER
from journeystack.domain.runtime.records import OutboxQuery
from journeystack.errors import InvalidRequest, Problem
from journeystack.services import console as reads
from journeystack.services import events as event_services
from journeystack.services import lifecycle, runtime
from journeystack.services.clock import parse_duration

from .auth import ConsoleAuth, Session
from .canvas import Canvas, activities_of, build_canvas, slug
from .describe import problem_place
from .diff import diff_versions
from .web import PREFIX, Web, form_of, safe_next, url

if TYPE_CHECKING:
    from journeystack.api.control import ControlPlane

STATUSES: Final = [s.value for s in Status]
JOURNAL_ROWS: Final = 100
OUTBOX_PAGE: Final = 100
AUDIT_ROWS: Final = 200


def when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def pretty(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return str(value)


class Problems:
    """Publish problems placed on a canvas: each with the id of the box it points at."""

    def __init__(self, canvas: Canvas, spec: dict[str, Any]) -> None:
        self.canvas = canvas
        self.keys = [str(a.get("key")) for a in activities_of(spec)]

    def place(
        self, code: str, message: str, level: str, path: str, activity_key: str | None
    ) -> dict[str, Any]:
        key = problem_place(path, activity_key, self.keys)
        node = self.canvas.node(key) if key is not None else None
        if node is not None:
            node.problems += 1 if level.lower() == "error" else 0
            node.marks.add("problem" if level.lower() == "error" else "warning")
        return {"code": code, "message": message, "level": level, "path": path,
                "anchor": node.id if node else None, "where": node.title if node else None}  # fmt: skip


class Console:
    """The console of one server process; `routes()` are mounted under /console/."""

    def __init__(self, control: ControlPlane) -> None:
        self.settings = control.settings
        self.state = control.state
        self.ctx = control.state.ctx
        self.engine = control.state.engine
        self.journal = control.journal
        self.auth = ConsoleAuth(control.admin_token)
        self.web = Web(self.auth, secure_cookies=control.settings.tls_cert is not None)
        self.web.env.filters["when"] = when
        self.web.env.filters["pretty"] = pretty
        self.web.env.filters["slug"] = slug
        self.mids = sorted({m for p in control.state.tokens.packages for m in p.mids})
        self.flows = reads.FlowCache()

    # --- common --------------------------------------------------------------------------------------

    def _mid(self, request: ApiRequest) -> int:
        return query_int(request.query, "mid", maximum=MAX_BIG_INTEGER) or self.mids[0]

    def _page(self, template: str, request: ApiRequest, session: Session, *, nav: str, title: str,
              status: int = 200, **context: Any) -> ApiResponse:  # fmt: skip
        return self.web.html(
            template, status, csrf=self.auth.csrf_token(session), mid=self._mid(request), mids=self.mids,
            clock=self.engine.clock(), nav=nav, title=title, here=request.path.split("?", 1)[0],
            journal_enabled=self.journal.enabled, **context,
        )  # fmt: skip

    def _back(self, fields: dict[str, str], default: str) -> ApiResponse:
        target = fields.get("back") or ""
        return self.web.redirect(target if target == safe_next(target) else default)

    # --- signing in and out ----------------------------------------------------------------------------

    def login(self, request: ApiRequest) -> ApiResponse:
        """GET /console/login: redeem a one-time ticket (then drop it from the address), or ask for
        the admin token."""
        now = int(time.time())
        ticket = request.query.get("ticket")
        if ticket is not None:
            if self.auth.redeem(ticket, now):
                return self.web.redirect(
                    PREFIX + "/journeys", cookie=self.web.cookie(self.auth.new_session(now))
                )
            return self.web.login_page(
                401, message="This login link was used already or has expired: enter the admin token."
            )
        if self.web.session_of(request) is not None:
            return self.web.redirect(safe_next(request.query.get("next")))
        return self.web.login_page(200, next_path=request.query.get("next") or "")

    def sign_in(self, request: ApiRequest) -> ApiResponse:
        """POST /console/login: the admin token typed into the login page."""
        from .web import same_origin

        fields = form_of(request)
        if not same_origin(request):
            return self.web.text(403, "Refused: this form was not sent from a page of this console.")
        if not self.auth.is_admin_token(fields.get("token", "")):
            return self.web.login_page(
                401, message="That is not the admin token.", next_path=fields.get("next", "")
            )
        cookie = self.web.cookie(self.auth.new_session(int(time.time())))
        return self.web.redirect(safe_next(fields.get("next")), cookie=cookie)

    def sign_out(self, _request: ApiRequest, session: Session) -> ApiResponse:
        self.auth.end(session, int(time.time()))
        return self.web.redirect(PREFIX + "/login", cookie=self.web.cookie("", max_age=0))

    def static(self, request: ApiRequest) -> ApiResponse:
        if self.web.session_of(request) is None:
            return self.web.text(401, "Sign in to the console first.")
        return self.web.static(request.params["name"])

    # --- journeys --------------------------------------------------------------------------------------

    def journeys(self, request: ApiRequest, session: Session) -> ApiResponse:
        q = request.query
        mid = self._mid(request)
        status = q.get("status") or None
        if status is not None and status not in STATUSES:
            raise InvalidRequest([Problem(f"status must be one of {', '.join(STATUSES)}.", 10005, "status")])
        query = JourneyListQuery(
            mid=mid, text=(q.get("q") or "").strip()[:200] or None, status=status,
            folder_id=query_int(q, "folder", maximum=MAX_BIG_INTEGER), page=query_int(q, "page") or 1,
        )  # fmt: skip
        listed = reads.journey_list(self.ctx, query)
        folders = reads.journey_folders(self.ctx, mid)
        names = {f.id: f.name for f in folders}
        children: dict[int, list[Any]] = {}
        for folder in folders:
            children.setdefault(folder.parent_id, []).append(folder)
        roots = [f for f in folders if f.parent_id not in names]
        return self._page(
            "journeys.html", request, session, nav="journeys", title="Journeys", listed=listed, query=query,
            statuses=STATUSES, roots=roots, children=children, folder_names=names,
        )  # fmt: skip

    def journey(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        journey_id = request.params["journeyId"]
        found = reads.journey_versions(self.ctx, mid, journey_id, query_int(request.query, "version"))
        version = found.selected
        spec = spec_document(version.definition)
        flow = reads.flow(self.ctx, version, self.flows) if version.status is not Status.DRAFT else None
        canvas = build_canvas(spec, fingerprint=f"{version.definition_id}/{version.modified_ms}", flow=flow)
        placed = Problems(canvas, spec)
        checks: dict[str, list[dict[str, Any]]] | None = None
        if allows(version.status, "validate"):
            errors, warnings = reads.publish_checks(self.ctx, version)
            checks = {
                "errors": [placed.place(p.code, p.message, p.level, p.path, p.activity_key) for p in errors],
                "warnings": [
                    placed.place(p.code, p.message, p.level, p.path, p.activity_key) for p in warnings
                ],
            }
        operations = []
        for op in reads.operations_of(self.ctx, mid, journey_id):
            mine = op.version == version.version
            problems = [
                (placed.place if mine else _unplaced)(
                    p.code, p.detail, p.level, str(p.info.get("path", "")), p.info.get("activityKey")
                )
                for p in (*op.errors, *op.warnings)
            ]
            operations.append({"op": op, "problems": problems})
        audit = lifecycle.audit_log(self.ctx, mid, None, version=None, page=1, page_size=AUDIT_ROWS,
                                    journey_id=journey_id)  # fmt: skip
        numbers = [v.version for v in found.versions]
        latest = numbers[-1]
        compare = (
            (version.version, latest)
            if version.version != latest
            else (numbers[max(0, len(numbers) - 2)], latest)
        )
        goals = [g for g in spec.get("goals") or [] if isinstance(g, dict)]
        exits = [x for x in spec.get("exits") or [] if isinstance(x, dict)]
        return self._page(
            "journey.html", request, session, nav="journeys", title=version.definition.name,
            found=found, version=version, canvas=canvas, flow=flow, checks=checks, operations=operations,
            audit=audit.items, goals=goals, compare_left=compare[0], compare_right=compare[1], exits=exits, spec_json=pretty(spec),
            can_validate=allows(version.status, "validate") and version.operation_id is None,
            can_publish=allows(version.status, "publish") and version.operation_id is None,
        )  # fmt: skip

    def diff(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        journey_id = request.params["journeyId"]
        found = reads.journey_versions(self.ctx, mid, journey_id, None)
        numbers = [v.version for v in found.versions]
        right_number = query_int(request.query, "right") or numbers[-1]
        left_number = query_int(request.query, "left") or (numbers[-2] if len(numbers) > 1 else numbers[-1])
        left, right = found.version(left_number), found.version(right_number)
        if left is None or right is None:
            missing = "left" if left is None else "right"
            raise InvalidRequest([Problem(f"{missing}: this journey has no such version.", 10005, missing)])
        compared = diff_versions(left, right)
        canvases = []
        for side, version, prefix in (("left", left, "l-"), ("right", right, "r-")):
            canvas = build_canvas(spec_document(version.definition), prefix=prefix,
                                  fingerprint=f"{version.definition_id}/{version.modified_ms}")  # fmt: skip
            for node in canvas.nodes:
                mark = compared.mark(node.key, side) if node.kind == "activity" else None
                if node.kind == "trigger" and compared.trigger_changed:
                    mark = "changed"
                if mark is not None:
                    node.marks.add(mark)
            canvases.append((side, version, canvas))
        return self._page(
            "diff.html", request, session, nav="journeys", title=f"{right.definition.name}: v{left.version} ↔ v{right.version}",
            found=found, left=left, right=right, compared=compared, canvases=canvases,
        )  # fmt: skip

    def operate(self, kind: OperationKind) -> Any:
        def handler(request: ApiRequest, _session: Session) -> ApiResponse:
            fields = form_of(request)
            mid = _form_int(fields, "mid", self.mids[0])
            version = _form_int(fields, "version", 0)
            journey_id = request.params["journeyId"]
            lifecycle.start_operation(
                self.ctx, mid, kind, version=version, journey_id=journey_id,
                delay_ms=int(self.settings.operation_delay_seconds * 1000),
            )  # fmt: skip
            return self.web.redirect(url(f"/journeys/{journey_id}", mid=mid, version=version) + "#operations")

        return handler

    # --- event definitions ------------------------------------------------------------------------------

    def events(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        text = (request.query.get("q") or "").strip()[:200] or None
        listed = event_services.list_event_definitions(
            self.ctx, mid, name=text, page=query_int(request.query, "page") or 1, page_size=50
        )
        uses: dict[str, list[Any]] = {}
        for use in reads.event_uses(self.ctx, mid, [event.key for event, _, _ in listed.items]):
            uses.setdefault(use.event_key, []).append(use)
        return self._page("events.html", request, session, nav="events", title="Event definitions",
                          listed=listed, uses=uses, text=text or "")  # fmt: skip

    # --- the request journal ------------------------------------------------------------------------------

    def _journal_query(self, request: ApiRequest) -> tuple[JournalQuery, int]:
        q = request.query
        status = (q.get("status") or "").strip().lower() or None
        if status is not None and not (len(status) == 3 and status[0] in "12345" and
                                       all(c.isdigit() or c == "x" for c in status[1:])):  # fmt: skip
            raise InvalidRequest(
                [Problem("status must be a status such as 429, or a class such as 5xx.", 10005, "status")]
            )
        query = JournalQuery(path=(q.get("path") or "").strip() or None, status=status,
                             mid=query_int(q, "callmid", maximum=MAX_BIG_INTEGER), limit=JOURNAL_ROWS)  # fmt: skip
        return query, query_int(q, "after", minimum=0) or 0

    def journal_page(self, request: ApiRequest, session: Session) -> ApiResponse:
        query, _ = self._journal_query(request)
        entries = self.journal.entries(query)
        return self._page("journal.html", request, session, nav="journal", title="Request journal",
                          entries=entries, query=query, latest=max((x["sequence"] for x in entries), default=0))  # fmt: skip

    def journal_rows(self, request: ApiRequest, _session: Session) -> ApiResponse:
        """The rows newer than `after`, for the live tail (an HTML fragment the page's script
        inserts; the page works without it)."""
        query, after = self._journal_query(request)
        entries = [x for x in self.journal.entries(query) if x["sequence"] > after]
        response = self.web.html("journal_rows.html", entries=entries)
        response.headers["X-Journal-Latest"] = str(max((x["sequence"] for x in entries), default=after))
        return response

    # --- contacts, the outbox and the clock ----------------------------------------------------------------

    def contacts(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        text = (request.query.get("q") or "").strip()[:254]
        matches = reads.find_contacts(self.ctx, mid, text) if text else []
        return self._page("contacts.html", request, session, nav="contacts", title="Contacts",
                          text=text, matches=matches)  # fmt: skip

    def contact(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        contact_key = request.params["contactKey"]
        rows = reads.contact_timeline(self.ctx, mid, contact_key)
        membership, _ = runtime.contact_membership(self.ctx, mid, [contact_key])
        attributes = runtime.get_attributes(self.ctx, mid, contact_key)
        total, messages = runtime.list_outbox(
            self.ctx, OutboxQuery(mid=mid, contact_key=contact_key, limit=OUTBOX_PAGE)
        )
        return self._page(
            "contact.html", request, session, nav="contacts", title=f"Contact {contact_key}",
            contact_key=contact_key, rows=rows, membership=membership, attributes=attributes,
            messages=[m for _, m in messages], message_count=total,
        )  # fmt: skip

    def outbox(self, request: ApiRequest, session: Session) -> ApiResponse:
        mid = self._mid(request)
        q = request.query
        page = query_int(q, "page") or 1
        query = OutboxQuery(mid=mid, contact_key=q.get("contactkey") or None, journey_key=q.get("journeykey") or None,
                            limit=OUTBOX_PAGE, offset=(page - 1) * OUTBOX_PAGE)  # fmt: skip
        total, messages = runtime.list_outbox(self.ctx, query)
        return self._page("outbox.html", request, session, nav="outbox", title="Outbox", total=total,
                          messages=[m for _, m in messages], query=query, page=page, page_size=OUTBOX_PAGE)  # fmt: skip

    def clock_page(self, request: ApiRequest, session: Session) -> ApiResponse:
        return self._page("clock.html", request, session, nav="clock", title="Engine clock", done=None)

    def clock_action(self, request: ApiRequest, _session: Session) -> ApiResponse:
        fields = form_of(request)
        action = fields.get("action", "")
        if action == "freeze":
            self.engine.freeze()
        elif action == "real":
            self.engine.real()
        elif action == "run":
            self.engine.run_until_idle()
        elif action == "advance":
            by = fields.get("by", "").strip()
            self.engine.advance(by_ms=parse_duration(by or "?"), to_ms=None)
        else:
            raise InvalidRequest([Problem("action must be freeze, real, run or advance.", 10005, "action")])
        return self._back(fields, url("/clock", mid=fields.get("mid")))

    # --- routes ---------------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        web = self.web

        def page(
            method: str, path: str, handler: Any, *query: str, form: bool = False, guard: bool = True
        ) -> Route:
            wrapped = web.guarded(handler, form=form) if guard else handler
            # `query` names what the page reads (every page its business unit, `mid`), so the API's
            # edge refuses a NUL in them as it does for the API's own routes.
            return Route(method, PREFIX + path, wrapped, "console", "The web console (HTML).",
                         authenticated=False, scopes=(), tag="console", blocking=True, query=query)  # fmt: skip

        listing = ("mid", "q", "status", "folder", "page")
        journal = ("mid", "path", "status", "callmid", "after")
        return [
            page("GET", "", self.journeys, *listing),
            page("GET", "/login", self.login, "ticket", "next", guard=False),
            page("POST", "/login", self.sign_in, guard=False),
            page("POST", "/logout", self.sign_out, form=True),
            page("GET", "/static/{name}", self.static, guard=False),
            page("GET", "/journeys", self.journeys, *listing),
            page("GET", "/journeys/{journeyId}", self.journey, "mid", "version"),
            page("GET", "/journeys/{journeyId}/diff", self.diff, "mid", "left", "right"),
            page("POST", "/journeys/{journeyId}/validate", self.operate(OperationKind.VALIDATE), form=True),
            page("POST", "/journeys/{journeyId}/publish", self.operate(OperationKind.PUBLISH), form=True),
            page("GET", "/events", self.events, "mid", "q", "page"),
            page("GET", "/journal", self.journal_page, *journal),
            page("GET", "/journal/rows", self.journal_rows, *journal),
            page("GET", "/contacts", self.contacts, "mid", "q"),
            page("GET", "/contacts/{contactKey}", self.contact, "mid"),
            page("GET", "/outbox", self.outbox, "mid", "page", "contactkey", "journeykey"),
            page("GET", "/clock", self.clock_page, "mid"),
            page("POST", "/clock", self.clock_action, form=True),
        ]


def _unplaced(code: str, message: str, level: str, path: str, _key: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "level": level, "path": path, "anchor": None, "where": None}


def _form_int(fields: dict[str, str], name: str, default: int) -> int:
    raw = fields.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > MAX_BIG_INTEGER:
        raise InvalidRequest([Problem(f"{name} must be a whole number.", 10005, name)])
    return int(raw)
