"""journeystack.client against journeystack (the pytest plugin's server): every call, its typed
answer, and each SFMC error as its own exception carrying status, errorcode and message."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from journeystack.client import (
    BadRequestError,
    Client,
    ConflictError,
    EventDefinition,
    Journey,
    NotEditableError,
    NotFoundError,
    OperationFailedError,
    OperationTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    StaleModifiedDateError,
)
from journeystack.testing import Journeystack, serve_in_thread

STALE = "Another user recently modified this journey. Refresh to edit the latest version."
EVENT = {"type": "APIEvent", "name": "Sign-up", "eventDefinitionKey": "APIEvent-signup",
         "schema": {"fields": [{"name": "Email", "dataType": "EmailAddress"}]}}  # fmt: skip


def runnable(key: str, **extra: Any) -> dict[str, Any]:
    """A journey that publishes once APIEvent-signup exists: wait a day, then an email."""
    return {
        "key": key, "name": f"Journey {key}", "workflowApiVersion": 1.0, "entryMode": "MultipleEntries",
        "defaults": {"email": ['{{Event.APIEvent-signup."Email"}}']},
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": "APIEvent-signup"}}],
        "activities": [
            {"key": "WAIT-1", "type": "WAIT", "outcomes": [{"key": "w1", "next": "EMAIL-1"}],
             "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}},
            {"key": "EMAIL-1", "type": "EMAILV2", "outcomes": [{"key": "e1", "next": None}],
             "configurationArguments": {"triggeredSend": {"emailSubject": "Welcome"}}},
        ],
        **extra,
    }  # fmt: skip


def test_create_read_update_and_a_stale_update(journeystack: Journeystack) -> None:
    client = journeystack.client()
    created = client.journeys.create(Journey(key="welcome", name="Welcome"))
    assert (created.key, created.version, created.status, created.entry_mode) == (
        "welcome",
        1,
        "Draft",
        "NotSet",
    )
    assert created.id and created.definition_id == created.id and created.modified_date

    by_key, by_id = client.journeys.get("welcome"), client.journeys.get(id=created.id)
    assert by_key == by_id and by_key.modified_date == created.modified_date

    updated = client.journeys.update(by_key.model_copy(update={"description": "first edit"}))
    assert updated.description == "first edit" and updated.modified_date != created.modified_date

    with pytest.raises(StaleModifiedDateError) as stale:
        client.journeys.update(by_key.model_copy(update={"description": "an edit of an old copy"}))
    assert (stale.value.status, stale.value.errorcode, stale.value.message) == (400, 30000, STALE)
    assert client.journeys.get("welcome").description == "first edit"

    # The same content again: 304 from the server, the version back from the client.
    again = client.journeys.update(updated)
    assert again == updated
    assert journeystack.journal.entries(limit=1)[0]["status"] == 304


def test_missing_journeys_raise_not_found(journeystack: Journeystack) -> None:
    client = journeystack.client()
    with pytest.raises(NotFoundError) as missing:
        client.journeys.get("nothing-here")
    assert (missing.value.status, missing.value.errorcode) == (404, 30003)
    assert missing.value.message == "Interaction matching criteria not found."

    with pytest.raises(NotFoundError) as on_update:
        client.journeys.update({"key": "nothing-here", "name": "N", "workflowApiVersion": 1, "version": 1,
                                "modifiedDate": "2030-01-01T00:00:00"})  # fmt: skip
    assert (on_update.value.status, on_update.value.errorcode, on_update.value.message) == (
        404, 30003, "Interaction not found.",
    )  # fmt: skip
    with pytest.raises(ValueError, match="update\\(\\) needs version, modifiedDate"):
        client.journeys.update(Journey(key="k", name="N"))


def test_publish_then_a_published_version_is_not_editable(journeystack: Journeystack) -> None:
    client = journeystack.client()
    client.event_definitions.create(EVENT)
    journey = client.journeys.create(runnable("signup"))

    outcome = client.journeys.publish(journey)

    assert outcome.completed and outcome.status == "PublishCompleted" and outcome.errors == []
    published = client.journeys.get("signup")
    assert published.status == "Published" and published.last_published_date != "0001-01-01T00:00:00"
    with pytest.raises(NotEditableError) as refused:
        client.journeys.update(published.model_copy(update={"name": "Renamed"}))
    assert isinstance(refused.value, ConflictError)
    assert (refused.value.status, refused.value.errorcode) == (409, 409)
    assert refused.value.message.startswith("Conflict, this change would cause")

    with pytest.raises(ConflictError) as draft_exists:
        client.journeys.create(runnable("signup"))  # version 2 is a Draft now ...
        client.journeys.create(runnable("signup"))  # ... so a third create is refused
    assert not isinstance(draft_exists.value, NotEditableError)
    assert (draft_exists.value.status, draft_exists.value.errorcode) == (409, 30004)

    client.journeys.pause(published)
    assert client.journeys.get("signup", version=1).status == "Paused"
    client.journeys.resume(published)
    client.journeys.stop(published)
    assert client.journeys.get("signup", version=1).status == "Stopped"
    actions = [(e.action, e.version_number) for e in client.journeys.audit(published)]
    assert actions == [("Stop", 1), ("Resume", 1), ("Pause", 1), ("Create", 2), ("Publish", 1), ("Create", 1)]
    assert [e.action for e in client.journeys.audit(published, "publish")] == ["Publish"]

    assert client.journeys.delete("signup", version=2) == published.id
    with pytest.raises(ValueError, match="the version number is needed"):
        client.journeys.pause("key:signup")
    with pytest.raises(BadRequestError) as no_version:  # what SFMC answers that: 202 with an error body
        client.request("POST", "interaction/v1/interactions/pause/key:signup")
    assert (no_version.value.errorcode, no_version.value.message) == (
        10005,
        "AllVersions=true or VersionNumber required.",
    )


def test_a_failed_publish_raises_with_every_error(journeystack: Journeystack) -> None:
    client = journeystack.client()
    journey = client.journeys.create({"key": "empty", "name": "Empty", "workflowApiVersion": 1})
    with pytest.raises(OperationFailedError) as failed:
        client.journeys.publish(journey)
    codes = {(e.error_code, (e.additional_info or {}).get("path")) for e in failed.value.status.errors}
    assert {("121100", "triggers"), ("121103", "activities")} <= codes
    assert client.journeys.get("empty").status == "Draft"
    # validate reports the same without raising
    checked = client.journeys.validate(journey)
    assert checked.status == "Error" and {e.error_code for e in checked.errors} >= {"121100", "121103"}


def test_publish_gives_up_after_its_timeout(tmp_path: Any) -> None:
    with (
        serve_in_thread(tmp_path, operation_delay_seconds=30) as server,
        Client(server.url, server.client_id, server.client_secret) as client,
    ):
        journey = client.journeys.create({"key": "slow", "name": "Slow", "workflowApiVersion": 1})
        with pytest.raises(OperationTimeoutError) as late:
            client.journeys.publish(journey, timeout=0.3, poll_interval=0.05)
        assert late.value.last is not None and late.value.last.status == "PublishInProcess"
        assert client.journeys.publish_status(late.value.status_id).in_process


def test_list_pages_through_every_journey(journeystack: Journeystack) -> None:
    client = journeystack.client()
    for number in range(7):
        client.journeys.create({"key": f"j{number}", "name": f"J {number}", "workflowApiVersion": 1})
    journeystack.journal.clear()

    listed = list(client.journeys.list(page_size=3, **{"$orderBy": "Name ASC"}))

    assert [j.key for j in listed] == [f"j{n}" for n in range(7)]
    pages = [e["query"] for e in reversed(journeystack.journal.entries(path="/interactions"))]
    assert pages == [f"%24page={n}&%24pageSize=3&%24orderBy=Name+ASC" for n in (1, 2, 3)]
    first = client.journeys.page(2, 3, **{"$orderBy": "Name ASC"})
    assert (first.count, first.page, first.page_size, [j.key for j in first.items]) == (
        7,
        2,
        3,
        ["j3", "j4", "j5"],
    )


def test_tokens_are_replaced_before_they_expire_and_after_a_401(journeystack: Journeystack) -> None:
    now = itertools.count(0.0, 0.0)
    moment = [0.0]
    client = journeystack.client(clock=lambda: moment[0] + next(now))
    client.journeys.create({"key": "t", "name": "T", "workflowApiVersion": 1})
    client.journeys.get("t")
    assert client.tokens_fetched == 1
    lifetime = client.access_token().expires_in  # 1079 s

    moment[0] = lifetime - 61  # still a minute and a second to go: kept
    client.journeys.get("t")
    assert client.tokens_fetched == 1
    moment[0] = lifetime - 59  # under a minute left: replaced before the call
    client.journeys.get("t")
    assert client.tokens_fetched == 2
    assert [e["status"] for e in journeystack.journal.entries(path="/v2/token")] == [200, 200]

    journeystack.reset(tokens=True)  # the server forgets every token: the next call gets a 401 ...
    assert list(client.journeys.list()) == []  # ... and the client fetches a new token and retries
    assert client.tokens_fetched == 3
    assert [e["status"] for e in journeystack.journal.entries(path="/interaction/v1/interactions")][:2] == [
        200,
        401,
    ]


def test_rate_limits_and_bad_requests_are_their_own_errors(journeystack: Journeystack) -> None:
    client = journeystack.client()
    journeystack.faults.add(path="/interaction/v1/interactions", status=429, times=1)
    with pytest.raises(RateLimitError) as limited:
        list(client.journeys.list())
    assert (limited.value.status, limited.value.errorcode, limited.value.message) == (
        429,
        50100,
        "Rate limit exceeded",
    )
    assert limited.value.retry_after == 1.0

    with pytest.raises(BadRequestError) as bad:
        client.journeys.create({"key": "k", "workflowApiVersion": 1})
    assert (bad.value.status, bad.value.errorcode) == (400, 400)
    assert bad.value.validation_errors == [
        {"message": "name is required.", "errorcode": 10002, "path": "name"}
    ]

    with pytest.raises(BadRequestError) as spec:
        client.journeys.create(
            {"key": "k", "name": "K", "workflowApiVersion": 1, "activities": [{"key": "a"}]}
        )
    assert (spec.value.errorcode, spec.value.message) == (10006, "Validation Errors Occurred!")
    assert [v["path"] for v in spec.value.validation_errors] == ["activities[0].type"]


@pytest.mark.journeystack(strict_scopes=True)
def test_strict_scopes_refuse_a_token_without_the_write_scope(journeystack: Journeystack) -> None:
    reader = journeystack.client(scope="journeys_read")
    with pytest.raises(PermissionDeniedError) as denied:
        reader.journeys.create({"key": "k", "name": "K", "workflowApiVersion": 1})
    assert (denied.value.status, denied.value.errorcode, denied.value.message) == (
        403,
        20002,
        "Insufficient Privileges",
    )
    assert (
        journeystack.client().journeys.create({"key": "k", "name": "K", "workflowApiVersion": 1}).version == 1
    )


@pytest.mark.journeystack(mid=1000002)
def test_a_second_business_unit_sees_only_its_own(journeystack: Journeystack) -> None:
    assert journeystack.mid == 1000002 and journeystack.other_mid == 1000001
    mine = journeystack.client()
    theirs = journeystack.client(mid=journeystack.other_mid)
    theirs.journeys.create({"key": "shared-key", "name": "Theirs", "workflowApiVersion": 1})
    mine.journeys.create({"key": "shared-key", "name": "Mine", "workflowApiVersion": 1})
    assert [j.name for j in mine.journeys.list()] == ["Mine"]
    assert [j.name for j in theirs.journeys.list()] == ["Theirs"]


def test_event_definitions_folders_and_entry_events(journeystack: Journeystack) -> None:
    client = journeystack.client()
    event = client.event_definitions.create(EventDefinition.model_validate(EVENT))
    assert (event.key, event.type, event.id is not None) == ("APIEvent-signup", "APIEvent", True)
    assert client.event_definitions.get("APIEvent-signup").id == event.id
    renamed = client.event_definitions.update({"eventDefinitionKey": "APIEvent-signup", "name": "Sign-up v2"})
    assert renamed.name == "Sign-up v2" and [e.name for e in client.event_definitions.list()] == [
        "Sign-up v2"
    ]

    root = client.folders.root()
    campaigns = client.folders.create("Campaigns")
    assert (root.name, campaigns.parent_id) == ("my journeys", root.id)
    assert {f.name for f in client.folders.list()} == {"my journeys", "Campaigns"}

    journey = client.journeys.create(runnable("signup", categoryId=campaigns.id))
    client.journeys.publish(journey)
    journeystack.clock.freeze()
    instance = client.fire_event("ada", "APIEvent-signup", {"Email": "ada@example.com"})
    batch = client.fire_events(
        "APIEvent-signup", [{"contactKey": "bob", "data": {"Email": "bob@example.com"}}]
    )
    assert instance and batch.count == 1 and batch.members[0].contact_key == "bob"
    journeystack.clock.run_until_idle()
    assert journeystack.outbox.messages() == []
    journeystack.clock.advance("1d")
    assert sorted(m["address"] for m in journeystack.outbox) == ["ada@example.com", "bob@example.com"]

    with pytest.raises(NotFoundError) as no_event:
        client.event_definitions.get("APIEvent-none")
    assert (no_event.value.status, no_event.value.errorcode) == (400, 0)  # SFMC's 400, as mcdev expects
    client.journeys.stop(journey)
    client.event_definitions.delete("APIEvent-signup")
    assert list(client.event_definitions.list()) == []


@pytest.mark.anyio
async def test_the_async_client_does_the_same(journeystack: Journeystack) -> None:
    async with journeystack.async_client() as client:
        await client.event_definitions.create(EVENT)
        journey = await client.journeys.create(runnable("async"))
        with pytest.raises(StaleModifiedDateError):
            await client.journeys.update({**journey.to_wire(), "modifiedDate": "2001-01-01T00:00:00"})
        assert (await client.journeys.publish(journey, poll_interval=0.02)).completed
        with pytest.raises(NotEditableError):
            await client.journeys.update(await client.journeys.get("async"))
        assert [j.key async for j in client.journeys.list()] == ["async"]
        assert [e.action async for e in client.journeys.audit(journey)] == ["Publish", "Create"]
        assert [f.name for f in await client.folders.list()] == ["my journeys"]
        assert await client.fire_event("ada", "APIEvent-signup", {"Email": "a@x.io"})
        assert client.tokens_fetched == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
