"""The console in a real browser: Debian's Chromium (scripts/ensure-chromium.sh installs it),
driven by Playwright for Python through `executable_path` (Playwright's own browser download is
never used). A missing Chromium fails these tests; it never skips them.

One `journeystack serve` process per xdist worker, started as a person starts it; the tests sign
in with the one-time login URL it prints. Screenshots go to build/console-screenshots/
(JOURNEYSTACK_SCREENSHOTS moves them)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from journeystack.client import Client
from tests.control_plane import server_env
from tests.support import CLIENT_ID, CLIENT_SECRET, running_server

ROOT = Path(__file__).resolve().parents[2]
# What the probe of this machine kind found Chromium needs to start headless in a container.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
MID = 1000001


def chromium_executable() -> str:
    path = os.environ.get("JOURNEYSTACK_CHROMIUM") or "/usr/bin/chromium"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium is missing ({path}): the console's browser tests need it. Run `bash scripts/ensure-chromium.sh` "
            "(make test does), or set JOURNEYSTACK_CHROMIUM to a Chromium binary.",
            pytrace=False,
        )
    return path


@dataclass
class ConsoleServer:
    url: str
    admin_token: str
    login_url: str
    log: Path

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/_journeystack", timeout=60,
                            headers={"Authorization": f"Bearer {self.admin_token}"})  # fmt: skip

    def client(self) -> Client:
        return Client(self.url, CLIENT_ID, CLIENT_SECRET, account_id=MID)


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    directory = tmp_path_factory.mktemp("console")
    env = server_env(directory)
    env.pop("JOURNEYSTACK_ADMIN_TOKEN", None)
    env["JOURNEYSTACK_ADMIN_TOKEN"] = ""  # `serve` generates one and prints it, as for a person
    log = directory / "server.log"
    with running_server(f"sqlite:///{directory / 'journeystack.db'}", env=env, log_path=log) as url:
        banner = log.read_text()
        token = re.search(r"admin token: (\S+)", banner)
        link = re.search(r"console:\s+(http://\S+/console/login\?ticket=\S+)", banner)
        assert token is not None and link is not None, banner
        yield ConsoleServer(url, token.group(1), link.group(1), log)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        pytest.fail(f"Playwright for Python is missing ({missing}): pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class SignedIn:
    """What signing in with the printed URL gave: where the browser landed and the cookie it got."""

    landed: str
    cookie: dict[str, Any]
    state: dict[str, Any]


@pytest.fixture(scope="session")
def signed_in(browser: Any, console_server: ConsoleServer) -> SignedIn:
    """Sign in once with the one-time URL `serve` printed; later contexts reuse the session."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(console_server.login_url)
    cookies = [c for c in context.cookies() if c["name"] == "journeystack_console"]
    assert len(cookies) == 1
    signed = SignedIn(page.url, cookies[0], context.storage_state())
    context.close()
    return signed


@pytest.fixture
def page(browser: Any, signed_in: SignedIn) -> Iterator[Any]:
    """A signed-in page at 1280 × 900 that records the browser's console errors (CSP violations)."""
    context = browser.new_context(storage_state=signed_in.state, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.errors = errors
    yield opened
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.fixture(scope="session")
def screenshots() -> Path:
    directory = Path(os.environ.get("JOURNEYSTACK_SCREENSHOTS") or ROOT / "build" / "console-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def readme_image(source: Path, name: str) -> None:
    """With JOURNEYSTACK_README_IMAGES=1, also keep a screenshot as the README's docs/images/<name>."""
    if os.environ.get("JOURNEYSTACK_README_IMAGES") == "1":
        images = ROOT / "docs" / "images"
        images.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, images / name)
