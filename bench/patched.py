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


def _engine_gathers_events() -> None:
    """After a batch of fired events smaller than a full batch, the engine thread waits 10 ms before
    its next batch, so the events fired meanwhile are admitted together.

    Stands for: let fired events gather for a few milliseconds (or until a batch is full) before the
    engine thread takes them up (EngineWorker._loop). A batch costs 1.5-2 ms whatever its size
    (seven statements on SQLAlchemy's full path, the versions, the stats upsert, a commit), and an
    engine woken by every fired event runs a batch for every one to three of them (bench/runtime.py)."""
    import threading
    import time

    from journeystack.services.engine import Engine

    original = Engine.run_batch
    small: set[int] = set()

    def run_batch(self: Engine, until_ms: int | None = None) -> Any:
        if id(self) in small and threading.current_thread().name == "journeystack-engine":
            time.sleep(0.01)
        done = original(self, until_ms)
        if done is not None and 0 < done.events < self.settings.batch_size:
            small.add(id(self))
        else:
            small.discard(id(self))
        return done

    Engine.run_batch = run_batch  # type: ignore[method-assign]


def _event_definition_cache() -> None:
    """Remember each event definition by (mid, key) for the life of the process, instead of reading
    it (on SQLAlchemy's full path) for every fired event.

    Stands for: the lookup of `POST /events` on a prepared statement (storage/sql/prepared.py), or a
    per-process cache checked against a generation number as the journey list's is: what the lookup
    costs. (Unlike a real change this one never sees an event definition change.)"""
    from journeystack.services import runtime

    original = runtime._event
    cache: dict[tuple[int, str], Any] = {}

    def _event(uow: Any, mid: int, event_key: Any, member: str) -> Any:
        if not isinstance(event_key, str):
            return original(uow, mid, event_key, member)
        found = cache.get((mid, event_key))
        if found is None:
            found = cache[(mid, event_key)] = original(uow, mid, event_key, member)
        return found

    runtime._event = _event


def _engine_batch_without_gc() -> None:
    """Switch the cyclic garbage collector off while an engine batch runs (on again after it).

    Stands for: `gc.disable()` / `gc.enable()` around Engine.run_batch (or a higher gen-0 threshold
    in the engine thread): a 500-step batch allocates a few hundred thousand objects (rows,
    instances, history rows, parameter dicts), none in cycles, and each 700 allocations trigger a
    collection (py-spy: 4-7% of an advance in gc_collect_main)."""
    import gc

    from journeystack.services.engine import Engine

    original = Engine.run_batch

    def run_batch(self: Engine, until_ms: int | None = None) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return original(self, until_ms)
        finally:
            if enabled:
                gc.enable()

    Engine.run_batch = run_batch  # type: ignore[method-assign]


def _update_changed_columns() -> None:
    """The engine's instance UPDATE sets only the columns a step changed (one `executemany` per set of
    changed columns), instead of all 13 mutable ones.

    Stands for: SqlRuntimeRepository.update_instances writing what changed (e.g. keep the values an
    instance was loaded with, or a dirty set). Setting an indexed column to its own value still makes
    SQLite rewrite that index's entry: `status` moves the instance's entry in
    ix_journey_instances_definition (ordered by a random id, so a different leaf page for every row),
    `wait_event_key` the wait-event index, and every such page is one more 4 KB page in the WAL at
    commit and in the checkpoint after it (bench/README.md, docs/benchmarks.md: Runtime)."""
    import orjson

    from journeystack.storage.sql import runtime_repository as repository
    from journeystack.storage.sql.engine import driver

    mutable: list[str] = list(repository._MUTABLE)
    spots = [repository._INSTANCE_COLUMNS.index(name) for name in mutable]
    loaded: dict[str, tuple[Any, ...]] = {}
    to_instance = repository._to_instance

    def _to_instance(row: Any) -> Any:
        instance = to_instance(row)
        loaded[instance.id] = tuple(row[spot] for spot in spots)
        return instance

    def update_instances(self: Any, instances: list[Any]) -> None:
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for instance in instances:
            values = [getattr(instance, name) for name in mutable]
            values[mutable.index("data")] = orjson.dumps(instance.data).decode("utf-8")
            before = loaded.pop(instance.id, None)
            changed = [
                (name, value)
                for spot, (name, value) in enumerate(zip(mutable, values, strict=True))
                if before is None or before[spot] != value
            ]
            if changed:
                names = tuple(name for name, _ in changed)
                groups.setdefault(names, []).append((*(value for _, value in changed), instance.id))
        connection = driver(self._c)
        for names, rows in groups.items():
            assignments = ", ".join(f"{name} = ?" for name in names)
            connection.executemany(f"UPDATE journey_instances SET {assignments} WHERE id = ?", rows)

    repository._to_instance = _to_instance
    repository.SqlRuntimeRepository.update_instances = update_instances  # type: ignore[method-assign]


def _sqlite_pragma(pragma: str, stands_for: str) -> Callable[[], None]:
    def patch() -> None:
        from sqlalchemy import event

        from journeystack.storage.sql import store

        original = getattr(store, "build_engine")  # noqa: B009 - imported there, not exported

        def build_engine(url: str, **options: Any) -> Any:
            engine = original(url, **options)
            if engine.dialect.name == "sqlite":

                @event.listens_for(engine, "connect")
                def _pragma(dbapi_connection: Any, _record: Any) -> None:
                    dbapi_connection.execute(pragma)

            return engine

        setattr(store, "build_engine", build_engine)  # noqa: B010

    patch.__doc__ = f"`{pragma}` on every SQLite connection (the kept reader still sets its own cache size).\n\n{stands_for}"
    return patch


PATCHES: dict[str, Callable[[], None]] = {
    "engine-batch-without-gc": _engine_batch_without_gc,
    "engine-gathers-events": _engine_gathers_events,
    "event-definition-cache": _event_definition_cache,
    "gc-freeze": _gc_freeze,
    "inline-handlers": _inline_handlers,
    "switch-interval-0.5ms": _short_switch_interval,
    "update-changed-columns": _update_changed_columns,
    "sqlite-cache-256mb": _sqlite_pragma(
        "PRAGMA cache_size=-262144",
        "Stands for: a larger page cache on the write connections (the engine's among them): SQLite's default "
        "2 MB holds little of a 1M-instance store's indexes, so each step's random index pages (the instance id, "
        "history and outbox by contact) are read again from the OS with pread.",
    ),
    "sqlite-mmap-2gb": _sqlite_pragma(
        "PRAGMA mmap_size=2147483648",
        "Stands for: memory-mapped reads (this SQLite build caps a mapping at 2 GB): page reads become memory "
        "accesses instead of pread calls and copies.",
    ),
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
