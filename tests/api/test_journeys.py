"""Journeys: create, new versions, get, list and delete, and the wire details clients rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from journeystack.domain.journey import Status
from journeystack.storage.sql.store import SqlStore
from tests.soap_client import create_folder, root_journey_folder_id
from tests.support import BASE, DRAFT_EXISTS_MESSAGE, Api, as_sent, assert_error

CRITERIA = "Interaction matching criteria not found."
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
RECORDINGS = Path(__file__).parents[1] / "fixtures" / "recordings"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _publish(store: SqlStore, mid: int, key: str, status: Status = Status.PUBLISHED) -> None:
    with store(write=True) as uow:
        current = uow.journeys.latest(mid, key=key)
        assert current is not None
        assert uow.journeys.set_status(current, status, modified_ms=current.modified_ms + 1)
        uow.commit()


def test_create_assigns_server_fields_and_sfmc_defaults(api: Api) -> None:
    body = api.create("new", id="client-id", definitionId="x", status="Published", version=7,
                      createdDate="2001-01-01T00:00:00", stats={"currentPopulation": 5})  # fmt: skip
    assert GUID.match(body["id"]) and body["definitionId"] == body["id"]
    assert body["version"] == 1 and body["status"] == "Draft"
    assert body["lastPublishedDate"] == "0001-01-01T00:00:00"
    assert DATE.match(body["createdDate"]) and body["createdDate"] == body["modifiedDate"]
    assert body["entryMode"] == "NotSet" and body["definitionType"] == "Multistep"
    assert body["executionMode"] == "Production" and body["defaults"] == {"properties": {}}
    for member in ("triggers", "activities", "goals", "exits", "notifiers"):
        assert body[member] == []
    assert body["workflowApiVersion"] == 1 and body["description"] == ""
    # As SFMC's recorded answers: channel and scheduledStatus, and a Multistep journey's (zero) stats,
    # whatever the client sent.
    assert (body["channel"], body["scheduledStatus"]) == ("", "Draft")
    assert body["stats"] == {"currentPopulation": 0, "cumulativePopulation": 0, "metGoal": 0,
                             "metExitCriteria": 0, "goalPerformance": 0}  # fmt: skip


def test_create_keeps_unknown_members_and_the_spec_as_sent(api: Api) -> None:
    activities = [{"key": "WAIT-1", "type": "WAIT", "outcomes": [{"key": "o1", "next": None}],
                   "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}, "metaData": {"x": [1, 2]}}]  # fmt: skip
    folder = create_folder(api, "spec")  # a categoryId must name a journey folder
    body = api.create("spec", activities=activities, categoryId=folder, scheduledStatus="Draft", channel="")
    fetched = api.get(f"{BASE}/key:spec").json()
    assert fetched == body
    assert as_sent(fetched)["activities"] == activities
    assert fetched["categoryId"] == folder and fetched["scheduledStatus"] == "Draft"


@pytest.mark.parametrize("missing", ["key", "name", "workflowApiVersion"])
def test_create_requires_key_name_and_workflow_api_version(api: Api, missing: str) -> None:
    body: dict[str, Any] = {"key": "k", "name": "n", "workflowApiVersion": 1.0}
    del body[missing]
    error = assert_error(
        api.post(BASE, json=body), 400, 400, "Please validate that your request is properly formed."
    )
    assert missing in error["validationErrors"][0]["message"]


def test_create_accepts_workflow_api_version_one_half(api: Api) -> None:
    assert api.create("half", workflowApiVersion=0.5)["workflowApiVersion"] == 0.5


def test_same_key_while_latest_is_draft_is_409_30004(api: Api) -> None:
    api.create("drafty")
    response = api.post(BASE, json={"key": "drafty", "name": "again", "workflowApiVersion": 1})
    assert_error(response, 409, 30004, DRAFT_EXISTS_MESSAGE)


def test_same_key_after_publish_creates_version_two(api: Api, store: SqlStore) -> None:
    first = api.create("versioned")
    _publish(store, api.mid, "versioned")
    second = api.create("versioned", name="v2")
    assert second["id"] == first["id"] and second["key"] == first["key"]
    assert second["version"] == 2 and second["status"] == "Draft"
    assert second["definitionId"] != first["definitionId"] and GUID.match(second["definitionId"])
    assert api.get(f"{BASE}/key:versioned").json()["version"] == 2
    assert api.get(f"{BASE}/key:versioned?versionNumber=1").json()["status"] == "Published"
    assert api.get(f"{BASE}/{first['id']}?versionNumber=2").json()["name"] == "v2"


def test_get_by_id_and_key_with_version_number(api: Api) -> None:
    created = api.create("getme")
    assert api.get(f"{BASE}/{created['id']}").json() == created
    assert api.get(f"{BASE}/{created['id'].upper()}").json() == created
    assert api.get(f"{BASE}/key:getme?versionNumber=1").json() == created
    assert_error(api.get(f"{BASE}/key:getme?versionNumber=2"), 404, 30003, CRITERIA)
    assert_error(api.get(f"{BASE}/key:absent"), 404, 30003, CRITERIA)
    assert_error(api.get(f"{BASE}/00000000-0000-4000-8000-000000000000"), 404, 30003, CRITERIA)


def test_get_with_stats_extras(api: Api) -> None:
    api.create("stats", definitionType="Transactional")
    assert api.get(f"{BASE}/key:stats?extras=stats").json()["stats"]["currentPopulation"] == 0
    assert "stats" not in api.get(f"{BASE}/key:stats").json()  # a Multistep journey always has them


def test_latest_version_deleted_is_404_criteria_even_if_older_exists(api: Api, store: SqlStore) -> None:
    first = api.create("gone")
    _publish(store, api.mid, "gone", Status.STOPPED)
    api.create("gone")
    assert api.delete(f"{BASE}/{first['id']}?versionNumber=2").status_code == 200
    assert_error(api.get(f"{BASE}/key:gone"), 404, 30003, CRITERIA)
    assert api.get(f"{BASE}/key:gone?versionNumber=1").status_code == 200
    items = api.get(BASE).json()["items"]
    assert [(i["key"], i["version"]) for i in items] == [("gone", 1)]


def test_delete_one_version_or_all(api: Api, store: SqlStore) -> None:
    created = api.create("del")
    _publish(store, api.mid, "del", Status.STOPPED)
    api.create("del")
    response = api.delete(f"{BASE}/key:del?versionNumber=2")
    assert response.status_code == 200 and response.json() == created["id"]
    assert api.get(f"{BASE}/key:del?versionNumber=2").status_code == 404
    assert api.delete(f"{BASE}/{created['id']}").json() == created["id"]
    assert api.get(f"{BASE}/key:del?versionNumber=1").status_code == 404
    assert api.get(BASE).json()["count"] == 0
    assert_error(api.delete(f"{BASE}/key:del"), 404, 30003, "Interaction not found.")
    listed = api.get(f"{BASE}?id={created['id']}&status=Deleted").json()
    assert listed["count"] == 2


def test_deleting_a_running_version_is_refused(api: Api, store: SqlStore) -> None:
    api.create("running")
    _publish(store, api.mid, "running")
    assert_error(
        api.delete(f"{BASE}/key:running"), 409, 30002, "Cannot delete interaction in Published status."
    )
    assert api.get(f"{BASE}/key:running").status_code == 200


def test_list_envelope_paging_and_default_latest_only(api: Api, store: SqlStore) -> None:
    for n in range(5):
        api.create(f"list-{n}")
    _publish(store, api.mid, "list-0")
    api.create("list-0", name="second version")
    page = api.get(f"{BASE}/?$pageSize=2&$page=1").json()
    assert set(page) == {"count", "page", "pageSize", "links", "items"}
    assert page["count"] == 5 and page["page"] == 1 and page["pageSize"] == 2 and len(page["items"]) == 2
    keys = []
    for number in (1, 2, 3):
        keys += [i["key"] for i in api.get(f"{BASE}?$pageSize=2&$page={number}").json()["items"]]
    assert sorted(keys) == [f"list-{n}" for n in range(5)]
    assert api.get(f"{BASE}?$pageSize=2&$page=4").json()["items"] == []
    all_versions = api.get(f"{BASE}?mostRecentVersionOnly=false").json()
    assert all_versions["count"] == 6
    by_id = api.get(f"{BASE}?id={page['items'][0]['id']}").json()
    assert by_id["count"] >= 1


def test_list_default_order_is_most_recently_modified_first(api: Api) -> None:
    for key in ("a", "b", "c"):
        api.create(key)
    assert [i["key"] for i in api.get(BASE).json()["items"]] == ["c", "b", "a"]
    assert [i["key"] for i in api.get(f"{BASE}?$orderBy=ModifiedDate ASC").json()["items"]] == ["a", "b", "c"]
    assert [i["key"] for i in api.get(f"{BASE}?$orderBy=Name DESC").json()["items"]] == ["c", "b", "a"]
    assert [i["key"] for i in api.get(f"{BASE}?$orderby=name%20asc").json()["items"]] == ["a", "b", "c"]


def test_list_filters(api: Api, store: SqlStore) -> None:
    api.create("f-1", name="Welcome series", description="first")
    api.create("f-2", name="Other", description="WELCOME back")
    api.create("f-3", name="Third", workflowApiVersion=0.5, definitionType="Transactional")
    _publish(store, api.mid, "f-1")
    assert {i["key"] for i in api.get(f"{BASE}?nameOrDescription=welcome").json()["items"]} == {"f-1", "f-2"}
    assert [i["key"] for i in api.get(f"{BASE}?status=Published").json()["items"]] == ["f-1"]
    assert [i["key"] for i in api.get(f"{BASE}?key=f-2").json()["items"]] == ["f-2"]
    assert [i["key"] for i in api.get(f"{BASE}?specificApiVersionNumber=0.5").json()["items"]] == ["f-3"]
    assert [i["key"] for i in api.get(f"{BASE}?definitionType=transactional").json()["items"]] == ["f-3"]
    assert api.get(f"{BASE}?nameOrDescription=50%25_off").json()["count"] == 0


def test_list_items_carry_activities_only_with_extras(api: Api) -> None:
    activities = [
        {"key": "A", "type": "WAIT", "configurationArguments": {"waitDuration": 1, "waitUnit": "days"}}
    ]
    triggers = [{"key": "TRIGGER", "type": "APIEvent"}]
    root = root_journey_folder_id(api)
    api.create("x", activities=activities, triggers=triggers, goals=[{"key": "g"}], categoryId=root)
    plain = api.get(f"{BASE}?extras=").json()["items"][0]
    assert "activities" not in plain and "triggers" not in plain  # as SFMC's list items (issue 12 §4)
    assert plain["categoryId"] == root and plain["goals"] == [{"key": "g"}]
    for extras in ("activities", "all", "trigger,stats,activities"):
        assert as_sent(api.get(f"{BASE}?extras={extras}").json()["items"][0])["activities"] == activities
    repeated = api.get(f"{BASE}?extras=stats&extras=activities").json()["items"][0]
    assert as_sent(repeated)["activities"] == activities and repeated["stats"]["metGoal"] == 0


@pytest.mark.parametrize(
    "query",
    ["$page=0", "$page=x", "$pageSize=501", "$pageSize=0", "mostRecentVersionOnly=maybe", "$orderBy=Performance up",
     "$orderBy=Name sideways", "specificApiVersionNumber=one", "versionNumber=x", "mostRecentVersionOrRunningOnly=2"],
)  # fmt: skip
def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    error = assert_error(
        api.get(f"{BASE}?{query}"), 400, 400, "Please validate that your request is properly formed."
    )
    assert error["validationErrors"]


def test_page_size_up_to_500_is_accepted(api: Api) -> None:
    assert api.get(f"{BASE}/?$pageSize=500&$page=1").json()["pageSize"] == 500


# --- wire details -------------------------------------------------------------------------------


def test_trailing_slash_doubled_leading_slash_and_query_name_case(api: Api) -> None:
    api.create("wire")
    root = str(api.client.base_url).rstrip("/")
    assert api.get(f"{root}/{BASE}/").status_code == 200  # a doubled leading slash
    assert api.get(f"{BASE}/key:wire/").status_code == 200
    assert api.get(f"{BASE}/?%24PAGESIZE=1&%24Page=1").json()["pageSize"] == 1
    assert api.get(f"{BASE}/key:wire?VERSIONNUMBER=1").status_code == 200
    assert api.get("/INTERACTION/v1/Interactions/KEY:wire").status_code == 200


def test_key_values_are_percent_decoded(api: Api) -> None:
    for key in ("with space", "slash/inside", "ümlaut", "colon:key", "100%"):
        created = api.create(key)
        from urllib.parse import quote

        assert api.get(f"{BASE}/key:{quote(key, safe='')}").json()["id"] == created["id"]
    assert api.get(f"{BASE}/key:colon:key").status_code == 200


def test_every_response_is_json_errors_included(api: Api) -> None:
    for response in (api.get(BASE), api.get(f"{BASE}/key:none"), api.get("/interaction/v1/nothing/here")):
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-request-id"]


def test_unknown_route_and_wrong_method(api: Api) -> None:
    # SFMC's body, as mcdev's recorded rest404-response.json has it.
    recorded = json.loads((RECORDINGS / "rest404-response.json").read_text())
    assert api.get("/interaction/v1/nothing").json() == recorded
    assert_error(api.get("/interaction/v1/nothing"), 404, 404, "Not Found")
    response = api.request("PATCH", BASE)
    assert_error(
        response, 400, 30001, "Invalid operation: the HTTP method is not supported by this resource."
    )
    assert "GET" in response.headers["allow"]


def test_oversized_body_is_413_with_an_envelope(api: Api) -> None:
    huge = {"key": "big", "name": "n", "workflowApiVersion": 1, "description": "x" * (5 * 1024 * 1024)}
    body = api.post(BASE, json=huge)
    assert body.status_code == 413
    assert body.json()["errorcode"] == 10000 and "limit" in body.json()["message"]


def test_too_deeply_nested_body_is_400(api: Api) -> None:
    nested: Any = {}
    for _ in range(100):
        nested = {"n": nested}
    assert_error(api.post(BASE, json={"key": "deep", "name": "n", "workflowApiVersion": 1, "metaData": nested}),
                 400, 400, "Please validate that your request is properly formed.")  # fmt: skip


def test_request_id_is_echoed_when_sane(api: Api) -> None:
    assert api.get(BASE, headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert api.get(BASE, headers={"X-Request-Id": "bad id <x>"}).headers["x-request-id"] != "bad id <x>"


def test_openapi_document_describes_the_routes(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {"get", "post", "put"} <= set(paths[BASE])
    assert "put" in paths[BASE + "/key:{key}"] and "delete" in paths[BASE + "/{id}"]
    assert "/v2/token" in paths
    put_body = paths[BASE]["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][put_body.rsplit("/", 1)[1]]
    assert {"key", "name", "workflowApiVersion", "version"} <= set(schema["required"])
