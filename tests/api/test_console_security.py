"""The console's doors: nothing without a session, a one-time login URL, the admin token form,
cookie flags, security headers, CSRF on every form, and no console call in the journal.
(tests/browser/ drives the same console in Chromium, including a forged cross-site form post.)"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from journeystack import console
from journeystack.api.app import api_of, create_app
from journeystack.api.journal import JournalQuery
from journeystack.cli import _print_console
from journeystack.config import load_settings
from tests.control_plane import ADMIN_TOKEN, FAST_OPERATIONS, packages_json
from tests.support import app_in_thread

# Pages of the console and what a GET of each needs (a journey id is filled in).
FORM_POSTS = ("/console/logout", "/console/clock", "/console/journeys/{journeyId}/validate",
              "/console/journeys/{journeyId}/publish")  # fmt: skip


@dataclass
class Site:
    url: str
    app: object

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextlib.contextmanager
    def signed_in(self) -> Iterator[httpx.Client]:
        with self.browser() as client:
            answer = client.get(console.login_url("", ADMIN_TOKEN, int(time.time())))
            assert answer.status_code == 303
            yield client

    def csrf(self, client: httpx.Client) -> str:
        page = client.get("/console/clock")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'journeystack.db'}", access_log=False,
                             packages=packages_json(), admin_token=ADMIN_TOKEN, **FAST_OPERATIONS)  # fmt: skip
    app = create_app(settings)
    with app_in_thread(app) as url:
        yield Site(url, app)


def _console_routes(site: Site) -> list[tuple[str, str]]:
    routes = api_of(site.app).router.routes
    return [(r.method, r.template.replace("{journeyId}", "00000000-0000-0000-0000-000000000000")
             .replace("{contactKey}", "ada").replace("{name}", "console.css"))
            for r in routes if r.template.startswith("/console")]  # fmt: skip


def test_every_console_url_refuses_a_caller_without_a_session(site: Site) -> None:
    routes = _console_routes(site)
    assert len(routes) >= 18
    with site.browser() as anonymous:
        for method, path in routes:
            answer = anonymous.request(
                method, path, data={"token": "", "csrf": "x"} if method == "POST" else None
            )
            if path == "/console/login":
                # The one page anyone gets: it asks for the admin token, and a wrong one is refused.
                assert answer.status_code in (200, 401) and 'name="token"' in answer.text
                continue
            assert answer.status_code in (401, 403), (method, path, answer.status_code)
            assert "set-cookie" not in answer.headers
            if method == "GET" and path != "/console/static/console.css":
                assert answer.status_code == 401 and 'name="token"' in answer.text  # the login page
                assert "Sign out" not in answer.text and "<nav" not in answer.text  # no console page
        # A forged or stale cookie is no session either.
        anonymous.cookies.set("journeystack_console", "abc.99999999999.forged", path="/console")
        assert anonymous.get("/console/journeys").status_code == 401
        assert anonymous.get("/console/static/console.js").status_code == 401


def test_the_one_time_login_url_sets_a_strict_http_only_cookie_and_drops_the_ticket(site: Site) -> None:
    link = console.login_url(site.url, ADMIN_TOKEN, int(time.time()))
    with site.browser() as browser:
        answer = browser.get(link)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/journeys"
        cookie = answer.headers["set-cookie"]
        assert re.fullmatch(r"journeystack_console=[\w.-]+; Path=/console; HttpOnly; SameSite=Strict", cookie)
        assert browser.get("/console/journeys").status_code == 200
    with site.browser() as second:
        again = second.get(link)  # the same URL, opened again
        assert again.status_code == 401 and "used already or has expired" in again.text
        assert "set-cookie" not in again.headers
        forged = second.get(link[:-4] + "AAAA")
        assert forged.status_code == 401


def test_the_login_page_takes_the_admin_token_and_nothing_else(site: Site) -> None:
    with site.browser() as browser:
        wrong = browser.post("/console/login", data={"token": "not-it", "next": "/console/events"})
        assert (
            wrong.status_code == 401
            and "not the admin token" in wrong.text
            and "set-cookie" not in wrong.headers
        )
        right = browser.post("/console/login", data={"token": ADMIN_TOKEN, "next": "/console/events"})
        assert right.status_code == 303 and right.headers["location"] == "/console/events"
        assert browser.get("/console/events").status_code == 200
    with site.browser() as elsewhere:  # never sent on to another site
        away = elsewhere.post("/console/login", data={"token": ADMIN_TOKEN, "next": "//evil.example/"})
        assert away.headers["location"] == "/console/journeys"
        cross = elsewhere.post(
            "/console/login", data={"token": ADMIN_TOKEN}, headers={"Origin": "http://evil.example"}
        )
        assert cross.status_code == 403


def test_pages_send_a_strict_content_security_policy_and_no_inline_script(site: Site) -> None:
    with site.signed_in() as browser:
        for path in (
            "/console/journeys",
            "/console/events",
            "/console/journal",
            "/console/clock",
            "/console/login",
        ):
            answer = browser.get(path, follow_redirects=True)
            policy = answer.headers["content-security-policy"]
            assert (
                "script-src 'self';" in policy
                and "unsafe-inline" not in policy
                and "unsafe-eval" not in policy
            )
            assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
            assert (
                answer.headers["x-frame-options"] == "DENY"
                and answer.headers["x-content-type-options"] == "nosniff"
            )
            assert (
                answer.headers["referrer-policy"] == "same-origin"
                and answer.headers["cache-control"] == "no-store"
            )
            assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), path  # every script is a file
            assert not re.search(r"<[^>]+\son[a-z]+=", answer.text), path  # no inline event handlers
            for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", answer.text, flags=re.S):
                if 'action="/console/login"' not in form:
                    assert 'name="csrf"' in form, path


def test_every_form_post_needs_the_sessions_csrf_token_and_this_origin(site: Site) -> None:
    engine = api_of(site.app).state.engine
    before = engine.clock()
    with site.signed_in() as browser, site.signed_in() as other:
        token = site.csrf(browser)
        fields = {"action": "freeze", "mid": "1000001"}
        for data, headers in (
            (fields, {}),  # no token
            ({**fields, "csrf": "wrong"}, {}),
            ({**fields, "csrf": site.csrf(other)}, {}),  # another session's token
            ({**fields, "csrf": token}, {"Origin": "http://127.0.0.1:1"}),  # another origin
            ({**fields, "csrf": token}, {"Sec-Fetch-Site": "same-site"}),
            ({**fields, "csrf": token}, {"Origin": "null"}),
        ):
            refused = browser.post("/console/clock", data=data, headers=headers)
            assert refused.status_code == 403, (data, headers)
            assert engine.clock().frozen == before.frozen
        done = browser.post("/console/clock", data={**fields, "csrf": token},
                            headers={"Origin": site.url, "Sec-Fetch-Site": "same-origin"})  # fmt: skip
        assert done.status_code == 303 and engine.clock().frozen
        # Signing out ends the session: its cookie opens nothing any more.
        cookie = browser.cookies.get("journeystack_console")
        out = browser.post("/console/logout", data={"csrf": token})
        assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
        with site.browser() as replay:
            replay.cookies.set("journeystack_console", cookie or "", path="/console")
            assert replay.get("/console/journeys").status_code == 401


def test_console_calls_are_never_journaled(site: Site) -> None:
    with site.signed_in() as browser:
        browser.get("/console/journeys")
        browser.get("/console/journal")
        httpx.get(site.url + "/openapi.json")
        entries = api_of(site.app).control.journal.entries(JournalQuery(limit=100))
        assert [e["path"] for e in entries] == ["/openapi.json"]


def test_a_nul_in_a_query_parameter_a_page_reads_is_refused_at_the_edge(site: Site) -> None:
    with site.signed_in() as browser:
        assert browser.get("/console/journeys", params={"q": "a"}).status_code == 200
        for path, name in [("/console/journeys", "q"), ("/console/contacts", "q"), ("/console/outbox", "contactKey"),
                           ("/console/journal", "path"), ("/console/clock", "mid")]:  # fmt: skip
            refused = browser.get(path, params={name: "a\x00b"})
            assert refused.status_code == 400, (path, refused.text)
            assert "NUL" in refused.json()["validationErrors"][0]["message"]


def test_serve_prints_a_one_time_login_url_that_signs_in(site: Site) -> None:
    settings = load_settings(host="0.0.0.0", port=int(site.url.rsplit(":", 1)[1]), admin_token=ADMIN_TOKEN)
    out = io.StringIO()
    _print_console(settings, "http", out)
    found = re.fullmatch(r"  console:   (http://127\.0\.0\.1:\d+/console/login\?ticket=\S+)  \(one-time login link\)\n",
                         out.getvalue())  # fmt: skip
    assert found is not None
    with site.browser() as browser:
        assert browser.get(found.group(1)).status_code == 303
        assert browser.get("/console/journeys").status_code == 200
    disabled = io.StringIO()
    _print_console(load_settings(control_plane=False, admin_token=ADMIN_TOKEN), "http", disabled)
    assert disabled.getvalue() == ""


def test_without_the_control_plane_there_is_no_console(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'j.db'}", access_log=False, control_plane=False
    )
    with app_in_thread(create_app(settings)) as url:
        assert httpx.get(url + "/console/login").status_code == 404
        assert httpx.get(url + "/console/journeys").status_code == 404
