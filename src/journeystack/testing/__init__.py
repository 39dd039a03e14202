"""journeystack for test suites: the pytest plugin's fixtures (`journeystack`, `journeystack_client`),
the handle they give (`Journeystack`), and `serve_in_thread` for other test runners.

The names below load on first use, so that pytest loading the plugin costs next to nothing."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handle import Clock, Contacts, ControlPlaneError, Faults, Journal, Journeystack, Outbox
    from .server import RunningServer, serve_in_thread

_HOMES = {
    "Clock": "handle",
    "Contacts": "handle",
    "ControlPlaneError": "handle",
    "Faults": "handle",
    "Journal": "handle",
    "Journeystack": "handle",
    "Outbox": "handle",
    "RunningServer": "server",
    "serve_in_thread": "server",
}

__all__ = [
    "Clock",
    "Contacts",
    "ControlPlaneError",
    "Faults",
    "Journal",
    "Journeystack",
    "Outbox",
    "RunningServer",
    "serve_in_thread",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
