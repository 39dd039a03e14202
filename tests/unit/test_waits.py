"""Wait activities: which configuration members each variant reads, and when a contact leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeystack.domain.runtime.binding import UnresolvedBinding
from journeystack.domain.runtime.timezones import LEGACY_WINDOWS_ZONES, WINDOWS_ZONES, iana_name, zone
from journeystack.domain.runtime.waits import (
    MAX_WAIT_AMOUNT,
    WaitConfigError,
    WaitSpec,
    attribute_due_ms,
    event_key,
    is_duration,
    parse_date_value,
    parse_wait,
    wait_end_ms,
)

NEW_YORK = "America/New_York"


def at(text: str, tz: str = "UTC") -> int:
    """Epoch ms of a wall-clock time in `tz` (the first one, should it occur twice)."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def local(ms: int, tz: str = "UTC") -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).isoformat()


def wait(config: dict[str, Any] | None = None, kind: str = "WAIT", **meta: Any) -> WaitSpec:
    activity: dict[str, Any] = {"key": "WAIT-1", "type": kind, "outcomes": [{"key": "o", "next": None}]}
    if config is not None:
        activity["configurationArguments"] = config
    if meta:
        activity["metaData"] = meta
    return parse_wait(activity)


def no_attributes(expression: str) -> object:
    raise AssertionError(f"only attribute waits resolve bindings, not {expression}")


def end(spec: WaitSpec, start: int) -> int:
    return wait_end_ms(spec, start, no_attributes)


def refused(config: dict[str, Any] | None = None, kind: str = "WAIT", **meta: Any) -> WaitConfigError:
    with pytest.raises(WaitConfigError) as caught:
        wait(config, kind, **meta)
    assert "\n" not in caught.value.message
    assert caught.value.member in caught.value.message
    return caught.value


# A wait by duration exactly as a real export stores it (code#13590072894): every wait member present,
# specifiedTime "00:00" although the wait is not extended.
REAL_DURATION = {
    "type": "WAIT",
    "metaData": {"isConfigured": True, "isExtended": False, "waitType": "duration", "uiType": "WAITBYDURATION"},
    "arguments": {"waitEndDateAttributeDataBound": "", "waitForEventId": "", "waitQueueId": "{{Context.WaitQueueId}}"},
    "configurationArguments": {
        "waitDuration": 1, "waitUnit": "MINUTES", "specifiedTime": "00:00", "timeZone": "Russian Standard Time",
        "description": "", "waitEndDateAttributeExpression": "", "specificDate": "", "waitForEventKey": "",
    },
}  # fmt: skip


# --- parsing: variants --------------------------------------------------------------------------


def test_a_real_export_is_a_one_minute_duration_wait_not_extended_to_midnight() -> None:
    spec = parse_wait(REAL_DURATION)
    assert (spec.kind, spec.amount, spec.unit, spec.time_of_day) == ("duration", 1.0, "minutes", None)
    assert spec.time_zone == ZoneInfo("Europe/Moscow")
    assert end(spec, at("2024-05-01T10:00")) == at("2024-05-01T10:01")


def test_the_type_is_wait_in_any_case() -> None:
    assert wait({}, kind="Wait").kind == "duration"
    assert wait({}, kind="wait").kind == "duration"
    assert refused({}, kind="EMAILV2").member == "type"
    assert refused({}, kind=None).member == "type"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ui_type", "config", "kind"),
    [
        ("WAITBYDURATION", {}, "duration"),
        ("waitUntilDate", {"specificDate": "2030-01-01"}, "date"),
        ("WAITBYATTRIBUTE", {"waitEndDateAttributeExpression": "{{Contact.Attribute.S.D}}"}, "attribute"),
        ("WAITBYEVENT", {"waitForEventKey": "APIEvent-1"}, "event"),
    ],
)
def test_the_variant_comes_from_the_ui_type(ui_type: str, config: dict[str, Any], kind: str) -> None:
    # The unused members are there, blank, as in real exports.
    blank = {"waitEndDateAttributeExpression": "", "specificDate": "", "waitForEventKey": ""}
    assert wait({**blank, **config}, uiType=ui_type).kind == kind


def test_the_ui_type_wins_over_the_members() -> None:
    assert wait({"waitForEventKey": "APIEvent-1"}, uiType="WAITBYDURATION").kind == "duration"


def test_an_unknown_ui_type_is_refused() -> None:
    error = refused({}, uiType="WAITBYWEATHER")
    assert error.member == "metaData.uiType"
    assert "WAITBYWEATHER" in error.message


def test_without_a_ui_type_the_wait_type_or_the_filled_in_member_decides() -> None:
    assert wait({"specificDate": "2030-01-01"}, waitType="date").kind == "date"
    assert wait({"waitDuration": 2}, waitType="duration").kind == "duration"
    assert wait({"specificDate": "2030-01-01"}).kind == "date"
    assert wait({"waitEndDateAttributeExpression": "{{Contact.Attribute.S.D}}"}).kind == "attribute"
    assert wait({"waitForEventKey": "APIEvent-1"}).kind == "event"
    assert wait({"waitDuration": 2}).kind == "duration"
    assert wait(None).kind == "duration"


def test_two_filled_in_variant_members_without_a_ui_type_are_refused() -> None:
    error = refused({"specificDate": "2030-01-01", "waitForEventKey": "APIEvent-1"})
    assert error.member == "metaData.uiType"


def test_configuration_and_metadata_must_be_objects() -> None:
    assert refused([], uiType="WAITBYDURATION").member == "configurationArguments"  # type: ignore[arg-type]
    with pytest.raises(WaitConfigError) as caught:
        parse_wait({"type": "WAIT", "metaData": "WAITBYDURATION"})
    assert caught.value.member == "metaData"


def test_a_wait_config_error_is_a_value_error_with_a_one_line_message() -> None:
    error = refused({"waitUnit": "fortnights"})
    assert isinstance(error, ValueError)
    assert error.member == "configurationArguments.waitUnit"
    assert error.message == str(error)
    assert "'fortnights'" in error.message


# --- parsing: duration and unit -----------------------------------------------------------------


def test_the_default_wait_is_one_day() -> None:
    spec = wait({})
    assert (spec.amount, spec.unit) == (1.0, "days")
    assert (wait({"waitDuration": "", "waitUnit": ""}).amount, wait({"waitUnit": " "}).unit) == (1.0, "days")


@pytest.mark.parametrize("unit", ["minutes", "HOURS", "Days", "weeks", "MONTHS"])
def test_every_unit_in_any_case(unit: str) -> None:
    assert wait({"waitDuration": 2, "waitUnit": unit}).unit == unit.lower()


def test_the_duration_may_be_a_numeric_string() -> None:
    assert wait({"waitDuration": "3", "waitUnit": "weeks"}).amount == 3.0
    assert wait({"waitDuration": " 1.5 "}).amount == 1.5


def test_the_0_5_names_count_when_the_1_0_names_are_absent() -> None:
    spec = wait({"duration": 4, "durationUnits": "hours"})
    assert (spec.amount, spec.unit) == (4.0, "hours")
    spec = wait({"waitDuration": 2, "duration": 9, "waitUnit": "minutes", "durationUnits": "weeks"})
    assert (spec.amount, spec.unit) == (2.0, "minutes")
    assert refused({"duration": "soon"}).member == "configurationArguments.duration"
    assert refused({"durationUnits": "eons"}).member == "configurationArguments.durationUnits"


@pytest.mark.parametrize(
    "bad", [True, "abc", "nan", "inf", float("nan"), float("inf"), [1], {"n": 1}, 10**400, -1]
)
def test_a_duration_that_is_not_a_finite_non_negative_number_is_refused(bad: object) -> None:
    assert refused({"waitDuration": bad}).member == "configurationArguments.waitDuration"


@pytest.mark.parametrize(("unit", "most"), sorted(MAX_WAIT_AMOUNT.items()))
def test_a_wait_may_last_ten_years_and_no_longer(unit: str, most: int) -> None:
    assert wait({"waitDuration": most, "waitUnit": unit}).amount == most
    error = refused({"waitDuration": most + 1, "waitUnit": unit})
    assert "ten years" in error.message


def test_a_zero_duration_is_allowed_and_ends_at_once() -> None:
    assert end(wait({"waitDuration": 0}), at("2024-05-01T10:00")) == at("2024-05-01T10:00")


@pytest.mark.parametrize("bad", ["fortnights", "day", "1 day", 3])
def test_an_unknown_unit_is_refused(bad: object) -> None:
    assert refused({"waitUnit": bad}).member == "configurationArguments.waitUnit"


# --- parsing: time of day and zone --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9)), ("9:00", time(9)), ("00:00", time(0)), ("23:59", time(23, 59)),
        ("17:30:15", time(17, 30, 15)), ("9:00 AM", time(9)), ("9:05 pm", time(21, 5)),
        ("12:00 AM", time(0)), ("12:30 PM", time(12, 30)), ("11:59 p.m.", time(23, 59)),
    ],
)  # fmt: skip
def test_the_time_of_day_forms(text: str, expected: time) -> None:
    assert wait({"specifiedTime": text}, isExtended=True).time_of_day == expected


@pytest.mark.parametrize(
    "bad", ["24:00", "9:60", "13:00 PM", "0:30 AM", "9am", "noon", "9", "09:00:00:00", 900]
)
def test_a_time_of_day_that_is_not_one_is_refused(bad: object) -> None:
    assert refused({"specifiedTime": bad}, isExtended=True).member == "configurationArguments.specifiedTime"


def test_the_extension_flag_decides_whether_the_time_of_day_applies() -> None:
    assert wait({"specifiedTime": "09:00"}, isExtended=False).time_of_day is None
    assert wait({"specifiedTime": "09:00"}, isExtended=True).time_of_day == time(9)
    assert wait({"specifiedTime": "09:00"}, isExtended="true").time_of_day == time(9)
    # Without the flag (the documented 1.0 sample has none) a filled-in time extends the wait.
    assert wait({"specifiedTime": "09:00"}).time_of_day == time(9)
    assert wait({"specifiedTime": ""}).time_of_day is None
    # Journey Spec 1.0 spells it specificTime.
    assert wait({"specificTime": "07:15"}).time_of_day == time(7, 15)


def test_an_extended_wait_without_a_time_of_day_is_refused() -> None:
    error = refused({"specifiedTime": ""}, isExtended=True)
    assert error.member == "configurationArguments.specifiedTime"
    assert "isExtended" in error.message


def test_the_zone_is_read_from_time_zone_or_time_zone_id() -> None:
    assert wait({"timeZone": "Eastern Standard Time"}).time_zone == ZoneInfo(NEW_YORK)
    assert wait({"timeZoneId": "Tokyo Standard Time"}).time_zone == ZoneInfo("Asia/Tokyo")
    assert wait({"timeZone": "", "timeZoneId": "GMT Standard Time"}).time_zone == ZoneInfo("Europe/London")
    assert wait({"timeZone": "Europe/Paris"}).time_zone == ZoneInfo("Europe/Paris")
    assert wait({"timeZone": ""}).time_zone is UTC
    assert wait({}).time_zone is UTC


def test_an_unknown_zone_is_refused_naming_its_member() -> None:
    assert refused({"timeZone": "Mars Standard Time"}).member == "configurationArguments.timeZone"
    assert refused({"timeZoneId": "Mars/Olympus"}).member == "configurationArguments.timeZoneId"
    assert refused({"timeZone": 5}).member == "configurationArguments.timeZone"


# --- the time zone table ------------------------------------------------------------------------


@pytest.mark.parametrize("windows_name", sorted({**WINDOWS_ZONES, **LEGACY_WINDOWS_ZONES}))
def test_every_windows_zone_id_names_a_zone_the_tz_database_has(windows_name: str) -> None:
    assert isinstance(zone(windows_name), ZoneInfo)


def test_windows_ids_match_in_any_case_and_the_usual_ones_map_as_cldr_says() -> None:
    assert iana_name("Eastern Standard Time") == NEW_YORK
    assert iana_name("central standard time ") == "America/Chicago"
    assert iana_name("Turks and Caicos Standard Time") == "America/Grand_Turk"
    assert iana_name("GMT Standard Time") == "Europe/London"
    assert iana_name("Russian Standard Time") == "Europe/Moscow"
    assert iana_name("W. Europe Standard Time") == "Europe/Berlin"
    assert iana_name("Arabian Standard Time") == "Asia/Dubai"
    assert iana_name("UTC") == "Etc/UTC"
    assert iana_name("America/Chicago") is None


@pytest.mark.parametrize(
    "bad", ["Nowhere Standard Time", "America", "../../etc/passwd", "/etc/localtime", "a\x00b"]
)
def test_zone_refuses_names_that_are_no_zone(bad: str) -> None:
    with pytest.raises(WaitConfigError) as caught:
        zone(bad, "configurationArguments.timeZone")
    assert caught.value.member == "configurationArguments.timeZone"


def test_no_zone_name_means_utc() -> None:
    assert zone(None) is UTC
    assert zone("") is UTC
    assert zone("   ") is UTC


# --- duration waits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (90, "minutes", "2024-05-01T11:30:00+00:00"),
        (5, "hours", "2024-05-01T15:00:00+00:00"),
        (3, "days", "2024-05-04T10:00:00+00:00"),
        (2, "weeks", "2024-05-15T10:00:00+00:00"),
        (1, "months", "2024-06-01T10:00:00+00:00"),
        (1.5, "days", "2024-05-02T22:00:00+00:00"),
        (0.5, "hours", "2024-05-01T10:30:00+00:00"),
    ],
)
def test_each_unit_in_utc(amount: float, unit: str, expected: str) -> None:
    assert local(end(wait({"waitDuration": amount, "waitUnit": unit}), at("2024-05-01T10:00"))) == expected


def test_a_day_is_a_calendar_day_in_the_zone_across_spring_forward() -> None:
    # 2024-03-10: New York skips 02:00-03:00; that day lasts 23 hours.
    spec = wait({"waitDuration": 1, "waitUnit": "days", "timeZone": "Eastern Standard Time"})
    start = at("2024-03-09T12:00", NEW_YORK)
    assert local(end(spec, start), NEW_YORK) == "2024-03-10T12:00:00-04:00"
    assert end(spec, start) - start == 23 * 3_600_000


def test_a_day_is_a_calendar_day_in_the_zone_across_fall_back() -> None:
    # 2024-11-03: New York repeats 01:00-02:00; that day lasts 25 hours.
    spec = wait({"waitDuration": 1, "waitUnit": "DAYS", "timeZone": "Eastern Standard Time"})
    start = at("2024-11-02T12:00", NEW_YORK)
    assert local(end(spec, start), NEW_YORK) == "2024-11-03T12:00:00-05:00"
    assert end(spec, start) - start == 25 * 3_600_000


def test_hours_are_elapsed_time_even_across_a_dst_change() -> None:
    spec = wait({"waitDuration": 24, "waitUnit": "hours", "timeZone": "Eastern Standard Time"})
    start = at("2024-03-09T12:00", NEW_YORK)
    assert local(end(spec, start), NEW_YORK) == "2024-03-10T13:00:00-04:00"


def test_without_a_zone_days_are_utc_days() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "days"})
    assert end(spec, at("2024-03-09T17:00")) - at("2024-03-09T17:00") == 24 * 3_600_000


def test_a_day_landing_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "days", "timeZone": "Eastern Standard Time"})
    assert local(end(spec, at("2024-03-09T02:30", NEW_YORK)), NEW_YORK) == "2024-03-10T03:00:00-04:00"


def test_a_day_landing_in_the_fall_back_fold_takes_the_first_occurrence() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "days", "timeZone": "Eastern Standard Time"})
    assert local(end(spec, at("2024-11-02T01:30", NEW_YORK)), NEW_YORK) == "2024-11-03T01:30:00-04:00"


def test_a_start_in_the_second_pass_of_a_fold_is_kept_as_it_is() -> None:
    spec = wait({"waitDuration": 0, "waitUnit": "days", "timeZone": "Eastern Standard Time"})
    second_pass = at("2024-11-03T01:30", NEW_YORK) + 3_600_000  # 01:30 EST
    assert end(spec, second_pass) == second_pass


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-31T10:00", 1, "2024-02-29T10:00:00+00:00"),  # leap year: February has 29 days
        ("2023-01-31T10:00", 1, "2023-02-28T10:00:00+00:00"),
        ("2024-03-31T10:00", 1, "2024-04-30T10:00:00+00:00"),
        ("2024-01-31T10:00", 2, "2024-03-31T10:00:00+00:00"),  # from the start date, not from Feb 29
        ("2024-02-29T10:00", 12, "2025-02-28T10:00:00+00:00"),
        ("2024-02-29T10:00", 48, "2028-02-29T10:00:00+00:00"),
        ("2024-11-30T10:00", 3, "2025-02-28T10:00:00+00:00"),
        ("2024-12-15T10:00", 1, "2025-01-15T10:00:00+00:00"),
    ],
)
def test_months_clamp_to_the_last_day_of_the_month(start: str, months: int, expected: str) -> None:
    assert local(end(wait({"waitDuration": months, "waitUnit": "months"}), at(start))) == expected


def test_a_fraction_of_a_calendar_unit_lies_between_its_whole_steps() -> None:
    # The day after 2024-03-09 in New York lasts 23 hours, so half a day is 11.5 hours.
    spec = wait({"waitDuration": 1.5, "waitUnit": "days", "timeZone": "Eastern Standard Time"})
    start = at("2024-03-09T00:00", NEW_YORK)
    assert local(end(spec, start), NEW_YORK) == "2024-03-10T12:30:00-04:00"
    half_month = wait({"waitDuration": 0.5, "waitUnit": "months"})
    assert local(end(half_month, at("2024-02-01T00:00"))) == "2024-02-15T12:00:00+00:00"


def test_a_specified_time_is_the_first_occurrence_at_or_after_start_plus_duration() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "days", "specifiedTime": "09:00",
                 "timeZone": "Eastern Standard Time"}, isExtended=True)  # fmt: skip
    # Start + 1 day is 08:00: the same day's 09:00 is still ahead.
    assert local(end(spec, at("2024-05-01T08:00", NEW_YORK)), NEW_YORK) == "2024-05-02T09:00:00-04:00"
    # Start + 1 day is 10:00: 09:00 has passed, so the next day's.
    assert local(end(spec, at("2024-05-01T10:00", NEW_YORK)), NEW_YORK) == "2024-05-03T09:00:00-04:00"
    # Exactly 09:00 counts.
    assert local(end(spec, at("2024-05-01T09:00", NEW_YORK)), NEW_YORK) == "2024-05-02T09:00:00-04:00"


def test_a_specified_time_in_russian_standard_time() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "DAYS", "specifiedTime": "09:00",
                 "timeZone": "Russian Standard Time"}, isExtended=True)  # fmt: skip
    start = at("2024-01-15T10:00")  # 13:00 in Moscow (UTC+3 all year)
    assert local(end(spec, start), "Europe/Moscow") == "2024-01-17T09:00:00+03:00"
    assert end(spec, start) == at("2024-01-17T06:00")


def test_a_specified_time_in_the_spring_forward_gap_is_the_end_of_the_gap() -> None:
    spec = wait({"waitDuration": 1, "waitUnit": "days", "specifiedTime": "02:30",
                 "timeZone": "Eastern Standard Time"}, isExtended=True)  # fmt: skip
    assert local(end(spec, at("2024-03-09T01:00", NEW_YORK)), NEW_YORK) == "2024-03-10T03:00:00-04:00"


def test_a_specified_time_in_the_fall_back_fold_is_its_first_occurrence_not_yet_past() -> None:
    spec = wait({"waitDuration": 0, "waitUnit": "days", "specifiedTime": "01:30",
                 "timeZone": "Eastern Standard Time"}, isExtended=True)  # fmt: skip
    assert local(end(spec, at("2024-11-03T01:00", NEW_YORK)), NEW_YORK) == "2024-11-03T01:30:00-04:00"
    # Between the two passes of 01:30, the second (EST) one is the first still ahead.
    assert local(end(spec, at("2024-11-03T01:45", NEW_YORK)), NEW_YORK) == "2024-11-03T01:30:00-05:00"


def test_minutes_with_a_specified_time_move_to_that_time() -> None:
    spec = wait({"waitDuration": 30, "waitUnit": "minutes", "specifiedTime": "17:00"}, isExtended=True)
    assert local(end(spec, at("2024-05-01T10:00"))) == "2024-05-01T17:00:00+00:00"


def test_a_wait_running_past_year_9999_ends_at_the_last_representable_moment() -> None:
    start = at("9995-01-01T00:00")
    assert end(wait({"waitDuration": 120, "waitUnit": "months"}), start) == at("9999-12-31T23:59:59")


ZONES = st.sampled_from(["", "Eastern Standard Time", "GMT Standard Time", "AUS Eastern Standard Time",
                         "Lord Howe Standard Time", "Chatham Islands Standard Time", "Russian Standard Time"])  # fmt: skip
STARTS = st.integers(min_value=at("2000-01-01T00:00"), max_value=at("2040-01-01T00:00"))
UNITS = st.sampled_from(["minutes", "hours", "days", "weeks", "months"])
TIMES = st.none() | st.times().map(lambda t: t.strftime("%H:%M"))


@settings(max_examples=300, deadline=None)
@given(STARTS, UNITS, st.floats(0, 60, allow_nan=False), st.floats(0, 60, allow_nan=False), ZONES, TIMES)
def test_a_duration_wait_never_ends_before_its_start_and_grows_with_its_duration(
    start: int, unit: str, first: float, second: float, time_zone: str, specified: str | None
) -> None:
    def spec(amount: float) -> WaitSpec:
        config = {
            "waitDuration": amount,
            "waitUnit": unit,
            "timeZone": time_zone,
            "specifiedTime": specified or "",
        }
        return wait(config, isExtended=specified is not None)

    shorter, longer = sorted((first, second))
    end_shorter, end_longer = end(spec(shorter), start), end(spec(longer), start)
    assert start <= end_shorter <= end_longer
    if specified is not None:  # at the specified time, unless DST skipped it that day (then just after)
        tz = ZoneInfo(iana_name(time_zone) or "UTC")
        reached = datetime.fromtimestamp(end_shorter / 1000, tz)
        if reached.strftime("%H:%M") != specified:
            wanted = datetime.combine(reached.date(), time.fromisoformat(specified), tz)
            assert wanted.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wanted.replace(tzinfo=None)


# --- until date ---------------------------------------------------------------------------------


def test_an_until_date_is_read_in_the_wait_zone() -> None:
    spec = wait(
        {"specificDate": "2030-05-01T09:00:00", "timeZone": "Eastern Standard Time"}, uiType="WAITUNTILDATE"
    )
    assert spec.until_ms == at("2030-05-01T09:00", NEW_YORK)
    assert end(spec, at("2030-01-01T00:00")) == at("2030-05-01T09:00", NEW_YORK)


def test_an_until_date_already_past_ends_the_wait_at_once() -> None:
    spec = wait({"specificDate": "2020-05-01"}, uiType="WAITUNTILDATE")
    assert end(spec, at("2024-01-01T00:00")) == at("2024-01-01T00:00")


def test_an_until_date_takes_its_time_of_day_from_the_specified_time() -> None:
    spec = wait({"specificDate": "2030-05-01", "specifiedTime": "14:30", "timeZone": "GMT Standard Time"},
                uiType="WAITUNTILDATE")  # fmt: skip
    assert local(spec.until_ms or 0, "Europe/London") == "2030-05-01T14:30:00+01:00"
    spec = wait(
        {"specificDate": "2030-05-01", "specifiedTime": "14:30"}, uiType="WAITUNTILDATE", isExtended=False
    )
    assert local(spec.until_ms or 0) == "2030-05-01T00:00:00+00:00"


def test_an_until_date_with_an_offset_is_that_moment() -> None:
    spec = wait(
        {"specificDate": "2030-05-01T09:00:00-07:00", "timeZone": "Eastern Standard Time"},
        uiType="WAITUNTILDATE",
    )
    assert spec.until_ms == at("2030-05-01T16:00")


def test_an_until_date_in_sfmcs_us_format() -> None:
    spec = wait(
        {"specificDate": "5/1/2030 2:15:00 PM", "timeZone": "Central Standard Time"}, uiType="WAITUNTILDATE"
    )
    assert local(spec.until_ms or 0, "America/Chicago") == "2030-05-01T14:15:00-05:00"


def test_an_until_date_inside_the_spring_forward_gap_is_the_end_of_the_gap() -> None:
    spec = wait(
        {"specificDate": "2030-03-10T02:30", "timeZone": "Eastern Standard Time"}, uiType="WAITUNTILDATE"
    )
    assert local(spec.until_ms or 0, NEW_YORK) == "2030-03-10T03:00:00-04:00"


def test_an_until_date_inside_the_fall_back_fold_is_its_first_occurrence() -> None:
    spec = wait(
        {"specificDate": "2030-11-03T01:30", "timeZone": "Eastern Standard Time"}, uiType="WAITUNTILDATE"
    )
    assert local(spec.until_ms or 0, NEW_YORK) == "2030-11-03T01:30:00-04:00"


@pytest.mark.parametrize("bad", ["", "tomorrow", "2030-02-30", "2030-13-01", "13/45/2030", 20300501])
def test_an_until_date_that_is_no_date_is_refused(bad: object) -> None:
    error = refused({"specificDate": bad}, uiType="WAITUNTILDATE")
    assert error.member == "configurationArguments.specificDate"


def test_an_until_date_off_the_calendar_in_its_zone_is_refused() -> None:
    error = refused({"specificDate": "0001-01-01", "timeZone": "Tokyo Standard Time"}, uiType="WAITUNTILDATE")
    assert error.member == "configurationArguments.specificDate"


# --- by attribute -------------------------------------------------------------------------------


def attribute_wait(**config: Any) -> WaitSpec:
    blank = {"waitEndDateAttributeExpression": "{{Contact.Attribute.Renewals.Due}}", "specificDate": "",
             "waitForEventKey": ""}  # fmt: skip
    return wait({**blank, **config}, uiType="WAITBYATTRIBUTE")


def returns(value: object) -> Any:
    def resolve(expression: str) -> object:
        assert expression == "{{Contact.Attribute.Renewals.Due}}"
        return value

    return resolve


def test_an_attribute_wait_ends_on_the_attribute_date_in_the_zone() -> None:
    spec = attribute_wait(timeZone="Eastern Standard Time")
    assert (spec.amount, spec.unit) == (0.0, "days")  # no offset: on the date
    start = at("2030-01-01T00:00")
    assert wait_end_ms(spec, start, returns("2030-06-01")) == at("2030-06-01T00:00", NEW_YORK)


def test_seven_days_before_the_attribute_at_nine() -> None:
    spec = attribute_wait(waitDuration=-7, waitUnit="DAYS", specifiedTime="09:00",
                          timeZone="E. South America Standard Time")  # fmt: skip
    due = wait_end_ms(spec, at("2030-01-01T00:00"), returns("2030-06-30"))
    assert local(due, "America/Sao_Paulo") == "2030-06-23T09:00:00-03:00"


def test_an_attribute_offset_after_the_date_in_weeks_months_and_hours() -> None:
    start = at("2030-01-01T00:00")
    assert wait_end_ms(attribute_wait(waitDuration=2, waitUnit="weeks"), start, returns("2030-06-01")) == at(
        "2030-06-15T00:00"
    )
    assert wait_end_ms(attribute_wait(waitDuration=1, waitUnit="months"), start, returns("2030-01-31")) == at(
        "2030-02-28T00:00"
    )
    assert wait_end_ms(
        attribute_wait(waitDuration=-3, waitUnit="hours"), start, returns("2030-06-01T10:00")
    ) == at("2030-06-01T07:00")


def test_an_attribute_date_may_come_as_a_date_a_datetime_or_sfmc_text() -> None:
    spec = attribute_wait(timeZone="Tokyo Standard Time")
    start = at("2030-01-01T00:00")
    tokyo = "Asia/Tokyo"
    assert wait_end_ms(spec, start, returns(date(2030, 6, 1))) == at("2030-06-01T00:00", tokyo)
    assert wait_end_ms(spec, start, returns(datetime(2030, 6, 1, 8, 0))) == at("2030-06-01T08:00", tokyo)
    aware = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    assert wait_end_ms(spec, start, returns(aware)) == at("2030-06-01T08:00")
    assert wait_end_ms(spec, start, returns("6/1/2030 12:00:00 AM")) == at("2030-06-01T00:00", tokyo)
    assert wait_end_ms(spec, start, returns("2030-06-01T08:00:00Z")) == at("2030-06-01T08:00")
    assert wait_end_ms(spec, start, returns("2030-06-01 08:00:00.123+0200")) == at("2030-06-01T06:00:00.123")


@pytest.mark.parametrize(
    "value", [None, "", "  ", "not a date", "2030-02-30", 1_900_000_000_000, True, ["2030-06-01"]]
)
def test_an_attribute_that_is_no_date_ends_the_wait_at_once(value: object) -> None:
    spec = attribute_wait()
    start = at("2030-01-01T00:00")
    assert wait_end_ms(spec, start, returns(value)) == start
    assert attribute_due_ms(spec, returns(value)) is None


def test_an_unresolved_attribute_ends_the_wait_at_once_even_in_strict_mode() -> None:
    def strict(expression: str) -> object:
        raise UnresolvedBinding(expression)

    start = at("2030-01-01T00:00")
    assert wait_end_ms(attribute_wait(), start, strict) == start


def test_an_attribute_date_already_past_ends_the_wait_at_once() -> None:
    spec = attribute_wait()
    start = at("2030-01-01T00:00")
    assert wait_end_ms(spec, start, returns("1990-05-01")) == start
    assert attribute_due_ms(spec, returns("1990-05-01")) == at("1990-05-01T00:00")


def test_an_attribute_offset_off_the_calendar_reads_as_no_date() -> None:
    assert attribute_due_ms(attribute_wait(waitDuration=-5, waitUnit="days"), returns("0001-01-02")) is None


def test_a_bare_attribute_path_is_read_as_a_binding() -> None:
    spec = wait(
        {"waitEndDateAttributeExpression": "Contact.Attribute.Renewals.Due"}, uiType="WAITBYATTRIBUTE"
    )
    assert spec.attribute_expression == "{{Contact.Attribute.Renewals.Due}}"


def test_an_attribute_wait_without_an_attribute_is_refused() -> None:
    error = refused({"waitEndDateAttributeExpression": ""}, uiType="WAITBYATTRIBUTE")
    assert error.member == "configurationArguments.waitEndDateAttributeExpression"
    too_long = "{{Contact.Attribute.S." + "x" * 1000 + "}}"
    assert refused({"waitEndDateAttributeExpression": too_long}, uiType="WAITBYATTRIBUTE").member.endswith(
        "waitEndDateAttributeExpression"
    )


def test_an_attribute_offset_is_bounded_both_ways() -> None:
    assert attribute_wait(waitDuration=-3660, waitUnit="days").amount == -3660
    error = refused(
        {"waitEndDateAttributeExpression": "{{A.B}}", "waitDuration": -3661}, uiType="WAITBYATTRIBUTE"
    )
    assert error.member == "configurationArguments.waitDuration"


# --- wait until API event -----------------------------------------------------------------------


def test_an_event_wait_waits_for_its_event_key_until_its_timeout() -> None:
    spec = wait(
        {"waitForEventKey": "APIEvent-abc", "waitDuration": 3, "waitUnit": "days"}, uiType="WAITBYEVENT"
    )
    assert event_key(spec) == "APIEvent-abc"
    assert end(spec, at("2030-01-01T00:00")) == at("2030-01-04T00:00")


def test_an_event_wait_times_out_after_a_day_by_default() -> None:
    spec = wait({"waitForEventKey": "APIEvent-abc"}, uiType="WAITBYEVENT")
    assert end(spec, at("2030-01-01T00:00")) == at("2030-01-02T00:00")


def test_an_event_wait_without_an_event_key_is_refused() -> None:
    error = refused({"waitForEventKey": ""}, uiType="WAITBYEVENT")
    assert error.member == "configurationArguments.waitForEventKey"


def test_only_duration_waits_are_extended_on_resume_and_only_event_waits_have_a_key() -> None:
    duration = wait({})
    until = wait({"specificDate": "2030-01-01"}, uiType="WAITUNTILDATE")
    attribute = attribute_wait()
    event = wait({"waitForEventKey": "E"}, uiType="WAITBYEVENT")
    assert [is_duration(spec) for spec in (duration, until, attribute, event)] == [True, False, False, False]
    assert [event_key(spec) for spec in (duration, until, attribute, event)] == [None, None, None, "E"]


# --- date values --------------------------------------------------------------------------------


def test_date_values() -> None:
    assert parse_date_value("2030-06-01") == datetime(2030, 6, 1)
    assert parse_date_value("2030-06-01T08:09") == datetime(2030, 6, 1, 8, 9)
    assert parse_date_value("2030-06-01T08:09:10.5") == datetime(2030, 6, 1, 8, 9, 10, 500_000)
    assert parse_date_value("2030-06-01T08:09:10-0530") == datetime(
        2030, 6, 1, 8, 9, 10, tzinfo=timezone(-timedelta(hours=5, minutes=30))
    )
    assert parse_date_value("12/31/2030") == datetime(2030, 12, 31)
    assert parse_date_value("12/31/2030 11:59 PM") == datetime(2030, 12, 31, 23, 59)
    assert parse_date_value("12/31/2030 23:59:58") == datetime(2030, 12, 31, 23, 59, 58)
    for bad in ("2030-06-01T25:00", "2030-06-01T08:00+25:00", "12/31/2030 13:00 PM", "31.12.2030", "x" * 100):
        assert parse_date_value(bad) is None, bad
