"""`journeystack serve` with experimental patches, to measure what a change in src/ would gain.

    python -m bench --sizes 10000 --server-patch inline-handlers
    python -m bench.patched --patch inline-handlers -- serve --port 8000 --database-url sqlite:///...

A patch here is a measurement, not a fix: the change it stands for belongs in src/ (see
docs/benchmarks.md for each one's measured effect).
"""

from __future__ import annotations

import argparse
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
    "inline-handlers": _inline_handlers,
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
