"""The console in headless Chromium: sign in with the URL `serve` printed, open every page, click
through a journey, switch versions, open a version diff, read the audit trail, validate, watch
contacts move after a clock advance, tail the journal, and refuse a forged cross-site form post.
Each test saves screenshots (tests/browser/conftest.py)."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import ConsoleServer, SignedIn, readme_image
from tests.console_journeys import event, large, welcome

PAGES = [
    ("/console/journeys", "Journeys"),
    ("/console/events", "Event definitions"),
    ("/console/journal", "Request journal"),
    ("/console/contacts", "Contacts"),
    ("/console/outbox", "Outbox"),
    ("/console/clock", "Engine clock"),
]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def two_versions(console_server: ConsoleServer) -> dict[str, Any]:
    """A welcome series: version 1 published, version 2 a Draft whose second wait and tip changed."""
    event_key = _unique("APIEvent-browser")
    key = _unique("welcome")
    with console_server.client() as sfmc:
        sfmc.event_definitions.create(event(event_key, name=f"Sign-up {event_key}"))
        v1 = sfmc.journeys.create(welcome(key=key, name=f"Welcome {key}", event_key=event_key))
        sfmc.journeys.publish(v1)
        sfmc.journeys.create(welcome(key=key, name=f"Welcome {key}", event_key=event_key,
                                     tip_subject="A tip, a week in", second_wait_weeks=2))  # fmt: skip
    return {"id": v1.id, "key": key, "name": f"Welcome {key}", "event_key": event_key}


def test_the_printed_url_signs_in_and_every_page_opens(
    console_server: ConsoleServer, signed_in: SignedIn, page: Any, screenshots: Path
) -> None:
    # The one-time URL set the session cookie and left the ticket out of the address.
    assert signed_in.landed == console_server.url + "/console/journeys"
    assert signed_in.cookie["httpOnly"] is True and signed_in.cookie["sameSite"] == "Strict"
    assert signed_in.cookie["path"] == "/console"
    for path, heading in PAGES:
        answer = page.goto(console_server.url + path)
        assert answer.status == 200, path
        assert page.locator("h1").first.inner_text().startswith(heading)
        assert page.locator("nav[aria-label=Console] a[aria-current=page]").count() == 1
        page.screenshot(path=str(screenshots / f"page{path.replace('/', '-')}.png"), full_page=True)
    # Keyboard first: the skip link, then the navigation.
    page.goto(console_server.url + "/console/journeys")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('header') !== null")


def test_a_browser_without_a_session_sees_only_the_login_page(browser: Any, console_server: ConsoleServer,
                                                             screenshots: Path) -> None:  # fmt: skip
    context = browser.new_context()
    try:
        page = context.new_page()
        answer = page.goto(console_server.url + "/console/events")
        assert answer.status == 401 and page.locator("input#token").count() == 1
        assert page.locator("nav").count() == 0
        page.screenshot(path=str(screenshots / "login.png"))
        page.fill("#token", "not-the-token")
        page.click("button[type=submit]")
        assert "not the admin token" in page.inner_text("body")
        page.fill("#token", console_server.admin_token)
        page.click("button[type=submit]")
        assert page.url == console_server.url + "/console/events"  # back where it was going
        assert page.locator("h1").inner_text() == "Event definitions"
    finally:
        context.close()


def test_click_through_a_journey_switch_versions_and_open_a_diff(
    console_server: ConsoleServer, page: Any, two_versions: dict[str, Any], screenshots: Path
) -> None:
    page.goto(console_server.url + "/console/journeys?q=" + two_versions["key"])
    row = page.locator("table.list tbody tr", has_text=two_versions["key"])
    assert row.locator(".chip").all_inner_texts() == ["Published", "Draft"]
    with page.expect_navigation():  # click() does not wait for the page it opens
        row.get_by_role("link", name=two_versions["name"]).click()
    # The latest version (v2, a Draft) on its canvas: names, subjects, split percentages, waits.
    assert "v2" in page.locator("h1").inner_text()
    canvas = page.locator("svg.journey-canvas")
    texts = " | ".join(canvas.locator("text").all_text_contents())
    for expected in (
        "Wait a day",
        "A/B test",
        "Welcome email A",
        "Welcome email B",
        "Tip email",
        "1 day",
        "2 weeks",
        "Subject: Welcome aboard!",
        "Subject: A tip, a week in",
        "A · 50%",
        "B · 50%",
        "Event APIEvent-browser",
    ):
        assert expected in texts, expected  # fmt: skip
    assert canvas.locator("a.node.activity").count() == 6 and canvas.locator("a.node.end").count() == 1
    page.click("[data-zoom=fit]")  # script enhances: zoom to fit
    page.locator("section", has=page.locator("#canvas-title")).screenshot(
        path=str(screenshots / "canvas.png")
    )
    readme_image(screenshots / "canvas.png", "console-canvas.png")

    # Switch to version 1 with the version switcher.
    with page.expect_navigation():  # click() does not wait for the page it opens
        page.locator("nav.versions a", has_text="v1").click()
    assert "version=1" in page.url and "v1" in page.locator("h1").inner_text()
    assert "1 week" in " ".join(canvas.locator("text").all_text_contents())
    assert page.locator("nav.versions a[aria-current=page]").inner_text().startswith("v1")

    # Open the diff of v1 and v2 from the compare form.
    page.select_option("#left", "1")
    page.select_option("#right", "2")
    with page.expect_navigation():  # click() does not wait for the page it opens
        page.get_by_role("button", name="Show the differences").click()
    assert "/diff" in page.url and "v1 ↔ v2" in page.locator("h1").inner_text()
    summary = page.locator(".diff-summary").inner_text()
    assert "Changed WAIT-2" in summary and "Changed EMAIL-TIP" in summary
    for side in ("l-", "r-"):
        changed = page.locator(f"a.node.changed[id^='{side}']")
        assert sorted(changed.evaluate_all("nodes => nodes.map(n => n.dataset.key)")) == [
            "EMAIL-TIP",
            "WAIT-2",
        ]
    changed = page.locator("table.json-diff tr.changed")
    left = changed.locator("td.left").all_inner_texts()
    right = changed.locator("td.right").all_inner_texts()
    assert [m.strip() for m in changed.locator("td.mark").all_inner_texts()] == ["−", "+"] * changed.count()
    assert any('"waitDuration": 1' in line for line in left) and any(
        '"waitDuration": 2' in line for line in right
    )
    assert any('"emailSubject": "A week in: a tip"' in line for line in left)
    assert any('"emailSubject": "A tip, a week in"' in line for line in right)
    page.screenshot(path=str(screenshots / "diff.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1180})
    page.screenshot(path=str(screenshots / "diff-view.png"))
    readme_image(screenshots / "diff-view.png", "console-diff.png")


def test_the_audit_trail_validate_and_problems_pointing_at_the_canvas(
    console_server: ConsoleServer, page: Any, two_versions: dict[str, Any], screenshots: Path
) -> None:
    page.goto(f"{console_server.url}/console/journeys/{two_versions['id']}?version=2")
    audit = page.locator("#audit li.audit-row").all_inner_texts()
    assert [" ".join(row.split()[3:5]) for row in audit] == ["Create v2", "Publish v1", "Create v1"]
    assert "PublishCompleted" in audit[1]
    with page.expect_navigation():  # click() does not wait for the page it opens
        page.get_by_role("button", name="Validate v2").click()
    assert page.url.endswith("#operations")
    for _ in range(50):  # the validate operation runs about 50 ms later
        results = page.locator("#operations li").all_inner_texts()
        if results and "Validate of v2: Completed" in results[0]:
            break
        time.sleep(0.1)
        page.reload()
    assert "Validate of v2: Completed" in page.locator("#operations li").first.inner_text()

    # A draft whose split path leads nowhere: the check's error links to the split on the canvas.
    body = welcome(key=_unique("broken"), name="Broken draft", event_key="APIEvent-missing")
    body["activities"][1]["outcomes"][1]["next"] = None
    with console_server.client() as sfmc:
        broken = sfmc.journeys.create(body)
    page.goto(f"{console_server.url}/console/journeys/{broken.id}")
    errors = page.locator("#checks li.error")
    assert errors.count() >= 1
    trigger_error = page.locator("#checks li.error", has_text="APIEvent-missing")
    assert trigger_error.count() >= 1
    link = trigger_error.first.locator("a[data-focus]")
    target = link.get_attribute("data-focus")
    with page.expect_navigation():  # click() does not wait for the page it opens
        link.click()
    assert page.url.endswith("#" + target)
    assert "problem" in (page.locator(f"[id='{target}']").get_attribute("class") or "")
    page.screenshot(path=str(screenshots / "checks.png"), full_page=True)


def test_contact_counts_move_after_a_clock_advance(
    console_server: ConsoleServer, page: Any, two_versions: dict[str, Any], screenshots: Path
) -> None:
    journey = f"{console_server.url}/console/journeys/{two_versions['id']}?version=1"
    contacts = [_unique("ada"), _unique("bob"), _unique("cyd")]
    with console_server.admin() as admin, console_server.client() as sfmc:
        admin.post("/clock/freeze").raise_for_status()
        for contact in contacts:
            sfmc.fire_event(contact, two_versions["event_key"], {"Email": f"{contact}@example.com"})
        admin.post("/clock/run-until-idle").raise_for_status()
    page.goto(journey)

    def count(key: str, what: str = "now") -> int:
        return int(page.locator(f"a.node[data-key='{key}'] text.count").get_attribute(f"data-{what}") or -1)

    assert count("WAIT-1") == 3 and count("", "reached") == 3
    # Advance the engine's clock one day from the console's own form.
    page.goto(console_server.url + "/console/clock")
    before = page.inner_text("#clock-now")
    page.fill("#by", "1d")
    with page.expect_navigation():  # click() does not wait for the page it opens
        page.get_by_role("button", name="Advance").click()
    assert page.inner_text("#clock-now") != before and page.inner_text("#clock-state") == "frozen"
    page.goto(journey)
    assert count("WAIT-1") == 0 and count("WAIT-2") == 3 and count("WAIT-2", "reached") == 3
    paths = page.locator("g.edge text.edge-count").evaluate_all(
        "nodes => nodes.map(n => Number(n.dataset.count))"
    )
    assert sum(paths) == 3 + 3 + 3 + 3  # trigger→wait, wait→split, the two split paths, the emails→wait
    page.locator("section", has=page.locator("#canvas-title")).screenshot(
        path=str(screenshots / "counts.png")
    )

    # One contact's timeline across journeys, and what was sent.
    page.goto(console_server.url + "/console/contacts?q=" + contacts[0])
    with page.expect_navigation():  # click() does not wait for the page it opens
        page.get_by_role("link", name=contacts[0]).click()
    timeline = page.locator("tr.history-row").all_inner_texts()
    assert "MetCriteria" in timeline[0] and any("Wait a day" in row and "Complete" in row for row in timeline)
    # Either email of the random split: "Welcome aboard!" or "Hello, and welcome".
    assert "welcome" in page.locator("#sent-title").locator("xpath=..").inner_text().lower()
    page.screenshot(path=str(screenshots / "contact.png"), full_page=True)
    page.goto(console_server.url + "/console/outbox?contactkey=" + contacts[1])
    assert page.locator("table.outbox tbody tr").count() == 1
    with console_server.admin() as admin:
        admin.post("/clock/real").raise_for_status()


def test_the_journal_tails_new_calls_live(console_server: ConsoleServer, page: Any) -> None:
    page.goto(console_server.url + "/console/journal")
    marker = _unique("live-tail")
    httpx.get(f"{console_server.url}/interaction/v1/interactions/key:{marker}")
    page.locator("#journal-rows tr", has_text=marker).wait_for(timeout=10_000)  # fetched by the page's script
    assert "401" in page.locator("#journal-rows tr", has_text=marker).inner_text()


@pytest.fixture
def attacker(console_server: ConsoleServer) -> Iterator[str]:
    """Another web site: a page whose form posts to the console (advance the clock 30 days) and
    submits itself."""
    page = (
        "<!doctype html><title>Win a prize</title>"
        f'<form id="f" method="post" action="{console_server.url}/console/clock">'
        '<input name="action" value="advance"><input name="by" value="30d"><input name="csrf" value="guessed">'
        "<button>go</button></form><script>document.getElementById('f').submit()</script>"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_forged_cross_site_form_post_is_refused(console_server: ConsoleServer, page: Any, attacker: str,
                                                  screenshots: Path) -> None:  # fmt: skip
    with console_server.admin() as admin:
        before = admin.get("/clock").json()
        # From another origin of the same host (the session cookie goes along): no valid CSRF token.
        with page.expect_response(console_server.url + "/console/clock") as posted:
            page.goto(attacker + "/")
        assert posted.value.status == 403
        assert "Refused" in page.inner_text("body")
        page.screenshot(path=str(screenshots / "forged-post.png"))
        # From another site altogether (localhost is not 127.0.0.1): SameSite=Strict keeps the cookie home.
        with page.expect_response(console_server.url + "/console/clock") as posted:
            page.goto(attacker.replace("127.0.0.1", "localhost") + "/")
        assert posted.value.status == 403 and "sign in" in page.inner_text("body")
        after = admin.get("/clock").json()
        assert after["frozen"] == before["frozen"] and after["nowMs"] - before["nowMs"] < 86_400_000


def test_a_50_activity_journey_and_the_list_on_a_phone(console_server: ConsoleServer, page: Any,
                                                        screenshots: Path) -> None:  # fmt: skip
    with console_server.client() as sfmc:
        created = sfmc.journeys.create(large(50, key=_unique("large")))
    page.goto(f"{console_server.url}/console/journeys/{created.id}")
    assert page.locator("svg.journey-canvas a.node.activity").count() == 50
    assert "Tier split 2" in page.locator("svg.journey-canvas text.title").all_text_contents()
    page.screenshot(path=str(screenshots / "large.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/console/journeys", f"/console/journeys/{created.id}", "/console/journal"):
        page.goto(console_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)  # wide content scrolls inside its own box
        page.screenshot(path=str(screenshots / f"phone{path.replace('/', '-')[:40]}.png"))
