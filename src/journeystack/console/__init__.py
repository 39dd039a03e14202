"""The web console under /console/: journeys on a canvas, versions side by side, the audit trail,
the request journal and contacts flowing through running journeys (docs/console.md).

Its pages need the `console` extra (Jinja2 and grandalf); without it /console/ answers how to
install it. Importing this package imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from journeystack.api.control import ControlPlane
    from journeystack.api.routing import Route

PREFIX: Final = "/console"
MISSING_EXTRA: Final = (
    "The journeystack console needs its extra: pip install 'journeystack[console]' (Jinja2, grandalf)."
)


def is_console_path(path: str) -> bool:
    """Whether a raw request path is the console's (never journaled: it is not a client's call)."""
    first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return first.lower() == PREFIX[1:]


def available() -> bool:
    try:
        import grandalf  # noqa: F401
        import jinja2  # noqa: F401
    except ImportError:
        return False
    return True


def routes(control: ControlPlane) -> list[Route]:
    """The console's routes: none when the control plane is off (the console is behind its admin
    token), a page saying what to install when the extra is missing."""
    from journeystack.api.http import ApiRequest, ApiResponse
    from journeystack.api.routing import Route

    if not control.enabled:
        return []
    if not available():

        def missing(_request: ApiRequest) -> ApiResponse:
            return ApiResponse(501, MISSING_EXTRA.encode(), {"Content-Type": "text/plain; charset=utf-8"})

        return [Route("GET", PREFIX, missing, "console", "The web console.", authenticated=False, scopes=(),
                      tag="console")]  # fmt: skip
    from .pages import Console

    return Console(control).routes()


def login_url(base_url: str, admin_token: str, now_s: int) -> str:
    """A one-time login URL of the console of a server with this admin token (what `serve` prints)."""
    from .auth import ConsoleAuth

    return f"{base_url.rstrip('/')}{PREFIX}/login?ticket={ConsoleAuth(admin_token).ticket(now_s)}"
