"""`journeystack export` and `journeystack import` against journeystack (the plugin's server): a
round trip that gives identical bytes, imports that update what they may and say what they may
not, and mcdev's retrieve/ layout."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from journeystack.client import Client
from journeystack.testing import Journeystack
from tests.control_plane import run_cli
from tests.support import FIXTURES, realistic_journeys

OTHER = 1000002


def connection(journeystack: Journeystack, mid: int) -> list[str]:
    return ["--url", journeystack.url, "--mid", str(mid)]


def create_events(client: Client) -> dict[str, str]:
    made = {}
    for event in json.loads((FIXTURES / "_event_definitions.json").read_text()):
        body = {**event, "dataExtensionId": "8a1e7c6e-0000-4000-8000-00000000de01"}
        made[event["eventDefinitionKey"]] = client.event_definitions.create(body).id or ""
    return made


def build(client: Client) -> dict[tuple[str, int], str]:
    """The ten realistic journeys in two nested folders, in every status a version can be left in."""
    create_events(client)
    campaigns = client.folders.create("Campaigns")
    year = client.folders.create("2026", campaigns.id)
    bodies = realistic_journeys()
    made = []
    for index, body in enumerate(bodies):
        folder = (None, campaigns.id, year.id)[index % 3]
        made.append(client.journeys.create({**body, **({"categoryId": folder} if folder else {})}))
    welcome, cart, birthday, win_back = made[:4]
    client.journeys.publish(welcome)
    client.journeys.create({**bodies[0], "description": "version 2, still a Draft"})
    client.journeys.publish(cart)
    client.journeys.stop(cart)
    client.journeys.publish(birthday)
    client.journeys.pause(birthday)
    client.journeys.publish(win_back)
    second = client.journeys.create({**bodies[3], "name": "Win-back, second edition"})
    client.journeys.publish(second)  # version 1 becomes Unpublished
    return statuses(client)


def statuses(client: Client) -> dict[tuple[str, int], str]:
    return {
        (j.key, j.version or 0): j.status or "" for j in client.journeys.list(mostRecentVersionOnly=False)
    }


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def test_export_import_export_gives_identical_bytes(journeystack: Journeystack, tmp_path: Path) -> None:
    source = journeystack.client()
    built = build(source)
    assert sorted(set(built.values())) == ["Draft", "Paused", "Published", "Stopped", "Unpublished"]

    status, out, err = run_cli("export", str(tmp_path / "a"), *connection(journeystack, journeystack.mid))
    assert (status, err) == (0, "")
    assert out == f"wrote 12 journey version(s) and 10 event definition(s) to {tmp_path / 'a'}\n"
    exported = files(tmp_path / "a")
    assert (
        "journeys/welcome-series/v2.json" in exported
        and "events/APIEvent-6d33cb78-f009-428b-b43c-8bf486e6994b.json" in exported
    )
    welcome = json.loads(exported["journeys/welcome-series/v1.json"])
    assert list(welcome)[:3] == ["key", "version", "status"] and welcome["status"] == "Published"
    assert json.loads(exported["journeys/abandoned-cart/v1.json"])["folderPath"] == "my journeys/Campaigns"
    assert (
        json.loads(exported["journeys/birthday-offer/v1.json"])["folderPath"] == "my journeys/Campaigns/2026"
    )
    assert not any(name in welcome for name in ("id", "definitionId", "modifiedDate", "categoryId"))

    status, out, err = run_cli("import", str(tmp_path / "a"), *connection(journeystack, OTHER))
    assert (status, err) == (0, "")
    assert "win-back-q3 v1: published" in out and "birthday-offer v1: published, paused" in out
    target = journeystack.client(mid=OTHER)
    assert statuses(target) == built

    status, _, err = run_cli("export", str(tmp_path / "b"), *connection(journeystack, OTHER))
    assert (status, err) == (0, "")
    assert files(tmp_path / "b") == exported  # the same files, byte for byte

    # Importing again changes nothing.
    before = {(j.key, j.version): j.modified_date for j in target.journeys.list(mostRecentVersionOnly=False)}
    status, out, err = run_cli("import", str(tmp_path / "a"), *connection(journeystack, OTHER))
    assert (status, err) == (0, "")
    assert all(line.endswith(": unchanged") for line in out.splitlines()), out
    assert {
        (j.key, j.version): j.modified_date for j in target.journeys.list(mostRecentVersionOnly=False)
    } == before


def test_import_updates_drafts_and_refuses_to_change_running_versions(
    journeystack: Journeystack, tmp_path: Path
) -> None:
    client = journeystack.client()
    create_events(client)
    bodies = realistic_journeys()
    published = client.journeys.create(bodies[0])
    client.journeys.publish(published)
    client.journeys.create(bodies[1])
    assert run_cli("export", str(tmp_path), *connection(journeystack, journeystack.mid))[0] == 0

    draft_file = tmp_path / "journeys" / "abandoned-cart" / "v1.json"
    draft = json.loads(draft_file.read_text())
    draft["description"] = "Edited in git"
    draft_file.write_text(json.dumps(draft))
    running_file = tmp_path / "journeys" / "welcome-series" / "v1.json"
    running = json.loads(running_file.read_text())
    running["name"] = "Renamed while published"
    running_file.write_text(json.dumps(running))
    seen = client.journeys.get("abandoned-cart").modified_date

    status, out, err = run_cli("import", str(tmp_path), *connection(journeystack, journeystack.mid))

    assert status == 1
    assert "abandoned-cart v1: updated" in out
    assert err == (
        f"journeystack import: {running_file}: welcome-series: v1 is Published on the server, so it cannot take "
        "the file's changes; a new version needs a file of its own\n"
    )
    updated = client.journeys.get("abandoned-cart")
    assert updated.description == "Edited in git" and updated.modified_date != seen
    assert client.journeys.get("welcome-series").name == bodies[0]["name"]

    # A new version needs a file of its own: v2 is created and published.
    running["version"], running["status"] = 2, "Published"
    (running_file.parent / "v2.json").write_text(json.dumps(running))
    running_file.write_text(json.dumps({**running, "version": 1, "name": bodies[0]["name"]}))
    status, out, err = run_cli("import", str(tmp_path), *connection(journeystack, journeystack.mid))
    assert (status, err) == (0, "")
    assert "welcome-series v2: created" in out and "welcome-series v2: published" in out
    assert [(j.version, j.status) for j in client.journeys.list(key="welcome-series", mostRecentVersionOnly=False)] == [
        (2, "Published"), (1, "Unpublished"),
    ]  # fmt: skip

    # Export removes the files of what no longer exists, and --key exports one journey.
    client.journeys.delete("abandoned-cart")
    status, out, _ = run_cli("export", str(tmp_path), *connection(journeystack, journeystack.mid))
    assert status == 0 and "removed journeys/abandoned-cart/v1.json" in out
    assert not (tmp_path / "journeys" / "abandoned-cart").exists()
    status, out, _ = run_cli(
        "export",
        str(tmp_path / "one"),
        "--key",
        "welcome-series",
        *connection(journeystack, journeystack.mid),
    )
    exported = files(tmp_path / "one")
    assert status == 0 and [p for p in exported if p.startswith("journeys/")] == [
        "journeys/welcome-series/v1.json", "journeys/welcome-series/v2.json",
    ]  # fmt: skip
    assert len([p for p in exported if p.startswith("events/")]) == 10


def mcdev_file(body: dict[str, Any], *, status: str, version: int, folder: str) -> dict[str, Any]:
    """A journey as `mcdev retrieve` writes it: server fields kept, folder and event by name."""
    document = copy.deepcopy(body)
    meta = document["triggers"][0]["metaData"]
    meta["r__event_key"] = meta.pop("eventDefinitionKey")
    return {**document, "version": version, "status": status, "r__folder_Path": folder,
            "createdDate": "2024-05-04T05:54:48.027", "modifiedDate": "2024-05-04T17:25:57.9",
            "lastPublishedDate": "0001-01-01T00:00:00"}  # fmt: skip


def test_import_reads_an_mcdev_retrieve_directory(journeystack: Journeystack, tmp_path: Path) -> None:
    unit = tmp_path / "retrieve" / "local" / "_ParentBU_"
    (unit / "journey").mkdir(parents=True)
    (unit / "event").mkdir()
    bodies = realistic_journeys()[:2]
    for event in json.loads((FIXTURES / "_event_definitions.json").read_text())[:2]:
        document = {**event, "schema": {"fields": [{"name": "EmailAddress", "dataType": "EmailAddress"}]},
                    "r__folder_Path": "my events"}  # fmt: skip
        (unit / "event" / f"{event['eventDefinitionKey']}.event-meta.json").write_text(
            json.dumps(document, indent=4)
        )
    files = {
        "welcome-series": mcdev_file(bodies[0], status="Published", version=3, folder="my journeys/compat"),
        "abandoned-cart": mcdev_file(bodies[1], status="Draft", version=1, folder="my journeys"),
    }
    for key, document in files.items():
        (unit / "journey" / f"{key}.journey-meta.json").write_text(json.dumps(document, indent=4))

    status, out, err = run_cli("import", str(tmp_path), *connection(journeystack, journeystack.mid))

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "event APIEvent-566bf9d7-c55a-45f8-91a6-e55e9b9b1325: created",
        "event APIEvent-d1784030-35c9-48c4-a68d-c8f46a423cf9: created",
        "abandoned-cart v1: created",
        "welcome-series v1: created",
        "welcome-series v1: published",
    ]
    client = journeystack.client()
    folders = {f.name: f for f in client.folders.list()}
    welcome, cart = client.journeys.get("welcome-series"), client.journeys.get("abandoned-cart")
    assert (welcome.status, welcome.version, welcome.category_id) == ("Published", 1, folders["compat"].id)
    assert (cart.status, cart.category_id) == ("Draft", folders["my journeys"].id)
    event = client.event_definitions.get(bodies[0]["triggers"][0]["metaData"]["eventDefinitionKey"])
    assert welcome.triggers[0].meta_data == {  # type: ignore[index]
        **bodies[0]["triggers"][0]["metaData"], "eventDefinitionId": event.id,
    }  # fmt: skip

    # mcdev keeps the latest version only: a re-import finds it the same, an edited one becomes version 2.
    status, again, err = run_cli("import", str(tmp_path), *connection(journeystack, journeystack.mid))
    assert (status, err) == (0, "") and all(line.endswith("unchanged") for line in again.splitlines()), again
    files["welcome-series"]["description"] = "Edited in the mcdev project"
    (unit / "journey" / "welcome-series.journey-meta.json").write_text(json.dumps(files["welcome-series"]))
    status, out, err = run_cli("import", str(unit), *connection(journeystack, journeystack.mid))
    assert (
        (status, err) == (0, "")
        and "welcome-series v2: created" in out
        and "welcome-series v2: published" in out
    )


def test_import_and_export_say_when_they_cannot_work(journeystack: Journeystack, tmp_path: Path) -> None:
    status, _, err = run_cli("import", str(tmp_path), *connection(journeystack, journeystack.mid))
    assert status == 1 and err.startswith(f"journeystack import: {tmp_path} holds no journeys")
    status, _, err = run_cli("export", str(tmp_path), "--url", journeystack.url, "--client-secret", "wrong")
    assert status == 1
    assert err.startswith("journeystack export: 401 errorcode None: Client authentication failed.")
    status, _, err = run_cli("export", str(tmp_path), "--url", "http://127.0.0.1:1")
    assert (status, err) == (
        1,
        "journeystack export: cannot reach http://127.0.0.1:1: [Errno 111] Connection refused\n",
    )


def test_the_fixture_seeds_from_journeys_as_files(journeystack: Journeystack, tmp_path: Path) -> None:
    client = journeystack.client()
    create_events(client)
    client.journeys.publish(client.journeys.create(realistic_journeys()[0]))
    assert run_cli("export", str(tmp_path), "--url", journeystack.url)[0] == 0
    journeystack.reset()

    report = journeystack.seed(tmp_path)

    assert report.problems == [] and "welcome-series v1: published" in report.done
    assert client.journeys.get("welcome-series").status == "Published"
    (tmp_path / "journeys" / "broken").mkdir()
    (tmp_path / "journeys" / "broken" / "v1.json").write_text('{"key": "broken", "name": "B"}')
    with pytest.raises(AssertionError, match="broken: 400 errorcode 400: Please validate that your request"):
        journeystack.seed(tmp_path)


def test_a_file_without_a_version_is_the_latest_and_key_exports_leave_other_keys(
    journeystack: Journeystack, tmp_path: Path
) -> None:
    client = journeystack.client()
    for key in ("a", "b"):
        client.journeys.create({"key": key, "name": key.upper(), "workflowApiVersion": 1})
    assert run_cli("export", str(tmp_path), "--url", journeystack.url)[0] == 0
    (tmp_path / "journeys" / "c").mkdir()
    hand_written = tmp_path / "journeys" / "c" / "journey.json"
    hand_written.write_text('{"key": "c", "name": "C", "workflowApiVersion": 1.0}')

    assert run_cli("import", str(tmp_path), "--url", journeystack.url)[1].splitlines() == [
        "a v1: unchanged", "b v1: unchanged", "c v1: created",
    ]  # fmt: skip
    hand_written.write_text('{"key": "c", "name": "C", "workflowApiVersion": 1.0, "description": "edited"}')
    assert "c v1: updated" in run_cli("import", str(tmp_path), "--url", journeystack.url)[1]
    assert [(j.version, j.description) for j in client.journeys.list(key="c", mostRecentVersionOnly=False)] == [
        (1, "edited"),
    ]  # fmt: skip

    client.journeys.delete("b")
    status, out, _ = run_cli("export", str(tmp_path), "--key", "a", "--url", journeystack.url)
    assert status == 0 and "removed" not in out and (tmp_path / "journeys" / "b" / "v1.json").exists()
    status, out, _ = run_cli("export", str(tmp_path), "--url", journeystack.url)
    assert status == 0 and out.splitlines()[0] == "removed journeys/b/v1.json"
    # Export removes only files it writes itself: the hand-written one stays.
    assert sorted(files(tmp_path)) == ["journeys/a/v1.json", "journeys/c/journey.json", "journeys/c/v1.json"]
