"""The seed's contract for PUT /interaction/v1/interactions: every documented answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from journeystack.domain.journey import Status
from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import journeys
from tests.support import BASE, Api, assert_error

MALFORMED = "Please validate that your request is properly formed."
NOT_FOUND = "Interaction not found."
STALE = "Another user recently modified this journey. Refresh to edit the latest version."
CONFLICT = (
    "Conflict, this change would cause a current operation on the specified interaction or a running "
    "interaction to be changed, which is not permitted"
)
SERVER_ERROR = "There was a problem processing your request, please try again or contact support"


def _update_body(stored: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "key": stored["key"],
        "name": stored["name"],
        "version": stored["version"],
        "workflowApiVersion": 1.0,
        "modifiedDate": stored["modifiedDate"],
        "description": stored["description"],
    }
    body.update(changes)
    return body


def _set_status(store: SqlStore, mid: int, key: str, status: Status) -> None:
    with store(write=True) as uow:
        current = uow.journeys.latest(mid, key=key)
        assert current is not None
        assert uow.journeys.set_status(current, status, modified_ms=current.modified_ms)
        uow.commit()


def test_success_returns_the_stored_journey_with_a_new_modified_date(api: Api) -> None:
    stored = api.create("ixn-created-via-the-api")
    body = _update_body(stored, name="API-Created journey updated", description="updated")
    response = api.put(BASE, json=body)
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "API-Created journey updated"
    assert updated["description"] == "updated"
    assert updated["modifiedDate"] != stored["modifiedDate"]
    for owned in ("id", "definitionId", "createdDate", "lastPublishedDate", "status", "version", "key"):
        assert updated[owned] == stored[owned]
    assert api.get(f"{BASE}/key:{stored['key']}").json() == updated


@pytest.mark.parametrize("path", ["", "/key:{key}", "/{id}"])
def test_all_three_update_paths(api: Api, path: str) -> None:
    stored = api.create("three-paths")
    response = api.put(
        BASE + path.format(key=stored["key"], id=stored["id"]), json=_update_body(stored, name="x")
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "x"


def test_server_owned_fields_in_the_body_never_change_stored_values(api: Api) -> None:
    stored = api.create("server-owned")
    body = _update_body(
        stored,
        name="renamed",
        id="00000000-0000-0000-0000-000000000000",
        definitionId="00000000-0000-0000-0000-000000000001",
        createdDate="2001-01-01T00:00:00",
        lastPublishedDate="2002-02-02T00:00:00",
        status="Published",
    )
    updated = api.put(BASE, json=body).json()
    for owned in ("id", "definitionId", "createdDate", "lastPublishedDate", "status"):
        assert updated[owned] == stored[owned], owned


def test_identical_body_answers_304_without_a_body_and_writes_nothing(api: Api) -> None:
    stored = api.create("no-change")
    response = api.put(BASE, json=_update_body(stored))
    assert response.status_code == 304
    assert response.content == b""
    assert api.get(f"{BASE}/key:no-change").json()["modifiedDate"] == stored["modifiedDate"]


def test_unknown_journey_is_404_30003(api: Api) -> None:
    stored = api.create("known")
    assert_error(api.put(BASE, json=_update_body(stored, key="unknown")), 404, 30003, NOT_FOUND)


def test_unknown_version_is_404_30003(api: Api) -> None:
    stored = api.create("one-version")
    assert_error(api.put(BASE, json=_update_body(stored, version=2)), 404, 30003, NOT_FOUND)


def test_unknown_id_is_404_30003(api: Api) -> None:
    stored = api.create("by-id")
    response = api.put(f"{BASE}/4b3c1a9e-0000-4000-8000-000000000000", json=_update_body(stored))
    assert_error(response, 404, 30003, NOT_FOUND)


@pytest.mark.parametrize("missing", ["key", "name", "workflowApiVersion", "version"])
def test_missing_required_field_is_400(api: Api, missing: str) -> None:
    stored = api.create("required")
    body = _update_body(stored, name="changed")
    del body[missing]
    error = assert_error(api.put(BASE, json=body), 400, 400, MALFORMED)
    assert any(missing in item["message"] for item in error["validationErrors"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("key", 12),
        ("name", ["a"]),
        ("workflowApiVersion", "1.0"),
        ("workflowApiVersion", 2.0),
        ("version", "1"),
        ("version", 1.5),
        ("version", 0),
        ("activities", {"not": "a list"}),
        ("modifiedDate", 20140806),
    ],
)
def test_ill_typed_field_is_400(api: Api, field: str, value: Any) -> None:
    stored = api.create("typed")
    error = assert_error(api.put(BASE, json=_update_body(stored, **{field: value})), 400, 400, MALFORMED)
    assert any(field in item["message"] for item in error["validationErrors"])


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b'"text"'])
def test_unparseable_or_non_object_body_is_400(api: Api, raw: bytes) -> None:
    api.create("unparseable")
    response = api.put(BASE, content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, 400, MALFORMED)


def test_version_number_query_must_agree_with_body_version(api: Api) -> None:
    stored = api.create("query-version")
    body = _update_body(stored, name="changed")
    assert_error(api.put(BASE + "?versionNumber=2", json=body), 400, 400, MALFORMED)
    assert api.put(BASE + "?versionNumber=1", json=body).status_code == 200


def test_path_key_must_agree_with_body_key(api: Api) -> None:
    stored = api.create("path-key")
    assert_error(api.put(f"{BASE}/key:other", json=_update_body(stored, name="n")), 400, 400, MALFORMED)


def test_id_path_with_another_journeys_key_is_400(api: Api) -> None:
    first = api.create("first")
    second = api.create("second")
    assert_error(api.put(f"{BASE}/{first['id']}", json=_update_body(second, name="n")), 400, 400, MALFORMED)


@pytest.mark.parametrize(
    "seen", ["2014-08-06T08:11:12", None, "not a date", "{modified}0", "{modified_padded}"]
)
def test_stale_or_missing_modified_date_is_400_30000(api: Api, seen: str | None) -> None:
    stored = api.create("stale")
    body = _update_body(stored, name="changed")
    if seen is None:
        del body["modifiedDate"]
    else:
        padded = stored["modifiedDate"] + ("0" if "." in stored["modifiedDate"] else ".0")
        body["modifiedDate"] = seen.format(modified=stored["modifiedDate"], modified_padded=padded)
    assert_error(api.put(BASE, json=body), 400, 30000, STALE)


def test_second_put_with_the_first_modified_date_is_stale(api: Api) -> None:
    stored = api.create("twice")
    assert api.put(BASE, json=_update_body(stored, name="one")).status_code == 200
    assert_error(api.put(BASE, json=_update_body(stored, name="two")), 400, 30000, STALE)


@pytest.mark.parametrize(
    "status",
    [
        Status.PUBLISHED,
        Status.UNPUBLISHED,
        Status.PAUSED,
        Status.STOPPED,
        Status.SCHEDULED_TO_PUBLISH,
        Status.DELETED,
    ],
)
def test_non_draft_version_is_409(api: Api, store: SqlStore, status: Status) -> None:
    stored = api.create("locked")
    _set_status(store, api.mid, "locked", status)
    assert_error(api.put(BASE, json=_update_body(stored, name="changed")), 409, 409, CONFLICT)


def test_version_with_operation_in_flight_is_409(api: Api, store: SqlStore) -> None:
    stored = api.create("busy")
    with store(write=True) as uow:
        uow_connection = uow.journeys._c  # arranging state the lifecycle endpoints will reach
        uow_connection.execute(
            update(journeys)
            .where(journeys.c.key == "busy", journeys.c.mid == api.mid)
            .values(operation_id="op-1")
        )
        uow.commit()
    assert_error(api.put(BASE, json=_update_body(stored, name="changed")), 409, 409, CONFLICT)


def test_unexpected_failure_is_500_with_the_sfmc_envelope_and_no_trace(api: Api, store: SqlStore) -> None:
    stored = api.create("corrupt")
    with store(write=True) as uow:
        uow.journeys._c.execute(
            update(journeys)
            .where(journeys.c.key == "corrupt", journeys.c.mid == api.mid)
            .values(spec="{corrupt")
        )
        uow.commit()
    response = api.put(BASE, json=_update_body(stored, name="changed"))
    assert_error(response, 500, 500, SERVER_ERROR)
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"]


def test_modified_date_strictly_increases_even_within_one_millisecond(api: Api) -> None:
    stored = api.create("fast")
    seen = [stored["modifiedDate"]]
    current = stored
    for n in range(20):
        current = api.put(BASE, json=_update_body(current, name=f"n{n}")).json()
        seen.append(current["modifiedDate"])
    assert len(set(seen)) == len(seen)
    assert seen == sorted(seen, key=_as_ms)


def _as_ms(text: str) -> int:
    from journeystack.domain.dates import parse_canonical

    value = parse_canonical(text)
    assert value is not None, text
    return value
