"""The server's log output: one writer thread, access lines in the LOG_FORMAT layout."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterator

import pytest

from journeystack import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger("journeystack")
    saved = (root.handlers[:], root.level, root.propagate, logs._access_queue)
    stream = io.StringIO()
    logs.configure_logging("info", stream)
    yield stream
    root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]
    logs._access_queue = saved[3]


def _wait_for(stream: io.StringIO, lines: int) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = stream.getvalue().splitlines()
        if len(found) >= lines:
            return found
        time.sleep(logs.WAIT)
    raise AssertionError(f"expected {lines} lines, got {stream.getvalue()!r}")


def test_an_access_line_names_method_path_status_duration_and_request_id(captured: io.StringIO) -> None:
    logs.access("PUT", "/interaction/v1/interactions/key:k", 304, 1.234, "req-7")
    (line,) = _wait_for(captured, 1)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO journeystack\.access \[req-7\] "
        r"PUT /interaction/v1/interactions/key:k 304 1\.2ms",
        line,
    ), line


def test_records_and_access_lines_come_out_in_order(captured: io.StringIO) -> None:
    log = logging.getLogger("journeystack.api")
    log.warning("first %s", "record", extra={"request_id": "r1"})
    logs.access("GET", "/x", 200, 0.5, "r2")
    log.error("third")
    lines = _wait_for(captured, 3)
    assert "WARNING journeystack.api [r1] first record" in lines[0]
    assert "[r2] GET /x 200 0.5ms" in lines[1]
    assert "ERROR journeystack.api [-] third" in lines[2]


def test_a_record_that_cannot_be_formatted_is_reported_not_lost(captured: io.StringIO) -> None:
    bad = logging.LogRecord("journeystack.api", logging.WARNING, __file__, 1, "%d apples", ("no",), None)
    logging.getLogger("journeystack").handlers[0].handle(bad)
    logs.access("GET", "/after", 200, 0.1, "r3")
    lines = _wait_for(captured, 2)
    assert "could not format a log record" in lines[0]
    assert "/after" in lines[1]


def test_access_lines_are_not_written_when_the_level_is_above_info(captured: io.StringIO) -> None:
    logging.getLogger("journeystack").setLevel(logging.WARNING)
    logs.access("GET", "/quiet", 200, 0.1, "r4")
    logging.getLogger("journeystack.api").warning("loud")
    lines = _wait_for(captured, 1)
    time.sleep(logs.WAIT * 3)
    assert [line for line in captured.getvalue().splitlines() if "/quiet" in line] == []
    assert "loud" in lines[0]
