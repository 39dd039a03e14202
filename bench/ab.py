"""Interleaved A/B runs: what one change to journeystack's configuration or code gains, on a noisy machine.

Two `journeystack serve` processes on two identical stores, A as it is and B with the experiment's
environment or bench.patched patches, loaded in turn (A, B, A, B, ...) by the same generator, so
slow drifts in other processes' load hit both alike. The measure is the server's CPU time per
response, which (unlike req/s) does not depend on how much of its core each server got from the
scheduler; "speedup" is A's CPU per response over B's, the median over the rounds.

    .venv/bin/python -m bench.ab --patch inline-handlers --scenarios get_by_key,put_200
    .venv/bin/python -m bench.ab --env JOURNEYSTACK_ACCESS_LOG=false
"""

from __future__ import annotations

import argparse
import signal
import statistics
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from .journeys import SEED
from .loadgen import Plan, Result
from .patched import PATCHES
from .processes import cores, exit_on_sigterm, generate, journeystack_command, serving
from .runner import journeystack_scenarios
from .stores import SqliteStore


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="B's extra environment"
    )
    parser.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES), help="B's patches")
    parser.add_argument("--scenarios", default="put_200,put_304,get_by_key,list_page_1,token")
    parser.add_argument("--journeys", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    scenarios = [s for s in journeystack_scenarios(args.journeys) if s.name in names]
    server_core, generator_core = cores()
    print(f"B = A with environment {env} and patches {args.patch}; {args.rounds} rounds of A then B")
    with tempfile.TemporaryDirectory(prefix="journeystack-ab-") as scratch, ExitStack() as stack:
        servers = []
        for label, extra, patches in (("A", {}, []), ("B", env, list(args.patch))):
            workdir = Path(scratch) / label
            workdir.mkdir()
            store = SqliteStore(workdir)
            store.seed(args.journeys, seed=SEED)
            command = partial(journeystack_command, store.url, patches)
            servers.append(
                stack.enter_context(serving(f"journeystack-{label}", command, workdir, server_core, extra))
            )
        print(
            "| scenario | round | A µs/req | B µs/req | speedup | A req/s | B req/s | A other CPU | B other CPU |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for scenario in scenarios:
            ratios = []
            for round_ in range(1, args.rounds + 1):
                results: list[Result] = []
                for server in servers:
                    plan = Plan(
                        port=server.port,
                        journeys=args.journeys,
                        scenarios=[scenario],
                        server_pid=server.pid,
                        warmup=args.warmup,
                        duration=args.duration,
                    )
                    (result,) = generate(plan, generator_core)
                    if result.errors:
                        raise SystemExit(f"{server.name} {scenario.name}: {result.error_sample}")
                    results.append(result)
                a, b = results
                speedup = a.server_us_per_request / b.server_us_per_request
                ratios.append(speedup)
                print(
                    f"| {scenario.name} | {round_} | {a.server_us_per_request:,.0f} | "
                    f"{b.server_us_per_request:,.0f} | {speedup:.2f} | {a.rps:,.0f} | {b.rps:,.0f} | "
                    f"{a.other_cpu:.0%} | {b.other_cpu:.0%} |",
                    flush=True,
                )
            median = statistics.median(ratios)
            print(f"| **{scenario.name}** | median | | | **{median:.2f}** | | | | |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
