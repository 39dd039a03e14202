"""`journeystack serve` with experimental patches, to measure what a change in src/ would gain.

    python -m bench --sizes 10000 --server-patch inline-handlers
    python -m bench.patched --patch inline-handlers -- serve --port 8000 --database-url sqlite:///...

A patch here is a measurement, not a fix: the change it stands for belongs in src/ (see
docs/benchmarks.md for each one's measured effect).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any


def _inline_handlers() -> None:
    """Run each request's handler on the event-loop thread instead of handing it to a worker thread.

    Stands for: call `self._process(request)` directly in JourneystackApi.__call__ (SQLite answers in
    microseconds and has one writer, so the thread pool buys no concurrency, only hand-offs and GIL
    contention between up to 40 threads)."""
    import anyio.to_thread

    async def run_sync(function: Callable[..., Any], *args: Any, **_options: Any) -> Any:
        return function(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def _short_switch_interval() -> None:
    """Hand the GIL over every 0.5 ms instead of every 5 ms (less waiting behind a busy thread)."""
    sys.setswitchinterval(0.0005)


def _gc_freeze() -> None:
    """Move everything alive after the imports into the GC's permanent generation.

    Stands for: `gc.collect(); gc.freeze()` once the app is built (e.g. at the end of create_app's
    lifespan start-up), so the collections that a request's allocations trigger stop re-scanning the
    ~100,000 long-lived objects of SQLAlchemy, pydantic and journeystack itself."""
    import gc

    import journeystack.api.app  # noqa: F401 - imported for its side effect: everything long-lived

    gc.collect()
    gc.freeze()


PATCHES: dict[str, Callable[[], None]] = {
    "gc-freeze": _gc_freeze,
    "inline-handlers": _inline_handlers,
    "switch-interval-0.5ms": _short_switch_interval,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.patched", description=__doc__.splitlines()[0])
    parser.add_argument("--patch", action="append", choices=sorted(PATCHES), default=[])
    parser.add_argument(
        "journeystack_args", nargs=argparse.REMAINDER, help="-- then journeystack's own arguments"
    )
    args = parser.parse_args(argv)
    for name in args.patch:
        PATCHES[name]()
    from journeystack.cli import main as journeystack

    forwarded = args.journeystack_args[1:] if args.journeystack_args[:1] == ["--"] else args.journeystack_args
    return journeystack(forwarded)


if __name__ == "__main__":
    raise SystemExit(main())
