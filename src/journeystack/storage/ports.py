"""What services need from storage, as Protocols; storage/sql implements them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Protocol

from journeystack.domain.audit import AuditAction, AuditEntry
from journeystack.domain.auth import Grant
from journeystack.domain.console import ContactMatch, EventUse, JourneyListPage, JourneyListQuery
from journeystack.domain.events import EventDefinition
from journeystack.domain.folders import Folder
from journeystack.domain.journey import JourneyVersion, Status, StoredJourney
from journeystack.domain.lifecycle import Operation
from journeystack.domain.queries import JourneyQuery, Page
from journeystack.domain.runtime.entry import Past
from journeystack.domain.runtime.records import (
    ClockState,
    ExitRequest,
    HistoryQuery,
    InboxEvent,
    JourneyStats,
    OutboxQuery,
)
from journeystack.domain.runtime.steps import HistoryRow, Instance, OutboxMessage, StatsDelta


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

    def by_definition(self, definition_id: str) -> JourneyVersion | None: ...

    def running_for_event(self, mid: int, event_key: str, limit: int) -> list[JourneyVersion]: ...

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


class RuntimeRepository(Protocol):
    """The journey runtime's state (storage/sql/runtime_repository.py says what each call does)."""

    def clock(self) -> ClockState | None: ...

    def set_clock(self, state: ClockState) -> None: ...

    def next_dues(self) -> dict[str, int | None]: ...

    def take_inbox_lock(self) -> bool: ...

    def add_events(self, events: list[InboxEvent]) -> None: ...

    def due_events(self, until_ms: int, limit: int) -> list[InboxEvent]: ...

    def delete_events(self, pks: list[int]) -> None: ...

    def pending_events(self, mid: int | None = None) -> int: ...

    def due_instances(self, until_ms: int, limit: int) -> list[Instance]: ...

    def live_instances(
        self, definition_id: str, after_id: str, limit: int, statuses: tuple[str, ...]
    ) -> list[Instance]: ...

    def instances_of(
        self, mid: int, contact_key: str, *, journey_key: str | None = None, live_only: bool = True
    ) -> list[Instance]: ...

    def waiting_for_event(self, mid: int, event_key: str, contact_keys: list[str]) -> list[Instance]: ...

    def past(self, mid: int, journey_id: str, contact_keys: list[str]) -> dict[str, Past]: ...

    def insert_instances(self, instances: list[Instance]) -> None: ...

    def update_instances(self, instances: list[Instance]) -> None: ...

    def membership(self, mid: int, contact_keys: list[str]) -> list[tuple[str, str, int]]: ...

    def eject_version(
        self, definition_id: str, at_ms: int, message: str, names: Mapping[str, Any]
    ) -> int: ...

    def hold_version(self, definition_id: str) -> None: ...

    def release_version(self, definition_id: str, extend_ms: int, now_ms: int) -> None: ...

    def add_history(self, rows: list[HistoryRow]) -> None: ...

    def add_outbox(self, messages: list[OutboxMessage]) -> None: ...

    def attributes(self, mid: int, contact_keys: list[str]) -> dict[str, dict[str, Any]]: ...

    def save_attributes(self, mid: int, documents: Mapping[str, Mapping[str, Any]], now_ms: int) -> None: ...

    def apply_stats(self, mid_of: Mapping[str, int], deltas: Mapping[str, StatsDelta]) -> None: ...

    def stats(self, definition_ids: list[str]) -> dict[str, JourneyStats]: ...

    def schedule_sweep(self, definition_id: str, mid: int, due_ms: int) -> None: ...

    def due_sweep(self, until_ms: int) -> tuple[str, int, int, str | None] | None: ...

    def move_sweep(self, definition_id: str, due_ms: int, cursor: str | None) -> None: ...

    def drop_sweep(self, definition_id: str) -> None: ...

    def add_exit_requests(self, requests: list[ExitRequest]) -> None: ...

    def due_exit_requests(self, until_ms: int, limit: int) -> list[ExitRequest]: ...

    def finish_exit_request(self, pk: int, done_ms: int, outcome: list[dict[str, Any]]) -> None: ...

    def latest_exit_request(self, mid: int, contact_key: str, journey_key: str) -> ExitRequest | None: ...


class HistoryRepository(Protocol):
    def count(self, query: HistoryQuery, cap: int = ...) -> int: ...

    def search(self, query: HistoryQuery, page: int, page_size: int) -> Page[tuple[int, HistoryRow]]: ...

    def rows(self, query: HistoryQuery, limit: int) -> Iterator[tuple[int, HistoryRow]]: ...

    def bytes_estimate(self, query: HistoryQuery) -> tuple[int, int]: ...

    def outbox(self, query: OutboxQuery) -> tuple[int, list[tuple[int, OutboxMessage]]]: ...

    def clear_outbox(self, mid: int | None) -> int: ...


class ConsoleReads(Protocol):
    """What the web console reads beyond the API's own documents (storage/sql/console_repository.py)."""

    def journey_page(self, query: JourneyListQuery) -> JourneyListPage: ...

    def journeys_using_events(self, mid: int, event_keys: list[str]) -> list[EventUse]: ...

    def operations_of(self, mid: int, journey_id: str, limit: int) -> list[Operation]: ...

    def waiting(self, definition_id: str) -> dict[str | None, int]: ...

    def history_mark(self) -> int: ...

    def moves(self, mid: int, definition_id: str, since_ms: int) -> dict[tuple[str, str], int]: ...

    def contacts(self, mid: int, text: str, limit: int) -> list[ContactMatch]: ...


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

    @property
    def runtime(self) -> RuntimeRepository: ...

    @property
    def history(self) -> HistoryRepository: ...

    @property
    def console(self) -> ConsoleReads: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
