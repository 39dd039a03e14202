"""Two versions of a journey side by side: which activities were added, removed or changed, and
a line diff of their documents (keys sorted, two-space indentation, so only changes show)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from journeystack.domain.journey import JourneyVersion, spec_document

from .canvas import activities_of, trigger_key

# Members the server sets on every save: a difference there is not a change anyone made.
_SERVER_OWNED: Final = (
    "id",
    "definitionId",
    "modifiedDate",
    "createdDate",
    "lastPublishedDate",
    "version",
    "status",
)
CONTEXT_LINES: Final = 3


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One row of a side-by-side diff: a line of the left document, of the right one, or both."""

    kind: str  # same | changed (both sides, different) | removed (left only) | added (right only) | gap
    left: int | None  # line numbers, 1-based
    left_text: str | None
    right: int | None
    right_text: str | None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    added: list[str]  # activity keys only in the right-hand version
    removed: list[str]  # only in the left-hand one
    changed: list[str]  # in both, configured differently
    trigger_changed: bool
    other_members: list[str]  # top-level members besides activities and triggers that differ
    lines: list[DiffLine]

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.trigger_changed or self.other_members)

    def mark(self, key: str, side: str) -> str | None:
        """The diff mark of an activity on the left or right canvas."""
        if key in self.changed:
            return "changed"
        if side == "left" and key in self.removed:
            return "removed"
        if side == "right" and key in self.added:
            return "added"
        return None


def document(version: JourneyVersion) -> dict[str, Any]:
    return {k: v for k, v in spec_document(version.definition).items() if k not in _SERVER_OWNED}


def _by_key(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for activity in activities_of(spec):
        key = activity.get("key")
        if isinstance(key, str) and key not in found:
            found[key] = activity
    return found


def _text(value: Any) -> list[str]:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode().splitlines()


def diff_versions(left: JourneyVersion, right: JourneyVersion) -> VersionDiff:
    a, b = document(left), document(right)
    before, after = _by_key(a), _by_key(b)
    changed = [k for k in after if k in before and before[k] != after[k]]
    triggers_a, triggers_b = a.get("triggers"), b.get("triggers")
    other = sorted(k for k in set(a) | set(b) if k not in ("activities", "triggers") and a.get(k) != b.get(k))
    return VersionDiff(
        added=[k for k in after if k not in before],
        removed=[k for k in before if k not in after],
        changed=changed,
        trigger_changed=triggers_a != triggers_b or trigger_key(a) != trigger_key(b),
        other_members=other,
        lines=_lines(_text(a), _text(b)),
    )


def _lines(a: list[str], b: list[str]) -> list[DiffLine]:
    """Side-by-side rows of the changed lines with a few lines of context (a replaced line faces
    its replacement); a gap stands for unchanged lines left out."""
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if out:
            out.append(DiffLine("gap", None, "⋯", None, "⋯"))
        for tag, i1, i2, j1, j2 in group:
            for n in range(max(i2 - i1, j2 - j1)):
                left = i1 + n if i1 + n < i2 else None
                right = j1 + n if j1 + n < j2 else None
                if tag == "equal":
                    kind = "same"
                elif left is not None and right is not None:
                    kind = "changed"
                else:
                    kind = "removed" if right is None else "added"
                out.append(
                    DiffLine(
                        kind,
                        None if left is None else left + 1,
                        None if left is None else a[left],
                        None if right is None else right + 1,
                        None if right is None else b[right],
                    )
                )
    return out
