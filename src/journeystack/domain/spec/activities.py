"""Rules for individual activity types: save-time checks, publish-time configuration, wait lengths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .problems import (
    BAD_PERCENTAGE,
    BAD_REST_CONCURRENCY,
    BAD_REST_RETRY_COUNT,
    BAD_REST_RETRY_DELAY,
    BAD_REST_TIMEOUT,
    BAD_STATS_TYPE,
    BAD_WAIT_DURATION,
    BAD_WAIT_UNIT,
    CRITERIA_NOT_OUTCOME,
    ENGAGEMENT_REF_NOT_EMAIL,
    OBJECT,
    PERCENTAGE_SUM,
    TOO_FEW_SPLIT_PATHS,
    UNKNOWN_ENGAGEMENT_REF,
    Site,
    SpecProblem,
    as_list,
    as_number,
    as_object,
    as_whole_number,
    expect,
    is_json_int,
    non_empty_string,
    quoted,
)

# The activity types api-contract §3.3 documents. Compared upper-cased: real data is upper case, the
# docs spell some in mixed case (RandomSplit, DataExtensionUpdate).
KNOWN_TYPES: Final = frozenset(
    {
        "EMAILV2",
        "EMAIL",
        "WAIT",
        "MULTICRITERIADECISION",
        "RANDOMSPLIT",
        "ENGAGEMENTDECISION",
        "UPDATECONTACTDATA",
        "DATAEXTENSIONUPDATE",
        "REST",
        "RESTDECISION",
        "SMSSYNC",
        "SMS",
        "PUSHNOTIFICATIONACTIVITY",
    }
)
EMAIL_TYPES: Final = frozenset({"EMAILV2", "EMAIL"})
WAIT_UNITS: Final = ("minutes", "hours", "days", "weeks", "months")
STATS_TYPES: Final = {2: "opened", 3: "clicked", 6: "bounced"}
REST_TIMEOUT_MS: Final = (1000, 100_000)

# Days per wait unit, to find waits long enough to warn about; a month counts as a twelfth of a year
# so that "12 months" is not longer than "365 days".
_DAYS_PER_UNIT: Final = {
    "minutes": 1 / 1440,
    "hours": 1 / 24,
    "days": 1.0,
    "weeks": 7.0,
    "months": 365 / 12,
}


@dataclass(frozen=True, slots=True)
class JourneyContext:
    """What a per-activity rule needs to know about the rest of the journey."""

    types_by_key: Mapping[str, str]  # activity key -> type as sent (first activity with that key)
    api_version_05: bool


def upper_type(activity: Mapping[str, Any]) -> str:
    kind = activity.get("type")
    return kind.upper() if isinstance(kind, str) else ""


def _missing_or_wrong(member: str, value: Any, requirement: str) -> str:
    if value is None:
        return f"{member} is missing; it must be {requirement}"
    return f"{member} must be {requirement}, not {quoted(value)}"


# --- WAIT --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitSettings:
    by_duration: bool
    duration_member: str
    duration: Any
    unit_member: str
    unit: Any


def wait_settings(activity: Mapping[str, Any], api_version_05: bool) -> WaitSettings:
    """Where a WAIT keeps its duration and unit (0.5 journeys may use the older names)."""
    config = as_object(activity.get("configurationArguments"))
    ui_type = as_object(activity.get("metaData")).get("uiType")
    # Only duration waits carry waitDuration; wait-until-date and friends have other, undocumented shapes.
    by_duration = ui_type is None or (isinstance(ui_type, str) and ui_type.upper() == "WAITBYDURATION")
    duration_name, unit_name = "waitDuration", "waitUnit"
    if api_version_05:
        if "waitDuration" not in config and "duration" in config:
            duration_name = "duration"
        if "waitUnit" not in config and "durationUnits" in config:
            unit_name = "durationUnits"
    return WaitSettings(
        by_duration=by_duration,
        duration_member=f"configurationArguments.{duration_name}",
        duration=config.get(duration_name),
        unit_member=f"configurationArguments.{unit_name}",
        unit=config.get(unit_name),
    )


def _valid_unit(unit: Any) -> bool:
    return isinstance(unit, str) and unit.lower() in WAIT_UNITS


def wait_days(activity: Mapping[str, Any], api_version_05: bool) -> float | None:
    """How many days a duration WAIT holds a contact, or None when that is not known."""
    settings = wait_settings(activity, api_version_05)
    duration = as_number(settings.duration)
    if not settings.by_duration or duration is None or not _valid_unit(settings.unit):
        return None
    return duration * _DAYS_PER_UNIT[str(settings.unit).lower()]


def _check_wait(site: Site, activity: Mapping[str, Any], ctx: JourneyContext, out: list[SpecProblem]) -> None:
    settings = wait_settings(activity, ctx.api_version_05)
    units = ", ".join(WAIT_UNITS)
    if settings.by_duration:
        duration = as_number(settings.duration)
        if duration is None or duration <= 0:
            text = _missing_or_wrong(settings.duration_member, settings.duration, "a positive number")
            out.append(site.problem(BAD_WAIT_DURATION, settings.duration_member, text))
    elif settings.unit is None:
        return
    if not _valid_unit(settings.unit):
        text = _missing_or_wrong(settings.unit_member, settings.unit, f"one of {units}")
        out.append(site.problem(BAD_WAIT_UNIT, settings.unit_member, text))


# --- RANDOMSPLIT -------------------------------------------------------------------------------


def _check_random_split(
    site: Site, activity: Mapping[str, Any], _ctx: JourneyContext, out: list[SpecProblem]
) -> None:
    outcomes = as_list(activity.get("outcomes"))
    total, all_valid = 0, True
    for index, outcome in enumerate(outcomes):
        if not isinstance(outcome, OBJECT):
            all_valid = False  # reported by the structural pass
            continue
        percentage = as_object(outcome.get("arguments")).get("percentage")
        # SFMC's docs ask for integers; "50" or 50.0 are refused rather than guessed at.
        if is_json_int(percentage) and 0 < percentage < 100:
            total += percentage
            continue
        all_valid = False
        member = f"outcomes[{index}].arguments.percentage"
        text = _missing_or_wrong(member, percentage, "a JSON integer from 1 to 99")
        out.append(site.problem(BAD_PERCENTAGE, member, text))
    if len(outcomes) < 2:
        text = f"a random split needs at least two outcomes, it has {len(outcomes)}"
        out.append(site.problem(TOO_FEW_SPLIT_PATHS, "outcomes", text))
    elif all_valid and total != 100:
        text = f"the outcome percentages add up to {total}; they must add up to 100"
        out.append(site.problem(PERCENTAGE_SUM, "outcomes", text))


# --- ENGAGEMENTDECISION ------------------------------------------------------------------------


def _check_engagement(
    site: Site, activity: Mapping[str, Any], ctx: JourneyContext, out: list[SpecProblem]
) -> None:
    config = as_object(activity.get("configurationArguments"))
    member = "configurationArguments.refActivityCustomerKey"
    ref = config.get("refActivityCustomerKey")
    # A missing reference is an unfinished draft (publish refuses it); a wrong one is an error now.
    if ref is not None and expect(out, site, member, ref, "string"):
        if ref not in ctx.types_by_key:
            out.append(site.problem(UNKNOWN_ENGAGEMENT_REF, member, f"{member} {ref!r} names no activity"))
        elif ctx.types_by_key[ref].upper() not in EMAIL_TYPES:
            text = (
                f"{member} {ref!r} names a {ctx.types_by_key[ref]} activity; "
                "an engagement split must name an email activity (EMAILV2 or EMAIL)"
            )
            out.append(site.problem(ENGAGEMENT_REF_NOT_EMAIL, member, text))
    stats = config.get("statsTypeId")
    if stats is not None and as_whole_number(stats) not in STATS_TYPES:
        member = "configurationArguments.statsTypeId"
        text = f"{member} must be 2 (opened), 3 (clicked) or 6 (bounced), not {quoted(stats)}"
        out.append(site.problem(BAD_STATS_TYPE, member, text))


# --- MULTICRITERIADECISION ---------------------------------------------------------------------


def _check_decision(
    site: Site, activity: Mapping[str, Any], _ctx: JourneyContext, out: list[SpecProblem]
) -> None:
    criteria = as_object(activity.get("configurationArguments")).get("criteria")
    if criteria is None or not expect(out, site, "configurationArguments.criteria", criteria, "object"):
        return
    outcome_keys = {
        outcome.get("key")
        for outcome in as_list(activity.get("outcomes"))
        if isinstance(outcome, OBJECT) and isinstance(outcome.get("key"), str)
    }
    for criterion in criteria:
        if criterion not in outcome_keys:
            member = f"configurationArguments.criteria.{criterion}"
            text = f"configurationArguments.criteria names {criterion!r}, which is not an outcome key"
            out.append(site.problem(CRITERIA_NOT_OUTCOME, member, text))


# --- REST (custom activities) ------------------------------------------------------------------


def _check_rest(
    site: Site, activity: Mapping[str, Any], _ctx: JourneyContext, out: list[SpecProblem]
) -> None:
    execute = as_object(activity.get("arguments")).get("execute")
    if execute is None or not expect(out, site, "arguments.execute", execute, "object"):
        return
    timeout = execute.get("timeout")
    if timeout is not None:
        low, high = REST_TIMEOUT_MS
        number = as_number(timeout)
        if number is None or not low <= number <= high:
            member = "arguments.execute.timeout"
            text = f"{member} must be a number of milliseconds from {low} to {high}, not {quoted(timeout)}"
            out.append(site.problem(BAD_REST_TIMEOUT, member, text))
    # SFMC's sample custom activity documents these ranges (engine.md §2.8).
    for name, code, (low, high), whole, what in (
        ("retryCount", BAD_REST_RETRY_COUNT, (0, 5), True, "a whole number"),
        ("retryDelay", BAD_REST_RETRY_DELAY, (0, 10_000), False, "a number of milliseconds"),
        ("concurrentRequests", BAD_REST_CONCURRENCY, (1, 50), True, "a whole number"),
    ):
        value = execute.get(name)
        if value is None:
            continue
        number = as_whole_number(value) if whole else as_number(value)
        if number is None or not low <= number <= high:
            member = f"arguments.execute.{name}"
            out.append(
                site.problem(
                    code, member, f"{member} must be {what} from {low} to {high}, not {quoted(value)}"
                )
            )


_Check = Callable[[Site, Mapping[str, Any], JourneyContext, list[SpecProblem]], None]

_SAVE_CHECKS: Final[dict[str, _Check]] = {
    "WAIT": _check_wait,
    "RANDOMSPLIT": _check_random_split,
    "ENGAGEMENTDECISION": _check_engagement,
    "MULTICRITERIADECISION": _check_decision,
    "REST": _check_rest,
    "RESTDECISION": _check_rest,
}


def check_activity(
    site: Site, activity: Mapping[str, Any], ctx: JourneyContext, out: list[SpecProblem]
) -> None:
    """Save-time rules of the activity's own type (nothing for types without any)."""
    check = _SAVE_CHECKS.get(upper_type(activity))
    if check is not None:
        check(site, activity, ctx, out)


# --- What "configured" means per type, for publishing ------------------------------------------

_Missing = list[tuple[str, str]]  # (member, what is missing)


def _email_missing(activity: Mapping[str, Any]) -> _Missing:
    config = as_object(activity.get("configurationArguments"))
    arguments = as_object(activity.get("arguments"))
    send = config.get("triggeredSend")
    if isinstance(send, OBJECT) and send:
        return []
    # Older EMAIL activities name an existing triggered send instead of carrying one.
    for holder in (config, arguments):
        if any(non_empty_string(holder.get(name)) for name in ("triggeredSendKey", "triggeredSendId")):
            return []
    return [("configurationArguments.triggeredSend", "an email activity needs its triggered send settings")]


def _decision_missing(activity: Mapping[str, Any]) -> _Missing:
    criteria = as_object(activity.get("configurationArguments")).get("criteria")
    if not isinstance(criteria, OBJECT) or not criteria:
        return [("configurationArguments.criteria", "a decision split needs at least one criterion")]
    return [
        (f"configurationArguments.criteria.{name}", f"the criterion for outcome {name!r} is empty")
        for name, xml in criteria.items()
        if not non_empty_string(xml)
    ]


def _engagement_missing(activity: Mapping[str, Any]) -> _Missing:
    config = as_object(activity.get("configurationArguments"))
    missing: _Missing = []
    if not non_empty_string(config.get("refActivityCustomerKey")):
        member = "configurationArguments.refActivityCustomerKey"
        missing.append((member, "an engagement split must name an email activity"))
    if config.get("statsTypeId") is None:
        member = "configurationArguments.statsTypeId"
        missing.append((member, "an engagement split needs the engagement to test"))
    return missing


def _update_contact_missing(activity: Mapping[str, Any]) -> _Missing:
    data = as_object(as_object(activity.get("arguments")).get("activityData"))
    fields = data.get("updateContactFields")
    if isinstance(fields, list) and fields:
        return []
    return [("arguments.activityData.updateContactFields", "an update-contact activity needs fields to set")]


def _de_update_missing(activity: Mapping[str, Any]) -> _Missing:
    config = as_object(activity.get("configurationArguments"))
    return [
        (f"configurationArguments.{name}", f"a data extension update needs {name}")
        for name in ("dataExtensionId", "field")
        if not non_empty_string(config.get(name))
    ]


def _rest_missing(activity: Mapping[str, Any]) -> _Missing:
    execute = as_object(as_object(activity.get("arguments")).get("execute"))
    config = as_object(activity.get("configurationArguments"))
    # 1.0 moved 0.5's execute.uri to configurationArguments.url; either tells us where to call.
    if non_empty_string(execute.get("url")) or non_empty_string(config.get("url")):
        return []
    return [("arguments.execute.url", "a custom activity needs the URL of its execute endpoint")]


def _non_empty(member: str, what: str) -> Callable[[Mapping[str, Any]], _Missing]:
    def missing(activity: Mapping[str, Any]) -> _Missing:
        value = activity.get(member)
        return [] if isinstance(value, OBJECT) and value else [(member, what)]

    return missing


_CONFIG_RULES: Final[dict[str, Callable[[Mapping[str, Any]], _Missing]]] = {
    "EMAILV2": _email_missing,
    "EMAIL": _email_missing,
    "MULTICRITERIADECISION": _decision_missing,
    "ENGAGEMENTDECISION": _engagement_missing,
    "UPDATECONTACTDATA": _update_contact_missing,
    "DATAEXTENSIONUPDATE": _de_update_missing,
    "REST": _rest_missing,
    "RESTDECISION": _rest_missing,
    # MobileConnect and MobilePush formats are not documented; insist only that something is set.
    "SMSSYNC": _non_empty("configurationArguments", "an SMS activity needs its message settings"),
    "PUSHNOTIFICATIONACTIVITY": _non_empty("configurationArguments", "a push activity needs its message"),
    "SMS": _non_empty("arguments", "a legacy SMS activity needs its message arguments"),
}


def missing_configuration(activity: Mapping[str, Any]) -> _Missing:
    """What a known-type activity still lacks before it can be published: (member, explanation) pairs.

    WAIT and RANDOMSPLIT have nothing here: their save-time rules already demand a full configuration.
    """
    rule = _CONFIG_RULES.get(upper_type(activity))
    return rule(activity) if rule is not None else []
