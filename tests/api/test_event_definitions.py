"""/interaction/v1/eventDefinitions: CRUD, paging, and the running-journey lock."""

from __future__ import annotations

from tests.support import BASE, Api, assert_error, create_event, publish, publishable_journey

EVENTS = "/interaction/v1/eventDefinitions"
NOT_FOUND = "Event definition not found."
IN_USE = (
    "Event definition is used by a running journey; stop or pause the journey before changing or deleting it."
)


def test_create_with_a_schema_makes_a_data_extension(api: Api) -> None:
    body = {
        "type": "APIEvent",
        "name": "Sign-up",
        "eventDefinitionKey": "APIEvent-signup",
        "mode": "Production",
        "isVisibleInPicker": False,
        "schema": {"fields": [{"name": "EmailAddress", "dataType": "EmailAddress", "isPrimaryKey": True}]},
        "createdBy": "someone else",
        "interactionCount": 99,
    }
    created = api.post(EVENTS, json=body).json()
    assert created["eventDefinitionKey"] == "APIEvent-signup" and created["type"] == "APIEvent"
    assert created["dataExtensionId"] == created["schema"]["id"] != ""
    assert created["schema"]["fields"] == body["schema"]["fields"]
    assert created["createdBy"] == "journeystack" and created["interactionCount"] == 0
    assert created["arguments"]["eventDefinitionKey"] == "APIEvent-signup"
    assert created["modifiedDate"] == created["createdDate"]
    assert api.get(f"{EVENTS}/key:APIEvent-signup?extras=all").json() == created
    assert api.get(f"{EVENTS}/{created['id']}").json() == created


def test_create_validation(api: Api) -> None:
    malformed = "Please validate that your request is properly formed."
    base = {"type": "Event", "name": "n", "eventDefinitionKey": "k1", "dataExtensionId": "de"}
    for missing in ("type", "name", "eventDefinitionKey"):
        body = {k: v for k, v in base.items() if k != missing}
        assert_error(api.post(EVENTS, json=body), 400, 400, malformed)
    no_target = {k: v for k, v in base.items() if k != "dataExtensionId"}
    assert_error(api.post(EVENTS, json=no_target), 400, 400, malformed)
    assert_error(api.post(EVENTS, json={**base, "eventDefinitionKey": "has.period"}), 400, 400, malformed)
    assert api.post(EVENTS, json=base).status_code == 200
    assert_error(
        api.post(EVENTS, json=base),
        409,
        30004,
        "An event definition with this eventDefinitionKey already exists.",
    )


def test_members_answered_under_sfmc_types_must_have_them(api: Api) -> None:
    # Found while describing the answer for the OpenAPI document: these were stored and answered as
    # sent (a `metaData` string, a `category` array), where SFMC answers a string, object or boolean.
    malformed = "Please validate that your request is properly formed."
    base = {"type": "Event", "name": "n", "eventDefinitionKey": "k1", "dataExtensionId": "de"}
    for member, value in [("dataExtensionName", 5), ("metaData", "text"), ("category", ["a"]),
                          ("configurationArguments", 7), ("isVisibleInPicker", "false"), ("iconUrl", {})]:  # fmt: skip
        body = assert_error(api.post(EVENTS, json={**base, member: value}), 400, 400, malformed)
        problem = body["validationErrors"][0]
        assert (problem["path"], problem["errorcode"]) == (member, 10001)
    assert api.post(EVENTS, json=base).status_code == 200
    body = assert_error(api.put(f"{EVENTS}/key:k1", json={"mode": 5}), 400, 400, malformed)
    assert body["validationErrors"][0]["path"] == "mode"
    typed = {"metaData": {"a": 1}, "category": "Event", "isVisibleInPicker": True, "dataExtensionName": "DE"}
    updated = api.put(f"{EVENTS}/key:k1", json=typed).json()
    assert {member: updated[member] for member in typed} == typed


def test_unknown_event_definition_is_400_as_mcdev_expects(api: Api) -> None:
    assert_error(api.get(f"{EVENTS}/key:nope?extras=all"), 400, 30003, NOT_FOUND)
    assert_error(api.put(f"{EVENTS}/key:nope", json={"name": "x"}), 400, 30003, NOT_FOUND)
    assert_error(api.delete(f"{EVENTS}/key:nope"), 400, 30003, NOT_FOUND)


def test_list_pages_and_filters_by_name(api: Api) -> None:
    for n in range(5):
        create_event(api, f"APIEvent-list-{n}")
    page = api.get(f"{EVENTS}?$pageSize=2&$page=2&extras=all").json()
    assert page["count"] == 5 and page["pageSize"] == 2 and len(page["items"]) == 2
    assert [e["name"] for e in page["items"]] == ["APIEvent-list-2", "APIEvent-list-3"]
    assert api.get(f"{EVENTS}?name=LIST-4").json()["count"] == 1
    assert api.get(f"{EVENTS}/?$pageSize=500&$page=1").json()["count"] == 5


def test_update_and_delete(api: Api) -> None:
    created = create_event(api, "APIEvent-upd")
    updated = api.put(
        f"{EVENTS}/key:APIEvent-upd", json={"name": "Renamed", "description": "d", "id": "ignored"}
    )
    assert updated.status_code == 200
    body = updated.json()
    assert body["name"] == "Renamed" and body["description"] == "d" and body["id"] == created["id"]
    assert body["modifiedDate"] >= created["modifiedDate"]
    rekeyed = api.put(f"{EVENTS}/{created['id']}", json={"eventDefinitionKey": "APIEvent-new"}).json()
    assert rekeyed["eventDefinitionKey"] == "APIEvent-new"
    response = api.delete(f"{EVENTS}/key:APIEvent-new")
    assert response.status_code == 200
    assert api.get(f"{EVENTS}/{created['id']}").status_code == 400


def test_an_event_used_by_a_published_journey_cannot_change(api: Api) -> None:
    create_event(api)
    journey = api.post(BASE, json=publishable_journey("uses")).json()
    assert api.get(f"{EVENTS}/key:APIEvent-publishable").json()["interactionCount"] == 1
    assert publish(api, journey)["status"] == "PublishCompleted"
    assert api.get(f"{EVENTS}/key:APIEvent-publishable").json()["publishedInteractionCount"] == 1
    assert_error(api.put(f"{EVENTS}/key:APIEvent-publishable", json={"name": "x"}), 409, 30002, IN_USE)
    assert_error(api.delete(f"{EVENTS}/key:APIEvent-publishable"), 409, 30002, IN_USE)
    assert api.post(f"{BASE}/stop/key:uses?versionNumber=1").status_code == 200
    assert api.put(f"{EVENTS}/key:APIEvent-publishable", json={"name": "x"}).status_code == 200
