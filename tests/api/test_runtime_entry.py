"""Entry: POST /events and /async/events, who is admitted into which version, and why not."""

from __future__ import annotations

import re

from tests.control_plane import ControlCase
from tests.runtime_support import (
    ASYNC_EVENTS,
    EVENTS,
    Clock,
    condition,
    email,
    event_definition,
    fire,
    history,
    journey,
    membership,
    path_of,
    published,
    wait,
)
from tests.support import BASE, assert_error

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
KEY = "APIEvent-entry"


def _one_wait(key: str = "entry-j", **extra: object) -> dict[str, object]:
    return journey(key, KEY, [wait("WAIT-1", 1, "DAYS", None)], **extra)  # type: ignore[arg-type]


# --- POST /events --------------------------------------------------------------------------------


def test_an_event_answers_201_with_an_event_instance_id(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    response = cp.api.post(
        EVENTS, json={"ContactKey": "c1", "EventDefinitionKey": KEY, "Data": {"Email": "a@b.c"}}
    )
    assert response.status_code == 201
    assert set(response.json()) == {"eventInstanceId"}
    assert GUID.match(response.json()["eventInstanceId"])


def test_member_names_are_matched_case_insensitively(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    response = cp.api.post(
        EVENTS, json={"contactKey": "c1", "eventDefinitionKey": KEY, "data": {"Email": "a@b.c"}}
    )
    assert response.status_code == 201, response.text


def test_an_unknown_event_definition_key_is_400_naming_it(cp: ControlCase) -> None:
    response = cp.api.post(EVENTS, json={"ContactKey": "c1", "EventDefinitionKey": "APIEvent-nope"})
    assert_error(response, 400, 30003,
                 "EventDefinitionKey 'APIEvent-nope' does not name an event definition of this business unit.")  # fmt: skip


def test_another_business_units_event_definition_is_unknown(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    response = cp.other.post(EVENTS, json={"ContactKey": "c1", "EventDefinitionKey": KEY})
    assert response.status_code == 400 and response.json()["errorcode"] == 30003


def test_a_missing_contact_key_or_event_key_is_400(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    assert_error(cp.api.post(EVENTS, json={"EventDefinitionKey": KEY}), 400, 10002, "ContactKey is required.")
    assert_error(
        cp.api.post(EVENTS, json={"ContactKey": "c1"}), 400, 10002, "EventDefinitionKey is required."
    )
    assert_error(cp.api.post(EVENTS, json={"ContactKey": 7, "EventDefinitionKey": KEY}), 400, 10005,
                 "ContactKey must be a string.")  # fmt: skip
    assert_error(cp.api.post(EVENTS, json={"ContactKey": "x" * 255, "EventDefinitionKey": KEY}), 400, 10005,
                 "ContactKey must be at most 254 characters.")  # fmt: skip


def test_data_is_checked_against_the_event_definitions_schema(cp: ControlCase) -> None:
    event_definition(cp.api, KEY, [
        {"name": "Email", "dataType": "EmailAddress", "isNullable": False},
        {"name": "Score", "dataType": "Number"},
        {"name": "Joined", "dataType": "Date"},
        {"name": "Vip", "dataType": "Boolean"},
        {"name": "Code", "dataType": "Text", "maxLength": 5},
    ])  # fmt: skip

    def post(data: dict[str, object]) -> object:
        return cp.api.post(EVENTS, json={"ContactKey": "c1", "EventDefinitionKey": KEY, "Data": data})

    assert_error(
        post({"Email": "a@b.c", "Nope": 1}),
        400,
        10005,
        "Data.Nope is not a field of the event definition's schema.",
    )
    assert_error(
        post({"Email": "a@b.c", "Score": "12"}),
        400,
        10005,
        "Data.Score must be a whole number (Number field).",
    )
    assert_error(post({"Email": "a@b.c", "Joined": "soon"}), 400, 10005,
                 "Data.Joined must be a date such as 2024-05-04 or 2024-05-04T09:30:00 (Date field).")  # fmt: skip
    assert_error(
        post({"Email": "a@b.c", "Vip": "maybe"}),
        400,
        10005,
        "Data.Vip must be true or false (Boolean field).",
    )
    assert_error(
        post({"Email": "a@b.c", "Code": "toolong"}), 400, 10005, "Data.Code must be at most 5 characters."
    )
    assert_error(post({"Score": 3}), 400, 10002, "Data.Email is required by the event definition's schema.")
    body = assert_error(post({"Nope": 1, "Score": "x"}), 400, 10005,
                        "Data.Nope is not a field of the event definition's schema. (and 2 more in validationErrors)")  # fmt: skip
    assert [e["path"] for e in body["validationErrors"]] == ["Data.Nope", "Data.Score", "Data.Email"]
    ok = post({"email": "a@b.c", "Score": 3, "Joined": "2024-05-04", "Vip": True, "Code": "ab"})
    assert ok.status_code == 201, ok.text  # field names match case-insensitively


def test_an_event_needs_a_token(cp: ControlCase) -> None:
    response = cp.api.client.post(EVENTS, json={"ContactKey": "c1", "EventDefinitionKey": KEY})
    assert_error(response, 401, 0, "Not Authorized")


# --- POST /async/events ------------------------------------------------------------------------------


def test_a_batch_answers_each_member_in_request_order(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    members = [
        {"contactKey": "a", "data": {"Email": "a@x.io"}},
        {"contactKey": "b", "data": {"Bogus": 1}},
        {"data": {}},
        {"contactKey": "a", "data": {"Email": "a2@x.io"}},  # duplicates are allowed
    ]
    response = cp.api.post(ASYNC_EVENTS, json={"eventDefinitionKey": KEY, "members": members})
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"requestId", "count", "notQueuedCount", "members"}
    assert GUID.match(body["requestId"]) and body["count"] == 4 and body["notQueuedCount"] == 2
    a, b, missing, again = body["members"]
    assert (
        set(a) == {"contactKey", "eventInstanceId"}
        and a["contactKey"] == "a"
        and GUID.match(a["eventInstanceId"])
    )
    assert b == {"contactKey": "b", "eventInstanceId": "", "errorcode": "10005",
                 "message": "data.Bogus is not a field of the event definition's schema."}  # fmt: skip
    assert missing["errorcode"] == "10002" and missing["message"] == "contactKey is required."
    assert again["eventInstanceId"] != a["eventInstanceId"]


def test_a_batch_of_more_than_100_members_is_refused(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    members = [{"contactKey": f"c{i}", "data": {}} for i in range(101)]
    response = cp.api.post(ASYNC_EVENTS, json={"eventDefinitionKey": KEY, "members": members})
    assert_error(response, 400, 10000, "Interaction Count Limit Exceeded: at most 100 members per request.")
    assert_error(cp.api.post(ASYNC_EVENTS, json={"eventDefinitionKey": KEY, "members": []}), 400, 10002,
                 "members is required: an array of {contactKey, data}.")  # fmt: skip


# --- who enters ------------------------------------------------------------------------------------


def test_only_the_published_version_admits_contacts(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    draft = cp.api.post(BASE, json=_one_wait("drafty"))
    assert draft.status_code == 200
    fire(cp.api, "nobody", KEY)
    Clock(cp).settle()
    assert membership(cp.api, "nobody") == {"contactMemberships": [], "contactsNotFound": ["nobody"]}
    published(cp.api, _one_wait())
    fire(cp.api, "c1", KEY)
    Clock(cp).settle()
    assert membership(cp.api, "c1")["contactMemberships"] == [
        {"contactKey": "c1", "definitionKey": "entry-j", "version": 1}
    ]
    assert path_of(cp.api, "c1") == [("TRIGGER", "MetCriteria"), ("WAIT-1", "Waiting")]


def test_one_event_admits_the_contact_into_every_journey_it_triggers(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    published(cp.api, _one_wait("first"))
    published(cp.api, _one_wait("second"))
    fire(cp.api, "c1", KEY)
    Clock(cp).settle()
    keys = [m["definitionKey"] for m in membership(cp.api, "c1")["contactMemberships"]]
    assert keys == ["first", "second"]


def test_entry_filter_criteria(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    criteria = condition(f"Event.{KEY}.Plan", "Equal", "gold")
    body = _one_wait()
    body["triggers"][0]["configurationArguments"] = {"criteria": criteria}  # type: ignore[index]
    published(cp.api, body)
    fire(cp.api, "gold", KEY, Plan="GOLD")  # text compares case-insensitively
    fire(cp.api, "tin", KEY, Plan="tin")
    Clock(cp).settle()
    assert path_of(cp.api, "gold")[0] == ("TRIGGER", "MetCriteria")
    rows = history(cp.api, "tin")
    assert [(r["status"], r["clientStatus"]) for r in rows] == [("DidNotMeetEntryCriteria", "Warning")]
    assert rows[0]["message"] == "The contact did not meet the entry event's filter criteria."
    assert membership(cp.api, "tin")["contactsNotFound"] == ["tin"]


def test_entry_modes(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    published(cp.api, _one_wait("once", entry_mode="OnceAndDone"))
    published(cp.api, _one_wait("single", entry_mode="SingleEntryAcrossAllVersions"))
    published(cp.api, _one_wait("multi", entry_mode="MultipleEntries"))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "c1", KEY)
    fire(cp.api, "c1", KEY)
    clock.settle()
    found = [(m["definitionKey"]) for m in membership(cp.api, "c1")["contactMemberships"]]
    assert found == ["multi", "once", "single"]  # one row per journey and version
    statuses = [
        (r["definitionKey"], r["status"]) for r in history(cp.api, "c1") if r["activityKey"] == "TRIGGER"
    ]
    assert sorted(statuses) == sorted([
        ("once", "MetCriteria"), ("single", "MetCriteria"), ("multi", "MetCriteria"), ("multi", "MetCriteria"),
        ("once", "ContactPreviouslyInSameInteraction"), ("single", "ContactAlreadyInInteraction"),
    ])  # fmt: skip
    clock.advance("2d")  # every pass ends
    fire(cp.api, "c1", KEY)
    clock.settle()
    found = [(m["definitionKey"]) for m in membership(cp.api, "c1")["contactMemberships"]]
    assert found == ["multi", "single"]  # OnceAndDone never again; re-entry after exit


def test_a_paused_version_drops_or_queues_new_entries(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    dropping = published(cp.api, _one_wait("dropping"))
    keeping = published(cp.api, _one_wait("keeping"))
    clock = Clock(cp)
    clock.start_at()
    assert cp.api.post(f"{BASE}/pause/{dropping['id']}?versionNumber=1", json={}).status_code == 202
    body = {"RetainContactInjectionWhileJourneyPaused": True}
    assert cp.api.post(f"{BASE}/pause/{keeping['id']}?versionNumber=1", json=body).status_code == 202
    fire(cp.api, "c1", KEY)
    clock.settle()
    rows = {r["definitionKey"]: r for r in history(cp.api, "c1")}
    assert rows["dropping"]["status"] == "InteractionNotPublished"
    assert rows["keeping"]["status"] == "Queued"
    assert [m["definitionKey"] for m in membership(cp.api, "c1")["contactMemberships"]] == ["keeping"]
    assert cp.api.post(f"{BASE}/resume/{keeping['id']}?versionNumber=1").status_code == 202
    clock.settle()
    assert [(r["activityKey"], r["status"]) for r in history(cp.api, "c1", definitionKeys=["keeping"])] == [
        ("TRIGGER", "Queued"), ("TRIGGER", "MetCriteria"), ("WAIT-1", "Waiting"),
    ]  # fmt: skip


def test_stop_ejects_everyone_and_admits_nobody(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    created = published(cp.api, _one_wait())
    clock = Clock(cp)
    clock.start_at()
    for contact in ("a", "b", "c"):
        fire(cp.api, contact, KEY)
    clock.settle()
    assert cp.api.post(f"{BASE}/stop/{created['id']}?versionNumber=1").status_code == 200
    audit = cp.api.get(f"{BASE}/{created['id']}/audit/stop").json()["items"]
    assert audit[0]["ContactsEjected"] == 3
    assert path_of(cp.api, "a")[-1] == ("", "Ejected")
    assert membership(cp.api, "a", "b", "c")["contactsNotFound"] == ["a", "b", "c"]
    fire(cp.api, "d", KEY)
    clock.settle()
    assert history(cp.api, "d") == []  # a stopped version is not triggered at all
    stats = cp.api.get(f"{BASE}/{created['id']}?extras=stats").json()["stats"]
    assert stats == {"currentPopulation": 0, "cumulativePopulation": 3, "metGoal": 0, "metExitCriteria": 0,
                     "goalPerformance": 0.0}  # fmt: skip


def test_a_new_version_leaves_the_old_one_finishing(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    published(cp.api, journey("v", KEY, [wait("WAIT-1", 2, "DAYS", None)]))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "early", KEY)
    clock.settle()
    published(cp.api, journey("v", KEY, [wait("WAIT-9", 1, "DAYS", "EMAIL-9"), email("EMAIL-9", "Hi", None)]))
    fire(cp.api, "late", KEY)
    clock.settle()
    assert membership(cp.api, "early", "late")["contactMemberships"] == [
        {"contactKey": "early", "definitionKey": "v", "version": 1},
        {"contactKey": "late", "definitionKey": "v", "version": 2},
    ]
    clock.advance("3d")
    assert path_of(cp.api, "early") == [
        ("TRIGGER", "MetCriteria"),
        ("WAIT-1", "Waiting"),
        ("WAIT-1", "Complete"),
        ("", "Complete"),
    ]
    assert [row["versionNumber"] for row in history(cp.api, "early")] == [1, 1, 1, 1]


def test_a_contact_filtered_out_does_not_use_up_its_once_and_done_entry(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    body = _one_wait("once-filtered", entry_mode="OnceAndDone")
    body["triggers"][0]["configurationArguments"] = {
        "criteria": condition(f"Event.{KEY}.Plan", "Equal", "gold")
    }  # type: ignore[index]
    published(cp.api, body)
    fire(cp.api, "c1", KEY, Plan="tin")
    Clock(cp).settle()
    fire(cp.api, "c1", KEY, Plan="gold")
    Clock(cp).settle()
    assert [r["status"] for r in history(cp.api, "c1")] == [
        "DidNotMeetEntryCriteria",
        "MetCriteria",
        "Waiting",
    ]


def test_an_event_enters_at_most_ten_journeys_the_oldest_first(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    for n in range(11):
        published(cp.api, _one_wait(f"j{n:02d}"))
    fire(cp.api, "c1", KEY)
    Clock(cp).settle()
    keys = sorted(m["definitionKey"] for m in membership(cp.api, "c1")["contactMemberships"])
    assert keys == [f"j{n:02d}" for n in range(10)]


def test_a_deleted_finishing_version_ejects_its_contacts_when_their_wait_ends(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    first = published(cp.api, _one_wait("gone"))
    clock = Clock(cp)
    clock.start_at()
    fire(cp.api, "c1", KEY)
    clock.settle()
    published(cp.api, _one_wait("gone"))  # version 1 is Finishing (Unpublished) now
    assert cp.api.delete(f"{BASE}/{first['id']}?versionNumber=1").status_code == 200
    clock.advance("2d")
    last = history(cp.api, "c1")[-1]
    assert (last["status"], last["message"]) == (
        "Ejected",
        "The journey version is Deleted: the contact was ejected.",
    )
    assert membership(cp.api, "c1")["contactsNotFound"] == ["c1"]
