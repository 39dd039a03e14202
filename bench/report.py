"""The report of a run: machine facts, the results, the ratios and the issue's targets, as Markdown and JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from . import profile
from .loadgen import Result
from .processes import BENCH_ROOT
from .runner import (
    CEILING,
    CONTENDED,
    FLOOR_GET,
    FLOOR_PUT,
    GET,
    LIST_DEEP,
    LIST_FIRST,
    PUT_200,
    PUT_304,
    SATURATED,
    TOKEN,
    Options,
    SizeRun,
    starved,
)
from .runtime import (
    ADVANCE,
    EVENTS,
    FLOOR_ADVANCE,
    FLOOR_EVENTS,
    RUNTIME_CEILING,
    Advance,
    RuntimeOptions,
    RuntimeRun,
)

LABELS = {
    PUT_200: "PUT (200, update)",
    PUT_304: "PUT (304, no change)",
    GET: "GET by key",
    LIST_FIRST: "list, page 1",
    LIST_DEEP: "list, deep page",
    TOKEN: "POST /v2/token",
    FLOOR_PUT: "floor: PUT (200)",
    FLOOR_GET: "floor: GET by key",
    CEILING: "floor: GET /ping (generator ceiling)",
}
GROWTH_SCENARIOS = (PUT_200, PUT_304, GET, LIST_FIRST, TOKEN)
# How a column header names a store's database.
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    measured: str
    holds: bool | None  # None: not measured in this run


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in (
        "journeystack",
        "uvicorn",
        "starlette",
        "sqlalchemy",
        "pydantic",
        "orjson",
        "uvloop",
        "httptools",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "load_average_at_start": list(os.getloadavg()),
        "git": _git(),
        "journeystack_source": _source(),
    }


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(BENCH_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(BENCH_ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (src/ has uncommitted changes)" if dirty else head


def _source() -> dict[str, str]:
    """Where the journeystack under test was imported from, and a fingerprint of its source files."""
    import journeystack

    root = Path(journeystack.__file__).resolve().parent
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*")):
        if file.is_file() and file.suffix in (".py", ".ini", ".mako"):
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    return {"path": str(root), "fingerprint": digest.hexdigest()[:12]}


def _ratio(a: Result | None, b: Result | None) -> float | None:
    if a is None or b is None or not b.rps:
        return None
    return a.rps / b.rps


def targets(runs: list[SizeRun]) -> list[Target]:
    """The issue's targets, each checked at every size it applies to."""
    found: list[Target] = []

    def per_size(name: str, pairs: list[tuple[int, float | None]], holds: Any, fmt: str) -> None:
        measured = [(size, value) for size, value in pairs if value is not None]
        text = ", ".join(f"{fmt.format(value)} at {size:,}" for size, value in measured) or "not measured"
        found.append(Target(name, text, all(holds(v) for _, v in measured) if measured else None))

    per_size(
        "PUT (200) throughput >= 0.6x the floor's",
        [(r.journeys, _ratio(r.result(PUT_200), r.result(FLOOR_PUT))) for r in runs],
        lambda v: v >= 0.6,
        "{:.2f}x",
    )
    for name in (PUT_200, PUT_304):
        per_size(
            f"{LABELS[name]} p99 <= 10 ms at 16 connections",
            [(r.journeys, (x.p99_ms if (x := r.result(name)) else None)) for r in runs],
            lambda v: v <= 10.0,
            "{:.1f} ms",
        )
    per_size(
        "GET by key >= 10,000 req/s (one server process)",
        [(r.journeys, (x.rps if (x := r.result(GET)) else None)) for r in runs],
        lambda v: v >= 10_000,
        "{:,.0f} req/s",
    )
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        for name in GROWTH_SCENARIOS:
            ratio = _ratio(large.result(name), small.result(name))
            found.append(
                Target(
                    f"{LABELS[name]}: {large.journeys:,} journeys >= 85% of {small.journeys:,}",
                    f"{ratio:.0%}" if ratio is not None else "not measured",
                    ratio >= 0.85 if ratio is not None else None,
                )
            )
    per_size(
        "list page 1000 within 20% of page 1 (req/s)",
        [
            (r.journeys, _ratio(r.result(LIST_DEEP), r.result(LIST_FIRST)))
            for r in runs
            if (deep := r.result(LIST_DEEP)) is not None and deep.page == 1000
        ],
        lambda v: v >= 0.8,
        "{:.0%}",
    )
    return found


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _size(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{unit}"
    return str(n)


def _label(r: Result) -> str:
    return f"list, page {r.page}" if r.name == LIST_DEEP else LABELS.get(r.name, r.name)


def _by_store(runs: list[SizeRun]) -> list[list[SizeRun]]:
    """The runs of each store, stores in the order they ran."""
    groups: dict[str, list[SizeRun]] = {}
    for run in runs:
        groups.setdefault(run.store, []).append(run)
    return list(groups.values())


def _title(run: SizeRun) -> str:
    return run.label or run.store


def _database(run: SizeRun) -> str:
    """The database's name in a column header: "PostgreSQL"."""
    return DATABASES.get(run.store, run.store)


def _pinning(run: SizeRun) -> str:
    if run.pinned:
        return "server and generator pinned to one core each"
    if run.workers > 1:
        return (
            f"nothing pinned (journeystack's {run.workers} worker processes, {_database(run)} and the "
            "generator share every core)"
        )
    return "not pinned"


def markdown(
    options: Options,
    runs: list[SizeRun],
    facts: dict[str, Any],
    when: str,
    command: str,
    runtime_options: RuntimeOptions | None = None,
    runtime_runs: list[RuntimeRun] | None = None,
) -> str:
    runtime_runs = runtime_runs or []
    groups = _by_store(runs)
    versions = sorted({f"{_database(r)} {r.database_version}" for r in runs if r.store != "sqlite"})
    lines = [
        f"# journeystack benchmark, {when}",
        "",
        f"- command: `{command}`",
        f"- machine: {facts['nproc']} CPUs, {facts['cpu_model']}; {facts['platform']}",
        f"- Python {facts['python']}, SQLite {facts['sqlite']}"
        + "".join(f", {v}" for v in versions)
        + "; "
        + ", ".join(f"{k} {v}" for k, v in facts["packages"].items()),
        f"- journeystack: repository at {facts['git']}; code under test {facts['journeystack_source']['path']} "
        f"(source fingerprint {facts['journeystack_source']['fingerprint']}); load average at start "
        + " / ".join(f"{v:.2f}" for v in facts["load_average_at_start"]),
        *(
            ["- stores: " + "; ".join(f"**{_title(group[0])}**, {_pinning(group[0])}" for group in groups)]
            if groups
            else []
        ),
        *(
            [f"- experiment: server environment {options.server_env}, patches {options.server_patches}"]
            if options.server_env or options.server_patches
            else []
        ),
        f"- {options.connections} connections, {options.warmup:g} s warm-up + {options.duration:g} s measured per "
        "scenario"
        + (
            f"; {options.rounds} rounds, journeystack and the floor taking turns, the median round reported"
            if options.rounds > 1
            else ""
        ),
    ]
    for group in groups:
        lines += ["", f"## Throughput and latency: {_title(group[0])}", ""]
        if group[0].workers > 1:
            lines += [_processes_note(group[0]), ""]
        lines += _throughput(group)
        lines += _ratios(group, runs)
    sqlite = [run for run in runs if run.store == "sqlite"]
    if sqlite:
        lines += [
            "",
            f"## Targets (issue 6; {_title(sqlite[0])})",
            "",
            "| target | measured | holds |",
            "| --- | --- | --- |",
        ]
        for t in targets(sqlite):
            verdict = {True: "yes", False: "**no**", None: "not measured"}[t.holds]
            lines.append(f"| {t.name} | {t.measured} | {verdict} |")
    lines += _health(runs)
    for run in runs:
        lines += _details(run)
    if runtime_runs and runtime_options is not None:
        lines += _runtime(runtime_options, runtime_runs)
    if any(run.profiles for run in runs):
        lines += ["", "## Where journeystack's time goes (py-spy, --gil)", ""]
        if options.profile_dir is not None:
            lines += [f"Folded stacks: `{options.profile_dir}`.", ""]
        for run in runs:
            for name, summary in run.profiles.items():
                lines += profile.markdown(f"{LABELS.get(name, name)}, {run.journeys:,} journeys", summary)
    if any(run.profiles for run in runtime_runs):
        lines += ["", "## Where the runtime's time goes (py-spy --native, every working thread)", ""]
        if options.profile_dir is not None:
            lines += [f"Folded stacks: `{options.profile_dir}`.", ""]
        for rt in runtime_runs:
            for name, summary in rt.profiles.items():
                lines += profile.markdown(
                    f"{RUNTIME_LABELS.get(name, name)}, {rt.live:,} instances stored", summary,
                    "samples of working threads (waits left out)",
                )  # fmt: skip
    return "\n".join(lines) + "\n"


def _processes_note(run: SizeRun) -> str:
    measured = any(x.database_cpu for x in run.results)
    database = _database(run)
    return (
        f"`journeystack serve --workers {run.workers}`, default settings, on a scratch {database} database; "
        f"{_pinning(run)}. Server CPU is journeystack's whole process tree (the supervisor and its "
        f"{run.workers} workers), in cores' worth, so it can pass 100%; "
        + (
            f"{database} CPU is the database server's processes (postmaster, backends, background "
            "writers), measured apart; other CPU is everything else."
            if measured
            else f"{database}'s own CPU could not be measured apart (its server is not visible in this "
            "machine's /proc): it counts as other CPU."
        )
    )


def _throughput(group: list[SizeRun]) -> list[str]:
    lines = [
        "| scenario | " + " | ".join(f"{_size(r.journeys)} journeys" for r in group) + " |",
        "| --- | " + " | ".join("---:" for _ in group) + " |",
    ]
    for name in [r.name for r in group[0].results]:
        cells = []
        for run in group:
            x = run.result(name)
            cells.append(f"{x.rps:,.0f} req/s, p50 {_ms(x.p50_ms)} / p99 {_ms(x.p99_ms)} ms" if x else "-")
        first = group[0].result(name)
        label = LABELS[name] if name != LIST_DEEP else "list, page 1000 (or last)"
        if name == LIST_DEEP and first is not None:
            label += " (pages " + ", ".join(str(x.page) for r in group if (x := r.result(name))) + ")"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _ratios(group: list[SizeRun], runs: list[SizeRun]) -> list[str]:
    """Floor and deep-page ratios, req/s against SQLite's at the same size (other stores), and
    growth with the store's size."""
    rows: list[tuple[str, list[float | None]]] = [
        (text, [_ratio(r.result(a), r.result(b)) for r in group])
        for text, a, b in (
            ("journeystack PUT (200) / floor PUT (200)", PUT_200, FLOOR_PUT),
            ("journeystack GET by key / floor GET by key", GET, FLOOR_GET),
            ("list deep page / list page 1", LIST_DEEP, LIST_FIRST),
        )
    ]
    if group[0].store != "sqlite":
        sqlite = {r.journeys: r for r in runs if r.store == "sqlite"}
        for name in GROWTH_SCENARIOS:
            values = [
                _ratio(r.result(name), base.result(name)) if (base := sqlite.get(r.journeys)) else None
                for r in group
            ]
            rows.append((f"{LABELS[name]}: {_database(group[0])} / SQLite, same size", values))
    rows = [(text, values) for text, values in rows if any(v is not None for v in values)]
    lines = []
    if rows:
        lines += ["", f"## Ratios: {_title(group[0])}", ""]
        lines.append("| ratio | " + " | ".join(_size(r.journeys) for r in group) + " |")
        lines.append("| --- | " + " | ".join("---:" for _ in group) + " |")
        for text, values in rows:
            lines.append(
                f"| {text} | " + " | ".join(f"{v:.2f}" if v is not None else "-" for v in values) + " |"
            )
    if len(group) >= 2:
        lines.append("")
        lines.append(f"Growth, req/s with {group[-1].journeys:,} journeys / with {group[0].journeys:,}: " + ", ".join(
            f"{LABELS[n]} {v:.0%}" for n in GROWTH_SCENARIOS if (v := _ratio(group[-1].result(n), group[0].result(n)))
        ) + ".")  # fmt: skip
    return lines


def _details(run: SizeRun) -> list[str]:
    """Every measurement of one size."""
    several = run.workers > 1
    database = _database(run)
    extra_head = f" server processes | {database} CPU | {database} µs/req |" if several else ""
    lines = [
        "",
        f"## {run.journeys:,} journeys ({_title(run)}; seeded in {run.seed_seconds:.1f} s, "
        f"{run.database_bytes / 1e6:,.0f} MB)",
        "",
        "| scenario | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU | server µs/req |"
        + extra_head
        + " generator CPU | other CPU | generator µs/req | bytes/resp | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        + (" --- | ---: | ---: |" if several else "")
        + " ---: | ---: | ---: | ---: | --- |",
    ]
    for x in run.results:
        statuses = ", ".join(f"{k}: {v:,}" for k, v in x.statuses.items())
        retried = f" (attempt {x.attempts})" if x.attempts > 1 else ""
        if len(x.round_rps) > 1:
            retried += f" (median of rounds: {' / '.join(f'{r:,.0f}' for r in x.round_rps)} req/s)"
        extra = ""
        if several:
            split = " + ".join(f"{share:.0%}" for share in x.server_processes if share >= 0.005) or "-"
            if x.server_connections:
                split += f" ({' + '.join(map(str, x.server_connections))} connections)"
            extra = f" {split} | {x.database_cpu:.0%} | {x.database_us_per_request:,.0f} |"
        lines.append(
            f"| {_label(x)} | {x.rps:,.0f} | {_ms(x.p50_ms)} | {_ms(x.p90_ms)} | {_ms(x.p99_ms)} | "
            f"{_ms(x.max_ms)} | {x.server_cpu:.0%} | {x.server_us_per_request:,.0f} |{extra} {x.generator_cpu:.0%} | "
            f"{x.other_cpu:.0%} | "
            f"{x.generator_us_per_request:.0f} | {x.response_bytes:,} | {statuses}{retried} |"
        )
    return lines


def _health(runs: list[SizeRun]) -> list[str]:
    """Is the run trustworthy: no errors, the generator not the bottleneck, nothing else running."""
    results = [x for run in runs for x in run.results]
    if not results:
        return []
    errors = [
        f"{x.name} at {run.journeys:,}: {x.errors} ({x.error_sample})"
        for run in runs
        for x in run.results
        if x.errors
    ]
    busiest = max(results, key=lambda x: x.generator_cpu)
    ceilings = [x for x in results if x.name == CEILING]
    contended = [
        f"{x.name} at {run.journeys:,}{'' if run.store == 'sqlite' else ' on ' + _database(run)} "
        f"(other {x.other_cpu:.0%}, server {x.server_cpu:.0%}"
        + (", starved)" if starved(x, run.pinned) else ")")
        for run in runs
        for x in run.results
        if x.other_cpu > CONTENDED
    ]
    lines = ["", "## Is the run sound?", ""]
    lines.append(
        f"- Errors: {'; '.join(errors) if errors else 'none: every measured PUT (200) was a 200, every PUT (304) a 304.'}"
    )
    single = [x for run in runs if run.workers == 1 for x in run.results if x.name != CEILING]
    lines.append(
        f"- Load generator: at most {busiest.generator_cpu:.0%} of its core ({busiest.name}), "
        f"{min(x.generator_us_per_request for x in results):.0f}-{max(x.generator_us_per_request for x in results):.0f} "
        "µs of its CPU per request"
        + (
            f"; the server process used {min(x.server_cpu for x in single):.0%}-{max(x.server_cpu for x in single):.0%} of its core."
            if single
            else "."
        )
    )  # fmt: skip
    for group in _by_store(runs):
        if group[0].workers == 1:
            continue
        several = [x for run in group for x in run.results]
        busiest_worker = [x.server_processes[0] for x in several if x.server_processes]
        database = [x.database_cpu for x in several]
        lines.append(
            f"- {_title(group[0])}: journeystack's processes used {min(x.server_cpu for x in several):.0%}-"
            f"{max(x.server_cpu for x in several):.0%} of a core in all (its busiest process "
            f"{min(busiest_worker, default=0):.0%}-{max(busiest_worker, default=0):.0%}), "
            f"{_database(group[0])}'s {min(database):.0%}-{max(database):.0%}, of the machine's "
            f"{os.cpu_count()} cores."
        )
    if ceilings:
        best = max(ceilings, key=lambda x: x.rps)
        lines.append(
            f"- Ceiling: against the floor's constant GET /ping the generator drove {best.rps:,.0f} req/s "
            f"using {best.generator_cpu:.0%} of its core ({best.generator_us_per_request:.0f} µs per request)."
        )
    lines.append(
        "- Other load on the machine: "
        + (
            f"windows where other processes used more than {CONTENDED:.0%} of a core: {', '.join(contended)}. "
            f"Where a pinned server still had at least {SATURATED:.0%} of its core its throughput stands; a "
            "starved window's numbers are low (unpinned, any such window is starved: every core is "
            "shared), and other load on the generator's core can stretch the latency tail of any window."
            if contended
            else f"below {CONTENDED:.0%} of a core in every window."
        )
    )  # fmt: skip
    return lines


# --- the runtime benchmarks (issue 11) -------------------------------------------------------------

RUNTIME_LABELS = {
    EVENTS: "POST /interaction/v1/events",
    FLOOR_EVENTS: "floor: POST /interaction/v1/events",
    RUNTIME_CEILING: "floor: GET /ping (generator ceiling)",
    ADVANCE: "clock advance (engine)",
    FLOOR_ADVANCE: "floor: the same steps on raw sqlite3",
}
EVENTS_TARGET = 2_500
STEPS_TARGET = 10_000
GROWTH_TARGET = 0.85


def runtime_targets(runs: list[RuntimeRun]) -> list[Target]:
    """Issue 11's targets: /events req/s, engine steps per CPU-second over 100k waiting contacts,
    and the same with the most instances stored within 15%."""
    found = []
    events = [(r.live, x) for r in runs if (x := r.result(EVENTS)) is not None]
    found.append(
        Target(
            f"POST /interaction/v1/events >= {EVENTS_TARGET:,} req/s (one server process)",
            ", ".join(
                f"{x.rps:,.0f} req/s measured, {per_core(x):,.0f} on a whole core, with {n:,} instances stored"
                for n, x in events
            )
            or "not measured",
            # On a shared machine the measured rate is what the scheduler left the server; the
            # verdict takes the better of it and the rate its CPU per request gives on a whole core.
            all(max(x.rps, per_core(x)) >= EVENTS_TARGET for _, x in events) if events else None,
        )
    )
    advanced = [(r, a) for r in runs if (a := r.advance()) is not None]
    if advanced:
        small, first = advanced[0]
        found.append(
            Target(
                f"engine >= {STEPS_TARGET:,} contact-steps/s per core, advancing over {small.due:,} waiting contacts",
                f"{first.steps_per_cpu_second:,.0f} steps per CPU-second ({first.steps_per_second:,.0f}/s of wall "
                f"time) with {small.live:,} instances stored",
                first.steps_per_cpu_second >= STEPS_TARGET,
            )
        )
    else:
        found.append(Target(f"engine >= {STEPS_TARGET:,} contact-steps/s per core", "not measured", None))
    if len(advanced) >= 2:
        (small, first), (large, last) = advanced[0], advanced[-1]
        ratio = last.steps_per_cpu_second / first.steps_per_cpu_second
        found.append(
            Target(
                f"the same with {large.live:,} instances stored: within 15% of {small.live:,}",
                f"{last.steps_per_cpu_second:,.0f} steps per CPU-second, {ratio:.0%} of {small.live:,}'s",
                ratio >= GROWTH_TARGET,
            )
        )
    else:
        found.append(Target("the same with 1M instances stored: within 15%", "not measured", None))
    return found


def per_core(x: Result) -> float:
    """The req/s the server's CPU time per response gives on one whole core (1e6 / µs per request)."""
    return 1e6 / x.server_us_per_request if x.server_us_per_request else 0.0


def _rounds(values: list[float], unit: str = "") -> str:
    return " / ".join(f"{v:,.0f}" for v in values) + unit


def _advance_cell(a: Advance | None, every: list[Advance]) -> str:
    if a is None:
        return "-"
    spread = f" (rounds {_rounds([x.steps_per_cpu_second for x in every])})" if len(every) > 1 else ""
    return f"**{a.steps_per_cpu_second:,.0f}**{spread}"


def _runtime(options: RuntimeOptions, runs: list[RuntimeRun]) -> list[str]:
    sizes = " | ".join(f"{_size(r.live)} instances stored" for r in runs)
    bar = " | ".join("---:" for _ in runs)
    lines = [
        "",
        "## Runtime (issue 11): SQLite, 1 server process",
        "",
        f"Each size: a published journey `bench-due` (wait 1 day, email, wait 1 day) with {options.due:,} contacts "
        "in its first wait, due within the same hour, and `bench-later` (wait 30 days, email) with the rest of the "
        "instances stored; `POST /_journeystack/clock/advance {\"by\": \"1d\"}` takes every `bench-due` contact "
        "up, sends its email and leaves it in its second wait: one contact-step each. Steps per CPU-second is the "
        "steps over the server process's CPU time during the call (its rate on one whole core); wall-clock "
        "steps/s also counts what the scheduler gave other processes. "
        + (f"{options.rounds} rounds, a fresh copy of the seeded store each; the median round is shown." if options.rounds > 1 else ""),
        "",
        f"| engine | {sizes} |",
        f"| --- | {bar} |",
        "| contact-steps in the advance | " + " | ".join(f"{a.steps:,}" if (a := r.advance()) else "-" for r in runs) + " |",
        "| **steps per CPU-second** (journeystack) | " + " | ".join(_advance_cell(r.advance(), r.advances) for r in runs) + " |",
        "| wall time, steps/s | " + " | ".join(f"{a.seconds:.2f} s, {a.steps_per_second:,.0f}/s" if (a := r.advance()) else "-" for r in runs) + " |",
        "| server CPU time (share of wall time) | " + " | ".join(f"{a.cpu_seconds:.2f} s ({a.cpu_seconds / a.seconds:.0%})" if (a := r.advance()) else "-" for r in runs) + " |",
        "| CPU per step | " + " | ".join(f"{a.cpu_seconds / a.steps * 1e6:,.0f} µs" if (a := r.advance()) and a.steps else "-" for r in runs) + " |",
        "| other processes' CPU during the advance | " + " | ".join(f"{a.other_cpu:.0%} of a core" if (a := r.advance()) else "-" for r in runs) + " |",
        "| floor: steps per CPU-second (raw sqlite3, same rows) | " + " | ".join(_advance_cell(r.floor_advance(), r.floor_advances) for r in runs) + " |",
        "| journeystack / floor (per CPU-second) | " + " | ".join(
            f"{a.steps_per_cpu_second / f.steps_per_cpu_second:.2f}" if (a := r.advance()) and (f := r.floor_advance()) and f.steps_per_cpu_second else "-"
            for r in runs) + " |",
        "",
        f"| events | {sizes} |",
        f"| --- | {bar} |",
    ]  # fmt: skip
    names = [n for n in (EVENTS, FLOOR_EVENTS, RUNTIME_CEILING) if any(r.result(n) for r in runs)]
    for name in names:
        cells = []
        for r in runs:
            x = r.result(name)
            if x is None:
                cells.append("-")
                continue
            spread = f" ({_rounds(x.round_rps)})" if len(x.round_rps) > 1 else ""
            cells.append(f"{x.rps:,.0f} req/s{spread}; p50 {_ms(x.p50_ms)} / p99 {_ms(x.p99_ms)} ms; "
                         f"server {x.server_cpu:.0%} of its core, {x.server_us_per_request:,.0f} µs CPU/req "
                         f"(**{per_core(x):,.0f} req/s on a whole core**)")  # fmt: skip
        lines.append(f"| {RUNTIME_LABELS[name]} | " + " | ".join(cells) + " |")
    if any(r.result(EVENTS) and r.result(FLOOR_EVENTS) for r in runs):
        lines.append("| journeystack / floor, req/s measured | " + " | ".join(
            f"{_ratio(r.result(EVENTS), r.result(FLOOR_EVENTS)):.2f}" if r.result(EVENTS) and r.result(FLOOR_EVENTS) else "-"
            for r in runs) + " |")  # fmt: skip
        lines.append("| journeystack / floor, req/s on a whole core (floor's CPU per request / journeystack's) | " + " | ".join(
            f"{per_core(x) / per_core(fe):.2f}" if (x := r.result(EVENTS)) and (fe := r.result(FLOOR_EVENTS)) and per_core(fe) else "-"
            for r in runs) + " |")  # fmt: skip
    if any(r.backlog for r in runs):
        lines.append("| fired events not yet admitted when the window closed | " + " | ".join(
            " / ".join(f"{b:,}" for b in r.backlog) if r.backlog else "-" for r in runs) + " |")  # fmt: skip
    lines += [
        "",
        "`POST /events` runs with the engine thread of the same process admitting each fired contact into "
        "`bench-later` meanwhile (its CPU is in the server's), as a real server does.",
        "",
        "### Targets (issue 11)",
        "",
        "| target | measured | holds |",
        "| --- | --- | --- |",
    ]
    for t in runtime_targets(runs):
        verdict = {True: "yes", False: "**no**", None: "not measured"}[t.holds]
        lines.append(f"| {t.name} | {t.measured} | {verdict} |")
    lines += ["", "### Every round", "", "| size | measurement | rounds |", "| --- | --- | --- |"]
    for r in runs:
        seeded = f"{_size(r.live)} (seeded in {r.seed_seconds:.1f} s, {r.database_bytes / 1e6:,.0f} MB)"
        for label, every in (("journeystack advance", r.advances), ("floor advance", r.floor_advances)):
            if every:
                lines.append(f"| {seeded} | {label}: steps per CPU-second, steps/s, other CPU | " + "; ".join(
                    f"{a.steps_per_cpu_second:,.0f}, {a.steps_per_second:,.0f}/s, {a.other_cpu:.0%}" for a in every) + " |")  # fmt: skip
        for x in r.results:
            statuses = ", ".join(f"{k}: {v:,}" for k, v in x.statuses.items())
            errors = f"; ERRORS {x.errors}: {x.error_sample}" if x.errors else ""
            lines.append(f"| {seeded} | {RUNTIME_LABELS[x.name]}: req/s (median round: server {x.server_cpu:.0%}, "
                         f"other {x.other_cpu:.0%}, generator {x.generator_cpu:.0%}; {statuses}{errors}) | "
                         f"{_rounds(x.round_rps or [x.rps])} |")  # fmt: skip
    return lines


def to_json(
    options: Options,
    runs: list[SizeRun],
    facts: dict[str, Any],
    when: str,
    command: str,
    runtime_options: RuntimeOptions | None = None,
    runtime_runs: list[RuntimeRun] | None = None,
) -> bytes:
    runtime_runs = runtime_runs or []
    document = {
        "when": when,
        "command": command,
        "machine": facts,
        "options": asdict(options)
        | {"profile_dir": str(options.profile_dir) if options.profile_dir else None},
        "runs": [run.to_json() for run in runs],
        # The targets are those of one server process on SQLite.
        "targets": [asdict(t) for t in targets([run for run in runs if run.store == "sqlite"])],
    }
    if runtime_options is not None and runtime_runs:
        document["runtime"] = {
            "options": asdict(runtime_options)
            | {"profile_dir": str(runtime_options.profile_dir) if runtime_options.profile_dir else None},
            "runs": [run.to_json() for run in runtime_runs],
            "targets": [asdict(t) for t in runtime_targets(runtime_runs)],
        }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def write(
    options: Options,
    runs: list[SizeRun],
    facts: dict[str, Any],
    base: Path,
    now: dt.datetime,
    argv: list[str],
    runtime_options: RuntimeOptions | None = None,
    runtime_runs: list[RuntimeRun] | None = None,
) -> tuple[Path, str]:
    """Write `base`.md and `base`.json; returns (the Markdown's path, the Markdown)."""
    when = now.strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python -m bench", *argv])
    base.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(options, runs, facts, when, command, runtime_options, runtime_runs)
    json = to_json(options, runs, facts, when, command, runtime_options, runtime_runs)
    for suffix, content in ((".md", text.encode()), (".json", json)):
        final = base.with_name(base.name + suffix)
        partial = final.with_name(final.name + ".tmp")
        partial.write_bytes(content)
        partial.replace(final)
    return base.with_name(base.name + ".md"), text
