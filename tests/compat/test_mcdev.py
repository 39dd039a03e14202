"""mcdev 9.0.3, unmodified, against a real journeystack process: retrieve, deploy (update, create,
publish, new version), validate, pause, resume, stop, audit and delete.

After each mcdev command the test checks journeystack's stored state through its own API, not only
mcdev's exit code and log (mcdev exits 0 after many errors; its log is scanned for them too).
The auth URL is the root-free form (plain HTTP on a free port; sfmc-sdk's URL check is satisfied
by the query string); tests/compat/test_tls.py covers the hosts file + TLS form.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from journeystack.client import Client
from journeystack.files.transfer import Folders
from journeystack.testing import serve_in_thread
from tests.compat.clients import TENANT, Clients, McdevProject, McdevRun, client_env, connections_made
from tests.compat.conftest import CompatServer
from tests.control_plane import run_cli
from tests.soap_client import create_folder
from tests.support import BASE, Api, create_fixture_events, realistic_journeys

NEVER = "0001-01-01T00:00:00"
NEW_KEY = "compat-new-journey"


def journey(api: Api, key: str, version: int | None = None) -> dict[str, Any]:
    suffix = f"?versionNumber={version}" if version else ""
    response = api.get(f"{BASE}/key:{key}{suffix}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def all_versions(api: Api, journey_id: str) -> dict[int, dict[str, Any]]:
    items = api.get(f"{BASE}?id={journey_id}&mostRecentVersionOnly=false&$pageSize=50").json()["items"]
    return {item["version"]: item for item in items}


def audit_actions(api: Api, journey_id: str) -> list[tuple[str, int]]:
    items = api.get(f"{BASE}/{journey_id}/audit/all?$pageSize=50").json()["items"]
    return [(item["action"], item["versionNumber"]) for item in reversed(items)]


def by_key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Activities in key order (mcdev sorts them when it writes a file)."""
    return sorted(items, key=lambda item: str(item["key"]))


def without_ids(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Activities without the ids the server assigns (mcdev neither retrieves nor deploys them)."""
    return [{k: v for k, v in a.items() if k != "id"} for a in activities]


def shape(activities: list[dict[str, Any]]) -> list[tuple[str, str, str, list[Any]]]:
    """What a deploy must carry over unchanged (mcdev fills in some configuration of its own)."""
    return [(a["key"], a["type"], a["name"], a["outcomes"]) for a in by_key(activities)]


def seed(api: Api) -> int:
    """Event definitions, a journey folder and three realistic journeys in it; returns the folder id.

    The journeys name their entry event by key only, as the README's does: journeystack fills in its
    id, which is how mcdev finds a journey's event (without it, deploy --publish fails with "Could not
    find events for the published journeys")."""
    create_fixture_events(api)
    events = api.get("/interaction/v1/eventDefinitions?$pageSize=50&$page=1").json()["items"]
    event_ids = {event["eventDefinitionKey"]: event["id"] for event in events}
    folder = create_folder(api, "compat")
    for body in realistic_journeys()[:3]:
        assert "eventDefinitionId" not in body["triggers"][0]["metaData"]
        response = api.post(BASE, json={**body, "categoryId": folder})
        assert response.status_code == 200, response.text
        meta = response.json()["triggers"][0]["metaData"]
        assert meta["eventDefinitionId"] == event_ids[meta["eventDefinitionKey"]]
    return folder


def check_import_of_retrieve(retrieve: Path, seeded: dict[str, dict[str, Any]], directory: Path) -> None:
    """`journeystack import` loads what mcdev retrieved into another journeystack: same journeys, in
    the same folder path, triggered by the same events (mcdev wrote them as r__folder_Path and
    r__event_key)."""
    directory.mkdir()
    with (
        serve_in_thread(directory) as other,
        Client(other.url, other.client_id, other.client_secret) as client,
    ):
        status, out, err = run_cli("import", str(retrieve), "--url", other.url)
        assert (status, err) == (0, ""), out
        assert sorted(out.splitlines()) == sorted(f"{key} v1: created" for key in seeded)
        paths = Folders(client).paths()
        for key, stored in seeded.items():
            imported = client.journeys.get(key)
            assert (imported.status, imported.name) == ("Draft", stored["name"])
            assert paths[imported.category_id or 0] == "my journeys/compat"
            assert by_key(without_ids(imported.to_wire()["activities"])) == by_key(
                without_ids(stored["activities"])
            )
            trigger = (imported.triggers or [])[0]
            assert trigger.event_definition_key == stored["triggers"][0]["metaData"]["eventDefinitionKey"]


def test_mcdev_round_trip(clients: Clients, compat_server: CompatServer, tmp_path: Path) -> None:
    api = compat_server.api
    port = compat_server.base_url.rsplit(":", 1)[1]
    auth_url = f"http://127.0.0.1:{port}/v2/token?t=https://{TENANT}.auth.marketingcloudapis.com/"
    connections = tmp_path / "connections.log"
    env = client_env(tmp_path / "home", connections)
    project = McdevProject.create(clients, tmp_path / "project", auth_url, env)
    folder = seed(api)
    seeded = {key: journey(api, key) for key in ("welcome-series", "abandoned-cart", "birthday-offer")}

    # 1. retrieve every journey: files named by key, in the folder's path, matching the server.
    run = project.run_ok("retrieve", project.bu, "journey")
    assert "Downloaded: journey (3)" in run.output, run.describe()
    for key, stored in seeded.items():
        document = project.retrieved(key)
        assert document["r__folder_Path"] == "my journeys/compat"
        assert (document["name"], document["version"], document["status"]) == (stored["name"], 1, "Draft")
        assert by_key(document["activities"]) == by_key(without_ids(stored["activities"]))
        assert journey(api, key)["modifiedDate"] == stored["modifiedDate"]  # a retrieve changes nothing
    check_import_of_retrieve(project.directory / "retrieve", seeded, tmp_path / "imported")

    # 1b. an event definition that does not exist takes mcdev's not-found branch: zero results, exit 0
    # (SFMC's 400 carries no errorcode sfmc-sdk would report instead of ERR_BAD_REQUEST).
    run = project.run_ok("retrieve", project.bu, "event", "no-such-event")
    assert "Downloaded: event (0)" in run.output, run.describe()

    # 2. deploy an update: PUT key:{key} with version + modifiedDate and no id.
    edited = project.retrieved("welcome-series")
    edited["description"] = "Edited in mcdev"
    project.stage_for_deploy(edited)
    run = project.run_ok("deploy", project.bu, "journey", "welcome-series")
    assert "updated journey: welcome-series" in run.output, run.describe()
    after = journey(api, "welcome-series")
    assert after["description"] == "Edited in mcdev"
    assert (after["version"], after["status"], after["categoryId"]) == (1, "Draft", folder)
    assert after["modifiedDate"] != seeded["welcome-series"]["modifiedDate"]
    assert audit_actions(api, after["id"])[-1] == ("Modify", 1)

    # 3. deploy a new journey: POST, built from a retrieved file under a new key.
    new = copy.deepcopy(project.retrieved("abandoned-cart"))
    new.update(key=NEW_KEY, name="Compat new journey")
    for member in ("createdDate", "modifiedDate", "lastPublishedDate", "version", "status"):
        new.pop(member, None)
    project.stage_for_deploy(new)
    run = project.run_ok("deploy", project.bu, "journey", NEW_KEY)
    assert f"created journey: {NEW_KEY}" in run.output, run.describe()
    created = journey(api, NEW_KEY)
    assert (created["version"], created["status"], created["categoryId"]) == (1, "Draft", folder)
    assert shape(created["activities"]) == shape(seeded["abandoned-cart"]["activities"])
    assert (
        created["triggers"][0]["metaData"]["eventDefinitionKey"]
        == (seeded["abandoned-cart"]["triggers"][0]["metaData"]["eventDefinitionKey"])
    )
    journey_id = created["id"]

    # 4. deploy --publish: PUT, then publishAsync and publishStatus polling until PublishCompleted.
    project.run_ok("retrieve", project.bu, "journey", NEW_KEY)
    to_publish = project.retrieved(NEW_KEY)
    to_publish["description"] = "Published by mcdev"
    project.stage_for_deploy(to_publish)
    run = project.run_ok("deploy", project.bu, "journey", NEW_KEY, "--publish")
    published = journey(api, NEW_KEY)
    assert "published journey: compat-new-journey" in run.output, run.describe()
    assert (published["version"], published["status"]) == (1, "Published"), run.describe()
    assert published["lastPublishedDate"] != NEVER and published["description"] == "Published by mcdev"
    assert audit_actions(api, journey_id)[-2:] == [("Modify", 1), ("Publish", 1)]
    assert project.retrieved(NEW_KEY)["status"] == "Published"  # mcdev re-retrieved it after publishing

    # 5. pause and resume the published version.
    project.run_ok("pause", project.bu, "journey", NEW_KEY)
    assert journey(api, NEW_KEY)["status"] == "Paused"
    project.run_ok("resume", project.bu, "journey", NEW_KEY)
    assert journey(api, NEW_KEY)["status"] == "Published"

    # 6. deploy again: the journey is no longer a Draft, so mcdev POSTs the same key -> version 2.
    second = project.retrieved(NEW_KEY)
    second["name"] = "Compat new journey v2"
    project.stage_for_deploy(second)
    run = project.run_ok("deploy", project.bu, "journey", NEW_KEY)
    assert "Will create new version" in run.output, run.describe()
    versions = all_versions(api, journey_id)
    assert (versions[1]["status"], versions[2]["status"]) == ("Published", "Draft")
    assert versions[2]["name"] == "Compat new journey v2" and versions[2]["id"] == journey_id
    assert versions[2]["definitionId"] != versions[1]["definitionId"]

    # 6b. retrieve --onlyPublished: ?status=Published lists version 1, the Published one (issue 13).
    project.run_ok("retrieve", project.bu, "journey", "--onlyPublished")
    only_published = project.retrieved(NEW_KEY)
    assert (only_published["version"], only_published["status"]) == (1, "Published")

    # 7. validate the Draft version 2: validateAsync + validateStatus; nothing changes.
    before = journey(api, NEW_KEY, 2)
    run = project.run_ok("validate", project.bu, "journey", NEW_KEY)
    assert "validation successful - journey: compat-new-journey" in run.output, run.describe()
    assert journey(api, NEW_KEY, 2) == before

    # 8. stop every running version (key/*: the list with mostRecentVersionOnly=false).
    project.run_ok("stop", project.bu, "journey", f"{NEW_KEY}/*")
    versions = all_versions(api, journey_id)
    assert (versions[1]["status"], versions[2]["status"]) == ("Stopped", "Draft")

    # 9. audit log, as mcdev reads it.
    run = project.run_ok("audit", project.bu, "-m", f"journey:{NEW_KEY}")
    actions = audit_actions(api, journey_id)
    assert [a for a, _ in actions] == ["Create", "Modify", "Publish", "Pause", "Resume", "Create", "Stop"]
    for action in ("Publish", "Pause", "Resume", "Stop"):
        assert action in run.output, run.describe()

    # 10. delete one version: DELETE ?versionNumber=2; version 1 stays.
    project.run_ok("delete", project.bu, "journey", f"{NEW_KEY}/2")
    versions = all_versions(api, journey_id)
    assert (versions[1]["status"], versions[2]["status"]) == ("Stopped", "Deleted")

    # Only journeystack on 127.0.0.1 was ever contacted.
    made = connections_made(connections)
    assert made and all(target == f"127.0.0.1:{port}" for target in made), sorted(set(made))


TRANSACTIONAL_KEY = "compat-temail"


def transactional_journey(folder_path: str) -> dict[str, Any]:
    """A transactional-send journey as mcdev keeps it in deploy/: the transactional API trigger and one
    email activity that names its transactional email definition's key (metaData.highThroughput)."""
    return {
        "key": TRANSACTIONAL_KEY, "name": "Compat transactional email", "description": "", "workflowApiVersion": 1,
        "activities": [{
            "key": "EMAILV2-1", "name": "Order confirmation", "description": "", "type": "EMAILV2",
            "outcomes": [{"key": "c7e0a7bb-2e0f-4d62-8a7e-3a5d7c8f3c11", "arguments": {}, "metaData": {"invalid": False}}],
            "arguments": {},
            "configurationArguments": {
                "applicationExtensionKey": "jb-email-activity", "isModified": True,
                "triggeredSend": {"autoAddSubscribers": True, "autoUpdateSubscribers": True, "emailSubject": "Your order",
                                  "dynamicEmailSubject": "Your order", "isMultipart": True, "isTrackingClicks": True},
            },
            "metaData": {"highThroughput": {"definitionKey": TRANSACTIONAL_KEY}, "sections": {}, "isConfigured": True},
        }],
        "triggers": [{
            "key": "TRIGGER", "name": "TRIGGER", "description": "", "type": "transactional-api", "outcomes": [],
            "arguments": {}, "configurationArguments": {},
            "metaData": {"chainType": "none", "configurationRequired": False, "title": "Transactional API Event",
                         "category": "Transactional"},
        }],
        "goals": [], "exits": [], "notifiers": [], "entryMode": "MultipleEntries", "definitionType": "Transactional",
        "channel": "email", "defaults": {"properties": {}}, "metaData": {}, "executionMode": "Production",
        "r__folder_Path": folder_path,
    }  # fmt: skip


def unexpected(run: McdevRun) -> list[str]:
    """mcdev's error lines, but for its ☇ info line when it refreshes a paused transactional journey."""
    return [line for line in run.problems if "Queueing for refresh" not in line]


def test_mcdev_transactional_round_trip(
    clients: Clients, compat_server: CompatServer, tmp_path: Path
) -> None:
    """deploy --publish of a new transactional-send journey (POST, transactional/create), then of an
    update of the published journey (transactional/pause, PUT of the Paused journey, transactional/resume),
    with mcdev unmodified; mcdev reads the transactional email definition each publish makes."""
    api = compat_server.api
    port = compat_server.base_url.rsplit(":", 1)[1]
    auth_url = f"http://127.0.0.1:{port}/v2/token?t=https://{TENANT}.auth.marketingcloudapis.com/"
    connections = tmp_path / "connections.log"
    project = McdevProject.create(
        clients, tmp_path / "project", auth_url, client_env(tmp_path / "home", connections)
    )
    create_folder(api, "compat")

    # 1. a new transactional journey, deployed with --publish: created, then published at once.
    project.stage_for_deploy(transactional_journey("my journeys/compat"))
    run = project.run("deploy", project.bu, "journey", TRANSACTIONAL_KEY, "--publish")
    assert run.returncode == 0 and not unexpected(run), run.describe()
    assert f"created journey: {TRANSACTIONAL_KEY}" in run.output, run.describe()
    assert "by creating the matching transactionalEmail" in run.output, run.describe()
    published = journey(api, TRANSACTIONAL_KEY)
    assert (published["status"], published["version"], published["lastPublishedDate"]) == (
        "Published",
        1,
        NEVER,
    )
    email = published["activities"][0]
    definition = api.get(f"/messaging/v1/email/definitions/{TRANSACTIONAL_KEY}").json()
    assert definition["definitionId"] == email["configurationArguments"]["triggeredSendId"]
    assert definition["status"] == "Active" and email["metaData"]["isConfigured"] is True
    # mcdev re-retrieved it after publishing and found its transactional email definition.
    retrieved = project.retrieved(TRANSACTIONAL_KEY)
    assert retrieved["status"] == "Published"
    assert (
        retrieved["activities"][0]["configurationArguments"]["r__transactionalEmail_key"] == TRANSACTIONAL_KEY
    )

    # 2. an update of the published journey, deployed with --publish: mcdev pauses it, updates the Paused
    # journey in place (the same version), then resumes it.
    retrieved["description"] = "Updated by mcdev"
    project.stage_for_deploy(retrieved)
    run = project.run("deploy", project.bu, "journey", TRANSACTIONAL_KEY, "--publish")
    assert run.returncode == 0 and not unexpected(run), run.describe()
    for step in ("paused journey", f"updated journey: {TRANSACTIONAL_KEY}", "resumed journey"):
        assert step in run.output, run.describe()
    updated = journey(api, TRANSACTIONAL_KEY)
    assert (updated["status"], updated["version"], updated["description"]) == (
        "Published",
        1,
        "Updated by mcdev",
    )
    assert [a for a, _ in audit_actions(api, updated["id"])] == [
        "Create",
        "Publish",
        "Pause",
        "Modify",
        "Resume",
    ]
    assert all_versions(api, updated["id"]).keys() == {1}

    made = connections_made(connections)
    assert made and all(target == f"127.0.0.1:{port}" for target in made), sorted(set(made))
