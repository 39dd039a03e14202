"""`python -m bench`: seed, serve, load and report (see bench/README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from . import profile, report, runtime
from .patched import PATCHES
from .processes import BENCH_ROOT, exit_on_sigterm
from .runner import SCENARIO_NAMES, Options, run
from .stores import STORES, postgresql_problem

FULL_SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [300]
FULL_PG_SIZES = [10_000]
QUICK_PG_SIZES = [300]
QUICK_DURATION, QUICK_WARMUP = 0.5, 0.25
FULL_RUNTIME_SIZES, FULL_RUNTIME_DUE = [100_000, 1_000_000], 100_000
QUICK_RUNTIME_SIZES, QUICK_RUNTIME_DUE = [2_000], 1_000


def _sizes(text: str) -> list[int]:
    sizes = _pg_sizes(text)
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one positive size")
    return sizes


def _pg_sizes(text: str) -> list[int]:
    """Like --sizes, but empty ('') means no PostgreSQL pass."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "sizes are whole numbers separated by commas, e.g. 10000,100000"
        ) from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("sizes are positive")
    return sizes


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = (*SCENARIO_NAMES, *runtime.RUNTIME_SCENARIOS)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenarios {unknown}; known: {', '.join(known)}")
    return names


def _pair(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise SystemExit(f"--server-env wants NAME=VALUE, not {text!r}")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark journeystack: a real `journeystack serve` on a fresh store, loaded by a separate "
        "generator process, against a bare-ASGI floor on the same file.",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        help="SQLite: journeys stored, one full pass per size (default 10000,100000,1000000; quick 300)",
    )
    parser.add_argument(
        "--pg-sizes",
        type=_pg_sizes,
        help="PostgreSQL (2 worker processes), after SQLite: journeys stored, one pass per size "
        "(default 10000; quick 300; '' for none)",
    )
    parser.add_argument(
        "--no-postgresql",
        dest="postgresql",
        action="store_false",
        help="skip the PostgreSQL pass (as --pg-sizes '')",
    )
    parser.add_argument("--duration", type=float, help="measured seconds per scenario (default 5)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each scenario (default 1)")
    parser.add_argument("--connections", type=int, default=16, help="virtual clients, one connection each")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 300 journeys on each store, 0.5 s per scenario"
    )
    parser.add_argument(
        "--store",
        choices=sorted(STORES),
        help="only this store (default: SQLite, then PostgreSQL); with --store postgresql, --sizes "
        "may stand for --pg-sizes",
    )
    parser.add_argument("--out", type=Path, default=BENCH_ROOT / "bench" / "reports", help="where reports go")
    parser.add_argument("--seed", type=int, default=None, help="seed of the generated journeys")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin server and generator to cores"
    )
    parser.add_argument("--no-floor", dest="floor", action="store_false", help="skip the floor server")
    parser.add_argument(
        "--scenarios",
        type=_names,
        default=[],
        help="only these scenarios, comma-separated: "
        + ", ".join((*SCENARIO_NAMES, *runtime.RUNTIME_SCENARIOS))
        + " (naming only runtime ones runs only the runtime pass, and the other way round)",
    )
    parser.add_argument(
        "--runtime-sizes",
        type=_pg_sizes,
        help="the runtime benchmarks (issue 11, SQLite, after the journeys passes): journey instances stored, "
        "one pass per size (default 100000,1000000; quick 2000; '' for none)",
    )
    parser.add_argument(
        "--runtime-due",
        type=int,
        help="of those, contacts due in the timed clock advance (default 100000; quick 1000)",
    )
    parser.add_argument(
        "--no-runtime", dest="runtime", action="store_false", help="skip the runtime benchmarks"
    )
    parser.add_argument(
        "--runtime-only", action="store_true", help="only the runtime benchmarks (no journeys passes)"
    )
    parser.add_argument(
        "--retries",
        type=int,
        help="re-run a scenario measured while other processes were busy, up to this many times (default 2; quick 0)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="measure every scenario this many times, journeystack and the floor taking turns, and report the "
        "median (default 3; quick 1)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="before each server and retry, wait up to this many seconds for other load to settle (default 30; quick 0)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample journeystack with py-spy during each scenario of the one-process (SQLite) runs (needs py-spy)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="experiment: set an environment variable for journeystack serve, e.g. JOURNEYSTACK_ACCESS_LOG=false",
    )
    parser.add_argument(
        "--server-patch",
        action="append",
        default=[],
        choices=sorted(PATCHES),
        help="experiment: run journeystack with a bench.patched patch (what a src/ change would gain)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    pg_sizes = args.pg_sizes
    if args.store == "postgresql" and pg_sizes is None:
        pg_sizes = args.sizes
    if pg_sizes is None:
        pg_sizes = QUICK_PG_SIZES if args.quick else FULL_PG_SIZES
    if not args.postgresql:
        if args.store == "postgresql":
            parser.error("--no-postgresql and --store postgresql leave nothing to run")
        pg_sizes = []
    scenarios = list(args.scenarios)
    journeys_named = not scenarios or any(name in SCENARIO_NAMES for name in scenarios)
    runtime_named = not scenarios or any(name in runtime.RUNTIME_SCENARIOS for name in scenarios)
    if args.runtime_only and not args.runtime:
        parser.error("--runtime-only and --no-runtime leave nothing to run")
    runtime_sizes = args.runtime_sizes
    if runtime_sizes is None:
        runtime_sizes = QUICK_RUNTIME_SIZES if args.quick else FULL_RUNTIME_SIZES
    if not args.runtime or not runtime_named or args.store == "postgresql":
        runtime_sizes = []
    runtime_due = args.runtime_due
    if runtime_due is None:
        runtime_due = QUICK_RUNTIME_DUE if args.quick else min([FULL_RUNTIME_DUE, *runtime_sizes])
    if args.runtime_only or not journeys_named:
        if not runtime_sizes:
            parser.error("nothing to run: the runtime pass is off and no journeys scenario is named")
        sizes: list[int] = []
        pg_sizes = []
    else:
        sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    options = Options(
        sizes=sizes,
        pg_sizes=pg_sizes,
        duration=args.duration if args.duration is not None else (QUICK_DURATION if args.quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else 1.0),
        connections=args.connections,
        store=args.store,
        pin=args.pin,
        floor=args.floor,
        quick=args.quick,
        server_env=dict(_pair(item) for item in args.server_env),
        server_patches=list(args.server_patch),
        scenarios=scenarios,
        retries=args.retries if args.retries is not None else (0 if args.quick else 2),
        rounds=args.rounds if args.rounds is not None else (1 if args.quick else 3),
        quiet_wait=args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 30.0),
        **({"seed": args.seed} if args.seed is not None else {}),
    )
    runtime_options = runtime.RuntimeOptions(
        sizes=runtime_sizes,
        due=runtime_due,
        duration=options.duration,
        warmup=options.warmup,
        connections=options.connections,
        rounds=options.rounds,
        retries=options.retries,
        quiet_wait=options.quiet_wait,
        pin=options.pin,
        floor=options.floor,
        scenarios=scenarios,
        server_env=options.server_env,
        server_patches=options.server_patches,
    )
    stores = [store for store, _sizes in options.passes()]
    if not stores and not runtime_sizes:
        parser.error("--pg-sizes '' (or --no-postgresql) and --store postgresql leave nothing to run")
    if runtime_sizes and any(size < runtime_due for size in runtime_sizes):
        parser.error(
            f"--runtime-sizes: every size must hold the {runtime_due:,} contacts due (--runtime-due)"
        )
    if "postgresql" in stores:
        # Before the SQLite pass, not after it: a missing server is a setup error, not a skip.
        problem = postgresql_problem()
        if problem is not None:
            print(f"python -m bench: {problem}", file=sys.stderr)
            return 2
        if options.server_patches:
            parser.error(
                "--server-patch patches one process; the PostgreSQL pass runs 2 worker processes: "
                "add --no-postgresql (or --store sqlite)"
            )
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    parts = [*stores, *(["runtime"] if runtime_sizes else [])]
    stem = "quick" if options.quick else f"{now:%Y%m%d-%H%M%S}-{'-'.join(parts)}"
    if args.profile:
        if not profile.available():
            print("--profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
            return 2
        options = replace(options, profile_dir=args.out / "profiles" / stem)
        runtime_options = replace(runtime_options, profile_dir=options.profile_dir)
    facts = report.machine()
    say = partial(print, flush=True)
    runs = run(options, say) if stores else []
    runtime_runs = runtime.run(runtime_options, say) if runtime_sizes else []
    path, text = report.write(
        options, runs, facts, args.out / stem, now, args_list, runtime_options, runtime_runs
    )
    print()
    print(text)
    print(f"report: {path} and {path.with_suffix('.json')} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
