"""The engine's clock: real time, or frozen at a moment the tester sets. It lives in the database
(one row), so every server process sees the same time.

Only the journey runtime runs on it (entries, waits, history, pause expiry, goal sweeps); tokens,
publish operations and modifiedDate keep the wall clock, so advancing the engine two weeks does not
expire the tester's access token.
"""

from __future__ import annotations

import re
from typing import Final

from journeystack.domain.clock import Clock
from journeystack.domain.runtime.records import ClockState
from journeystack.errors import Problem, refused
from journeystack.storage.ports import UnitOfWork

_DURATION: Final = re.compile(r"(\d{1,9})(ms|s|m|h|d|w)", re.IGNORECASE)
_UNIT_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
MAX_ADVANCE_MS: Final = 3660 * 86_400_000  # ten years and a bit: far beyond any journey


def engine_now(uow: UnitOfWork, wall: Clock) -> int:
    """The engine's current time, in epoch milliseconds."""
    state = uow.runtime.clock()
    if state is not None and state.frozen:
        return state.now_ms
    return wall.now_ms()


def read_clock(uow: UnitOfWork, wall: Clock) -> ClockState:
    state = uow.runtime.clock()
    if state is not None and state.frozen:
        return state
    return ClockState(frozen=False, now_ms=wall.now_ms())


def parse_duration(text: str, member: str = "by") -> int:
    """Milliseconds of a duration such as `15d`, `1d12h`, `90m`, `2w`, `500ms`. Raises InvalidRequest."""
    compact = text.strip().replace(" ", "")
    total, position = 0, 0
    for match in _DURATION.finditer(compact):
        if match.start() != position:
            break
        total += int(match.group(1)) * _UNIT_MS[match.group(2).lower()]
        position = match.end()
    if not compact or position != len(compact):
        raise refused([Problem(f"{member} must be a duration such as 15d, 1d12h, 90m or 30s (units ms, s, m, h, d, w).",
                     10005, member)]
        )  # fmt: skip
    if total > MAX_ADVANCE_MS:
        raise refused([Problem(f"{member} must be at most 3660 days.", 10005, member)])
    return total
