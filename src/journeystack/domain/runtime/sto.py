"""Einstein Send Time Optimization (STOWAIT): a wait that releases each contact at its "best hour"
within a window (24 hours by default; engine.md §2.1). Einstein's model is not reproducible, so the
best hour comes from a pluggable function (JOURNEYSTACK_STO_FUNCTION); the default is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

HOUR_MS: Final = 3_600_000
WINDOW_HOURS: Final = (1, 24, 24)  # low, high, default


@dataclass(frozen=True, slots=True)
class StoRequest:
    """What a best-hour function is told about one contact reaching a STOWAIT."""

    seed: int
    mid: int
    journey_key: str
    activity_key: str
    contact_key: str
    arrival_ms: int
    window_hours: int


# A best-hour function: the epoch ms at which the contact is released (clamped into the window).
StoFunction = Callable[[StoRequest], int]


def window_hours(activity: Mapping[str, Any]) -> int:
    """The window: configurationArguments.maxWaitHours, or params.slidingWindowHours (both seen in
    exports), at most 24 hours."""
    config = activity.get("configurationArguments")
    config = config if isinstance(config, Mapping) else {}
    params = config.get("params")
    params = params if isinstance(params, Mapping) else {}
    raw = config.get("maxWaitHours", params.get("slidingWindowHours", config.get("slidingWindowHours")))
    low, high, default = WINDOW_HOURS
    try:
        hours = int(float(raw)) if raw is not None and not isinstance(raw, bool) else default
    except (TypeError, ValueError):
        hours = default
    return min(high, max(low, hours))


def _rank(request: StoRequest, hour: int) -> bytes:
    text = f"{request.seed}\x1f{request.mid}\x1f{request.contact_key}\x1f{hour}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def hashed_best_hour(request: StoRequest) -> int:
    """The default: each contact's 24 hours of the day (UTC) ranked by a hash of the server's seed,
    the business unit and the contact key, so a contact has the same best hours in every journey.
    The contact is released at the start of its best-ranked hour that begins within the window,
    never the hour it arrived in (SFMC then uses the next best hour)."""
    arrival = request.arrival_ms
    current_hour_start = arrival - arrival % HOUR_MS
    limit = arrival + request.window_hours * HOUR_MS
    candidates = []
    start = current_hour_start + HOUR_MS
    while start <= limit:
        candidates.append(start)
        start += HOUR_MS
    if not candidates:
        return limit
    return min(candidates, key=lambda s: _rank(request, (s // HOUR_MS) % 24))


def release_ms(function: StoFunction, request: StoRequest) -> int:
    """The release moment a best-hour function gives, kept within (arrival, arrival + window]."""
    arrival = request.arrival_ms
    chosen = function(request)
    return min(arrival + request.window_hours * HOUR_MS, max(arrival, int(chosen)))
