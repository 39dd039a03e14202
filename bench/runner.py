"""A benchmark run: for each store and size, seed, serve, load every scenario, then (SQLite) the floor
on the same file."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from .journeys import SEED
from .loadgen import CONNECTIONS, JOURNEYS_PER_CLIENT, Plan, Result, Scenario
from .processes import Server, cores, floor_command, generate, journeystack_command, serving, wait_for_quiet
from .profile import Summary, recording, summarize
from .stores import STORES, SqliteStore, Store

PAGE_SIZE = 50
DEEP_PAGE = 1000
# The scenario names the report and the targets refer to.
PUT_200, PUT_304, GET, LIST_FIRST, LIST_DEEP, TOKEN = (
    "put_200", "put_304", "get_by_key", "list_page_1", "list_page_deep", "token",
)  # fmt: skip
FLOOR_PUT, FLOOR_GET, CEILING = "floor_put_200", "floor_get_by_key", "ceiling_ping"
# Other processes using more than this share of a core during a window make its numbers suspect,
# and low when the server did not get nearly a whole core meanwhile (it is "starved").
CONTENDED = 0.15
SATURATED = 0.9


def starved(result: Result, pinned: bool = True) -> bool:
    """Whether other processes took CPU the server needed. A pinned server is starved only when it
    did not get nearly all of its core; unpinned processes share every core, so any other load counts."""
    return result.other_cpu > CONTENDED and (not pinned or result.server_cpu < SATURATED)


@dataclass(frozen=True, slots=True)
class Options:
    sizes: list[int]  # SQLite's
    duration: float = 5.0
    warmup: float = 1.0
    connections: int = CONNECTIONS
    # PostgreSQL's sizes, run after SQLite's.
    pg_sizes: list[int] = field(default_factory=list)
    # Only this store, when given.
    store: str | None = None
    seed: int = SEED
    pin: bool = True
    floor: bool = True
    quick: bool = False
    # A scenario measured while the server was starved is run again, up to `retries` more times,
    # after waiting up to `quiet_wait` seconds for the machine to calm.
    retries: int = 0
    # Each scenario is measured this many times, journeystack and the floor taking turns (a round
    # is every journeystack scenario, then every floor scenario); the report keeps the median.
    rounds: int = 1
    quiet_wait: float = 0.0
    profile_dir: Path | None = None
    # Experiments: environment for `journeystack serve` (JOURNEYSTACK_*) and bench.patched patches.
    server_env: dict[str, str] = field(default_factory=dict)
    server_patches: list[str] = field(default_factory=list)
    # Only these scenarios (by name), when given.
    scenarios: list[str] = field(default_factory=list)

    def wants(self, scenario: Scenario) -> bool:
        return not self.scenarios or scenario.name in self.scenarios

    def passes(self) -> list[tuple[str, list[int]]]:
        """(store, sizes) in the order they run."""
        return [
            (store, sizes)
            for store, sizes in (("sqlite", self.sizes), ("postgresql", self.pg_sizes))
            if sizes and self.store in (None, store)
        ]


@dataclass(slots=True)
class SizeRun:
    """Everything measured with one store size."""

    journeys: int
    store: str
    # How the report names store and server, the database's version, journeystack's processes, and
    # whether server and generator were pinned to a core each.
    label: str = ""
    database_version: str = ""
    workers: int = 1
    pinned: bool = False
    seed_seconds: float = 0.0
    database_bytes: int = 0
    results: list[Result] = field(default_factory=list)
    profiles: dict[str, Summary] = field(default_factory=dict)

    def result(self, name: str) -> Result | None:
        return next((r for r in self.results if r.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def deep_page(journeys: int) -> int:
    """Page 1000 when the store has that many pages of 50, otherwise its last page."""
    return max(1, min(DEEP_PAGE, math.ceil(journeys / PAGE_SIZE)))


def journeystack_scenarios(journeys: int) -> list[Scenario]:
    return [
        Scenario(PUT_200, "put200"),
        Scenario(PUT_304, "put304"),
        Scenario(GET, "get"),
        Scenario(LIST_FIRST, "list", 1),
        Scenario(LIST_DEEP, "list", deep_page(journeys)),
        Scenario(TOKEN, "token"),
    ]


SCENARIO_NAMES = (PUT_200, PUT_304, GET, LIST_FIRST, LIST_DEEP, TOKEN, FLOOR_PUT, FLOOR_GET, CEILING)
FLOOR_SCENARIOS = [Scenario(FLOOR_PUT, "put200"), Scenario(FLOOR_GET, "get"), Scenario(CEILING, "ping")]


def run(options: Options, say: Callable[[str], None]) -> list[SizeRun]:
    """Run every store and size in turn; `say` hears about progress."""
    smallest = options.connections * JOURNEYS_PER_CLIENT
    passes = options.passes()
    if not passes:
        raise ValueError("nothing to run: no sizes for the chosen store")
    if min(size for _store, sizes in passes for size in sizes) < smallest:
        raise ValueError(f"each size must hold at least {smallest} journeys (the clients' own ones)")
    runs = []
    for name, sizes in passes:
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="journeystack-bench-") as scratch:
                store = STORES[name](Path(scratch))
                # closing: a store's database server stops also on errors and Ctrl-C (SIGTERM too:
                # it raises SystemExit, see __main__).
                with contextlib.closing(store):
                    runs.append(_size_run(options, store, size, Path(scratch), say))
    return runs


def _startup_logged(options: Options) -> bool:
    """Whether journeystack logs its workers' start-up (uvicorn logs it at level info)."""
    level = options.server_env.get("JOURNEYSTACK_LOG_LEVEL", "info").lower()
    return level in ("trace", "debug", "info")


def _size_run(
    options: Options, store: Store, size: int, workdir: Path, say: Callable[[str], None]
) -> SizeRun:
    pinned = options.pin and store.pinnable and cores() != (None, None)
    server_core, generator_core = cores() if pinned else (None, None)
    tag = f"[{size:,} journeys{'' if isinstance(store, SqliteStore) else ', ' + store.name}]"
    say(f"{tag} seeding a fresh {store.name} store ...")
    seeded = store.seed(size, seed=options.seed)
    say(f"{tag} seeded in {seeded.seconds:.1f} s ({seeded.database_bytes / 1e6:,.0f} MB)")
    # The seed leaves gigabytes of dirty pages in the OS cache: write them out now, or the kernel
    # throttles the server's own writes (and stalls its requests for a second or more) while it
    # catches up during the first scenarios. What is measured is the steady state.
    flushing = time.monotonic()
    os.sync()
    say(f"{tag} written out to disk in {time.monotonic() - flushing:.1f} s")
    current = SizeRun(
        size,
        store.name,
        label=store.label,
        database_version=store.version,
        workers=store.workers,
        pinned=pinned,
        seed_seconds=round(seeded.seconds, 2),
        database_bytes=seeded.database_bytes,
    )

    def settle() -> None:
        if options.quiet_wait > 0:
            waited = wait_for_quiet(options.quiet_wait, CONTENDED)
            if waited >= 2:
                say(f"{tag} waited {waited:.0f} s for other processes' load to settle")

    def measure(server: Server, scenario: Scenario, auth: bool) -> Result:
        plan = Plan(
            port=server.port,
            journeys=size,
            scenarios=[scenario],
            server_pid=server.pid,
            database_pid=store.database_pid if server.name == "journeystack" else 0,
            workers=store.workers if server.name == "journeystack" else 1,
            connections=options.connections,
            warmup=options.warmup,
            duration=options.duration,
            seed=options.seed,
            auth=auth,
        )
        best: Result | None = None
        for attempt in range(1, options.retries + 2):
            if attempt > 1:
                settle()
            if options.profile_dir is not None and server.name == "journeystack" and store.workers == 1:
                folded = options.profile_dir / f"{size}-{scenario.name}.folded"
                with recording(server.pid, folded) as profiler:
                    (result,) = generate(replace(plan, helper_pids=[profiler]), generator_core)
                current.profiles[scenario.name] = summarize(folded)
            else:
                (result,) = generate(plan, generator_core)
            result.attempts = attempt
            say(f"{tag} {_line(result)}")
            # Interference only ever slows a run down: of equally clean attempts, keep the fastest.
            if best is None or (starved(result, pinned), -result.rps) < (starved(best, pinned), -best.rps):
                best = result
            if not starved(result, pinned) or result.errors:
                break
        assert best is not None
        return best

    measured: dict[str, list[Result]] = {}
    command = partial(journeystack_command, store.url, options.server_patches, workers=store.workers)
    workers = store.workers if _startup_logged(options) else 1
    with_floor = options.floor and isinstance(store, SqliteStore) and any(map(options.wants, FLOOR_SCENARIOS))
    for number in range(1, options.rounds + 1):
        if options.rounds > 1:
            say(f"{tag} round {number} of {options.rounds}")
        settle()
        with serving("journeystack", command, workdir, server_core, options.server_env, workers) as server:
            for scenario in filter(options.wants, journeystack_scenarios(size)):
                measured.setdefault(scenario.name, []).append(measure(server, scenario, True))
        if with_floor:
            settle()
            with serving("floor", partial(floor_command, store.path), workdir, server_core) as server:
                for scenario in filter(options.wants, FLOOR_SCENARIOS):
                    measured.setdefault(scenario.name, []).append(measure(server, scenario, False))
    current.results = [median(results) for results in measured.values()]
    return current


def median(results: list[Result]) -> Result:
    """The round with the median throughput (the lower middle one of an even number), carrying
    every round's req/s so the report can show the spread."""
    ordered = sorted(results, key=lambda r: r.rps)
    chosen = replace(ordered[(len(ordered) - 1) // 2])
    chosen.round_rps = [r.rps for r in results]
    return chosen


def _line(r: Result) -> str:
    flags = f"  ERRORS {r.errors}: {r.error_sample}" if r.errors else ""
    database = f"  database {r.database_cpu:4.0%}" if r.database_cpu else ""
    return (
        f"{r.name:<18} {r.rps:>9,.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  "
        f"server {r.server_cpu:4.0%}{database}  generator {r.generator_cpu:4.0%}  other {r.other_cpu:4.0%}{flags}"
    )
