"""The console's HTTP edge: security headers on every answer, the session every page needs, the
CSRF check every form post passes, HTML rendering, and the static files shipped in the package."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from importlib import resources
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from journeystack import __version__
from journeystack import errors as e
from journeystack.api.errors import render_error
from journeystack.api.http import ApiRequest, ApiResponse

from .auth import COOKIE, ConsoleAuth, Session, cookie_value

PREFIX: Final = "/console"
log = logging.getLogger("journeystack.console")
HTML: Final = "text/html; charset=utf-8"
# Scripts only from this server (no inline script, no eval), styles only from this server or the
# login page's one hashed block, nothing framed, forms only posted here.
_CSP_TEMPLATE: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'{extra_style}; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATIC_TYPES: Final = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                       ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}  # fmt: skip

Page = Callable[[ApiRequest, Session], ApiResponse]


def security_headers(extra_style: str = "") -> dict[str, str]:
    return {
        "Content-Security-Policy": _CSP_TEMPLATE.format(extra_style=extra_style),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode() + "'"


def form_of(request: ApiRequest) -> dict[str, str]:
    """A form post's fields (the first value of each name)."""
    fields: dict[str, str] = {}
    for name, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def same_origin(request: ApiRequest) -> bool:
    """Whether a post comes from a page of this server: the browser's Sec-Fetch-Site says so, or
    at least its Origin names this host. A post with neither header is taken as a non-browser
    client's (it still needs the session cookie and the CSRF token)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this server, nothing else."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/journeys"


class Web:
    """Rendering and the session guard, shared by every console page."""

    def __init__(self, auth: ConsoleAuth, *, secure_cookies: bool) -> None:
        self.auth = auth
        self.secure_cookies = secure_cookies
        self.env = Environment(
            loader=PackageLoader("journeystack.console", "templates"),
            autoescape=select_autoescape(("html", "svg"), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["app_version"] = __version__
        self.env.globals["url"] = url
        self.login_css = (
            resources.files("journeystack.console").joinpath("static/login.css").read_text("utf-8")
        )
        self.login_style = style_hash(self.login_css)
        self._static: dict[str, bytes] = {}

    # --- answers ----------------------------------------------------------------------------------------

    def html(self, template: str, status: int = 200, *, extra_style: str = "", **context: Any) -> ApiResponse:
        body = self.env.get_template(template).render(**context).encode("utf-8")
        return ApiResponse(status, body, {"Content-Type": HTML, **security_headers(extra_style)})

    def login_page(self, status: int, *, message: str = "", next_path: str = "") -> ApiResponse:
        return self.html(
            "login.html", status, extra_style=" " + self.login_style, message=message,
            next_path=safe_next(next_path), login_css=self.login_css,
        )  # fmt: skip

    def redirect(self, location: str, *, cookie: str | None = None) -> ApiResponse:
        headers = {"Location": location, **security_headers()}
        if cookie is not None:
            headers["Set-Cookie"] = cookie
        return ApiResponse(303, b"", headers)

    def text(self, status: int, message: str) -> ApiResponse:
        return ApiResponse(
            status,
            message.encode("utf-8"),
            {"Content-Type": "text/plain; charset=utf-8", **security_headers()},
        )

    def cookie(self, value: str, *, max_age: int | None = None) -> str:
        parts = [f"{COOKIE}={value}", f"Path={PREFIX}", "HttpOnly", "SameSite=Strict"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure_cookies:
            parts.append("Secure")
        return "; ".join(parts)

    def static(self, name: str) -> ApiResponse:
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or "\\" in name or name.startswith(".") or suffix not in STATIC_TYPES:
            return self.text(404, "Not found.")
        body = self._static.get(name)
        if body is None:
            try:
                body = resources.files("journeystack.console").joinpath("static", name).read_bytes()
            except (FileNotFoundError, IsADirectoryError):
                return self.text(404, "Not found.")
            self._static[name] = body
        headers = {"Content-Type": STATIC_TYPES[suffix], **security_headers()}
        headers["Cache-Control"] = "private, max-age=3600"
        return ApiResponse(200, body, headers)

    # --- the guard --------------------------------------------------------------------------------------

    def session_of(self, request: ApiRequest) -> Session | None:
        return self.auth.session(cookie_value(request.headers.get("cookie", "")), int(time.time()))

    def guarded(self, page: Page, *, form: bool = False) -> Callable[[ApiRequest], ApiResponse]:
        """A page that answers only a signed-in browser: without a session a GET gets the login page
        (401) and a post a 403; a post must come from this server's own pages and carry the
        session's CSRF token. Errors of the services become an error page with their status."""

        def handler(request: ApiRequest) -> ApiResponse:
            started = time.perf_counter()
            response = checked(request)
            # What the page cost the server (the browser's developer tools show it; bench/console.py reads it).
            response.headers["Server-Timing"] = f"console;dur={(time.perf_counter() - started) * 1000:.1f}"
            return response

        def checked(request: ApiRequest) -> ApiResponse:
            session = self.session_of(request)
            if session is None:
                if request.method == "GET":
                    path = request.path.split("?", 1)[0]
                    query = urlencode(request.query)
                    return self.login_page(401, next_path=path + ("?" + query if query else ""))
                return self.text(403, "Refused: sign in to the console first.")
            if form:
                fields = form_of(request)
                if not same_origin(request):
                    return self.text(403, "Refused: this form was not sent from a page of this console.")
                if not self.auth.csrf_ok(session, fields.get("csrf", "")):
                    return self.text(
                        403, "Refused: the form's CSRF token is missing or wrong; reload the page."
                    )
            try:
                return page(request, session)
            except e.JourneystackError as error:
                code = render_error(error).status
                return self.html("error.html", code, code=code, message=error.message)
            except Exception:
                log.exception("console page failed", extra={"request_id": request.request_id})
                return self.html("error.html", 500, code=500, message="The console failed to show this page.")

        return handler


def url(path: str, /, **params: Any) -> str:
    """A console URL with the query parameters that are set."""
    query = urlencode([(k, v) for k, v in params.items() if v is not None and v != ""])
    return PREFIX + path + ("?" + query if query else "")
