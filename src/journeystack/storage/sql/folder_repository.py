"""SQL repository of folders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from journeystack.domain.folders import FIRST_FOLDER_ID, Folder
from journeystack.storage.ports import WriteConflict

from .prepared import Prepared
from .tables import folders

_AT = {column.name: i for i, column in enumerate(folders.c)}


def _to_folder(row: Any) -> Folder:
    """A folder from a whole row of `folders` (a driver tuple or an SQLAlchemy row)."""
    return Folder(
        mid=row[_AT["mid"]],
        id=row[_AT["id"]],
        parent_id=row[_AT["parent_id"]],
        name=row[_AT["name"]],
        content_type=row[_AT["content_type"]],
        customer_key=row[_AT["customer_key"]],
        description=row[_AT["description"]],
        object_id=row[_AT["object_id"]],
        created_ms=row[_AT["created_ms"]],
        modified_ms=row[_AT["modified_ms"]],
        is_active=bool(row[_AT["is_active"]]),
        is_editable=bool(row[_AT["is_editable"]]),
        allow_children=bool(row[_AT["allow_children"]]),
    )


_GET = Prepared(
    select(folders).where(folders.c.mid == bindparam("mid"), folders.c.id == bindparam("folder_id"))
)
_ROOT = Prepared(
    select(folders)
    .where(
        folders.c.mid == bindparam("mid"),
        folders.c.content_type == bindparam("content_type"),
        folders.c.parent_id == 0,
    )
    .order_by(folders.c.id)
    .limit(1)
)


class SqlFolderRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, mid: int, folder_id: int) -> Folder | None:
        row = _GET.first(self._c, {"mid": mid, "folder_id": folder_id})
        return _to_folder(row) if row is not None else None

    def root(self, mid: int, content_type: str) -> Folder | None:
        row = _ROOT.first(self._c, {"mid": mid, "content_type": content_type})
        return _to_folder(row) if row is not None else None

    def list(self, mid: int) -> list[Folder]:
        rows = self._c.execute(select(folders).where(folders.c.mid == mid).order_by(folders.c.id))
        return [_to_folder(row) for row in rows]

    def child_named(self, mid: int, parent_id: int, content_type: str, name: str) -> Folder | None:
        row = self._c.execute(
            select(folders).where(
                folders.c.mid == mid,
                folders.c.parent_id == parent_id,
                folders.c.content_type == content_type,
                folders.c.name == name,
            )
        ).first()
        return _to_folder(row) if row is not None else None

    def next_id(self) -> int:
        highest = self._c.execute(select(func.max(folders.c.id))).scalar()
        return FIRST_FOLDER_ID if highest is None else max(FIRST_FOLDER_ID, int(highest) + 1)

    def add(self, folder: Folder) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(
                    folders.insert().values(
                        id=folder.id,
                        mid=folder.mid,
                        parent_id=folder.parent_id,
                        name=folder.name,
                        content_type=folder.content_type,
                        customer_key=folder.customer_key,
                        description=folder.description,
                        object_id=folder.object_id,
                        is_active=folder.is_active,
                        is_editable=folder.is_editable,
                        allow_children=folder.allow_children,
                        created_ms=folder.created_ms,
                        modified_ms=folder.modified_ms,
                    )
                )
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc

    def replace(self, folder: Folder) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(
                    update(folders)
                    .where(folders.c.mid == folder.mid, folders.c.id == folder.id)
                    .values(name=folder.name, description=folder.description, modified_ms=folder.modified_ms)
                )
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc
