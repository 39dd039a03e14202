"""How the runtime reads an attribute's value: as a number, a point in time, text or a boolean.

Attribute values come from entry-event JSON (str, int, float, bool, None) or from contact data
(mostly text). SFMC documents none of these readings; each is a journeystack decision, listed with
its test in docs/criteria.md. Parsing is by hand, in linear time: no regular expression ever sees
user input.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final, NamedTuple

DAY_MS: Final = 86_400_000
EPOCH_DAY: Final = date(1970, 1, 1).toordinal()
_NUMBER_CHARS: Final = frozenset("0123456789+-.eE")
BOOLEAN_WORDS: Final[Mapping[str, bool]] = {
    "true": True, "1": True, "yes": True, "false": False, "0": False, "no": False,
}  # fmt: skip
CALENDAR_UNITS: Final = ("days", "weeks", "months", "years")


class Moment(NamedTuple):
    """A point in time, in UTC: epoch milliseconds, and the proleptic ordinal of its UTC day.
    A date without a time (`date_only`) compares by day only."""

    ms: int
    day: int
    date_only: bool


def parse_number(text: str) -> Decimal | None:
    """A decimal number (`-12`, `3.50`, `1e3`), exactly; None for anything else."""
    # A character check first: Decimal() alone would accept "NaN", "Infinity" and "1_000".
    if not text or len(text) > 64 or not _NUMBER_CHARS.issuperset(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def moment_of_datetime(moment: datetime) -> Moment | None:
    # A date-time without an offset is UTC, as everywhere in journeystack (docs/differences.md).
    if moment.utcoffset():
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the calendar's first day
            return None
    # Field arithmetic: several times cheaper than datetime subtraction, on the engine's hot path.
    day = moment.toordinal()
    seconds = (day - EPOCH_DAY) * 86_400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    return Moment(seconds * 1000 + moment.microsecond // 1000, day, False)


def moment_of_date(day: date) -> Moment:
    ordinal = day.toordinal()
    return Moment((ordinal - EPOCH_DAY) * DAY_MS, ordinal, True)


def _digits(text: str, low: int, high: int) -> int | None:
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _parse_us_date(text: str) -> Moment | None:
    """`M/D/YYYY`, optionally followed by `h:mm[:ss]` and `AM`/`PM` (or a 24-hour `H:mm[:ss]`)."""
    date_part, _, rest = text.partition(" ")
    pieces = date_part.split("/")
    if len(pieces) != 3 or len(pieces[2]) != 4:
        return None
    month, day, year = _digits(pieces[0], 1, 12), _digits(pieces[1], 1, 31), _digits(pieces[2], 1, 9999)
    if month is None or day is None or year is None:
        return None
    rest = rest.strip()
    try:
        if not rest:
            return moment_of_date(date(year, month, day))
        clock, _, meridiem = rest.partition(" ")
        parts = clock.split(":")
        if len(parts) not in (2, 3):
            return None
        hour, minute = _digits(parts[0], 0, 23), _digits(parts[1], 0, 59)
        second = _digits(parts[2], 0, 59) if len(parts) == 3 else 0
        if hour is None or minute is None or second is None:
            return None
        meridiem = meridiem.strip().upper()
        if meridiem in ("AM", "PM"):
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "PM" else 0)
        elif meridiem:
            return None
        return moment_of_datetime(datetime(year, month, day, hour, minute, second, tzinfo=UTC))
    except ValueError:  # 2/30/2024
        return None


def parse_date(text: str) -> Moment | None:
    """ISO 8601 `YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|±hh:mm]`, or the US form `M/D/YYYY h:mm:ss AM`."""
    if len(text) < 8 or len(text) > 40:
        return None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            if len(text) == 10:
                return moment_of_date(date.fromisoformat(text))
            if text[10] not in "Tt ":
                return None
            return moment_of_datetime(datetime.fromisoformat(text))
        except ValueError:
            return None
    return _parse_us_date(text) if "/" in text else None


def number_of(value: object) -> Decimal | None:
    """The value as a number: int, float, Decimal, or text that is a number. A bool is not one."""
    if isinstance(value, str):
        return parse_number(value.strip())
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None  # repr: 0.1 stays 0.1
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def moment_of(value: object) -> Moment | None:
    """The value as a point in time: a datetime, a date, or text `parse_date` reads."""
    if isinstance(value, str):
        return parse_date(value.strip())
    if isinstance(value, datetime):
        return moment_of_datetime(value)
    if isinstance(value, date):
        return moment_of_date(value)
    return None


def text_of(value: object) -> str:
    """The value as compared as text: whitespace-trimmed and case-folded, as SQL Server's default
    (case-insensitive) collation compares; a bool is `true`/`false`."""
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat().casefold()
    return str(value).strip().casefold()


def boolean_of(value: object) -> bool | None:
    """The value as a boolean: a bool, the numbers 1 and 0, or true/false/yes/no/1/0 in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return BOOLEAN_WORDS.get(value.strip().casefold())
    number = number_of(value)
    return None if number is None or number not in (0, 1) else number == 1


def compare_moments(a: Moment, b: Moment) -> int:
    """-1, 0 or 1; by UTC day when either side is a date without a time, else to the millisecond."""
    if a.date_only or b.date_only:
        return (a.day > b.day) - (a.day < b.day)
    return (a.ms > b.ms) - (a.ms < b.ms)


def shift(day: date, amount: int, unit: str) -> date:
    """`day` moved by `amount` CALENDAR_UNITS; a month-end day clamps (Jan 31 + 1 month is Feb 28
    or 29), and a result past the calendar's ends is its first or last day."""
    try:
        if unit in ("days", "weeks"):
            return day + timedelta(days=amount * (7 if unit == "weeks" else 1))
        months = day.year * 12 + day.month - 1 + amount * (12 if unit == "years" else 1)
        year, month = divmod(months, 12)
        return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
    except (OverflowError, ValueError):
        return date.min if amount < 0 else date.max
