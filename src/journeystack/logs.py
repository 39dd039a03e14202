"""Log output of the server: records are handed to one writer thread as they are, and that thread
formats them and writes whatever has queued up in one write. The request path pays for creating a
record and a queue put, never for formatting, a system call or waking a thread: the writer looks
for records every WAIT seconds rather than waiting on the queue (docs/benchmarks.md)."""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading
import time
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# At most this many records go into one write; the writer looks for more this often (seconds).
_BATCH = 1000
WAIT = 0.02


# What the writer thread takes: a record to format, a line formatted already, or None to stop.
_Item = logging.LogRecord | str | None


class _Enqueue(logging.Handler):
    def __init__(self, records: queue.SimpleQueue[_Item]) -> None:
        super().__init__()
        self._records = records

    def emit(self, record: logging.LogRecord) -> None:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        self._records.put(record)


def _write_forever(records: queue.SimpleQueue[_Item], stream: TextIO, formatter: logging.Formatter) -> None:
    while True:
        batch: list[_Item] = []
        try:
            while len(batch) < _BATCH:
                batch.append(records.get_nowait())
        except queue.Empty:
            if not batch:
                time.sleep(WAIT)
                continue
        lines = []
        for record in batch:
            if record is None:
                continue
            if isinstance(record, str):
                lines.append(record)
                continue
            try:
                lines.append(formatter.format(record) + "\n")
            except Exception as error:  # a bad format string or argument must not stop the logging
                lines.append(f"journeystack: could not format a log record ({error!r}): {record.msg!r}\n")
        try:
            stream.write("".join(lines))
            stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: nothing left to tell
            pass
        if any(record is None for record in batch):
            return


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """Send the `journeystack` loggers through the writer thread to `stream` (standard error)."""
    global _access_queue
    records: queue.SimpleQueue[_Item] = queue.SimpleQueue()
    writer = threading.Thread(
        target=_write_forever,
        args=(records, stream or sys.stderr, logging.Formatter(LOG_FORMAT)),
        name="journeystack-log-writer",
        daemon=True,
    )
    writer.start()

    def flush_and_stop() -> None:
        records.put(None)
        writer.join(timeout=5)

    atexit.register(flush_and_stop)
    root = logging.getLogger("journeystack")
    root.handlers[:] = [_Enqueue(records)]
    root.setLevel(level.upper())
    root.propagate = False
    _access_queue = records


_access_queue: queue.SimpleQueue[_Item] | None = None
_access_log = logging.getLogger("journeystack.access")
_stamp: tuple[int, str] = (-1, "")


def access(method: str, path: str, status: int, duration_ms: float, request_id: str) -> None:
    """One access-log line. Once configure_logging has run, the line is formatted here with one
    f-string (the same layout as LOG_FORMAT) and queued as text: a LogRecord and its formatting
    would cost several times more than the request's own rendering. Before that (an app built
    in-process), it goes through the logging module like any other record."""
    if _access_queue is None or not _access_log.isEnabledFor(logging.INFO):
        _access_log.info(
            "%s %s %d %.1fms", method, path, status, duration_ms, extra={"request_id": request_id}
        )
        return
    global _stamp
    now = time.time()
    second = int(now)
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)))
    _access_queue.put(
        f"{_stamp[1]},{int((now - second) * 1000):03d} INFO journeystack.access [{request_id}] "
        f"{method} {path} {status} {duration_ms:.1f}ms\n"
    )
