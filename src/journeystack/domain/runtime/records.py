"""The runtime's stored records besides instances: fired events, exit requests, stats, history and
outbox queries, and the engine clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

# Journey history is kept this long (SFMC: 30 days); older rows are not searched or downloaded.
HISTORY_RETENTION_MS: Final = 30 * 86_400_000
# A search answers at most this many rows as its count, as SFMC's history search does.
HISTORY_COUNT_CAP: Final = 10_000


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A fired entry event (or Wait Until API Event release) waiting for the engine."""

    mid: int
    event_key: str
    contact_key: str
    event_instance_id: str
    data: dict[str, Any]
    fired_ms: int
    request_id: str | None = None
    pk: int | None = None


@dataclass(frozen=True, slots=True)
class ExitRequest:
    mid: int
    contact_key: str
    journey_key: str
    versions: tuple[int, ...] | None  # None: every version
    requested_ms: int
    done_ms: int | None = None
    outcome: tuple[dict[str, Any], ...] | None = None
    pk: int | None = None


@dataclass(frozen=True, slots=True)
class JourneyStats:
    current_population: int = 0
    cumulative_population: int = 0
    met_goal: int = 0
    met_exit_criteria: int = 0

    @property
    def goal_performance(self) -> float:
        """Goal attainment in percent of everyone who entered (SFMC is silent on the formula)."""
        if not self.cumulative_population:
            return 0.0
        return round(100.0 * self.met_goal / self.cumulative_population, 2)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    mid: int
    start_ms: int | None = None
    end_ms: int | None = None
    definition_ids: tuple[str, ...] = ()
    journey_keys: tuple[str, ...] = ()
    activity_ids: tuple[str, ...] = ()
    activity_keys: tuple[str, ...] = ()
    activity_types: tuple[str, ...] = ()
    contact_keys: tuple[str, ...] = ()
    definition_instance_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    client_statuses: tuple[str, ...] = ()
    descending: bool = True


@dataclass(frozen=True, slots=True)
class OutboxQuery:
    mid: int | None = None
    contact_key: str | None = None
    journey_key: str | None = None
    activity_key: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ClockState:
    frozen: bool
    now_ms: int


@dataclass(frozen=True, slots=True)
class Processed:
    """What one engine run did, by kind of work."""

    events: int = 0
    entries: int = 0
    steps: int = 0
    sweeps: int = 0
    exits: int = 0
    pauses: int = 0
    calls: int = 0  # custom-activity answers applied

    def __add__(self, other: Processed) -> Processed:
        return Processed(
            self.events + other.events,
            self.entries + other.entries,
            self.steps + other.steps,
            self.sweeps + other.sweeps,
            self.exits + other.exits,
            self.pauses + other.pauses,
            self.calls + other.calls,
        )

    @property
    def total(self) -> int:
        return self.events + self.steps + self.sweeps + self.exits + self.pauses + self.calls
