"""Folders (SFMC "data folders" / categories): the tree a journey's categoryId points into.

Every business unit has a root journey folder ("my journeys", parent 0) from the start; more
folders hang below a parent of the same content type. Ids are integers, unique across business
units, as SFMC's are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from journeystack.errors import (
    CategoryNotFound,
    FolderNameTaken,
    FolderNotFound,
    InvalidFolder,
    Problem,
)

JOURNEY_CONTENT_TYPE = "journey"
ROOT_PARENT_ID = 0
ROOT_JOURNEY_FOLDER_NAME = "my journeys"
ROOT_JOURNEY_FOLDER_KEY = "journey_default"
ROOT_JOURNEY_FOLDER_DESCRIPTION = "The root folder for Journeys"
MAX_NAME_LENGTH = 200
# The stores' folders.customer_key holds 200 characters on every backend.
MAX_CUSTOMER_KEY_LENGTH = 200
# The first id handed out; later ones count up from the highest id in use.
FIRST_FOLDER_ID = 1001


@dataclass(frozen=True, slots=True)
class Folder:
    """One folder of one business unit."""

    mid: int
    id: int
    parent_id: int
    name: str
    content_type: str
    customer_key: str | None
    description: str
    object_id: str
    created_ms: int
    modified_ms: int
    is_active: bool = True
    is_editable: bool = True
    allow_children: bool = True

    @property
    def is_root(self) -> bool:
        return self.parent_id == ROOT_PARENT_ID


@dataclass(frozen=True, slots=True)
class NewFolder:
    """What a client may set when it creates a folder (SOAP Create of DataFolder)."""

    name: str
    parent_id: int
    content_type: str | None = None
    customer_key: str | None = None
    description: str = ""
    is_active: bool = True
    is_editable: bool = True
    allow_children: bool = True


def root_journey_folder(*, mid: int, folder_id: int, object_id: str, now_ms: int) -> Folder:
    """The root journey folder a business unit starts with (SFMC's is not editable)."""
    return Folder(
        mid=mid,
        id=folder_id,
        parent_id=ROOT_PARENT_ID,
        name=ROOT_JOURNEY_FOLDER_NAME,
        content_type=JOURNEY_CONTENT_TYPE,
        customer_key=ROOT_JOURNEY_FOLDER_KEY,
        description=ROOT_JOURNEY_FOLDER_DESCRIPTION,
        object_id=object_id,
        created_ms=now_ms,
        modified_ms=now_ms,
        is_editable=False,
    )


def child_folder(
    request: NewFolder, parent: Folder | None, *, folder_id: int, object_id: str, now_ms: int
) -> Folder:
    """A new folder below `parent`.

    Raises InvalidFolder (no name, or a name with `/`), FolderNotFound (no such parent in the
    business unit: root folders are the server's, never the client's), InvalidFolder (a content
    type other than the parent's, or a parent that allows no children).
    """
    name = request.name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidFolder(f"Name is required and at most {MAX_NAME_LENGTH} characters long.", "Name")
    if request.customer_key is not None and len(request.customer_key) > MAX_CUSTOMER_KEY_LENGTH:
        raise InvalidFolder(
            f"CustomerKey is at most {MAX_CUSTOMER_KEY_LENGTH} characters long.", "CustomerKey"
        )
    if parent is None:
        raise FolderNotFound(f"Parent folder {request.parent_id} does not exist.", "ParentFolder.ID")
    content_type = request.content_type or parent.content_type
    if content_type.lower() != parent.content_type.lower():
        raise InvalidFolder(
            f"ContentType {content_type} differs from the parent folder's ({parent.content_type}).",
            "ContentType",
        )
    if not parent.allow_children:
        raise InvalidFolder(f"Parent folder {parent.id} does not allow children.", "ParentFolder.ID")
    return Folder(
        mid=parent.mid,
        id=folder_id,
        parent_id=parent.id,
        name=name,
        content_type=parent.content_type,
        customer_key=request.customer_key or None,
        description=request.description,
        object_id=object_id,
        created_ms=now_ms,
        modified_ms=now_ms,
        is_active=request.is_active,
        is_editable=request.is_editable,
        allow_children=request.allow_children,
    )


def renamed(current: Folder, *, name: str | None, description: str | None, now_ms: int) -> Folder:
    """A folder after an update of its name or description. Raises InvalidFolder."""
    if not current.is_editable:
        raise InvalidFolder(f"Folder {current.id} cannot be changed.", "ID")
    new_name = current.name if name is None else name.strip()
    if not new_name or len(new_name) > MAX_NAME_LENGTH:
        raise InvalidFolder(f"Name is required and at most {MAX_NAME_LENGTH} characters long.", "Name")
    return replace(
        current,
        name=new_name,
        description=current.description if description is None else description,
        modified_ms=max(now_ms, current.modified_ms + 1),
    )


# What a folder made for a journey whose categoryId named none is called (a recording or another
# tenant's export names folders by id only).
STAND_IN_DESCRIPTION = "Made to hold journeys saved with this categoryId, which named no folder here."


def stand_in_folder(*, mid: int, folder_id: int, root_id: int, object_id: str, now_ms: int) -> Folder:
    """The journey folder `folder_id` below the root journey folder, made when a journey that names
    it is loaded with missing folders created (control-plane seeding, snapshot import)."""
    return Folder(
        mid=mid,
        id=folder_id,
        parent_id=root_id,
        name=f"Folder {folder_id}",
        content_type=JOURNEY_CONTENT_TYPE,
        customer_key=None,
        description=STAND_IN_DESCRIPTION,
        object_id=object_id,
        created_ms=now_ms,
        modified_ms=now_ms,
    )


def name_taken(name: str) -> FolderNameTaken:
    return FolderNameTaken(f"A folder named {name} already exists in the parent folder.", "Name")


def category_of(spec: dict[str, Any]) -> int | None:
    """The categoryId a Journey Spec document names (the save-time checks made sure it is whole)."""
    value = spec.get("categoryId")
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def check_category(category_id: int, folder: Folder | None) -> None:
    """A journey's categoryId must name a journey folder of its business unit. Raises CategoryNotFound."""
    if folder is None or folder.content_type.lower() != JOURNEY_CONTENT_TYPE:
        message = f"categoryId {category_id} is not a journey folder of this business unit."
        raise CategoryNotFound([Problem(message, 10005, "categoryId")], message)
