"""Every number a client sends is range-checked at the edge (issue 12 §5): SQLite and PostgreSQL
answer the same 400 naming the field, never a 500."""

from __future__ import annotations

import pytest

from tests.support import BASE, Api, assert_error, create_event, publish, publishable_journey

MALFORMED = "Please validate that your request is properly formed."
HUGE = [str(2**63), str(2**64), str(2**31), "1" * 30, "١", "1_0", " 7"]


def _problem(response_body: dict[str, object]) -> dict[str, object]:
    problems = response_body["validationErrors"]
    assert isinstance(problems, list) and problems
    first: dict[str, object] = problems[0]
    return first


@pytest.mark.parametrize("number", HUGE)
def test_a_version_number_out_of_range_is_400_on_every_route(api: Api, number: str) -> None:
    journey = api.create("ranged")
    for method, path in [
        ("GET", f"{BASE}/key:ranged"),
        ("GET", f"{BASE}/{journey['id']}"),
        ("DELETE", f"{BASE}/key:ranged"),
        ("POST", f"{BASE}/publishAsync/{journey['id']}"),
        ("POST", f"{BASE}/validateAsync/key:ranged"),
        ("POST", f"{BASE}/stop/{journey['id']}"),
        ("POST", f"{BASE}/pause/key:ranged"),
        ("POST", f"{BASE}/resume/key:ranged"),
        ("GET", f"{BASE}/key:ranged/audit/all"),
    ]:
        response = api.request(method, f"{path}?versionNumber={number}")
        error = assert_error(response, 400, 400, MALFORMED)
        assert _problem(error)["path"] == "versionNumber", (method, path)
        assert _problem(error)["errorcode"] == 10005
    assert api.get(f"{BASE}/key:ranged").status_code == 200


@pytest.mark.parametrize("name", ["$page", "$pageSize"])
def test_a_page_out_of_range_is_400(api: Api, name: str) -> None:
    for path in (BASE, "/interaction/v1/eventDefinitions"):
        for number in (str(2**63), str(2**31), "99999999999999999999999"):
            error = assert_error(api.get(f"{path}?{name}={number}"), 400, 400, MALFORMED)
            assert _problem(error)["path"] == name


def test_the_largest_accepted_page_answers_an_empty_page(api: Api) -> None:
    api.create("only")
    body = api.get(f"{BASE}?$page={2**31 - 1}&$pageSize=500").json()
    assert body["items"] == [] and body["count"] == 1


@pytest.mark.parametrize("version", [2**63, 2**64 - 1, 2**31])
def test_a_put_version_out_of_range_is_400_naming_it(api: Api, version: int) -> None:
    created = api.create("put-range")
    body = {"key": "put-range", "name": "n", "workflowApiVersion": 1.0, "version": version,
            "modifiedDate": created["modifiedDate"]}  # fmt: skip
    error = assert_error(api.put(BASE, json=body), 400, 400, MALFORMED)
    assert _problem(error)["path"] == "version" and _problem(error)["errorcode"] == 10005


@pytest.mark.parametrize("category", [1e19, 1e300, 2**63, -1e19])
def test_a_category_id_out_of_range_is_a_validation_error(api: Api, category: float) -> None:
    body = {"key": "cat", "name": "n", "workflowApiVersion": 1.0, "categoryId": category}
    error = assert_error(api.post(BASE, json=body), 400, 10006, "Validation Errors Occurred!")
    assert _problem(error)["path"] == "categoryId"


def test_a_specific_api_version_that_is_not_finite_is_400(api: Api) -> None:
    for raw in ("inf", "nan", "1e999"):
        error = assert_error(api.get(f"{BASE}?specificApiVersionNumber={raw}"), 400, 400, MALFORMED)
        assert _problem(error)["path"] == "specificApiVersionNumber"


def test_dependency_paging_echoes_only_numbers_clients_can_read(api: Api) -> None:
    body = api.get(f"/legacy/v1/beta/mobile/code/?$top={2**70}&$skip={2**70}").json()
    assert body["itemsPerPage"] == 50 and body["startIndex"] == 0
    assets = api.post("/asset/v1/content/assets/query", json={"page": {"page": 2**64 - 1, "pageSize": 2**70}})
    assert assets.status_code == 200 and assets.json()["page"] == 1 and assets.json()["pageSize"] == 50


def test_control_plane_numbers_are_range_checked(api: Api) -> None:
    # Not authorised (no admin token): the check of the token comes first and is a 401.
    assert api.client.post(f"/_journeystack/reset?mid={2**64}").status_code == 401


def test_published_journeys_still_take_their_own_version_numbers(api: Api) -> None:
    create_event(api)
    journey = api.post(BASE, json=publishable_journey("in-range")).json()
    assert publish(api, journey)["status"] == "PublishCompleted"
    assert api.get(f"{BASE}/key:in-range?versionNumber=1").status_code == 200
