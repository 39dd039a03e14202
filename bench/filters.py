"""`python -m bench.filters`: the journey list's filters (issue 13) on growing stores.

For each size, a SQLite store is seeded as the main benchmark seeds it (bench/stores.py: every
journey one Draft version, as POST stores it), then shaped the way a real business unit's journeys
are, with SQL on the file:

- every journey whose row number ends in 1 gets a Published version 1 and a Draft version 2 (its
  most recent version), as publishing and POSTing the key again leaves it;
- every journey whose row number ends in 2 is Published;
- every journey whose row number ends in 3 carries the tag "VIP".

`journeystack serve` serves it (pinned to one core, the generator to the other, as in the main
benchmark), and each filter is measured on page 1 and on a deep page (page 1000, or the listing's
last page when it has fewer), 16 connections, `--rounds` rounds with the median kept:

    status       ?status=Published                         20% of the journeys (version 1 of the first kind)
    version      ?versionNumber=2                          10%
    tag          ?tag=vip                                  10%
    running      ?mostRecentVersionOnly=false&mostRecentVersionOrRunningOnly=true   110% (heads + running)
    performance  ?$orderBy=Performance%20DESC              every journey
    plain        (no filter: the main benchmark's list)    every journey

The report (bench/reports/<UTC date>-filters.md and .json) gives req/s, latency and server CPU
per response for every cell, the deep page's share of page 1 (the index seek at work), and growth:
the largest size's req/s over the smallest's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sqlite3
import tempfile
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import orjson

from .journeys import SEED
from .loadgen import CONNECTIONS, Plan, Result, Scenario
from .processes import BENCH_ROOT, cores, generate, journeystack_command, serving
from .runner import PAGE_SIZE, median
from .stores import SqliteStore

SIZES = [10_000, 1_000_000]
DEEP = 1000
# name: (query, journeys listed per journey stored)
FILTERS: dict[str, tuple[str, float]] = {
    "status": ("status=Published", 0.2),
    "version": ("versionNumber=2", 0.1),
    "tag": ("tag=vip", 0.1),
    "running": ("mostRecentVersionOnly=false&mostRecentVersionOrRunningOnly=true", 1.1),
    "performance": ("$orderBy=Performance%20DESC", 1.0),
    "plain": ("", 1.0),
}

_SHAPE = [
    # A Draft version 2 of every journey whose row ends in 1 (same spec, so the same activity ids).
    """INSERT INTO journeys (mid, journey_id, key, version, definition_id, status, name, description,
         workflow_api_version, entry_mode, definition_type, created_ms, modified_ms, last_published_ms,
         is_head, operation_id, spec, event_definition_key, event_definition_id, paused_until_ms,
         pause_options, tags)
       SELECT mid, journey_id, key, 2, substr(journey_id, 1, 24) || printf('%012d', pk), 'Draft', name,
         description, workflow_api_version, entry_mode, definition_type, created_ms + 500, modified_ms + 500,
         NULL, 1, NULL, spec, event_definition_key, event_definition_id, NULL, NULL, tags
       FROM journeys WHERE pk % 10 = 1 AND version = 1""",
    """UPDATE journeys SET status = 'Published', last_published_ms = modified_ms, is_head = 0
       WHERE pk % 10 = 1 AND version = 1""",
    """UPDATE journeys SET status = 'Published', last_published_ms = modified_ms
       WHERE pk % 10 = 2 AND version = 1""",
    """UPDATE journeys SET tags = '["vip"]', spec = json_set(spec, '$.tags', json('[{"name": "VIP"}]'))
       WHERE pk % 10 = 3 AND version = 1""",
]


def shape(database: Path) -> None:
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN")
        for statement in _SHAPE:
            connection.execute(statement)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()


def deep_page(listed: int) -> int:
    return max(1, min(DEEP, math.ceil(listed / PAGE_SIZE)))


@dataclass(slots=True)
class Cell:
    size: int
    name: str
    query: str
    page: int
    result: Result


@dataclass(slots=True)
class Run:
    started: str
    rounds: int
    duration: float
    seed_seconds: dict[str, float] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)


def measure(sizes: list[int], rounds: int, duration: float, warmup: float, say: partial[None]) -> Run:
    run = Run(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), rounds, duration)
    server_core, generator_core = cores()
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="journeystack-bench-filters-") as scratch:
            workdir = Path(scratch)
            store = SqliteStore(workdir)
            started = time.perf_counter()
            store.seed(size, seed=SEED)
            shape(store.path)
            run.seed_seconds[str(size)] = round(time.perf_counter() - started, 1)
            say(f"[{size:,}] seeded and shaped in {run.seed_seconds[str(size)]} s")
            scenarios = [
                Scenario(f"{name}_{label}", "list", page, query)
                for name, (query, share) in FILTERS.items()
                for label, page in (("page_1", 1), ("deep", deep_page(round(size * share))))
            ]
            measured: dict[str, list[Result]] = {}
            for number in range(1, rounds + 1):
                command = partial(journeystack_command, store.url, [])
                with serving("journeystack", command, workdir, server_core) as server:
                    for scenario in scenarios:
                        plan = Plan(
                            port=server.port, journeys=size, scenarios=[scenario], server_pid=server.pid,
                            connections=CONNECTIONS, warmup=warmup, duration=duration, seed=SEED,
                        )  # fmt: skip
                        (result,) = generate(plan, generator_core)
                        measured.setdefault(scenario.name, []).append(result)
                        say(
                            f"[{size:,}] round {number} {scenario.name:<18} page {scenario.page:>5} "
                            f"{result.rps:>7,.0f} req/s  p50 {result.p50_ms:6.1f} ms  errors {result.errors}"
                        )
            for scenario in scenarios:
                name = scenario.name.rsplit("_page_1", 1)[0].rsplit("_deep", 1)[0]
                run.cells.append(
                    Cell(size, name, scenario.query, scenario.page, median(measured[scenario.name]))
                )
    return run


def markdown(run: Run) -> str:
    sizes = sorted({c.size for c in run.cells})
    lines = [
        f"# List filters: {run.started}",
        "",
        f"{run.rounds} round(s) of {run.duration:g} s per cell, the median kept; 16 connections; SQLite, one "
        "server process pinned to one core. Each cell: req/s (rounds' range); p50 / p99 ms; server CPU per response.",
        "",
        "| filter | size | page | page 1 | deep page | deep / page 1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    by = {(c.size, c.name, c.page == 1): c for c in run.cells}
    for name in FILTERS:
        for size in sizes:
            first, deep = by[(size, name, True)], by.get((size, name, False))
            if deep is None:  # one page only: page 1 is the deep page
                deep = first
            lines.append(
                f"| {name} | {size:,} | {deep.page} | {_cell(first.result)} | {_cell(deep.result)} | "
                f"{_share(deep.result.rps, first.result.rps)} |"
            )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        lines += ["", f"Growth, req/s at {large:,} / at {small:,}:", ""]
        for name in FILTERS:
            for page, label in ((True, "page 1"), (False, "deep page")):
                a, b = by.get((small, name, page)), by.get((large, name, page))
                if a is not None and b is not None:
                    lines.append(f"- {name}, {label}: {b.result.rps / a.result.rps:.0%}")
    errors = sum(c.result.errors for c in run.cells)
    lines += ["", f"Seeding and shaping: {', '.join(f'{int(s):,} in {t} s' for s, t in run.seed_seconds.items())}. "
              f"Errors: {errors}."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _share(part: float, whole: float) -> str:
    """part / whole, or why there is none: a cell with no answer in its window (every request of
    it took longer than the window) has no rate to divide by."""
    return f"{part / whole:.2f}" if whole > 0 else "no answer in the window"


def _cell(r: Result) -> str:
    spread = f"{min(r.round_rps):,.0f}-{max(r.round_rps):,.0f}" if r.round_rps else ""
    return f"{r.rps:,.0f} ({spread}); {r.p50_ms:.1f} / {r.p99_ms:.1f}; {r.server_us_per_request:,.0f} µs"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.filters", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="journeys stored, one pass each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=BENCH_ROOT / "bench" / "reports")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    run = measure(sizes, args.rounds, args.duration, args.warmup, partial(print, flush=True))
    text = markdown(run)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stamp}-filters.md").write_text(text)
    (args.out / f"{stamp}-filters.json").write_bytes(orjson.dumps(asdict(run), option=orjson.OPT_INDENT_2))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
