"""What the web console reads besides the API's own documents: journey summaries for its list,
where contacts are and how they moved, which journeys use an event. Read models only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

CONSOLE_PAGE_SIZE: Final = 50
# The edge key of the end of a path (a history row of type StopInteractionActivity).
END: Final = ""


@dataclass(frozen=True, slots=True)
class JourneyListQuery:
    """The console's journey list: a text found in the name or the key, a status some version is
    in, and a folder; newest change first."""

    mid: int
    text: str | None = None
    status: str | None = None
    folder_id: int | None = None
    page: int = 1
    page_size: int = CONSOLE_PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.status or self.folder_id is not None)


@dataclass(frozen=True, slots=True)
class JourneySummary:
    journey_id: str
    key: str
    name: str
    version: int  # the most recent version that is not Deleted
    status: str
    modified_ms: int
    folder_id: int | None
    # Every version (Deleted ones too), oldest first: (version, status).
    versions: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class JourneyListPage:
    items: list[JourneySummary]
    page: int
    page_size: int
    has_more: bool
    # Known exactly only for the unfiltered list (kept as a counter); a filtered list pages on.
    total: int | None = None


@dataclass(frozen=True, slots=True)
class EventUse:
    """A journey version whose trigger names an event definition."""

    event_key: str
    journey_id: str
    key: str
    name: str
    version: int
    status: str


@dataclass(frozen=True, slots=True)
class Flow:
    """How contacts moved through one journey version: how many wait in each activity now (None:
    queued before the first), and how many went from one activity to the next (END: the end of
    a path), over the history that is kept."""

    waiting: dict[str | None, int] = field(default_factory=dict)
    moves: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def entered(self) -> int:
        return sum(n for (source, _), n in self.moves.items() if source not in self.targets)

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(target for _, target in self.moves)

    def reached(self, key: str) -> int:
        return sum(n for (_, target), n in self.moves.items() if target == key)


@dataclass(frozen=True, slots=True)
class ContactMatch:
    contact_key: str
    passes: int  # journey passes (live or ended) in the business unit
    live: int
