"""What services need from storage, as Protocols; storage/sql implements them."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from journeystack.domain.audit import AuditAction, AuditEntry
from journeystack.domain.auth import Grant
from journeystack.domain.events import EventDefinition
from journeystack.domain.folders import Folder
from journeystack.domain.journey import JourneyVersion, Status, StoredJourney
from journeystack.domain.lifecycle import Operation
from journeystack.domain.queries import JourneyQuery, Page


class WriteConflict(Exception):
    """A concurrent writer got there first (unique key taken); the service decides what it means."""


class TooMuchToRead(Exception):
    """A read would load more than the budget it was given; the service decides what it means."""


class JourneyRepository(Protocol):
    def latest(
        self, mid: int, *, key: str | None = None, journey_id: str | None = None
    ) -> JourneyVersion | None:
        """The highest version of a journey, whatever its status."""
        ...

    def get(
        self, mid: int, version: int, *, key: str | None = None, journey_id: str | None = None
    ) -> JourneyVersion | None: ...

    def stored(
        self, mid: int, version: int | None, *, key: str | None = None, journey_id: str | None = None
    ) -> StoredJourney | None:
        """One version (the latest when `version` is None), its spec left as the stored JSON text."""
        ...

    def versions(
        self, mid: int, *, key: str | None = None, journey_id: str | None = None
    ) -> list[JourneyVersion]:
        """Every version of a journey, oldest first."""
        ...

    def add(self, version: JourneyVersion) -> None:
        """Store a new version; raises WriteConflict if (mid, key, version) is taken."""
        ...

    def replace_if_unmodified(self, new: JourneyVersion, seen_modified_ms: int) -> bool:
        """Compare-and-swap: write `new` only if the stored row is still an editable Draft whose
        modifiedDate is `seen_modified_ms`. True when written."""
        ...

    def set_status(
        self,
        current: JourneyVersion,
        status: Status,
        *,
        modified_ms: int,
        last_published_ms: int | None = None,
        paused_until_ms: int | None = None,
        pause_options: dict[str, Any] | None = None,
    ) -> bool:
        """Move a version to another status if it still has `current.status`; True when written."""
        ...

    def attach_operation(self, version: JourneyVersion, operation_id: str) -> bool: ...

    def detach_operation(self, mid: int, journey_id: str, version: int, operation_id: str) -> None: ...

    def lock_journey(self, mid: int, journey_id: str) -> None: ...

    def expired_pauses(self, now_ms: int, limit: int = 100) -> list[JourneyVersion]: ...

    def count_using_event(self, mid: int, key: str, event_id: str, statuses: list[Status] | None) -> int: ...

    def list(
        self, mid: int, query: JourneyQuery, *, with_spec: bool, spec_budget: int | None = None
    ) -> Page[JourneyVersion]:
        """A page of versions; with `with_spec`, raises TooMuchToRead as soon as the page's Journey
        Spec documents add up to more than `spec_budget` characters."""
        ...


class TokenRepository(Protocol):
    def add(self, token_hash: str, grant: Grant) -> None: ...

    def get(self, token_hash: str) -> Grant | None: ...

    def purge_expired(self, now_ms: int) -> int: ...


class OperationRepository(Protocol):
    def add(self, op: Operation) -> None: ...

    def get(self, mid: int, operation_id: str) -> Operation | None: ...

    def claim_due(self, now_ms: int, worker: str, lease_ms: int, limit: int) -> list[Operation]: ...

    def finish(self, op: Operation, *, worker: str) -> bool: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...

    def list(
        self,
        mid: int,
        journey_id: str,
        *,
        action: AuditAction | None,
        version: int | None,
        page: int,
        page_size: int,
    ) -> Page[AuditEntry]: ...


class EventDefinitionRepository(Protocol):
    def get(
        self, mid: int, *, key: str | None = None, event_id: str | None = None
    ) -> EventDefinition | None: ...

    def add(self, event: EventDefinition) -> None: ...

    def replace(self, event: EventDefinition) -> None: ...

    def remove(self, event: EventDefinition) -> None: ...

    def list(self, mid: int, *, name: str | None, page: int, page_size: int) -> Page[EventDefinition]: ...


class FolderRepository(Protocol):
    def get(self, mid: int, folder_id: int) -> Folder | None: ...

    def root(self, mid: int, content_type: str) -> Folder | None:
        """The business unit's root folder of a content type (parent 0)."""
        ...

    def list(self, mid: int) -> list[Folder]: ...

    def child_named(self, mid: int, parent_id: int, content_type: str, name: str) -> Folder | None:
        """The folder of that name and content type below `parent_id`, if there is one."""
        ...

    def next_id(self) -> int:
        """An id no folder of any business unit has yet."""
        ...

    def add(self, folder: Folder) -> None:
        """Raises WriteConflict if the id, or the name under the same parent, is taken."""
        ...

    def replace(self, folder: Folder) -> None:
        """Store a new name and description; raises WriteConflict if the name is taken."""
        ...


class UnitOfWork(Protocol):
    @property
    def journeys(self) -> JourneyRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def operations(self) -> OperationRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def events(self) -> EventDefinitionRepository: ...

    @property
    def folders(self) -> FolderRepository: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
