"""SFMC's date format: local ISO-8601 without offset, 0-3 fraction digits, trailing zeros trimmed."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

NEVER = "0001-01-01T00:00:00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,3}))?")


def format_ms(ms: int | None) -> str:
    """Render epoch milliseconds (UTC) the way SFMC renders dates; None is SFMC's 'never'."""
    if ms is None:
        return NEVER
    seconds, fraction = divmod(ms, 1000)
    t = time.gmtime(seconds)  # several times cheaper than datetime.strftime, on every response
    text = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    if fraction:
        text += "." + f"{fraction:03d}".rstrip("0")
    return text


def parse_canonical(text: str) -> int | None:
    """Epoch milliseconds of a date string, or None unless it is exactly as `format_ms` writes it.

    Comparing `modifiedDate` character for character is the same as parsing only canonical text.
    """
    match = _PATTERN.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None
    ms = (moment - _EPOCH) // timedelta(milliseconds=1) + (int(fraction.ljust(3, "0")) if fraction else 0)
    return ms if format_ms(ms) == text else None
