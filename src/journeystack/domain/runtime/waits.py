"""When a contact leaves a WAIT activity: the four wait variants, parsed once at publish, timed per contact.

Where SFMC is silent (engine.md §2.1) the choices below are journeystack's; docs/waits-and-binding.md
lists each one with the test that pins it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Final

from journeystack.domain.spec.activities import WAIT_UNITS

from .binding import UnresolvedBinding
from .timezones import WaitConfigError, zone

__all__ = [
    "ATTRIBUTE",
    "DATE",
    "DURATION",
    "EVENT",
    "MAX_WAIT_AMOUNT",
    "WaitConfigError",
    "WaitSpec",
    "attribute_due_ms",
    "event_key",
    "is_duration",
    "parse_date_value",
    "parse_wait",
    "wait_end_ms",
]

DURATION: Final = "duration"
DATE: Final = "date"
ATTRIBUTE: Final = "attribute"
EVENT: Final = "event"

# metaData.uiType of real exports -> variant (engine.md §2.1; MCDEV-MOCK, code#13590072894).
_UI_TYPES: Final = {
    "WAITBYDURATION": DURATION,
    "WAITUNTILDATE": DATE,
    "WAITBYATTRIBUTE": ATTRIBUTE,
    "WAITBYEVENT": EVENT,
}

# The longest wait (or attribute offset, or event timeout) accepted: ten years in each unit. SFMC
# publishes no limit; it only warns past 365 days (spec code 121547), so ten years bounds the arithmetic
# without refusing any journey SFMC would run.
MAX_WAIT_AMOUNT: Final[Mapping[str, int]] = {
    "minutes": 10 * 366 * 1440,
    "hours": 10 * 366 * 24,
    "days": 10 * 366,
    "weeks": 522,
    "months": 120,
}
_ELAPSED_MS: Final = {"minutes": 60_000, "hours": 3_600_000}  # the units that are elapsed time
_MAX_EXPRESSION_CHARS: Final = 1000
_MAX_DATE_CHARS: Final = 64
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS: Final = timedelta(milliseconds=1)

# "HH:MM" (24 h) as real exports write specifiedTime, plus ":SS" and "9:00 AM" forms.
_TIME_OF_DAY: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?")
# ISO 8601 dates and date-times, as the API and JSON event data carry them.
_ISO_DATE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
# "5/1/2024 12:00:00 AM": how SFMC renders data extension Date fields (en-US).
_US_DATE: Final = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])[Mm])?)?"
)


@dataclass(frozen=True, slots=True)
class WaitSpec:
    """A WAIT activity as the runtime times it; built by `parse_wait`, never by hand.

    `amount` and `unit` are the duration (duration waits), the timeout (event waits) or the signed
    offset from the attribute's date (attribute waits; negative is "before"). `time_of_day` is set
    when the wait is extended to a wall-clock time in `time_zone`.
    """

    kind: str
    amount: float = 1.0
    unit: str = "days"
    time_of_day: time | None = None
    time_zone: tzinfo = UTC
    until_ms: int | None = None  # DATE: the moment the wait ends
    attribute_expression: str | None = None  # ATTRIBUTE: a `{{...}}` template naming the date
    event_definition_key: str | None = None  # EVENT: the API event that releases the contact


# --- parsing -------------------------------------------------------------------------------------


def parse_wait(activity: Mapping[str, Any]) -> WaitSpec:
    """The timing of a WAIT activity dict as stored in a journey version.

    The variant comes from `metaData.uiType`, else from which of `waitForEventKey`,
    `waitEndDateAttributeExpression`, `specificDate` is filled in, else duration. Raises
    WaitConfigError (naming the member) for anything the runtime could not time.
    """
    kind_text = activity.get("type")
    if not isinstance(kind_text, str) or kind_text.upper() != "WAIT":
        raise WaitConfigError("type", f"type must be WAIT, not {kind_text!r}")
    config = _object(activity, "configurationArguments")
    meta = _object(activity, "metaData")
    kind = _variant(config, meta)

    zone_member, zone_name = _first_text(config, "timeZone", "timeZoneId")
    time_zone = zone(zone_name, f"configurationArguments.{zone_member}")
    time_of_day = _extension(config, meta)

    if kind == DATE:
        member, text = _first_text(config, "specificDate")
        value = parse_date_value(text)
        if value is None:
            raise _refused(
                member, f"must be a date such as '2025-05-01' or '2025-05-01T09:00:00', not {text!r}"
            )
        try:
            until_ms = _date_moment_ms(value, time_zone, time_of_day, "days", 0.0)
        except (OverflowError, ValueError):
            raise _refused(member, f"is outside the years 1 to 9999 in its time zone: {text!r}") from None
        return WaitSpec(kind=DATE, time_zone=time_zone, time_of_day=time_of_day, until_ms=until_ms)

    if kind == ATTRIBUTE:
        member, expression = _first_text(config, "waitEndDateAttributeExpression")
        if not expression:
            raise _refused(member, "is missing; a wait by attribute needs the date attribute, e.g. "
                                   "'{{Contact.Attribute.Set.Birthday}}'")  # fmt: skip
        if len(expression) > _MAX_EXPRESSION_CHARS:
            raise _refused(member, f"is longer than {_MAX_EXPRESSION_CHARS} characters")
        if "{{" not in expression:  # a bare path names the same attribute
            expression = "{{" + expression + "}}"
        amount, unit = _amount_and_unit(config, default_amount=0.0, signed=True)
        return WaitSpec(ATTRIBUTE, amount, unit, time_of_day, time_zone, attribute_expression=expression)

    amount, unit = _amount_and_unit(config, default_amount=1.0, signed=False)
    if kind == EVENT:
        member, key = _first_text(config, "waitForEventKey")
        if not key:
            raise _refused(
                member, "is missing; a Wait Until API Event needs the key of the event it waits for"
            )
        return WaitSpec(EVENT, amount, unit, time_of_day, time_zone, event_definition_key=key)
    return WaitSpec(DURATION, amount, unit, time_of_day, time_zone)


def _refused(name: str, requirement: str) -> WaitConfigError:
    member = f"configurationArguments.{name}"
    return WaitConfigError(member, f"{member} {requirement}")


def _object(activity: Mapping[str, Any], member: str) -> Mapping[str, Any]:
    value = activity.get(member)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise WaitConfigError(member, f"{member} must be an object, not {type(value).__name__}")
    return value


def _variant(config: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    ui_type = meta.get("uiType")
    if isinstance(ui_type, str) and ui_type.strip():
        kind = _UI_TYPES.get(ui_type.strip().upper())
        if kind is None:
            known = ", ".join(_UI_TYPES)
            raise WaitConfigError("metaData.uiType", f"metaData.uiType {ui_type!r} is not one of {known}")
        return kind
    wait_type = meta.get("waitType")  # real exports: "duration"; other values are not public
    if isinstance(wait_type, str) and wait_type.strip().lower() in (DURATION, DATE, ATTRIBUTE, EVENT):
        return wait_type.strip().lower()
    members = (
        (EVENT, "waitForEventKey"),
        (ATTRIBUTE, "waitEndDateAttributeExpression"),
        (DATE, "specificDate"),
    )
    filled = [kind for kind, member in members if _first_text(config, member)[1]]
    if len(filled) > 1:
        names = ", ".join(member for _, member in members)
        raise WaitConfigError(
            "metaData.uiType", f"metaData.uiType is missing and more than one of {names} is set"
        )
    return filled[0] if filled else DURATION


def _first_text(config: Mapping[str, Any], *names: str) -> tuple[str, str]:
    """The first of `names` that holds non-blank text, as (member, stripped text); real exports carry
    every wait member on every variant, unused ones as ""."""
    for name in names:
        value = config.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _refused(name, f"must be text, not {type(value).__name__}")
        if value.strip():
            return name, value.strip()
    return names[0], ""


def _amount_and_unit(config: Mapping[str, Any], *, default_amount: float, signed: bool) -> tuple[float, str]:
    # The 0.5 names (duration, durationUnits) count only when the 1.0 name is absent.
    amount_member = (
        "waitDuration" if config.get("waitDuration") is not None or "duration" not in config else "duration"
    )
    unit_member = (
        "waitUnit" if config.get("waitUnit") is not None or "durationUnits" not in config else "durationUnits"
    )
    unit = _unit(unit_member, config.get(unit_member))
    amount = _number(amount_member, config.get(amount_member))
    if amount is None:
        return default_amount, unit
    if amount < 0 and not signed:
        raise _refused(amount_member, f"must not be negative, not {amount:g}")
    if abs(amount) > MAX_WAIT_AMOUNT[unit]:
        raise _refused(
            amount_member, f"must be at most {MAX_WAIT_AMOUNT[unit]} {unit} (ten years), not {amount:g}"
        )
    return amount, unit


def _unit(name: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "days"  # SFMC's default wait is 1 day
    if isinstance(value, str) and value.strip().lower() in WAIT_UNITS:
        return value.strip().lower()
    raise _refused(name, f"must be one of {', '.join(WAIT_UNITS)} (any case), not {value!r}")


def _number(name: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _refused(name, f"must be a number, not {value!r}")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise _refused(name, f"must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise _refused(name, f"must be a finite number, not {value!r}")
    return number


def _extension(config: Mapping[str, Any], meta: Mapping[str, Any]) -> time | None:
    """The wall-clock time the wait is extended to, or None. Real exports carry specifiedTime "00:00"
    with metaData.isExtended false on plain waits, so the flag decides when present; without it a
    filled-in specifiedTime (or 1.0's specificTime) means the wait is extended."""
    member, text = _first_text(config, "specifiedTime", "specificTime")
    flag = meta.get("isExtended")
    if isinstance(flag, str) and flag.strip().lower() in ("true", "false"):
        flag = flag.strip().lower() == "true"
    extended = flag if isinstance(flag, bool) else bool(text)
    if not extended:
        return None
    if not text:
        raise _refused(member, "is missing; metaData.isExtended asks for a time of day such as '09:00'")
    parsed = _time_of_day(text)
    if parsed is None:
        raise _refused(member, f"must be a time of day such as '09:00' or '9:00 AM', not {text!r}")
    return parsed


def _time_of_day(text: str) -> time | None:
    match = _TIME_OF_DAY.fullmatch(text) if len(text) <= 16 else None
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_date_value(value: object) -> datetime | None:
    """A date as a wait reads it: an aware datetime is a moment; a naive one (or a date) is a wall-clock
    time in the wait's zone. Text: ISO 8601 (offset optional) or SFMC's "5/1/2024 12:00:00 AM".
    None when `value` is no date (numbers included: which epoch and unit they count in is unknowable)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DATE_CHARS:
        return None
    try:
        return _parse_iso(text) if "-" in text[:5] else _parse_us(text)
    except ValueError:  # a day or hour out of range
        return None


def _parse_iso(text: str) -> datetime | None:
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
    )
    if offset is None:
        return moment
    if offset in ("Z", "z"):
        return moment.replace(tzinfo=UTC)
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if delta >= timedelta(hours=24):
        return None
    return moment.replace(tzinfo=timezone(-delta if offset[0] == "-" else delta))


def _parse_us(text: str) -> datetime | None:
    match = _US_DATE.fullmatch(text)
    if match is None:
        return None
    month, day, year, hour_text, minute, second, meridiem = match.groups()
    hour = int(hour_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem in "Pp" else 0)
    return datetime(int(year), int(month), int(day), hour, int(minute or 0), int(second or 0))


# --- timing --------------------------------------------------------------------------------------


def is_duration(spec: WaitSpec) -> bool:
    """Whether ExtendWaitEndDates on resume applies: SFMC extends Wait-by-Duration waits only."""
    return spec.kind == DURATION


def event_key(spec: WaitSpec) -> str | None:
    """The event definition key a Wait Until API Event waits for; None for other waits."""
    return spec.event_definition_key if spec.kind == EVENT else None


def wait_end_ms(spec: WaitSpec, start_ms: int, resolve: Callable[[str], object]) -> int:
    """When a contact that reached the wait at `start_ms` leaves it (epoch ms, UTC); never before
    `start_ms`: an end already past means the contact leaves at once.

    Duration: start + the duration (calendar days/weeks/months in the wait's zone), then, if extended,
    the first occurrence of the time of day at or after that. Event: the same, as the timeout. Date:
    the configured moment. Attribute: `resolve(spec.attribute_expression)` gives the date, offset and
    extended as configured; a date that cannot be read (unresolved, blank, not a date) ends the wait at
    once, as a date already past does.
    """
    if spec.kind == DATE:
        assert spec.until_ms is not None
        return max(start_ms, spec.until_ms)
    if spec.kind == ATTRIBUTE:
        due = attribute_due_ms(spec, resolve)
        return start_ms if due is None else max(start_ms, due)
    try:
        end = _shift(None, start_ms, spec.time_zone, spec.unit, spec.amount)
        if spec.time_of_day is not None:
            end = _next_occurrence(end, spec.time_of_day, spec.time_zone)
    except (OverflowError, ValueError):  # past year 9999: as good as never
        end = _LATEST_MS
    return max(start_ms, end)


def attribute_due_ms(spec: WaitSpec, resolve: Callable[[str], object]) -> int | None:
    """The moment an attribute wait names for one contact (possibly past), or None when its date
    attribute does not resolve to a readable date; the engine may log which."""
    assert spec.attribute_expression is not None
    try:
        value = parse_date_value(resolve(spec.attribute_expression))
    except UnresolvedBinding:
        return None
    if value is None:
        return None
    try:
        return _date_moment_ms(value, spec.time_zone, spec.time_of_day, spec.unit, spec.amount)
    except (OverflowError, ValueError):  # the offset leaves the calendar (before year 1 or after 9999)
        return None


_LATEST_MS: Final = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH) // _ONE_MS


def _date_moment_ms(value: datetime, tz: tzinfo, time_of_day: time | None, unit: str, amount: float) -> int:
    """A date (wait until date, wait by attribute) offset by `amount` `unit`s and, if extended, moved
    to `time_of_day` on the day it then falls on, in `tz`."""
    if value.tzinfo is not None:
        base_wall, base_ms = None, _ms(value)
    else:
        base_wall, base_ms = value, _instant_ms(value, tz)
    moment = _shift(base_wall, base_ms, tz, unit, amount) if amount else base_ms
    if time_of_day is None:
        return moment
    day = _wall(moment, tz).date() if (amount or base_wall is None) else value.date()
    return _instant_ms(datetime.combine(day, time_of_day), tz)


def _shift(base_wall: datetime | None, base_ms: int, tz: tzinfo, unit: str, amount: float) -> int:
    """`base` moved by `amount` `unit`s. Minutes and hours are elapsed time; days, weeks and months are
    calendar steps in `tz` that keep the wall-clock time (a month from Jan 31 is the last day of
    February). A fraction of a calendar unit lies proportionally between the two whole steps around
    it, so the end never moves backwards as the amount grows."""
    if unit in _ELAPSED_MS:
        return base_ms + round(amount * _ELAPSED_MS[unit])
    wall = base_wall if base_wall is not None else _wall(base_ms, tz)
    whole = math.floor(amount)
    fraction = amount - whole

    def step(count: int) -> int:
        if count == 0 and base_wall is None:
            return base_ms  # the start itself, even when its wall time occurs twice
        return _instant_ms(_add_calendar(wall, unit, count), tz)

    low = step(whole)
    if not fraction:
        return low
    return low + round(fraction * (step(whole + 1) - low))


def _add_calendar(wall: datetime, unit: str, count: int) -> datetime:
    if unit == "days":
        return wall + timedelta(days=count)
    if unit == "weeks":
        return wall + timedelta(weeks=count)
    months = wall.year * 12 + wall.month - 1 + count
    year, month = divmod(months, 12)
    month += 1
    return wall.replace(year=year, month=month, day=min(wall.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - date(year, month, 1)).days


def _next_occurrence(after_ms: int, time_of_day: time, tz: tzinfo) -> int:
    """The first instant at or after `after_ms` whose wall-clock time in `tz` is `time_of_day`. A time
    skipped by a DST gap occurs at the first instant after the gap; a time repeated by a fold occurs
    twice, and the earlier occurrence at or after `after_ms` counts."""
    day = _wall(after_ms, tz).date()
    for offset in (0, 1):
        wall = datetime.combine(day + timedelta(days=offset), time_of_day)
        for candidate in sorted(_occurrences(wall, tz)):
            if candidate >= after_ms:
                return candidate
    return _instant_ms(datetime.combine(day + timedelta(days=2), time_of_day), tz)  # not reached


def _occurrences(wall: datetime, tz: tzinfo) -> set[int]:
    first = _instant_ms(wall, tz)
    second = _ms(wall.replace(tzinfo=tz, fold=1))
    return {first, second} if _wall(second, tz) == wall else {first}


def _instant_ms(wall: datetime, tz: tzinfo) -> int:
    """The instant a wall-clock time names in `tz`: in a fold the first occurrence, in a DST gap the
    first instant after the gap (the wall clock's next valid reading)."""
    if tz is UTC:
        return _ms(wall.replace(tzinfo=UTC))
    earlier = _ms(wall.replace(tzinfo=tz, fold=0))  # PEP 495: fold=0 is the first of a repeated time
    if _wall(earlier, tz) == wall:
        return earlier
    # A gap: fold=0 reads the wall time with the offset before the transition, fold=1 with the one
    # after; the transition lies between, at the first instant whose wall time is not before `wall`.
    low, high = sorted((earlier, _ms(wall.replace(tzinfo=tz, fold=1))))
    if _wall(high, tz) < wall:
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MS


def _wall(ms: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz).replace(tzinfo=None)
