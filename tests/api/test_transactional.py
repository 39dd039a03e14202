"""Transactional-send journeys (issue 13 item 1): transactional/create, /pause and /resume with
SFMC's recorded answers, no versions, updates in place while Paused, and the standard pause and
resume refusing them. Pinned to mcdev's recordings (tests/fixtures/recordings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import BASE, Api, assert_error, create_event

RECORDINGS = Path(__file__).parents[1] / "fixtures" / "recordings" / "9999999"
RECORDED = RECORDINGS / "interaction" / "v1" / "interactions"
DEFINITIONS = "/messaging/v1/email/definitions"
SERVER_OWNED = ("id", "definitionId", "version", "status", "createdDate", "modifiedDate", "lastPublishedDate",
                "categoryId")  # fmt: skip
NEVER = "0001-01-01T00:00:00"


def recorded(path: str) -> Any:
    return json.loads((RECORDED / path).read_text())


def transactional_body(key: str = "temail") -> dict[str, Any]:
    """mcdev's recorded transactional journey (its create answer) as a client would POST it."""
    body: dict[str, Any] = {k: v for k, v in recorded("post-response.json").items() if k not in SERVER_OWNED}
    return {**body, "key": key, "name": key}


def call(api: Api, verb: str, definition_id: str) -> Any:
    return api.post(f"{BASE}/transactional/{verb}", json={"definitionId": definition_id})


def test_create_pause_and_resume_answer_sfmc_recorded_bodies(api: Api) -> None:
    journey = api.post(BASE, json=transactional_body()).json()
    assert (journey["definitionType"], journey["status"], journey["channel"]) == (
        "Transactional",
        "Draft",
        "email",
    )

    created = call(api, "create", journey["id"])
    assert (created.status_code, created.json()) == (200, recorded("transactional/create/post-response.json"))
    published = api.get(f"{BASE}/key:temail").json()
    # Published at once; SFMC leaves lastPublishedDate "never" for journeys published this way, and
    # its email activity now names its transactional email definition and says it is configured
    # (the recorded create answer vs. key_testNew_temail_notPublished/get-response.json).
    assert (published["status"], published["lastPublishedDate"]) == ("Published", NEVER)
    email = published["activities"][0]
    assert email["metaData"]["isConfigured"] is True and email["configurationArguments"]["triggeredSendId"]
    [entry] = api.get(f"{BASE}/key:temail/audit/publish").json()["items"]
    assert entry["publishStatus"] == "PublishCompleted"

    paused = call(api, "pause", journey["id"])
    assert (paused.status_code, paused.json()) == (200, recorded("transactional/pause/post-response.json"))
    assert api.get(f"{BASE}/key:temail").json()["status"] == "Paused"
    resumed = call(api, "resume", journey["id"].upper())
    assert (resumed.status_code, resumed.json()) == (200, recorded("transactional/resume/post-response.json"))
    assert api.get(f"{BASE}/key:temail").json()["status"] == "Published"
    actions = [i["action"] for i in api.get(f"{BASE}/key:temail/audit/all").json()["items"]]
    assert actions == ["Resume", "Pause", "Publish", "Create"]


def test_a_paused_transactional_journey_is_updated_in_place_a_published_one_is_not(api: Api) -> None:
    journey = api.post(BASE, json=transactional_body()).json()
    call(api, "create", journey["id"])
    current = api.get(f"{BASE}/key:temail").json()
    refused = api.put(f"{BASE}/key:temail", json={**current, "description": "edited"})
    assert_error(refused, 409, 409, "Cannot update transactional-send journey in Published status.")

    call(api, "pause", journey["id"])
    current = api.get(f"{BASE}/key:temail").json()
    updated = api.put(f"{BASE}/key:temail", json={**current, "description": "edited"})
    # As mcdev's recording key_testExisting_temail/put-response-paused.json: the same version, Paused.
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["version"], body["status"], body["description"]) == (1, "Paused", "edited")
    assert set(body) == set(recorded("key_testExisting_temail/put-response-paused.json")) | {"stats"} - {
        "stats"
    }
    assert call(api, "resume", journey["id"]).status_code == 200
    assert api.get(f"{BASE}/key:temail").json()["description"] == "edited"

    # No versions: POSTing the key again is refused, whatever the status.
    again = api.post(BASE, json=transactional_body())
    assert_error(again, 409, 30004, "A transactional-send journey has no versions: update it with PUT (pause it "
                 "first while it is Published) instead of creating it again.")  # fmt: skip


def test_refusals(api: Api) -> None:
    journey = api.post(BASE, json=transactional_body()).json()
    # The standard pause and resume are for standard journeys (SFMC's documentation).
    call(api, "create", journey["id"])
    assert_error(api.post(f"{BASE}/pause/{journey['id']}?versionNumber=1"), 400, 10005,
                 "Cannot pause a transactional-send journey here: use transactional/pause.")  # fmt: skip
    assert_error(api.post(f"{BASE}/pause/key:temail?allVersions=true"), 400, 10005,
                 "Cannot pause a transactional-send journey here: use transactional/pause.")  # fmt: skip
    call(api, "pause", journey["id"])
    assert_error(api.post(f"{BASE}/resume/key:temail?versionNumber=1"), 400, 10005,
                 "Cannot resume a transactional-send journey here: use transactional/resume.")  # fmt: skip
    assert_error(call(api, "pause", journey["id"]), 409, 30002, "Cannot pause interaction in Paused status.")
    assert_error(
        call(api, "create", journey["id"]), 409, 30002, "Cannot publish interaction in Paused status."
    )
    call(api, "resume", journey["id"])
    assert_error(
        call(api, "create", journey["id"]), 409, 30002, "Cannot publish interaction in Published status."
    )
    assert_error(
        call(api, "resume", journey["id"]), 409, 30002, "Cannot resume interaction in Published status."
    )

    standard = api.create("standard")
    assert_error(call(api, "create", standard["id"]), 400, 10005,
                 "transactional/create is for transactional-send journeys only: use publishAsync.")  # fmt: skip
    assert_error(
        call(api, "create", "00000000-0000-0000-0000-000000000000"), 404, 30003, "Interaction not found."
    )
    assert_error(api.post(f"{BASE}/transactional/create", json={}), 400, 400,
                 "Please validate that your request is properly formed.")  # fmt: skip


def test_create_refused_by_the_publish_checks_lists_why(api: Api) -> None:
    create_event(api)
    body = {**transactional_body("empty"), "activities": []}
    journey = api.post(BASE, json=body).json()
    refused = call(api, "create", journey["id"])
    answer = assert_error(refused, 400, 121500, "The journey cannot be published; errors lists why.")
    assert [item["errorCode"] for item in answer["errors"]] == ["121103"]
    assert all(
        item["message"] == item["errorDetail"] and item["errorType"] == "Error" for item in answer["errors"]
    )
    assert api.get(f"{BASE}/key:empty").json()["status"] == "Draft"


def test_each_published_or_paused_journey_is_a_transactional_email_definition(api: Api) -> None:
    def shape(value: Any) -> Any:
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    journey = api.post(BASE, json=transactional_body()).json()
    listed = api.get(f"{DEFINITIONS}/?$pageSize=100&$page=1").json()
    assert (listed["definitions"], listed["count"]) == ([], 0)
    assert_error(api.get(f"{DEFINITIONS}/temail"), 404, 30003, "Transactional email definition not found.")

    call(api, "create", journey["id"])
    published = api.get(f"{BASE}/key:temail").json()
    listed = api.get(f"{DEFINITIONS}/?$filter=status%20neq%20deleted").json()
    recorded_list = json.loads((RECORDINGS / "messaging/v1/email/definitions/get-response.json").read_text())
    assert set(listed) == set(recorded_list) and listed["count"] == 1 and listed["pageSize"] == 50
    [summary] = listed["definitions"]
    assert shape(summary) == shape(recorded_list["definitions"][0])
    # The recorded transactional journey names its definition "testNew_temail_notPublished".
    definition = api.get(f"{DEFINITIONS}/testNew_temail_notPublished").json()
    recorded_one = json.loads(
        (RECORDINGS / "messaging/v1/email/definitions/testExisting_temail/get-response.json").read_text()
    )
    # What SFMC's answer names that journeystack has no object for: the email asset and the list.
    assert set(recorded_one) - set(definition) == {"content"}
    assert set(recorded_one["subscriptions"]) - set(definition["subscriptions"]) == {"list"}
    assert {k: shape(v) for k, v in definition.items() if k != "subscriptions"} == {
        k: shape(v) for k, v in recorded_one.items() if k not in ("subscriptions", "content")
    }
    assert (
        definition["definitionId"] == published["activities"][0]["configurationArguments"]["triggeredSendId"]
    )
    assert (definition["status"], definition["journey"]) == ("Active", {"interactionKey": "temail"})
    call(api, "pause", journey["id"])
    assert api.get(f"{DEFINITIONS}/testNew_temail_notPublished").json()["status"] == "Inactive"
