"""A list page is bounded in bytes, and its items carry what SFMC's carry (issue 12 §4)."""

from __future__ import annotations

from pathlib import Path

import httpx

from journeystack.api.app import create_app
from journeystack.config import load_settings
from tests.support import BASE, Api, app_in_thread, as_sent, assert_error, journey_body, migrated_sqlite_url

MALFORMED = "Please validate that your request is properly formed."


def test_a_page_over_the_response_limit_is_refused_naming_page_size(tmp_path: Path) -> None:
    settings = load_settings(database_url=migrated_sqlite_url(tmp_path / "j.db"), access_log=False,
                             max_response_bytes=100_000)  # fmt: skip
    with app_in_thread(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        api = Api(client=client, mid=1000001, database_url="").authenticate()
        big = {"metaData": {"notes": "x" * 30_000}}
        for n in range(5):
            assert api.post(BASE, json=journey_body(f"big{n}", **big)).status_code == 200
        error = assert_error(api.get(f"{BASE}?$pageSize=5&extras=all"), 400, 10005, error_message(100_000))
        assert error["validationErrors"][0]["path"] == "$pageSize"
        assert_error(api.get(f"{BASE}?$pageSize=5"), 400, 10005, error_message(100_000))
        assert len(api.get(f"{BASE}?$pageSize=2&extras=all").json()["items"]) == 2


def error_message(limit: int) -> str:
    return (
        f"This page of journeys is larger than the {limit}-byte limit (JOURNEYSTACK_MAX_RESPONSE_BYTES); "
        "ask for a smaller $pageSize, or leave out extras."
    )


def test_list_items_leave_out_activities_and_triggers(api: Api) -> None:
    activities = [
        {"key": "A", "type": "WAIT", "configurationArguments": {"waitDuration": 1, "waitUnit": "days"}}
    ]
    api.create("lean", activities=activities, triggers=[{"key": "T", "type": "APIEvent"}])
    item = api.get(BASE).json()["items"][0]
    assert "activities" not in item and "triggers" not in item and item["key"] == "lean"
    assert as_sent(api.get(f"{BASE}?extras=activities").json()["items"][0])["activities"] == activities
