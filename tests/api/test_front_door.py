"""What a person or a client finds at the server's root, and how a body that is not JSON is refused."""

from __future__ import annotations

import httpx
import pytest

from tests.support import BASE, Api, assert_error, journey_body

UNSUPPORTED = "Unsupported Media Type: send the request body as JSON, with Content-Type: application/json."


def test_the_root_points_at_the_document_the_api_and_the_console(api: Api) -> None:
    response = api.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "name": "journeystack",
        "version": "0.1.0",
        "links": {"openapi": "/openapi.json", "discovery": "/interaction/v1/rest", "console": "/console/"},
    }
    assert api.client.get(response.json()["links"]["openapi"]).status_code == 200
    assert api.client.get(response.json()["links"]["discovery"]).status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/xml", "multipart/form-data"]
)
def test_a_json_route_refuses_a_body_sent_as_another_media_type(api: Api, content_type: str) -> None:
    body = httpx.Request("POST", "/", json=journey_body("typed")).content
    response = api.post(BASE, content=body, headers={"Content-Type": content_type})
    assert_error(response, 415, 415, UNSUPPORTED)
    assert api.get(f"{BASE}/key:typed").status_code == 404  # nothing was parsed, nothing stored


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", None]
)
def test_a_json_route_takes_json_and_a_body_without_a_content_type(
    api: Api, content_type: str | None
) -> None:
    body = httpx.Request("POST", "/", json=journey_body("typed")).content
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post(BASE, content=body, headers=headers)
    assert response.status_code == 200, response.text


def test_the_token_is_checked_before_the_media_type(api: Api) -> None:
    response = api.client.post(BASE, content=b"{}", headers={"Content-Type": "text/plain"})
    assert_error(response, 401, 0, "Not Authorized")


def test_an_empty_body_has_no_media_type_to_refuse(api: Api) -> None:
    journey = api.create("empty-body")
    response = api.post(
        f"{BASE}/publishAsync/{journey['id']}?versionNumber=1", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
