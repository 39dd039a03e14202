"""Control-plane use cases over the stored state: readiness, reset, snapshot export and import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from journeystack.domain.clock import Clock, SystemClock
from journeystack.domain.ids import IdGenerator, RandomIds
from journeystack.domain.snapshot import build_document, parse_snapshot, with_missing_journey_folders
from journeystack.errors import InvalidSnapshot, Problem, StoreNotReady
from journeystack.storage.ports import WriteConflict
from journeystack.storage.state import Cleared, StateStore


class TokenCache(Protocol):
    def forget_cached(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ResetResult:
    mid: int | None
    cleared: Cleared


@dataclass(frozen=True, slots=True)
class ImportResult:
    mid: int | None
    cleared: Cleared
    inserted: dict[str, int]


def check_ready(store: StateStore) -> None:
    """Raises StoreNotReady when the database is unreachable or has migrations pending."""
    problem = store.readiness_problem()
    if problem is not None:
        raise StoreNotReady(problem)


def reset_state(
    store: StateStore, mid: int | None, *, tokens: bool = False, token_cache: TokenCache | None = None
) -> ResetResult:
    """Delete the whole state (mid None) or one business unit's, in one transaction.

    Access tokens are kept unless `tokens`, so a client's cached token still works after a reset
    between tests; with `tokens`, the token cache is emptied too, so dropped tokens stop working at
    once in this process (other processes keep accepting the ones they cached until they expire:
    docs/control-plane.md, "Several processes").
    """
    cleared = store.reset(mid, tokens=tokens)
    if tokens and token_cache is not None:
        token_cache.forget_cached()
    return ResetResult(mid=mid, cleared=cleared)


def export_snapshot(store: StateStore, mid: int | None) -> dict[str, Any]:
    """The snapshot document of the whole state (mid None) or of one business unit; the same state
    always gives the same document."""
    return build_document(mid, store.export(mid))


def import_snapshot(
    store: StateStore,
    raw: Any,
    *,
    mid: int | None = None,
    create_missing_folders: bool = False,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> ImportResult:
    """Replace the state a snapshot covers by the snapshot's, in one transaction.

    `mid`, when given, is the business unit the caller expects the document to cover. With
    `create_missing_folders`, every categoryId a journey names that no folder of the snapshot has
    gets a journey folder (domain `with_missing_journey_folders`), so an export from a real tenant
    loads as it is. Raises InvalidSnapshot for a document that is not a valid snapshot or whose rows
    break a uniqueness rule of the store (e.g. a business unit's snapshot whose ids another business
    unit now uses); either way nothing has changed.
    """
    snapshot = parse_snapshot(raw, store.schema(), mid=mid)
    if create_missing_folders:
        snapshot = with_missing_journey_folders(
            snapshot, now_ms=(clock or SystemClock()).now_ms(), new_id=(ids or RandomIds()).new_id
        )
    try:
        cleared, inserted = store.replace(snapshot)
    except WriteConflict as conflict:
        message = f"The snapshot's rows break a uniqueness rule of the store ({conflict})."
        raise InvalidSnapshot([Problem(message, 10005, "tables")]) from None
    return ImportResult(mid=snapshot.mid, cleared=cleared, inserted=inserted)


def read_snapshot_file(path: Path) -> Any:
    """The JSON document in a snapshot file. Raises InvalidSnapshot when it cannot be read as JSON."""
    try:
        return orjson.loads(path.read_bytes())
    except OSError as error:
        raise InvalidSnapshot([Problem(f"Cannot read {path}: {error.strerror}.", 10004, "")]) from None
    except orjson.JSONDecodeError as error:
        raise InvalidSnapshot([Problem(f"{path} is not valid JSON: {error}.", 10004, "")]) from None
