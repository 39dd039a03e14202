"""Requests one store could keep and the other could not get the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.support import BASE, Api, as_sent, assert_error

MALFORMED = "Please validate that your request is properly formed."


@pytest.mark.parametrize(
    "change",
    [{"key": "a\x00b"}, {"name": "n\x00"}, {"description": "d\x00"}, {"metaData": {"a": ["b\x00"]}},
     {"metaData": {"k\x00": 1}}],
)  # fmt: skip
def test_nul_characters_in_a_body_are_400_on_every_store(api: Api, change: dict[str, Any]) -> None:
    body = {"key": "nul", "name": "n", "workflowApiVersion": 1.0, **change}
    error = assert_error(api.post(BASE, json=body), 400, 400, MALFORMED)
    assert "NUL" in error["validationErrors"][0]["message"]
    assert api.get(BASE).json()["count"] == 0


@pytest.mark.parametrize(
    "path",
    ["/key:a%00b", "/%00", "?key=a%00", "?nameOrDescription=%00", "?status=%00", "?id=%00",
     "?definitionType=%00", "?%00=1"],
)  # fmt: skip
def test_nul_characters_in_a_url_are_400_on_every_store(api: Api, path: str) -> None:
    error = assert_error(api.get(BASE + path), 400, 400, MALFORMED)
    assert "NUL" in error["validationErrors"][0]["message"]


def test_a_nul_spelled_out_in_text_is_kept(api: Api) -> None:
    created = api.create("escaped", description="a literal \\u0000 is six characters")
    assert api.get(f"{BASE}/key:escaped").json()["description"] == created["description"]


def test_longest_keys_and_names_in_multibyte_characters_are_kept(api: Api) -> None:
    key = "ключ-" + "é" * 195  # 200 characters, 395 bytes in UTF-8
    name = "😀" * 400  # 400 characters outside the Basic Multilingual Plane
    created = api.create(key, name=name, description="ü" * 4000)
    fetched = api.get(f"{BASE}/key:{quote(key, safe='')}").json()
    assert fetched == created and fetched["name"] == name and len(fetched["key"]) == 200
    assert api.get(f"{BASE}?nameOrDescription={quote('😀😀')}").json()["count"] == 1


def test_like_wildcards_in_name_search_are_literal(api: Api) -> None:
    api.create("pct", name="50% off")
    api.create("under", name="a_b")
    api.create("slash", name="back\\slash")
    api.create("plain", name="500 offers and ab")
    assert [i["key"] for i in api.get(f"{BASE}?nameOrDescription={quote('50%')}").json()["items"]] == ["pct"]
    assert [i["key"] for i in api.get(f"{BASE}?nameOrDescription=a_b").json()["items"]] == ["under"]
    assert [
        i["key"] for i in api.get(f"{BASE}?nameOrDescription={quote('k' + chr(92))}").json()["items"]
    ] == ["slash"]


@pytest.mark.parametrize("member", ["eventDefinitionKey", "eventDefinitionId"])
def test_an_overlong_trigger_event_reference_is_kept_as_sent(api: Api, member: str) -> None:
    value = "E" * 300
    triggers = [{"key": "TRIGGER", "type": "APIEvent", "metaData": {member: value}}]
    created = api.create("long-reference", triggers=triggers)
    assert api.get(f"{BASE}/key:long-reference").json()["triggers"] == created["triggers"]
    assert as_sent(created)["triggers"] == triggers
