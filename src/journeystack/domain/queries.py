"""The journey list query: filters, ordering and paging, validated before storage sees them.

Which versions a list holds (SFMC's GET /interactions, "the most recent version of each journey
that matches the filter criteria"), in order of precedence:

- `journey_id`: every version of that journey;
- `status`: of each journey, the most recent version in that status (the only one, with
  `most_recent_version_only` false: every version in it);
- `version_number`: that version of each journey (not Deleted);
- `most_recent_or_running`: the most recent version of each journey and every running one;
- `most_recent_version_only` (the default): the most recent version of each journey not Deleted;
- otherwise every version.

Each of the others (key, name or description, definition type, workflow API version, tag) then
narrows what that gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class OrderColumn(StrEnum):
    MODIFIED_DATE = "modified"
    NAME = "name"


MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
# The largest number the stores' INTEGER columns hold on every backend (PostgreSQL's is 32-bit):
# versions, and pages (whose offset, at most 500 times this, fits the 64-bit arithmetic).
MAX_INTEGER = 2**31 - 1
# BIGINT columns (MIDs, folder ids, times in ms).
MAX_BIG_INTEGER = 2**63 - 1


@dataclass(frozen=True, slots=True)
class JourneyQuery:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    most_recent_version_only: bool = True
    journey_id: str | None = None
    key: str | None = None
    status: str | None = None
    name_or_description: str | None = None
    definition_type: str | None = None
    workflow_api_version: float | None = None
    # SFMC's other list filters (issue 13): one version number of every journey; a tag its version
    # carries (lower-cased); and the most recent version plus every running one of each journey.
    version_number: int | None = None
    tag: str | None = None
    most_recent_or_running: bool = False
    order_by: OrderColumn = OrderColumn.MODIFIED_DATE
    descending: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    count: int
    page: int
    page_size: int
    items: list[T]
