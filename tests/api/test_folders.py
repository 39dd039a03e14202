"""A journey's categoryId names a journey folder of its business unit; without one, the root."""

from __future__ import annotations

from tests.soap_client import create_folder, root_journey_folder_id
from tests.support import BASE, Api, assert_error, journey_body


def test_journey_without_category_goes_into_the_root_journey_folder(api: Api) -> None:
    created = api.create("rooted")
    assert created["categoryId"] == root_journey_folder_id(api)
    assert api.get(f"{BASE}/key:rooted").json()["categoryId"] == created["categoryId"]
    listed = api.get(f"{BASE}?extras=").json()["items"][0]
    assert listed["categoryId"] == created["categoryId"]  # mcdev's cache reads it from the list


def test_category_must_name_a_journey_folder_of_the_business_unit(api: Api) -> None:
    folder = create_folder(api, "Campaigns")
    assert api.create("filed", categoryId=folder)["categoryId"] == folder
    message = "categoryId 424242 is not a journey folder of this business unit."
    error = assert_error(api.post(BASE, json=journey_body("lost", categoryId=424242)), 400, 10005, message)
    assert error["validationErrors"] == [{"message": message, "errorcode": 10005, "path": "categoryId"}]
    assert api.get(f"{BASE}/key:lost").status_code == 404

    other = Api(client=api.client, mid=api.other_mid, database_url=api.database_url).authenticate()
    foreign = f"categoryId {folder} is not a journey folder of this business unit."
    assert_error(other.post(BASE, json=journey_body("x", categoryId=folder)), 400, 10005, foreign)


def test_put_checks_the_category_and_an_omitted_one_means_the_root(api: Api) -> None:
    folder = create_folder(api, "Campaigns")
    created = api.create("moving", categoryId=folder)
    body = {**journey_body("moving"), "version": 1, "modifiedDate": created["modifiedDate"]}
    assert_error(api.put(f"{BASE}/key:moving", json={**body, "categoryId": 7}), 400, 10005,
                 "categoryId 7 is not a journey folder of this business unit.")  # fmt: skip
    moved = api.put(f"{BASE}/key:moving", json=body)  # no categoryId: back to the root (PUT replaces)
    assert moved.status_code == 200, moved.text
    assert moved.json()["categoryId"] == root_journey_folder_id(api)
    again = {**body, "modifiedDate": moved.json()["modifiedDate"]}
    assert api.put(f"{BASE}/key:moving", json=again).status_code == 304  # the root is the default
