"""What a Journey Spec check reports, its stable codes, and small helpers for reading untrusted JSON."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypeGuard

ERROR: Final = "Error"
WARNING: Final = "Warning"

# Save-time (structural) codes. 121008 is skipped on purpose: SFMC uses it for email send validation.
NOT_AN_OBJECT: Final = "121000"
WRONG_TYPE: Final = "121001"
BAD_ENTRY_MODE: Final = "121002"
BAD_DEFINITION_TYPE: Final = "121003"
TOO_MANY_TRIGGERS: Final = "121004"
BAD_ACTIVITY_KEY: Final = "121011"
BAD_ACTIVITY_TYPE: Final = "121012"
DUPLICATE_ACTIVITY_KEY: Final = "121013"
DUPLICATE_OUTCOME_KEY: Final = "121015"
UNKNOWN_NEXT: Final = "121016"
SELF_NEXT: Final = "121017"
BAD_PERCENTAGE: Final = "121020"
PERCENTAGE_SUM: Final = "121021"
TOO_FEW_SPLIT_PATHS: Final = "121022"
BAD_WAIT_DURATION: Final = "121030"
BAD_WAIT_UNIT: Final = "121031"
UNKNOWN_ENGAGEMENT_REF: Final = "121040"
ENGAGEMENT_REF_NOT_EMAIL: Final = "121041"
BAD_STATS_TYPE: Final = "121042"
CRITERIA_NOT_OUTCOME: Final = "121050"
BAD_REST_TIMEOUT: Final = "121060"
BAD_REST_RETRY_COUNT: Final = "121061"
BAD_REST_RETRY_DELAY: Final = "121062"
BAD_REST_CONCURRENCY: Final = "121063"
BAD_CONVERSION_UNIT: Final = "121070"

# Publish-time codes.
NO_TRIGGER: Final = "121100"
NO_EVENT_DEFINITION_REF: Final = "121101"
EVENT_DEFINITION_NOT_FOUND: Final = "121102"
NO_ACTIVITIES: Final = "121103"
CYCLE: Final = "121104"
UNREACHABLE: Final = "121105"
ENTRY_MODE_NOT_SET: Final = "121106"
NOT_CONFIGURED: Final = "121107"
MISSING_CONFIGURATION: Final = "121108"
NO_NAME: Final = "121109"
GOAL_NOT_CONFIGURED: Final = "121110"
ENGAGEMENT_BEFORE_EMAIL: Final = "121111"

# Not a check: how many more problems were found than a report lists.
MORE_PROBLEMS: Final = "121998"

# Publish-time warnings; 121547 is SFMC's own code for a long wait.
UNKNOWN_ACTIVITY_TYPE: Final = "121540"
LONG_WAIT: Final = "121547"


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One thing wrong with a journey definition, where it is, and how bad it is."""

    code: str
    message: str
    path: str
    level: str = ERROR
    activity_key: str | None = None
    activity_type: str | None = None


def join_path(base: str, member: str) -> str:
    if not base:
        return member
    if not member:
        return base
    return f"{base}{member}" if member.startswith("[") else f"{base}.{member}"


@dataclass(frozen=True, slots=True)
class Site:
    """A place in the document that problems are reported against (the journey, a trigger, an activity)."""

    path: str
    label: str
    activity_key: str | None = None
    activity_type: str | None = None

    def problem(self, code: str, member: str, text: str, *, level: str = ERROR) -> SpecProblem:
        return SpecProblem(
            code=code,
            message=f"{self.label}: {text}",
            path=join_path(self.path, member),
            level=level,
            activity_key=self.activity_key,
            activity_type=self.activity_type,
        )


ROOT = Site(path="", label="journey")


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, OBJECT):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


# JSON objects: decoded documents hold dicts, and `dict` first keeps the common case off the (much
# slower) abstract-class check; any other Mapping still counts.
OBJECT: Final = (dict, Mapping)

_KIND_TESTS: Final[dict[str, tuple[str, type | tuple[type, ...]]]] = {
    "object": ("an object", OBJECT),
    "array": ("an array", (list, tuple)),
    "string": ("a string", str),
}


def expect(problems: list[SpecProblem], site: Site, member: str, value: Any, kind: str) -> bool:
    """Whether `value` (not null) is of the JSON `kind`; appends a WRONG_TYPE problem when it is not."""
    wanted, types = _KIND_TESTS[kind]
    if isinstance(value, types):
        return True
    problems.append(site.problem(WRONG_TYPE, member, f"{member} must be {wanted}, not {json_type(value)}"))
    return False


def as_object(value: Any) -> Mapping[str, Any]:
    """`value` if it is an object, else an empty one: lets later checks read broken input without failing."""
    return value if isinstance(value, OBJECT) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def is_json_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_NUMERIC = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def as_number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric string; None for anything else.

    A regex guards float() because Python's float() also takes "inf", "nan" and "1_000".
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and _NUMERIC.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def as_whole_number(value: Any) -> int | None:
    """An integer from a JSON integer, an integer-valued number, or a numeric string like "3"."""
    number = as_number(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def quoted(value: Any) -> str:
    """A short rendering of a sent value for messages: the value itself for scalars, the type otherwise."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, bool):
        text = {None: "null", True: "true", False: "false"}[value]
    elif isinstance(value, int | float):
        try:
            text = repr(value)
        except ValueError:  # an int past Python's digit limit
            text = "a very large number"
    else:
        text = json_type(value)
    return text if len(text) <= 80 else text[:77] + "..."


def non_empty_string(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.strip() != ""


def _cut(text: str, max_bytes: int) -> str:
    """`text` in at most `max_bytes` bytes of UTF-8, cut on a character boundary, marked when cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(0, max_bytes - 3)].decode("utf-8", "ignore") + "..."


def bounded(problems: list[SpecProblem], limit: int, message_bytes: int) -> list[SpecProblem]:
    """At most `limit` problems, each message at most `message_bytes` bytes, plus one more naming
    how many were left out: a journey's problems can outnumber anything worth answering or
    storing (a publish status, an audit entry, a 400), so every report of them is bounded."""
    kept = [
        p if len(p.message) * 4 <= message_bytes else replace(p, message=_cut(p.message, message_bytes),
                                                               path=_cut(p.path, message_bytes))
        for p in problems[:limit]
    ]  # fmt: skip
    if len(problems) > limit:
        level = problems[limit].level
        text = f"journey: {len(problems) - limit} more problems were found; only the first {limit} are listed"
        kept.append(SpecProblem(MORE_PROBLEMS, text, "", level))
    return kept
