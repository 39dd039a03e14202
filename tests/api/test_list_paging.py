"""Paging through the journey list: every page is the matching slice of the whole list, however
the pages are asked for, and stays so after changes made here or by another process.

journeystack remembers where pages it served start and end, to find a deep page by an index seek
(storage/sql/anchors.py). These tests pin that what it remembers never changes an answer.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from journeystack.domain.journey import Status
from journeystack.storage.sql.store import SqlStore
from tests.control_plane import ControlCase
from tests.support import BASE, Api

ORDERS = ["", "$orderBy=ModifiedDate ASC", "$orderBy=Name DESC", "$orderBy=Name ASC"]
SIZE = 3


def _whole(api: Api, query: str) -> list[str]:
    body = api.get(f"{BASE}?$pageSize=500&{query}").json()
    return [item["key"] for item in body["items"]]


def _page(api: Api, query: str, page: int) -> list[str]:
    response = api.get(f"{BASE}?$pageSize={SIZE}&$page={page}&{query}")
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["items"]]


def _assert_every_page(api: Api, query: str, pages: list[int]) -> None:
    whole = _whole(api, query)
    for page in pages:
        start = (page - 1) * SIZE
        assert _page(api, query, page) == whole[start : start + SIZE], (query, page)


def _make(api: Api, count: int) -> list[dict[str, Any]]:
    # Names run against creation order, so each order gives a different sequence.
    return [api.create(f"page-{n:02d}", name=f"Journey {count - n:02d}") for n in range(count)]


@pytest.mark.parametrize("query", ORDERS)
def test_pages_in_order_then_in_any_order_are_slices_of_the_whole_list(api: Api, query: str) -> None:
    _make(api, 20)
    pages = list(range(1, 9))
    _assert_every_page(api, query, pages)
    shuffled = pages * 2
    random.Random(7).shuffle(shuffled)
    _assert_every_page(api, query, shuffled)


def test_an_update_moves_a_journey_and_every_page_follows(api: Api) -> None:
    made = _make(api, 14)
    _assert_every_page(api, "", [1, 2, 3, 4, 5, 3, 5])
    oldest = made[0]
    changed = api.put(f"{BASE}/key:{oldest['key']}", json={**oldest, "description": "touched"})
    assert changed.status_code == 200, changed.text
    assert _page(api, "", 1)[0] == oldest["key"]
    _assert_every_page(api, "", [5, 4, 3, 2, 1])


def test_creating_and_deleting_journeys_shift_the_pages(api: Api) -> None:
    _make(api, 12)
    _assert_every_page(api, "$orderBy=Name ASC", [1, 2, 3, 4, 4, 2])
    api.create("page-new", name="Journey 00a")
    _assert_every_page(api, "$orderBy=Name ASC", [4, 2, 3, 1, 5])
    assert api.delete(f"{BASE}/key:page-03").status_code == 200
    _assert_every_page(api, "$orderBy=Name ASC", [3, 4, 1, 2, 5])


def test_a_change_made_by_another_process_shifts_the_pages_too(api: Api, store: SqlStore) -> None:
    _make(api, 12)
    _assert_every_page(api, "status=Draft", [1, 2, 3, 4, 3])
    # Another process (its own store, as a second server would be) publishes one journey.
    with store(write=True) as uow:
        current = uow.journeys.latest(api.mid, key="page-01")
        assert current is not None
        assert uow.journeys.set_status(current, Status.PUBLISHED, modified_ms=current.modified_ms + 1)
        uow.commit()
    assert "page-01" not in _whole(api, "status=Draft")
    _assert_every_page(api, "status=Draft", [3, 4, 1, 2])


def test_pages_past_the_end_are_empty_and_leave_the_rest_right(api: Api) -> None:
    _make(api, 7)
    assert _page(api, "", 9) == [] and _page(api, "", 4) == []
    _assert_every_page(api, "", [3, 1, 2, 3])


def test_pages_after_a_snapshot_import_are_slices_of_the_imported_list(cp: ControlCase) -> None:
    for n in range(10):
        cp.api.create(f"snap-{n:02d}")
    snapshot = cp.admin.get("/snapshot", params={"mid": cp.api.mid}).content
    cp.admin.ok("POST", "/reset", params={"mid": cp.api.mid})
    for n in range(13):
        cp.api.create(f"other-{n:02d}")
    _assert_every_page(cp.api, "", [1, 2, 3, 4, 5, 4, 3])
    cp.admin.ok("POST", "/snapshot", params={"mid": cp.api.mid}, content=snapshot)
    assert sorted(_whole(cp.api, "")) == [f"snap-{n:02d}" for n in range(10)]
    _assert_every_page(cp.api, "", [4, 3, 2, 1, 5])
