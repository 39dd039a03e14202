"""The control plane's port to the stored state as a whole: readiness, reset, export and import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from journeystack.domain.snapshot import Snapshot, TableInfo


@dataclass(frozen=True, slots=True)
class Cleared:
    """What a reset or an import removed: rows deleted per table, and the tables left as they were."""

    deleted: dict[str, int]
    kept: list[str]


class StateStore(Protocol):
    def schema(self) -> list[TableInfo]:
        """Every table snapshots carry (all state tables but tokens), parents before children."""
        ...

    def readiness_problem(self) -> str | None:
        """Why the store cannot serve (unreachable, migrations pending), or None when it can."""
        ...

    def reset(self, mid: int | None, *, tokens: bool) -> Cleared:
        """Delete every row of the store (mid None) or of one business unit, in one transaction.
        Tokens go too only when `tokens`; tables without a `mid` column are kept by a per-MID reset."""
        ...

    def export(self, mid: int | None) -> dict[str, list[dict[str, Any]]]:
        """The rows of every table in scope, as JSON values in primary-key order, from one
        consistent read."""
        ...

    def replace(self, snapshot: Snapshot) -> tuple[Cleared, dict[str, int]]:
        """Reset the snapshot's scope (tokens kept) and insert its rows, in one transaction.
        Returns what was cleared and the rows inserted per table. Raises WriteConflict when the
        rows break a uniqueness rule; then nothing has changed."""
        ...
