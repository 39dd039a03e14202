"""Engagement: the opens, clicks and bounces a tester records against outbox messages, and the two
activities that read them: the engagement split (ENGAGEMENTDECISION) and Path Optimizer (ABNTEST).

SFMC decides an engagement split when the contact arrives (engine.md §2.5): yes when the email the
split names was opened (statsTypeId 2; a click counts as an open), clicked (3; any link, or the one
tracked URL `statusUrlId` names) or bounced (6) by then. Path Optimizer's configuration is not
documented; journeystack reads the member names real exports are reported to use (docs/runtime.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

OPEN: Final = "open"
CLICK: Final = "click"
BOUNCE: Final = "bounce"
KINDS: Final = (OPEN, CLICK, BOUNCE)
STATS_TYPES: Final = {2: OPEN, 3: CLICK, 6: BOUNCE}
_UNIT_MS: Final = {"minutes": 60_000, "hours": 3_600_000, "days": 86_400_000, "weeks": 604_800_000}
# Path Optimizer's evaluation period: SFMC allows 1 hour to 99 days.
PERIOD_MS: Final = (3_600_000, 99 * 86_400_000, 86_400_000)


@dataclass(frozen=True, slots=True)
class EngagementEvent:
    """An open, click or bounce recorded against one outbox message, at an engine time."""

    message_id: int
    kind: str
    at_ms: int
    url_id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class EngagementSpec:
    ref_key: str  # the email activity whose message is looked at
    kind: str  # open | click | bounce
    url_id: str | None  # clicks: the tracked URL's id; None: any link
    yes: int  # outcome index of arguments.when true
    no: int


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _when_outcomes(activity: Mapping[str, Any]) -> tuple[int, int]:
    """(yes, no) outcome indexes: by arguments.when, else the first two outcomes in order."""
    outcomes = [o for o in activity.get("outcomes") or [] if isinstance(o, Mapping)]
    yes = no = None
    for index, outcome in enumerate(outcomes):
        when = _object(outcome.get("arguments")).get("when")
        if when in (True, "true", "True") and yes is None:
            yes = index
        elif when in (False, "false", "False") and no is None:
            no = index
    return (0 if yes is None else yes), (1 if no is None else no)


def parse_engagement(activity: Mapping[str, Any]) -> EngagementSpec:
    config = _object(activity.get("configurationArguments"))
    ref = config.get("refActivityCustomerKey")
    try:
        stats = int(config.get("statsTypeId"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        stats = 2
    url_id = config.get("statusUrlId")
    url_text = None if url_id in (None, "", 0, "0") else str(url_id)
    yes, no = _when_outcomes(activity)
    return EngagementSpec(
        ref_key=ref if isinstance(ref, str) else "",
        kind=STATS_TYPES.get(stats, OPEN),
        url_id=url_text,
        yes=yes,
        no=no,
    )


def engaged(kind: str, url_id: str | None, events: Iterable[EngagementEvent], until_ms: int) -> bool:
    """Whether the events recorded by `until_ms` show the engagement: an open (a click counts as an
    open, as in SFMC), a click (on any link, or the tracked URL `url_id`), or a bounce."""
    for event in events:
        if event.at_ms > until_ms:
            continue
        if kind == OPEN and event.kind in (OPEN, CLICK):
            return True
        if kind == CLICK and event.kind == CLICK and (url_id is None or event.url_id == url_id):
            return True
        if kind == BOUNCE and event.kind == BOUNCE:
            return True
    return False


@dataclass(frozen=True, slots=True)
class PathTestSpec:
    """Path Optimizer: a random split by the outcomes' percentages until its evaluation period ends,
    then every contact takes the winning path."""

    split: tuple[tuple[int, int], ...]  # (cumulative percentage, outcome index), as RANDOMSPLIT
    period_ms: int
    metric: str  # open | click
    automatic: bool  # winnerEvaluationType Engagement (else Manual: the test never ends)


def parse_path_test(activity: Mapping[str, Any], split: tuple[tuple[int, int], ...]) -> PathTestSpec:
    config = _object(activity.get("configurationArguments"))
    amount = config.get("engagementPeriod", 1)
    unit = str(config.get("engagementPeriodUnits") or "days").lower()
    unit = unit if unit.endswith("s") else unit + "s"
    try:
        period = int(float(amount) * _UNIT_MS.get(unit, _UNIT_MS["days"]))
    except (TypeError, ValueError):
        period = PERIOD_MS[2]
    low, high, _ = PERIOD_MS
    metric = str(config.get("engagementWinnerMetric") or "opens").lower()
    evaluation = str(config.get("winnerEvaluationType") or "Engagement").lower()
    return PathTestSpec(
        split=split,
        period_ms=min(high, max(low, period)),
        metric=CLICK if metric.startswith("click") else OPEN,
        automatic=evaluation != "manual",
    )


@dataclass(slots=True)
class PathTestState:
    """Where one Path Optimizer stands: when its first contact arrived, and its winner once chosen."""

    started_ms: int | None = None
    winner: int | None = None
    decided_ms: int | None = None
    summary: str | None = None


def pick_winner(results: list[tuple[int, int, int]]) -> tuple[int, str]:
    """The winning outcome of (outcome index, contacts, engaged contacts) per path: the highest share
    engaged; a tie goes to the path listed first. Returns (outcome index, a summary of the counts)."""
    best = max(results, key=lambda r: (r[2] / r[1] if r[1] else 0.0, -r[0]))
    summary = ", ".join(f"path {index + 1}: {hit}/{total}" for index, total, hit in results)
    return best[0], summary
