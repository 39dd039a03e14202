"""ListAnchors: remembered list positions, per listing and generation, bounded."""

from __future__ import annotations

from journeystack.storage.sql.anchors import ListAnchors


def test_the_nearest_anchor_not_past_the_offset_is_found() -> None:
    anchors = ListAnchors()
    anchors.remember("l", 1, 50, (500, 7))
    anchors.remember("l", 1, 150, (300, 3))
    assert anchors.nearest("l", 1, 49) is None
    assert anchors.nearest("l", 1, 50) == (50, (500, 7))
    assert anchors.nearest("l", 1, 149) == (50, (500, 7))
    assert anchors.nearest("l", 1, 10_000) == (150, (300, 3))


def test_another_generation_sees_nothing_and_replaces_what_was_kept() -> None:
    anchors = ListAnchors()
    anchors.remember("l", 1, 50, (500, 7))
    assert anchors.nearest("l", 2, 50) is None
    anchors.remember("l", 2, 100, (400, 5))
    assert anchors.nearest("l", 1, 50) is None
    assert anchors.nearest("l", 2, 100) == (100, (400, 5))
    assert anchors.nearest("l", 2, 99) is None


def test_offset_zero_needs_no_anchor() -> None:
    anchors = ListAnchors()
    anchors.remember("l", 1, 0, (1, 1))
    assert anchors.nearest("l", 1, 0) is None


def test_listings_and_anchors_are_bounded() -> None:
    anchors = ListAnchors(listings=2, per_listing=3)
    for offset in (10, 20, 30, 40):
        anchors.remember("a", 1, offset, (offset, offset))
    assert anchors.nearest("a", 1, 100) == (30, (30, 30))  # the fourth was not kept
    anchors.remember("b", 1, 10, (1, 1))
    anchors.nearest("a", 1, 10)  # "a" used more recently than "b"
    anchors.remember("c", 1, 10, (2, 2))
    assert anchors.nearest("b", 1, 10) is None
    assert anchors.nearest("a", 1, 10) == (10, (10, 10))
    assert anchors.nearest("c", 1, 10) == (10, (2, 2))
