"""Folder use cases: the root journey folder of a business unit, listing, creating and renaming
folders, and the categoryId rule of journeys."""

from __future__ import annotations

from dataclasses import replace

from journeystack.domain import folders as rules
from journeystack.domain.folders import JOURNEY_CONTENT_TYPE, Folder, NewFolder
from journeystack.domain.journey import JourneyDefinition
from journeystack.errors import FolderNotFound
from journeystack.storage.ports import UnitOfWork, WriteConflict

from .context import ServiceContext

# Two writers may pick the same new id at once (PostgreSQL); the loser picks again. Each retry sees
# the winner's committed id, so it makes progress; the bound only guards against a bug looping.
_ID_ATTEMPTS = 100


def root_journey_folder(ctx: ServiceContext, uow: UnitOfWork, mid: int) -> Folder:
    """The business unit's root journey folder, made on first use, inside a write unit of work.

    Every business unit has one from the start as far as clients can tell: it is created by the
    first request that needs it (any MID a package may act for is a business unit).
    """
    for _ in range(_ID_ATTEMPTS):
        found = uow.folders.root(mid, JOURNEY_CONTENT_TYPE)
        if found is not None:
            return found
        root = rules.root_journey_folder(
            mid=mid, folder_id=uow.folders.next_id(), object_id=ctx.ids.new_id(), now_ms=ctx.clock.now_ms()
        )
        try:
            uow.folders.add(root)
            return root
        except WriteConflict:
            continue  # made by a concurrent request, or its id taken: look again
    raise RuntimeError("could not create the root journey folder")


def list_folders(ctx: ServiceContext, mid: int) -> list[Folder]:
    """Every folder of the business unit, oldest first (the root journey folder included)."""
    with ctx.uow() as uow:
        found = uow.folders.list(mid)
    if any(f.is_root and f.content_type == JOURNEY_CONTENT_TYPE for f in found):
        return found
    with ctx.uow(write=True) as uow:
        root_journey_folder(ctx, uow, mid)
        found = uow.folders.list(mid)
        uow.commit()
    return found


def create_folder(ctx: ServiceContext, mid: int, request: NewFolder) -> Folder:
    """A new folder below an existing one of the same content type.

    Raises FolderNotFound (no such parent), InvalidFolder, FolderNameTaken.
    """
    with ctx.uow(write=True) as uow:
        root_journey_folder(ctx, uow, mid)
        parent = uow.folders.get(mid, request.parent_id) if request.parent_id else None
        for _ in range(_ID_ATTEMPTS):
            folder = rules.child_folder(
                request,
                parent,
                folder_id=uow.folders.next_id(),
                object_id=ctx.ids.new_id(),
                now_ms=ctx.clock.now_ms(),
            )
            if uow.folders.child_named(mid, folder.parent_id, folder.content_type, folder.name) is not None:
                raise rules.name_taken(folder.name)
            try:
                uow.folders.add(folder)
            except WriteConflict:
                continue
            uow.commit()
            return folder
    raise rules.name_taken(request.name)


def update_folder(
    ctx: ServiceContext, mid: int, folder_id: int, *, name: str | None, description: str | None
) -> Folder:
    """Rename a folder or change its description. Raises FolderNotFound, InvalidFolder, FolderNameTaken."""
    with ctx.uow(write=True) as uow:
        root_journey_folder(ctx, uow, mid)
        current = uow.folders.get(mid, folder_id)
        if current is None:
            raise FolderNotFound(f"Folder {folder_id} does not exist.", "ID")
        changed = rules.renamed(current, name=name, description=description, now_ms=ctx.clock.now_ms())
        try:
            uow.folders.replace(changed)
        except WriteConflict:
            raise rules.name_taken(changed.name) from None
        uow.commit()
    return changed


def assign_category(
    ctx: ServiceContext,
    uow: UnitOfWork,
    mid: int,
    definition: JourneyDefinition,
    *,
    create_missing: bool = False,
) -> JourneyDefinition:
    """The definition with its folder settled, inside the write unit of work that saves it.

    A categoryId must name a journey folder of the business unit (CategoryNotFound, a 400,
    otherwise); a journey saved without one goes into the root journey folder, as journeys made
    in SFMC's UI do. SFMC's documentation is silent on both (docs/differences.md). With
    `create_missing` (control-plane seeding only, never a plain POST), a categoryId that names no
    folder at all gets a journey folder of that id below the root journey folder.
    """
    category = rules.category_of(definition.spec)
    if category is None:
        root = root_journey_folder(ctx, uow, mid)
        return replace(definition, spec={**definition.spec, "categoryId": root.id})
    found = uow.folders.get(mid, category)
    if found is None and create_missing:
        found = _stand_in(ctx, uow, mid, category)
    rules.check_category(category, found)
    if definition.spec.get("categoryId") != category:  # 6298.0 is stored as 6298
        return replace(definition, spec={**definition.spec, "categoryId": category})
    return definition


def _stand_in(ctx: ServiceContext, uow: UnitOfWork, mid: int, folder_id: int) -> Folder | None:
    """A journey folder of this id below the root, or None when the id is another business unit's."""
    root = root_journey_folder(ctx, uow, mid)
    folder = rules.stand_in_folder(
        mid=mid, folder_id=folder_id, root_id=root.id, object_id=ctx.ids.new_id(), now_ms=ctx.clock.now_ms()
    )
    try:
        uow.folders.add(folder)
    except WriteConflict:
        return None
    return folder
