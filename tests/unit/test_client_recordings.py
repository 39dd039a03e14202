"""The typed client's request and response handling, checked against recorded SFMC answers
(tests/fixtures/recordings: mcdev 9.0.3's fixtures). An httpx MockTransport plays SFMC: each test
names the requests it expects and the recording that answers each."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from journeystack.client import (
    Activity,
    AuditEntry,
    Client,
    EventDefinition,
    Journey,
    OperationFailedError,
    Trigger,
)

RECORDINGS = Path(__file__).parents[1] / "fixtures" / "recordings" / "9999999"
INTERACTIONS = RECORDINGS / "interaction" / "v1" / "interactions"
EVENTS = RECORDINGS / "interaction" / "v1" / "eventDefinitions"
JOURNEY_ID = "0175b971-71a3-4d8e-98ac-48121f3fbf4f"
STATUS_ID = "45f06c0a-3ed2-48b2-a6a8-b5119253f01c"
TOKEN = {
    "access_token": "recorded-test-token",
    "token_type": "Bearer",
    "expires_in": 1079,
    "scope": "journeys_read journeys_write",
    "rest_instance_url": "https://mc-test.rest.marketingcloudapis.com/",
    "soap_instance_url": "https://mc-test.soap.marketingcloudapis.com/",
}
AUTH = "https://mc-test.auth.marketingcloudapis.com/"


def recorded(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class Sfmc:
    """Answers expected requests, in order, from recordings; records what the client sent."""

    def __init__(
        self, script: list[tuple[str, str, Path | Callable[[httpx.Request], httpx.Response]]]
    ) -> None:
        self.script = list(script)
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/token":
            assert str(request.url) == AUTH + "v2/token"
            assert json.loads(request.content)["grant_type"] == "client_credentials"
            return httpx.Response(200, json=TOKEN)
        self.sent.append(request)
        assert self.script, f"unexpected {request.method} {request.url}"
        method, target, answer = self.script.pop(0)
        assert (request.method, _target(request)) == (method, target)
        assert request.url.host == "mc-test.rest.marketingcloudapis.com"
        assert request.headers["authorization"] == "Bearer recorded-test-token"
        if callable(answer):
            return answer(request)
        body = answer.read_bytes()
        if answer.suffix == ".txt":  # SFMC's bare text answers (a deleted journey's id)
            return httpx.Response(200, content=body, headers={"content-type": "text/plain"})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def _target(request: httpx.Request) -> str:
    query = request.url.query.decode()
    return request.url.path + (f"?{query}" if query else "")


@pytest.fixture
def sfmc() -> Iterator[Callable[..., tuple[Client, Sfmc]]]:
    made: list[Client] = []

    def make(
        *script: tuple[str, str, Path | Callable[[httpx.Request], httpx.Response]],
    ) -> tuple[Client, Sfmc]:
        player = Sfmc(list(script))
        client = Client(AUTH, "id", "secret", account_id=9999999, transport=httpx.MockTransport(player))
        made.append(client)
        return client, player

    yield make
    for client in made:
        client.close()


def test_every_recorded_journey_reads_and_writes_back_unchanged() -> None:
    documents = list(recorded(INTERACTIONS / "get-response.json")["items"])
    documents += [
        recorded(INTERACTIONS / "key_testExisting_journey_Multistep" / n)
        for n in ("get-response.json", "put-response.json")
    ]
    documents.append(recorded(INTERACTIONS / "post-response.json"))
    for document in documents:
        journey = Journey.model_validate(document)
        assert journey.to_wire() == document
        # Same bytes once key order is set aside: no number or null changed on the way.
        assert orjson.dumps(journey.to_wire(), option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            document, option=orjson.OPT_SORT_KEYS
        )
    for document in recorded(EVENTS / "get-response.json")["items"]:
        assert EventDefinition.model_validate(document).to_wire() == document


def test_list_pages_through_the_recorded_envelope(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, player = sfmc(
        ("GET", "/interaction/v1/interactions?%24page=1&%24pageSize=500&mostRecentVersionOnly=false",
         INTERACTIONS / "get-response.json"),
    )  # fmt: skip
    journeys = list(client.journeys.list(mostRecentVersionOnly=False))
    assert [j.key for j in journeys] == [
        "testExisting_journey_Quicksend", "testExisting_journey_Multistep", "testExisting_temail",
        "testExisting_temail_notPublished", "testExisting_journey_updatecontact",
        "testExisting_journey_updatecontact_sharedDE",
    ]  # fmt: skip
    multistep = journeys[1]
    assert (multistep.id, multistep.version, multistep.status) == (JOURNEY_ID, 3, "Draft")
    assert (multistep.category_id, multistep.definition_type, multistep.entry_mode) == (
        6298,
        "Multistep",
        "NotSet",
    )
    assert multistep.stats is not None and journeys[4].id is None  # mcdev's hand-made item has no id
    assert player.script == []  # count 6 on a page of 500: one request was enough


def test_get_then_update_sends_the_recorded_modified_date_back(
    sfmc: Callable[..., tuple[Client, Sfmc]],
) -> None:
    folder = INTERACTIONS / "key_testExisting_journey_Multistep"
    client, player = sfmc(
        ("GET", "/interaction/v1/interactions/key:testExisting_journey_Multistep?extras=activities",
         folder / "get-response.json"),
        ("PUT", "/interaction/v1/interactions", folder / "put-response.json"),
    )  # fmt: skip
    journey = client.journeys.get("testExisting_journey_Multistep")
    assert isinstance(journey.triggers[0], Trigger) and isinstance(journey.activities[0], Activity)  # type: ignore[index]
    assert journey.triggers[0].event_definition_key == "DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e"  # type: ignore[index]
    first = journey.activities[0]  # type: ignore[index]
    assert (first.key, first.type) == ("MULTICRITERIADECISIONV2-1", "MULTICRITERIADECISION")
    assert [o.next for o in first.outcomes or []] == ["EMAILV2-1", "WAITBYDURATION-2"]

    saved = client.journeys.update(journey.model_copy(update={"description": "changed"}))

    sent = json.loads(player.sent[1].content)
    assert sent["modifiedDate"] == "2024-05-04T17:25:57.9"  # character for character, as read
    assert (sent["key"], sent["version"], sent["description"]) == (
        "testExisting_journey_Multistep",
        1,
        "changed",
    )
    assert sent["activities"] == recorded(folder / "get-response.json")["activities"]
    assert player.sent[1].headers["content-type"] == "application/json"
    assert saved.modified_date == "2024-05-04T17:25:57.9" and saved.id == JOURNEY_ID


def test_create_answers_the_recorded_journey(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, player = sfmc(("POST", "/interaction/v1/interactions", INTERACTIONS / "post-response.json"))
    created = client.journeys.create(
        Journey(key="testNew_temail_notPublished", name="testNew_temail_notPublished")
    )
    assert json.loads(player.sent[0].content) == {
        "key": "testNew_temail_notPublished", "name": "testNew_temail_notPublished", "workflowApiVersion": 1.0,
    }  # fmt: skip
    assert (created.version, created.definition_type, created.last_published_date) == (
        1, "Transactional", "0001-01-01T00:00:00",
    )  # fmt: skip


def test_publish_polls_the_recorded_status_to_completion(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    in_process = httpx.Response(200, json={"status": "PublishInProcess", "errors": [], "warnings": []})
    status = INTERACTIONS / "publishStatus" / STATUS_ID
    client, player = sfmc(
        ("POST", f"/interaction/v1/interactions/publishAsync/{JOURNEY_ID}?versionNumber=1",
         INTERACTIONS / "publishAsync" / JOURNEY_ID / "post-response-versionNumber=1.json"),
        ("GET", f"/interaction/v1/interactions/publishStatus/{STATUS_ID}", lambda _r: in_process),
        ("GET", f"/interaction/v1/interactions/publishStatus/{STATUS_ID}", status / "get-response-successWarnings.json"),
    )  # fmt: skip
    outcome = client.journeys.publish(JOURNEY_ID, 1, poll_interval=0.001)
    assert json.loads(player.sent[0].content) == {}  # mcdev's body, too
    assert outcome.completed and outcome.status == "PublishCompleted" and outcome.errors == []
    assert [(w.error_code, (w.additional_info or {})["activityKey"]) for w in outcome.warnings] == [
        ("121547", "WAITBYDURATION-5"), ("121547", "WAITBYDURATION-4"), ("121546", "EMAILV2-1"),
    ]  # fmt: skip


def test_a_failed_publish_raises_with_the_recorded_errors(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, _ = sfmc(
        ("POST", f"/interaction/v1/interactions/publishAsync/{JOURNEY_ID}?versionNumber=1",
         INTERACTIONS / "publishAsync" / JOURNEY_ID / "post-response-versionNumber=1.json"),
        ("GET", f"/interaction/v1/interactions/publishStatus/{STATUS_ID}",
         INTERACTIONS / "publishStatus" / STATUS_ID / "get-response-failed.json"),
    )  # fmt: skip
    with pytest.raises(OperationFailedError) as failed:
        client.journeys.publish(JOURNEY_ID, 1)
    status = failed.value.status
    assert status.status == "Error" and status.status_id is None  # SFMC's failed answer has no statusId
    assert [(e.error_code, e.error_type) for e in status.errors] == [("121226", "Error"), ("121008", "Error")]
    assert status.errors[1].additional_info == {
        "activityKey": "EMAILV2-1", "activityId": "620dbe27-665a-49a3-ad61-ceea5aab720f",
        "activityType": "EMAILV2", "definitionId": "2d5f37b8-7acf-4ac4-b76a-74690255600c",
    }  # fmt: skip
    assert str(failed.value).startswith("publish failed with 2 error(s), first: The default email")


def test_validate_returns_the_recorded_errors(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, _ = sfmc(
        ("POST", f"/interaction/v1/interactions/validateAsync/{JOURNEY_ID}?versionNumber=1",
         INTERACTIONS / "validateAsync" / JOURNEY_ID / "post-response.json"),
        ("GET", f"/interaction/v1/interactions/validateStatus/{STATUS_ID}",
         INTERACTIONS / "validateStatus" / STATUS_ID / "get-response-failed.json"),
    )  # fmt: skip
    outcome = client.journeys.validate(JOURNEY_ID, 1)
    assert not outcome.completed and outcome.status == "Error"
    assert outcome.errors and all(e.error_detail for e in outcome.errors)


def test_audit_reads_the_recorded_log(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, _ = sfmc(
        ("GET", f"/interaction/v1/interactions/{JOURNEY_ID}/audit/all?versionNumber=1&%24page=1&%24pageSize=50",
         INTERACTIONS / JOURNEY_ID / "audit" / "all" / "get-response-versionNumber=1.json"),
    )  # fmt: skip
    entries = list(client.journeys.audit(JOURNEY_ID, version=1))
    assert [e.action for e in entries] == ["Stop", "Publish", "Publish", "Modify", "Create"]
    assert all(isinstance(e, AuditEntry) and e.version_number == 1 for e in entries)
    assert entries[0].user == {"name": "Jörn Berkefeld", "userId": 710355723}
    assert entries[1].model_extra == {
        "executionMode": "Production", "publishStatus": "PublishCompleted",
        "publishRequestId": "98c2d709-5c9a-4610-804b-ae8f72ff29ce",
    }  # fmt: skip


def test_delete_reads_the_recorded_bare_id(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    client, _ = sfmc(
        ("DELETE", f"/interaction/v1/interactions/{JOURNEY_ID}?versionNumber=1",
         INTERACTIONS / JOURNEY_ID / "delete-response-versionNumber=1.txt"),
    )  # fmt: skip
    assert client.journeys.delete(id=JOURNEY_ID, version=1) == JOURNEY_ID


def test_event_definitions_read_the_recorded_answers(sfmc: Callable[..., tuple[Client, Sfmc]]) -> None:
    key = "DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e"
    client, _ = sfmc(
        ("GET", "/interaction/v1/eventDefinitions?%24page=1&%24pageSize=100", EVENTS / "get-response.json"),
        ("GET", f"/interaction/v1/eventDefinitions/key:{key}", EVENTS / f"key_{key}" / "get-response.json"),
    )  # fmt: skip
    listed = list(client.event_definitions.list())
    assert [(e.key, e.type) for e in listed][:2] == [
        ("testExisting_event_automation", "AutomationAudience"),
        ("APIEvent-60130566-e2fe-eb29-4140-15c27093a80b", "APIEvent"),
    ]
    one = client.event_definitions.get(key)
    assert one.key == key and one.id and one.data_extension_id
