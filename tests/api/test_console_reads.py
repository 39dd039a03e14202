"""The console's read queries (storage/sql/console_repository.py) on SQLite and on PostgreSQL:
the journey list's filters and folder, which journeys use an event, operations, contact search,
and the flow of contacts through a running version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import api_of, create_app
from journeystack.client import Client
from journeystack.config import load_settings
from journeystack.domain.console import END, JourneyListQuery
from journeystack.services import console as reads
from journeystack.services.context import ServiceContext
from tests.console_journeys import EVENT, EVENT_KEY, welcome
from tests.control_plane import ADMIN_TOKEN, FAST_OPERATIONS, packages_json
from tests.support import CLIENT_ID, CLIENT_SECRET, app_in_thread

MID = 1000001


@pytest.fixture(params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Client, httpx.Client, ServiceContext]]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'journeystack.db'}"
    settings = load_settings(database_url=url, access_log=False, packages=packages_json(),
                             admin_token=ADMIN_TOKEN, **FAST_OPERATIONS)  # fmt: skip
    app = create_app(settings)
    with (
        app_in_thread(app) as base,
        Client(base, CLIENT_ID, CLIENT_SECRET, account_id=MID) as sfmc,
        httpx.Client(
            base_url=base + "/_journeystack", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as admin,
    ):
        yield sfmc, admin, api_of(app).state.ctx


def test_the_list_searches_names_and_keys_filters_by_status_and_folder_and_pages(served) -> None:
    sfmc, admin, ctx = served
    sfmc.event_definitions.create(EVENT)
    root = sfmc.folders.root()
    campaigns = sfmc.folders.create("Campaigns", root.id)
    published = sfmc.journeys.create(welcome())
    sfmc.journeys.publish(published)
    sfmc.journeys.create(welcome(tip_subject="v2"))  # a Draft version 2 of the same journey
    for index in range(3):
        sfmc.journeys.create({**welcome(key=f"promo-{index}", name=f"Spring promo {index}"),
                              "categoryId": campaigns.id})  # fmt: skip

    everything = reads.journey_list(ctx, JourneyListQuery(mid=MID))
    assert everything.total == 4 and not everything.has_more
    assert [j.key for j in everything.items] == ["promo-2", "promo-1", "promo-0", "welcome-series"]
    welcome_row = everything.items[-1]
    assert welcome_row.versions == ((1, "Published"), (2, "Draft")) and welcome_row.folder_id == root.id

    by_key = reads.journey_list(ctx, JourneyListQuery(mid=MID, text="PROMO-1"))
    by_name = reads.journey_list(ctx, JourneyListQuery(mid=MID, text="spring promo"))
    assert [j.key for j in by_key.items] == ["promo-1"] and by_key.total is None
    assert len(by_name.items) == 3
    assert [j.key for j in reads.journey_list(ctx, JourneyListQuery(mid=MID, text="100%")).items] == []
    running = reads.journey_list(ctx, JourneyListQuery(mid=MID, status="Published"))
    assert [j.key for j in running.items] == ["welcome-series"]  # a version of it is Published
    in_folder = reads.journey_list(ctx, JourneyListQuery(mid=MID, folder_id=campaigns.id))
    assert sorted(j.key for j in in_folder.items) == ["promo-0", "promo-1", "promo-2"]
    first = reads.journey_list(ctx, JourneyListQuery(mid=MID, page_size=3))
    second = reads.journey_list(ctx, JourneyListQuery(mid=MID, page_size=3, page=2))
    assert first.has_more and not second.has_more and [j.key for j in second.items] == ["welcome-series"]
    assert reads.journey_list(ctx, JourneyListQuery(mid=1000002)).items == []  # another business unit

    uses = reads.event_uses(ctx, MID, [EVENT_KEY, "nothing"])
    assert {(u.key, u.version, u.status) for u in uses} >= {
        ("welcome-series", 1, "Published"),
        ("welcome-series", 2, "Draft"),
    }
    operations = reads.operations_of(ctx, MID, published.id)
    assert [(op.kind.value, op.version, op.state.value) for op in operations] == [("publish", 1, "Completed")]
    folders = reads.journey_folders(ctx, MID)
    assert {f.name for f in folders} >= {"my journeys", "Campaigns"}


def test_the_flow_counts_contacts_per_activity_and_per_path(served) -> None:
    sfmc, admin, ctx = served
    sfmc.event_definitions.create(EVENT)
    journey = sfmc.journeys.create(welcome())
    sfmc.journeys.publish(journey)
    admin.post("/clock/advance", json={"to": "2030-01-01T00:00:00Z"}).raise_for_status()
    for contact in ("ada", "bob", "cyd", "dee"):
        sfmc.fire_event(contact, EVENT_KEY, {"Email": f"{contact}@example.com"})
    admin.post("/clock/run-until-idle").raise_for_status()
    version = reads.journey_versions(ctx, MID, journey.id, 1).selected
    cache = reads.FlowCache()  # kept while no history is written: every step below must show

    entered = reads.flow(ctx, version, cache)
    assert reads.flow(ctx, version, cache) == entered
    assert entered.waiting == {"WAIT-1": 4}
    assert entered.moves == {("TRIGGER", "WAIT-1"): 4}

    admin.post("/clock/advance", json={"by": "1d"}).raise_for_status()
    after_a_day = reads.flow(ctx, version, cache)
    assert after_a_day.waiting == {"WAIT-2": 4}
    a, b = after_a_day.moves.get(("SPLIT", "EMAIL-A"), 0), after_a_day.moves.get(("SPLIT", "EMAIL-B"), 0)
    assert a + b == 4 and after_a_day.moves[("WAIT-1", "SPLIT")] == 4
    assert (
        after_a_day.moves.get(("EMAIL-A", "WAIT-2"), 0) == a
        and after_a_day.moves.get(("EMAIL-B", "WAIT-2"), 0) == b
    )

    admin.post("/clock/advance", json={"by": "8d"}).raise_for_status()
    done = reads.flow(ctx, version, cache)
    assert done.waiting == {} and done.moves[("EMAIL-TIP", END)] == 4 and done.reached("EMAIL-TIP") == 4
    assert reads.flow(ctx, version) == done  # the same without the cache

    matches = reads.find_contacts(ctx, MID, "D")
    assert [(m.contact_key, m.passes, m.live) for m in matches] == [
        ("ada", 1, 0),
        ("cyd", 1, 0),
        ("dee", 1, 0),
    ]
    timeline = reads.contact_timeline(ctx, MID, "ada")
    assert timeline[0].status == "MetCriteria" and timeline[-1].activity_name == "Stop"
