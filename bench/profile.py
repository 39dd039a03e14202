"""Sampling profiles of the server under load (py-spy), and what they say about where time goes.

`python -m bench --profile` records the journeystack process with `py-spy record --gil` during each
scenario (so only the thread holding the GIL is sampled: with one process, that is where the CPU a
request costs goes) and writes folded stacks, readable by speedscope or flamegraph.pl.

The runtime pass (bench/runtime.py) records every thread that is not idle, with native frames
(`--native`, no `--gil`): its work runs largely in SQLite with the GIL released, in two threads (the
event loop and the engine), so the GIL holder alone would miss half of it. Its leaf frames are then
C functions, charged to SQLite, libc (I/O system calls, memory), the garbage collector or the rest of
CPython; the inclusive table still names the journeystack function each share ran under.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RATE = 250  # samples per second

# Where a sampled leaf frame's file lives -> the layer it is charged to, first match wins.
LAYERS = (
    # Native frames (--native): SQLite's own C code, libc (pread/pwrite/fdatasync, malloc), CPython.
    ("libsqlite3", "SQLite (C)"),
    ("gc_collect", "CPython garbage collector"),
    ("libc.so", "libc (I/O system calls, malloc, locks)"),
    ("libpython", "CPython interpreter and objects (C)"),
    *(
        (f"({name}.c:", "sqlite3 driver (C)")
        for name in ("cursor", "connection", "statement", "microprotocols", "util", "row")
    ),
    ("orjson", "orjson"),
    ("journeystack/api/", "journeystack api (routing, schemas, rendering)"),
    ("journeystack/services/", "journeystack services"),
    ("journeystack/domain/", "journeystack domain"),
    ("journeystack/storage/", "journeystack storage (repositories, unit of work)"),
    ("journeystack/", "journeystack other"),
    ("sqlalchemy/", "SQLAlchemy (statement building, compilation cache, result rows)"),
    ("sqlite3/", "sqlite3 driver"),
    ("pydantic", "pydantic validation"),
    ("anyio/", "anyio worker threads"),
    ("asyncio/", "asyncio"),
    ("concurrent/", "worker thread hand-off"),
    ("threading.py", "worker thread hand-off"),
    ("queue.py", "worker thread hand-off"),
    ("starlette/", "Starlette"),
    ("uvicorn/", "uvicorn / httptools"),
    ("logging/", "logging (access log)"),
    ("json/", "stdlib json"),
    ("copy.py", "copy.deepcopy"),
    ("uuid.py", "uuid"),
    ("datetime", "datetime"),
    ("re/", "re"),
)


def available() -> bool:
    return _py_spy() is not None


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def recording(pid: int, output: Path, *, gil: bool = True, native: bool = False) -> Iterator[int]:
    """Sample `pid` while the block runs (it gets py-spy's pid); the folded stacks land in `output`.
    `gil`: only the thread holding the GIL (else every thread not idle); `native`: C frames too."""
    binary = _py_spy()
    if binary is None:
        raise RuntimeError(
            "--profile needs py-spy: pip install py-spy (into the venv; not a project dependency)"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [binary, "record", "--pid", str(pid), *(["--gil"] if gil else []), "--rate", str(RATE)]
    command += ["--native"] if native else ["--nonblocking"]
    command += ["--format", "raw", "--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True, slots=True)
class Summary:
    samples: int
    layers: list[tuple[str, float]]  # (layer, share of samples whose leaf is there)
    inclusive: list[tuple[str, float]]  # (journeystack function, share of samples it is on the stack)
    leaves: list[tuple[str, float]]  # (function, share of samples it is the leaf)


def _stacks(folded: Path) -> Iterator[tuple[list[str], int]]:
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def _layer(frame: str) -> str:
    for needle, layer in LAYERS:
        if needle in frame:
            return layer
    return "other"


def _short(frame: str) -> str:
    """'update (journeystack/services/journeys.py:85)' -> 'services/journeys.py: update'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    if ".py:" not in where:  # a native frame: 'sqlite3VdbeExec (libsqlite3.so.0.8.6)'
        return f"{where.rstrip(')').split('.so', 1)[0]}: {'?' if name.startswith('0x') else name}"
    for marker in ("site-packages/", "python3.11/", "src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path.removeprefix('journeystack/')}: {name}"


# Native frames of a thread that waits (for the GIL, a lock, a timer, the network), not works: py-spy
# counts a thread blocked in C as busy, so summarize(waiting=False) drops these samples.
WAITING = (
    "PyThread_acquire_lock", "pthread_cond_timedwait", "pthread_cond_wait", "take_gil", "epoll_wait",
    "epoll_pwait", "clock_nanosleep", "sem_clockwait", "sem_timedwait", "sem_wait", "select (", "poll (",
)  # fmt: skip


def _waits(frames: list[str]) -> bool:
    return any(marker in frame for frame in frames[-4:] for marker in WAITING)


def summarize(folded: Path, top: int = 12, *, waiting: bool = True) -> Summary:
    """Shares of the samples in `folded`; without `waiting`, samples of threads that wait (WAITING)
    are left out, so the shares are of CPU spent."""
    layers: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for frames, count in _stacks(folded):
        if not waiting and _waits(frames):
            continue
        total += count
        leaf = frames[-1]
        layers[_layer(leaf)] += count
        leaves[_short(leaf)] += count
        for frame in set(frames):
            if "journeystack/" in frame:
                inclusive[_short(frame)] += count
    if not total:
        return Summary(0, [], [], [])

    def shares(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, count / total) for name, count in counter.most_common(n)]

    return Summary(total, shares(layers, len(layers)), shares(inclusive, top), shares(leaves, top))


def markdown(title: str, summary: Summary, sampled: str = "samples of the GIL-holding thread") -> list[str]:
    if not summary.samples:
        return [f"### {title}", "", "no samples", ""]
    lines = [f"### {title} ({summary.samples:,} {sampled})", ""]
    lines += ["| where the leaf frame is | share |", "| --- | ---: |"]
    lines += [f"| {layer} | {share:.0%} |" for layer, share in summary.layers if share >= 0.005]
    lines += ["", "| journeystack function (inclusive) | share |", "| --- | ---: |"]
    lines += [f"| `{name}` | {share:.0%} |" for name, share in summary.inclusive]
    lines += ["", "| hottest leaf functions (self) | share |", "| --- | ---: |"]
    lines += [f"| `{name}` | {share:.1%} |" for name, share in summary.leaves]
    return [*lines, ""]
