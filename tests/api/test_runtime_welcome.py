"""A two-week welcome journey for 1,000 contacts, end to end: entered through /async/events, run by
a 15-day clock advance, and checked contact by contact against the history and outbox its path
dictates. Then the same run on PostgreSQL with two server processes gives the same histories."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from tests.control_plane import ADMIN_TOKEN, Admin
from tests.pg import PostgresServer
from tests.runtime_support import (
    DAY,
    T0_MS,
    Clock,
    condition,
    decision,
    email,
    event_definition,
    fire_many,
    journey,
    published,
    random_split,
    wait,
)
from tests.scaleout import servers
from tests.support import BASE, CLIENT_ID, CLIENT_SECRET, Api, app_in_thread

KEY = "APIEvent-welcome"
MID = 1000001
CONTACTS = 1000
History = dict[str, list[tuple[str, str, int, str]]]


def welcome_journey() -> dict[str, Any]:
    premium = condition(f"Event.{KEY}.Plan", "Equal", "premium")
    activities = [
        wait("WAIT-1", 1, "DAYS", "EMAIL-1"),
        email("EMAIL-1", f'Welcome, {{{{Event.{KEY}."FirstName"}}}}!', "SPLIT-1"),
        random_split("SPLIT-1", [(50, "DECISION-1"), (50, "WAIT-2")]),
        decision("DECISION-1", [("premium", premium, "EMAIL-P"), ("rest", None, "WAIT-2")]),
        email("EMAIL-P", "Your premium perks", "WAIT-2"),
        wait("WAIT-2", 1, "WEEKS", "EMAIL-2"),
        email("EMAIL-2", f'One week in, {{{{Event.{KEY}."FirstName"}}}}', None),
    ]
    goal = {
        "key": "GOAL-1", "name": "First purchase",
        "configurationArguments": {"criteria": condition("Purchases.Count", "GreaterThan", "0")},
        "metaData": {"isExitCriteria": True, "conversionUnit": "percentage", "conversionValue": "10"},
    }  # fmt: skip
    return journey("welcome", KEY, activities, goals=[goal])


def contact(i: int) -> str:
    return f"c{i:04d}"


def data(i: int) -> dict[str, Any]:
    fields: dict[str, Any] = {"FirstName": f"Name{i}", "Plan": "premium" if i % 3 == 0 else "basic"}
    if i % 250 != 249:  # four contacts have no email address: their first email is a hard error
        fields["Email"] = f"{contact(i)}@example.com"
    return fields


def purchaser(i: int) -> bool:
    return i % 10 == 0


def run_scenario(
    api: Api, admin: Admin, apis: list[Api] | None = None
) -> tuple[History, list[dict[str, Any]], float]:
    """Enter the contacts, run the journey for 15 days; returns every contact's history (activity,
    status, time since T0, message), the outbox, and the wall time of entering and running."""
    clock = Clock(admin)
    clock.start_at()  # T0, before publishing: the goal's daily sweeps count from the publish
    event_definition(api, KEY)
    published(api, welcome_journey())
    members = [(contact(i), data(i)) for i in range(CONTACTS)]
    started = time.perf_counter()
    senders = apis or [api]
    for index, start in enumerate(range(0, CONTACTS, 100)):
        fire_many(senders[index % len(senders)], KEY, members[start : start + 100])
    clock.settle()
    clock.advance("3d")
    for i in range(CONTACTS):
        if purchaser(i):
            admin.ok("PUT", f"/contacts/{contact(i)}/attributes", params={"mid": MID},
                     json={"Purchases": {"Count": 1}})  # fmt: skip
    clock.advance("12d")
    elapsed = time.perf_counter() - started
    columns = "ContactKey,ActivityName,Status,EpochTimeInMilliseconds,Message"
    response = api.post(f"{BASE}/journeyhistory/download", params={"columns": columns}, json={})
    assert response.status_code == 200, response.text
    histories: History = {}
    for row in list(csv.reader(io.StringIO(response.text)))[1:]:
        key, activity, status, at, message = row
        histories.setdefault(key, []).append((activity, status, int(at) - T0_MS, message))
    sent = admin.ok("GET", "/outbox", params={"mid": MID, "limit": 10000})["items"]
    return histories, sent, elapsed


def expected_history(i: int, took_decision: bool) -> list[tuple[str, str, int]]:
    """(activity, status, day) rows contact i's path dictates; `took_decision` is its random split."""
    rows = [("TRIGGER", "MetCriteria", 0), ("WAIT-1", "Waiting", 0), ("WAIT-1", "Complete", 1)]
    if i % 250 == 249:
        return [*rows, ("EMAIL-1", "Failed", 1)]
    rows += [("EMAIL-1", "Complete", 1), ("SPLIT-1", "Complete", 1)]
    if took_decision:
        rows.append(("DECISION-1", "Complete", 1))
        if i % 3 == 0:
            rows.append(("EMAIL-P", "Complete", 1))
    rows.append(("WAIT-2", "Waiting", 1))
    if purchaser(i):
        return [*rows, ("", "MetGoalCriteria", 4)]  # the day-4 sweep sees the purchase of day 3
    return [*rows, ("WAIT-2", "Complete", 8), ("EMAIL-2", "Complete", 8), ("Stop", "Complete", 8)]


def check(histories: History, sent: list[dict[str, Any]]) -> None:
    assert sorted(histories) == [contact(i) for i in range(CONTACTS)]
    decided = 0
    expected_outbox: list[tuple[str, str, str, str]] = []
    for i in range(CONTACTS):
        rows = histories[contact(i)]
        split = [message for activity, _, _, message in rows if activity == "SPLIT-1"]
        took_decision = split == ["Path: P0"]
        assert split in ([], ["Path: P0"], ["Path: P1"]), rows
        decided += took_decision
        actual = [(activity, status, at) for activity, status, at, _ in rows]
        assert actual == [(a, s, day * DAY) for a, s, day in expected_history(i, took_decision)], (i, rows)
        if i % 250 == 249:
            continue
        address = f"{contact(i)}@example.com"
        expected_outbox.append((contact(i), "EMAIL-1", address, f"Welcome, Name{i}!"))
        if took_decision and i % 3 == 0:
            expected_outbox.append((contact(i), "EMAIL-P", address, "Your premium perks"))
        if not purchaser(i):
            expected_outbox.append((contact(i), "EMAIL-2", address, f"One week in, Name{i}"))
    assert 400 < decided < 600  # the 50/50 split; well inside 6 standard deviations
    actual_outbox = sorted((m["contactKey"], m["activityKey"], m["address"], m["subject"]) for m in sent)
    assert actual_outbox == sorted(expected_outbox)
    assert all(m["channel"] == "email" and m["journeyKey"] == "welcome" for m in sent)


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[History, list[dict[str, Any]], float]:
    """The scenario in process on SQLite, with the default random seed."""
    url = f"sqlite:///{tmp_path_factory.mktemp('welcome') / 'journeystack.db'}"
    packages = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [MID]}]
    settings = load_settings(database_url=url, access_log=False, packages=packages, admin_token=ADMIN_TOKEN,
                             operation_delay_seconds=0.05, worker_poll_seconds=0.02)  # fmt: skip
    with (
        app_in_thread(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=120) as client,
    ):
        api = Api(client=client, mid=MID, database_url=url).authenticate()
        return run_scenario(api, Admin(client))


def test_a_two_week_welcome_journey_for_a_thousand_contacts(
    sqlite_run: tuple[History, list[dict[str, Any]], float], record_property: Any
) -> None:
    histories, sent, elapsed = sqlite_run
    record_property("wall_seconds", round(elapsed, 2))
    print(f"\nwelcome journey, 1,000 contacts, SQLite in process: {elapsed:.2f} s of wall time")  # noqa: T201
    check(histories, sent)


@pytest.fixture
def two_postgres_servers(tmp_path: Path, postgres: PostgresServer) -> Iterator[list[str]]:
    name = postgres.create_database("welcome")
    env = {
        "JOURNEYSTACK_PACKAGES": json.dumps(
            [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [MID]}]
        ),
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    with servers(postgres.url(name), 2, tmp_path, env=env) as started:
        yield [server.url for server in started]
    postgres.drop_database(name)


@pytest.mark.slow
def test_the_same_run_on_postgresql_with_two_processes_gives_the_same_histories(
    sqlite_run: tuple[History, list[dict[str, Any]], float], two_postgres_servers: list[str]
) -> None:
    first, second = two_postgres_servers
    with httpx.Client(base_url=first, timeout=120) as a, httpx.Client(base_url=second, timeout=120) as b:
        api_a = Api(client=a, mid=MID, database_url="").authenticate()
        api_b = Api(client=b, mid=MID, database_url="").authenticate()
        histories, sent, _ = run_scenario(api_a, Admin(b), apis=[api_a, api_b])
    check(histories, sent)
    assert histories == sqlite_run[0]
