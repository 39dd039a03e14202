"""What mcdev 9.0.3 and sfmc-sdk 2.1.2 depend on, call by call (shared/reference/clients-mcdev.md).

The same calls run through the real clients in tests/compat/; these pin each one down in isolation.
"""

from __future__ import annotations

import pytest

from tests.support import (
    BASE,
    Api,
    assert_error,
    create_event,
    journey_body,
    publish,
    publishable_journey,
    token_body,
)

TENANT = "mc-journeystack-local-000000"


def test_token_response_carries_what_sfmc_sdk_reads(api: Api) -> None:
    body = api.client.post(
        f"/v2/token?t=https://{TENANT}.auth.marketingcloudapis.com/", json=token_body(api.mid)
    ).json()
    assert isinstance(body["expires_in"], int) and not isinstance(body["expires_in"], bool)
    assert isinstance(body["scope"], str) and "journeys_read" in body["scope"].split(" ")
    for name in ("rest_instance_url", "soap_instance_url"):
        assert body[name].endswith("/") and body[name].startswith("http")


def test_token_request_with_the_granted_scope_string_is_accepted(api: Api) -> None:
    granted = api.client.post("/v2/token", json=token_body(api.mid)).json()["scope"]
    # What sfmc-sdk sends on a refresh once mcdev has turned the scope into an array.
    again = api.client.post("/v2/token", json=token_body(api.mid, scope=granted))
    assert again.status_code == 200 and again.json()["scope"] == granted


def test_through_the_auth_host_the_instance_urls_name_rest_and_soap_hosts(api: Api) -> None:
    host = f"{TENANT}.auth.marketingcloudapis.com"
    body = api.client.post("/v2/token", json=token_body(api.mid), headers={"Host": host}).json()
    assert body["rest_instance_url"] == f"http://{TENANT}.rest.marketingcloudapis.com/"
    assert body["soap_instance_url"] == f"http://{TENANT}.soap.marketingcloudapis.com/"


def test_list_paging_as_get_bulk_does_it(api: Api) -> None:
    for n in range(5):
        api.create(f"page-{n}")
    seen: list[str] = []
    for page in (1, 2, 3):
        body = api.get(f"{BASE}/?$pageSize=2&$page={page}").json()
        assert (body["count"], body["page"], body["pageSize"]) == (5, page, 2)
        seen += [item["key"] for item in body["items"]]
    assert sorted(seen) == [f"page-{n}" for n in range(5)]
    assert api.get(f"{BASE}/?$pageSize=500&$page=1").json()["count"] == 5
    cache = api.get(f"{BASE}/?extras=&$pageSize=500&$page=1").json()["items"][0]
    for name in (
        "id",
        "key",
        "name",
        "version",
        "status",
        "definitionType",
        "modifiedDate",
        "createdDate",
        "categoryId",
    ):
        assert name in cache


@pytest.mark.parametrize(
    "key", ["with space", "umlaut-äöü", "a+b", "a&b=c", "colon:key", "(paren)'s", "dot.key"]
)
def test_raw_keys_in_the_path(api: Api, key: str) -> None:
    created = api.create(key)
    # mcdev writes the key into the path without encoding it (only what an HTTP client must escape is).
    got = api.get(f"{BASE}/key:{key}?extras=activities&versionNumber=1")
    assert got.status_code == 200, got.text
    assert got.json()["key"] == key
    body = {**journey_body(key), "name": "renamed", "version": 1, "modifiedDate": created["modifiedDate"]}
    updated = api.put(f"{BASE}/key:{key}", json=body)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "renamed" and updated.json()["version"] == 1


def test_put_by_key_with_version_and_modified_date_and_no_id(api: Api) -> None:
    created = api.create("no-id")
    listed = api.get(f"{BASE}/?extras=&$pageSize=500&$page=1").json()["items"][0]
    body = {**journey_body("no-id"), "description": "changed", "version": listed["version"],
            "modifiedDate": listed["modifiedDate"], "status": "Draft", "scheduledStatus": "Draft"}  # fmt: skip
    assert "id" not in body
    response = api.put(f"{BASE}/key:no-id", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["id"], result["key"], result["version"]) == (created["id"], "no-id", 1)
    assert result["modifiedDate"] != created["modifiedDate"]


def test_post_of_a_published_key_makes_the_next_version_under_the_same_id(api: Api) -> None:
    create_event(api)
    first = api.post(BASE, json=publishable_journey("versioned")).json()
    outcome = publish(api, first)
    assert outcome["status"] == "PublishCompleted"
    second = api.post(BASE, json=publishable_journey("versioned"))
    assert second.status_code == 200, second.text
    body = second.json()
    assert (body["id"], body["key"], body["version"], body["status"]) == (
        first["id"],
        "versioned",
        2,
        "Draft",
    )
    assert body["definitionId"] != first["definitionId"]


def test_not_found_message_is_the_one_mcdev_matches(api: Api) -> None:
    assert_error(
        api.get(f"{BASE}/key:missing?extras=activities"),
        404,
        30003,
        "Interaction matching criteria not found.",
    )


def test_every_errors_list_item_has_a_message(api: Api) -> None:
    create_event(api)
    broken = {**publishable_journey("broken"), "activities": []}
    journey = api.post(BASE, json=broken).json()
    status = publish(api, journey)
    assert status["status"] == "Error" and status["errors"]
    assert all(isinstance(item.get("message"), str) and item["message"] for item in status["errors"])
    audit = api.get(f"{BASE}/{journey['id']}/audit/publish").json()["items"]
    assert audit and all(item["message"] for item in audit[0]["errors"])

    good = api.post(BASE, json=publishable_journey("good")).json()
    assert publish(api, good)["status"] == "PublishCompleted"
    [entry] = api.get(f"{BASE}/{good['id']}/audit/publish").json()["items"]
    assert "errors" not in entry  # no empty list: mcdev would print an empty error bullet


def test_event_definitions_listed_with_extras_all(api: Api) -> None:
    create_event(api, "APIEvent-listed")
    body = api.get("/interaction/v1/eventDefinitions?extras=all&$pageSize=500&$page=1").json()
    assert body["count"] == 1 and [e["eventDefinitionKey"] for e in body["items"]] == ["APIEvent-listed"]
    one = api.get("/interaction/v1/eventDefinitions/key:APIEvent-listed?extras=all")
    assert one.status_code == 200 and one.json()["id"] == body["items"][0]["id"]


LEGACY = [
    "/legacy/v1/beta/messaging/deliverypolicy/",
    "/legacy/v1/beta/mobile/message/?view=details&version=3&$sort=lastUpdated+DESC"
    "&$where=isTest+eq+0+and+status+neq+'Archive'&$top=50&$skip=0",
    "/legacy/v1/beta/mobile/code/?$top=50&$skip=0",
    "/legacy/v1/beta/mobile/keyword/?view=simple&$top=50&$skip=0",
]


@pytest.mark.parametrize("path", LEGACY)
def test_legacy_dependency_calls_answer_empty_collections(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"startIndex": 0, "itemsPerPage": 50, "totalResults": 0, "entry": []}
    assert api.client.get(path).status_code == 401


def test_asset_query_answers_no_assets(api: Api) -> None:
    query = {"page": {"page": 1, "pageSize": 50}, "query": {"property": "assetType.id", "simpleOperator": "in",
             "value": [1, 5, 205]}, "fields": ["category", "objectID"]}  # fmt: skip
    response = api.post("/asset/v1/content/assets/query", json=query)
    assert response.status_code == 200
    assert response.json() == {"count": 0, "page": 1, "pageSize": 50, "links": {}, "items": []}
    assert api.client.post("/asset/v1/content/assets/query", json=query).status_code == 401
