"""List positions a process remembers, so a deep page is found by an index seek instead of by
stepping over every row before it.

`$page=1000&$pageSize=50` means "skip 49,950 rows": done with OFFSET, its cost grows with the
page number. But a page that was served tells where the next one starts (the sort key of its
last row), and the row just before a page tells where that page starts. Given such an anchor at
or before the wanted offset, the query becomes `WHERE (sort column, pk) < (anchor) ... OFFSET
(the rest)`, which the listing indexes answer with a seek. Clients page through a list in order
(mcdev does), and the anchors make each step as cheap as the first page.

An anchor holds only while the business unit's journeys are unchanged: every write to them stores
a fresh random `journey_counts.generation` in its own transaction, a listing reads it first, and
anchors are kept per generation (any other process's writes show the same way). Anchors never
change what a page holds, only how it is found: a stale generation means no anchor is used.

A filtered listing's `count` is remembered the same way: counting every match is the part of a
filtered page whose cost grows with the store, and it holds exactly as long as the anchors do.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

# The sort value and primary key of the row just before an offset.
Anchor = tuple[Any, int]


class _Listing:
    __slots__ = ("anchors", "count", "generation", "offsets")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.anchors: dict[int, Anchor] = {}
        self.offsets: list[int] = []
        # How many rows the listing holds (a filtered one's count reads every match).
        self.count: int | None = None


class ListAnchors:
    """Thread-safe; bounded to `listings` listings (least recently used dropped) of at most
    `per_listing` anchors each."""

    def __init__(self, *, listings: int = 64, per_listing: int = 1024) -> None:
        self._listings: OrderedDict[Hashable, _Listing] = OrderedDict()
        self._max_listings = listings
        self._per_listing = per_listing
        self._lock = threading.Lock()

    def nearest(self, listing: Hashable, generation: int, offset: int) -> tuple[int, Anchor] | None:
        """The anchor at the greatest remembered offset not past `offset`, if any holds."""
        with self._lock:
            found = self._listings.get(listing)
            if found is None or found.generation != generation:
                return None
            self._listings.move_to_end(listing)
            at = bisect.bisect_right(found.offsets, offset) - 1
            if at < 0:
                return None
            start = found.offsets[at]
            return start, found.anchors[start]

    def remember(self, listing: Hashable, generation: int, offset: int, anchor: Anchor) -> None:
        if offset <= 0:
            return
        with self._lock:
            found = self._current(listing, generation)
            if offset in found.anchors or len(found.offsets) >= self._per_listing:
                return
            bisect.insort(found.offsets, offset)
            found.anchors[offset] = anchor

    def count(self, listing: Hashable, generation: int) -> int | None:
        """The listing's row count remembered for this generation, if any."""
        with self._lock:
            found = self._listings.get(listing)
            if found is None or found.generation != generation:
                return None
            self._listings.move_to_end(listing)
            return found.count

    def remember_count(self, listing: Hashable, generation: int, count: int) -> None:
        with self._lock:
            self._current(listing, generation).count = count

    def _current(self, listing: Hashable, generation: int) -> _Listing:
        """The listing's entry for `generation` (a fresh one if it held another), most recent now."""
        found = self._listings.get(listing)
        if found is None or found.generation != generation:
            found = self._listings[listing] = _Listing(generation)
            while len(self._listings) > self._max_listings:
                self._listings.popitem(last=False)
        self._listings.move_to_end(listing)
        return found

    def clear(self) -> None:
        with self._lock:
            self._listings.clear()
