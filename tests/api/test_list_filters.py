"""GET /interactions filters as SFMC documents them (issue 13 item 2): `status` picks the most
recent version *that matches*, `versionNumber`, `tag`, `mostRecentVersionOrRunningOnly`, and
`$orderBy=Performance`; each pages through the deep-page seek like the default list."""

from __future__ import annotations

from typing import Any

from journeystack.domain.journey import Status
from journeystack.storage.sql.store import SqlStore
from tests.control_plane import ControlCase
from tests.support import BASE, Api


def _set_status(store: SqlStore, mid: int, key: str, version: int, status: Status) -> None:
    with store(write=True) as uow:
        current = uow.journeys.get(mid, version, key=key)
        assert current is not None
        assert uow.journeys.set_status(current, status, modified_ms=current.modified_ms + 1)
        uow.commit()


def _listed(api: Api, query: str) -> list[tuple[str, int, str]]:
    body = api.get(f"{BASE}?{query}&$pageSize=50").json()
    items = [(item["key"], item["version"], item["status"]) for item in body["items"]]
    assert body["count"] == len(items), body
    return sorted(items)


def _versions(api: Api, store: SqlStore) -> None:
    """published: v1 Published, v2 Draft. draft: v1 Draft. stopped: v1 and v2 Stopped. gone: v1 Deleted."""
    api.create("published")
    _set_status(store, api.mid, "published", 1, Status.PUBLISHED)
    api.create("published")
    api.create("draft")
    api.create("stopped")
    _set_status(store, api.mid, "stopped", 1, Status.STOPPED)
    api.create("stopped")
    _set_status(store, api.mid, "stopped", 2, Status.STOPPED)
    api.create("gone")
    assert api.delete(f"{BASE}/key:gone").status_code == 200


def test_status_lists_the_most_recent_version_in_that_status(api: Api, store: SqlStore) -> None:
    _versions(api, store)
    # v1 is Published while v2 is a Draft: ?status=Published lists v1 (mcdev retrieve --onlyPublished).
    assert _listed(api, "status=Published") == [("published", 1, "Published")]
    assert _listed(api, "status=published") == [("published", 1, "Published")]
    assert _listed(api, "status=Draft") == [("draft", 1, "Draft"), ("published", 2, "Draft")]
    assert _listed(api, "status=Stopped") == [("stopped", 2, "Stopped")]
    assert _listed(api, "status=Stopped&mostRecentVersionOnly=false") == [
        ("stopped", 1, "Stopped"), ("stopped", 2, "Stopped")
    ]  # fmt: skip
    assert _listed(api, "status=Deleted") == [("gone", 1, "Deleted")]
    assert _listed(api, "status=Running") == []  # no such status: nothing matches
    assert _listed(api, "status=Published&key=draft") == []
    # The default list is unchanged: the most recent version of each journey, Deleted ones left out.
    assert _listed(api, "") == [("draft", 1, "Draft"), ("published", 2, "Draft"), ("stopped", 2, "Stopped")]


def test_version_number_and_most_recent_or_running(api: Api, store: SqlStore) -> None:
    _versions(api, store)
    assert _listed(api, "versionNumber=2") == [("published", 2, "Draft"), ("stopped", 2, "Stopped")]
    assert _listed(api, "versionNumber=1") == [
        ("draft", 1, "Draft"), ("published", 1, "Published"), ("stopped", 1, "Stopped")
    ]  # fmt: skip
    assert _listed(api, "versionNumber=1&status=Draft") == [("draft", 1, "Draft")]
    # The Journey Builder UI's query: the most recent version of each journey, and the running ones.
    assert _listed(api, "mostRecentVersionOnly=false&mostRecentVersionOrRunningOnly=true") == [
        ("draft", 1, "Draft"), ("published", 1, "Published"), ("published", 2, "Draft"), ("stopped", 2, "Stopped")
    ]  # fmt: skip
    assert api.get(f"{BASE}?versionNumber=0").status_code == 400


def test_tag_filters_on_the_tags_a_journey_carries(api: Api) -> None:
    api.create("vip", tags=[{"name": "VIP"}, {"name": "Spring sale"}])
    api.create("plain", tags=["spring"])
    api.create("none")
    assert _listed(api, "tag=vip") == [("vip", 1, "Draft")]
    assert _listed(api, "tag=VIP") == [("vip", 1, "Draft")]
    assert _listed(api, "tag=Spring%20sale") == [("vip", 1, "Draft")]
    assert _listed(api, "tag=spring") == [("plain", 1, "Draft")]
    assert _listed(api, "tag=vi") == [] and _listed(api, 'tag="vip"') == []
    created = api.get(f"{BASE}/key:vip").json()
    assert created["tags"] == [{"name": "VIP"}, {"name": "Spring sale"}]  # kept as sent
    renamed = api.put(BASE, json={**created, "tags": [{"name": "gold"}]})
    assert renamed.status_code == 200 and _listed(api, "tag=vip") == [] and _listed(api, "tag=gold") != []


def test_order_by_performance_is_accepted(api: Api) -> None:
    for key in ("a", "b", "c"):
        api.create(key)
    newest_first = [i["key"] for i in api.get(f"{BASE}?$orderBy=ModifiedDate%20DESC").json()["items"]]
    for order in ("Performance", "Performance%20DESC", "performance%20asc"):
        response = api.get(f"{BASE}?$orderBy={order}")
        assert response.status_code == 200
        keys = [i["key"] for i in response.json()["items"]]
        # As for every column: ascending unless DESC is asked for.
        assert keys == (newest_first if order.endswith("DESC") else newest_first[::-1])


def test_filtered_lists_page_through_every_match_once(api: Api, store: SqlStore) -> None:
    for n in range(45):
        api.create(f"j{n:02d}", tags=["even"] if n % 2 == 0 else [])
        if n % 3 == 0:
            _set_status(store, api.mid, f"j{n:02d}", 1, Status.PUBLISHED)
    for query, expected in (("status=Published", 15), ("tag=even", 23), ("versionNumber=1", 45)):
        seen: list[Any] = []
        for page in range(1, 10):  # pages in order (the anchors), then one again
            body = api.get(f"{BASE}?{query}&$pageSize=4&$page={page}&$orderBy=Name").json()
            assert body["count"] == expected
            seen += [item["key"] for item in body["items"]]
        again = api.get(f"{BASE}?{query}&$pageSize=4&$page=3&$orderBy=Name").json()["items"]
        assert [i["key"] for i in again] == seen[8:12]
        assert len(seen) == len(set(seen)) == min(expected, 36) and seen == sorted(seen)
    # A change shows at once: the remembered count and positions belong to the old state.
    _set_status(store, api.mid, "j01", 1, Status.PUBLISHED)
    assert api.get(f"{BASE}?status=Published&$pageSize=4&$page=2").json()["count"] == 16


def test_a_snapshot_from_before_tags_were_kept_lists_by_its_tags(cp: ControlCase) -> None:
    api = cp.api
    api.create("tagged", tags=[{"name": "VIP"}])
    snapshot = cp.admin.ok("GET", "/snapshot", params={"mid": api.mid})
    for row in snapshot["tables"]["journeys"]:
        del row["tags"]  # as a snapshot made before migration 0009 has it
    cp.admin.ok("POST", "/snapshot", params={"mid": api.mid}, json=snapshot)
    assert _listed(api, "tag=vip") == [("tagged", 1, "Draft")]
