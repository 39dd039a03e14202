"""Event definition use cases: create, read, list, update and delete entry events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from journeystack.domain.events import EventDefinition, check_key, updated_body, with_data_extension
from journeystack.domain.journey import RUNNING, Status
from journeystack.domain.queries import Page
from journeystack.errors import EventDefinitionExists, EventDefinitionInUse, NoSuchEventDefinition
from journeystack.storage.ports import UnitOfWork, WriteConflict

from .context import ServiceContext
from .journeys import SYSTEM_USER

# A running journey's entry event cannot change under it (SFMC: stop the journey first).
_USING = sorted(RUNNING)


def create_event_definition(
    ctx: ServiceContext,
    mid: int,
    *,
    key: str,
    name: str,
    type_: str,
    body: dict[str, Any],
    user: str = SYSTEM_USER,
) -> EventDefinition:
    """Raises InvalidRequest (bad key), EventDefinitionExists."""
    check_key(key)
    now = ctx.clock.now_ms()
    body = with_data_extension(body, name=name, new_id=ctx.ids.new_id())
    event = EventDefinition(
        mid=mid, id=ctx.ids.new_id(), key=key, name=name, type=type_, created_ms=now, modified_ms=now,
        created_by=user, modified_by=user, body=body,
    )  # fmt: skip
    with ctx.uow(write=True) as uow:
        try:
            uow.events.add(event)
        except WriteConflict:
            raise EventDefinitionExists() from None
        uow.commit()
    return event


def _find(uow: UnitOfWork, mid: int, key: str | None, event_id: str | None) -> EventDefinition:
    found = uow.events.get(mid, key=key, event_id=event_id)
    if found is None:
        raise NoSuchEventDefinition()
    return found


def get_event_definition(
    ctx: ServiceContext, mid: int, *, key: str | None = None, event_id: str | None = None
) -> tuple[EventDefinition, int, int]:
    """The event definition and how many journeys use it (any status, running). Raises NoSuchEventDefinition."""
    with ctx.uow() as uow:
        event = _find(uow, mid, key, event_id)
        return event, *_usage(uow, event)


def _usage(uow: UnitOfWork, event: EventDefinition) -> tuple[int, int]:
    return (
        uow.journeys.count_using_event(event.mid, event.key, event.id, None),
        uow.journeys.count_using_event(event.mid, event.key, event.id, [Status.PUBLISHED]),
    )


def list_event_definitions(
    ctx: ServiceContext, mid: int, *, name: str | None, page: int, page_size: int
) -> Page[tuple[EventDefinition, int, int]]:
    with ctx.uow() as uow:
        listed = uow.events.list(mid, name=name, page=page, page_size=page_size)
        items = [(event, *_usage(uow, event)) for event in listed.items]
    return Page(count=listed.count, page=listed.page, page_size=listed.page_size, items=items)


def update_event_definition(
    ctx: ServiceContext,
    mid: int,
    *,
    changes: dict[str, Any],
    new_key: str | None,
    new_name: str | None,
    new_type: str | None,
    key: str | None = None,
    event_id: str | None = None,
    user: str = SYSTEM_USER,
) -> EventDefinition:
    """Apply the changed members. Raises NoSuchEventDefinition, EventDefinitionInUse, EventDefinitionExists."""
    with ctx.uow(write=True) as uow:
        event = _find(uow, mid, key, event_id)
        if uow.journeys.count_using_event(mid, event.key, event.id, _USING):
            raise EventDefinitionInUse()
        if new_key is not None:
            check_key(new_key)
        updated = replace(
            event,
            key=new_key or event.key,
            name=new_name or event.name,
            type=new_type or event.type,
            body=updated_body(event.body, changes),
            modified_ms=max(ctx.clock.now_ms(), event.modified_ms + 1),
            modified_by=user,
        )
        try:
            uow.events.replace(updated)
        except WriteConflict:
            raise EventDefinitionExists() from None
        uow.commit()
    return updated


def delete_event_definition(
    ctx: ServiceContext, mid: int, *, key: str | None = None, event_id: str | None = None
) -> None:
    """Raises NoSuchEventDefinition, EventDefinitionInUse."""
    with ctx.uow(write=True) as uow:
        event = _find(uow, mid, key, event_id)
        if uow.journeys.count_using_event(mid, event.key, event.id, _USING):
            raise EventDefinitionInUse()
        uow.events.remove(event)
        uow.commit()
