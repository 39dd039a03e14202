"""The processes of a run: the server under test (journeystack or the floor) and the load generator.

On a machine with two or more cores a one-process server is pinned to one core and the generator to
another, so neither steals the other's CPU and the server's throughput is that of one process on one
core. A server with several worker processes and a database server of its own is not pinned (see
PostgresStore).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson

from .loadgen import Plan, Result, machine_busy_seconds

HOST = "127.0.0.1"
# What uvicorn logs (at level info, journeystack's default) when one process's app has started.
STARTUP_COMPLETE = b"Application startup complete."
BENCH_ROOT = Path(__file__).resolve().parent.parent


def exit_on_sigterm(signum: int, _frame: object) -> None:
    """A SIGTERM handler: leaving through SystemExit runs the finally blocks that stop our servers."""
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def cores() -> tuple[int | None, int | None]:
    """(server core, generator core), or (None, None) when there are not two cores to split."""
    available = sorted(os.sched_getaffinity(0))
    return (available[0], available[1]) if len(available) >= 2 else (None, None)


def _pinned(core: int | None) -> Callable[[], None] | None:
    if core is None:
        return None
    return lambda: os.sched_setaffinity(0, {core})


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ) | dict(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


class Server:
    """A server process listening on HOST:port; its stdout and stderr go to `log`."""

    def __init__(
        self, name: str, command: list[str], log: Path, core: int | None, port: int, env: Mapping[str, str]
    ) -> None:
        self.name = name
        self.port = port
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=_env(env), preexec_fn=_pinned(core)
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0, started: int = 0) -> None:
        """Wait until the server listens and, with `started`, until its log says that many worker
        processes finished their start-up: the supervisor listens before its workers accept, and a
        worker that starts late would get none of the generator's keep-alive connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            if self.log.read_bytes().count(STARTUP_COMPLETE) >= started:
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"{self.name} did not listen on {HOST}:{self.port}"
            + (f" with {started} workers started" if started else "")
            + f" within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def journeystack_command(
    database_url: str, patches: Sequence[str], port: int, *, workers: int = 1
) -> list[str]:
    """`journeystack serve`, the console script installed beside this interpreter (through
    bench.patched when an experiment patches it); `--workers` when more than one."""
    script = Path(sys.executable).with_name("journeystack")
    if patches:
        launcher = [sys.executable, "-m", "bench.patched", *(f"--patch={p}" for p in patches), "--"]
    else:
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "journeystack"]
    command = [*launcher, "serve", "--host", HOST, "--port", str(port), "--database-url", database_url]
    return command + (["--workers", str(workers)] if workers > 1 else [])


def floor_command(database: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.floor",
        "--host",
        HOST,
        "--port",
        str(port),
        "--database",
        str(database),
    ]


@contextmanager
def serving(
    name: str,
    command: Callable[[int], list[str]],
    workdir: Path,
    core: int | None,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
) -> Iterator[Server]:
    """Start a server on a free port and wait for it (and for all `workers` when more than one)."""
    port = free_port()
    server = Server(name, command(port), workdir / f"{name}.log", core, port, env or {})
    try:
        server.wait_ready(started=workers if workers > 1 else 0)
        yield server
    finally:
        server.stop()


def generate(plan: Plan, core: int | None) -> list[Result]:
    """Run the load generator process on `plan`; one Result per scenario, in order."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        preexec_fn=_pinned(core),
    )
    try:
        out, errors = process.communicate(plan.to_json())
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(
            f"the load generator failed ({process.returncode}):\n{errors.decode(errors='replace')[-3000:]}"
        )
    return [Result(**orjson.loads(line)) for line in out.splitlines() if line.strip()]


def wait_for_quiet(limit: float, threshold: float) -> float:
    """Wait (at most `limit` seconds) until the machine was busy less than `threshold` of a core for
    a whole second; returns the seconds waited. Nothing of ours runs meanwhile, so the load is others'."""
    started = time.monotonic()
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        if machine_busy_seconds() - before < threshold or time.monotonic() - started >= limit:
            return time.monotonic() - started
