"""Journey and event definition files: what they keep, their stable bytes, mcdev's layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeystack.files import documents as d

WIRE = {
    "id": "4ecbf9f0-0000-4000-8000-000000000001", "key": "welcome", "name": "Welcome",
    "lastPublishedDate": "0001-01-01T00:00:00", "description": "", "version": 2, "workflowApiVersion": 1,
    "createdDate": "2030-01-01T00:00:00", "modifiedDate": "2030-01-02T00:00:00.5",
    "triggers": [{"id": "t-id", "key": "TRIGGER", "type": "APIEvent",
                  "metaData": {"eventDefinitionKey": "APIEvent-x", "eventDefinitionId": "E1"}}],
    "activities": [{"outcomes": [{"next": None, "key": "o1"}], "type": "WAIT", "key": "WAIT-1", "id": "a-id",
                    "configurationArguments": {"waitUnit": "DAYS", "waitDuration": 1}}],
    "goals": [], "exits": [], "notifiers": [], "defaults": {"properties": {}}, "metaData": {},
    "executionMode": "Production", "entryMode": "MultipleEntries", "definitionType": "Multistep",
    "categoryId": 1002, "status": "Published", "definitionId": "4ecbf9f0-0000-4000-8000-000000000002",
    "stats": {"currentPopulation": 0},
}  # fmt: skip


def test_a_journey_file_keeps_the_journey_and_drops_what_names_one_server() -> None:
    document = d.journey_document(WIRE, folder_paths={1002: "my journeys/Campaigns"}, event_keys={})
    assert set(document) == {
        "key", "name", "description", "version", "workflowApiVersion", "triggers", "activities", "goals", "exits",
        "notifiers", "defaults", "metaData", "executionMode", "entryMode", "definitionType", "status", "folderPath",
    }  # fmt: skip
    assert document["folderPath"] == "my journeys/Campaigns"
    assert document["triggers"] == [
        {"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": "APIEvent-x"}}
    ]
    assert (
        "id" not in document["activities"][0] and WIRE["activities"][0]["id"] == "a-id"
    )  # the input is untouched
    # A trigger naming its event by id alone gets the key, when the id is known.
    by_id = {**WIRE, "triggers": [{"key": "T", "metaData": {"eventDefinitionId": "E1"}}]}
    assert d.journey_document(by_id, folder_paths={}, event_keys={"e1": "APIEvent-x"})["triggers"][0] == {
        "key": "T", "metaData": {"eventDefinitionKey": "APIEvent-x"},
    }  # fmt: skip
    unknown = d.journey_document(by_id, folder_paths={}, event_keys={})
    assert unknown["triggers"][0]["metaData"] == {
        "eventDefinitionId": "E1"
    }  # kept: the only reference there is


def test_files_have_one_member_order_and_stable_bytes() -> None:
    document = d.journey_document(WIRE, folder_paths={1002: "my journeys"}, event_keys={})
    shuffled = json.loads(json.dumps(dict(reversed(list(document.items())))))
    written = d.dumps_journey(document)
    assert written == d.dumps_journey(shuffled)
    text = written.decode()
    assert text.endswith("}\n") and '\n  "key": "welcome",\n  "version": 2,\n  "status": "Published",' in text
    top = list(json.loads(text))
    assert top[:11] == ["key", "version", "status", "name", "description", "workflowApiVersion",
                        "definitionType", "entryMode", "executionMode", "folderPath", "defaults"]  # fmt: skip
    assert list(json.loads(text)["activities"][0]) == ["key", "type", "configurationArguments", "outcomes"]
    assert list(json.loads(text)["activities"][0]["outcomes"][0]) == ["key", "next"]


def test_a_save_body_drops_file_members_and_names_the_target_servers_event() -> None:
    document = d.journey_document(WIRE, folder_paths={1002: "my journeys"}, event_keys={})
    body = d.save_body(document, event_ids={"APIEvent-x": "target-event-id"})
    assert not {"version", "status", "folderPath", "id", "categoryId"} & set(body)
    assert body["triggers"][0]["metaData"] == {
        "eventDefinitionKey": "APIEvent-x",
        "eventDefinitionId": "target-event-id",
    }
    assert "eventDefinitionId" not in document["triggers"][0]["metaData"]  # the file's document is untouched


def test_an_event_file_drops_its_id_dates_and_counts() -> None:
    wire = {"id": "E1", "type": "APIEvent", "name": "X", "eventDefinitionKey": "APIEvent-x", "createdDate": "d",
            "createdBy": 1, "modifiedDate": "d", "modifiedBy": 1, "interactionCount": 3,
            "publishedInteractionCount": 1, "schema": {"fields": []},
            "arguments": {"eventDefinitionId": "E1", "eventDefinitionKey": "APIEvent-x", "criteria": ""}}  # fmt: skip
    assert d.event_document(wire) == {
        "type": "APIEvent", "name": "X", "eventDefinitionKey": "APIEvent-x", "schema": {"fields": []},
        "arguments": {"eventDefinitionKey": "APIEvent-x", "criteria": ""},
    }  # fmt: skip
    assert list(json.loads(d.dumps_event(d.event_document(wire)))) == [
        "eventDefinitionKey", "name", "type", "arguments", "schema",
    ]  # fmt: skip


def test_mcdev_files_name_folder_and_event_their_way() -> None:
    mcdev = {"key": "k", "r__folder_Path": "my journeys/compat",
             "triggers": [{"key": "T", "metaData": {"r__event_key": "APIEvent-x"}, "arguments": {}}],
             "activities": [{"key": "E", "configurationArguments": {"r__triggeredSend_key": "ts"}}]}  # fmt: skip
    translated = d.from_mcdev_journey(mcdev)
    assert translated["folderPath"] == "my journeys/compat" and "r__folder_Path" not in translated
    assert translated["triggers"][0]["metaData"] == {"eventDefinitionKey": "APIEvent-x"}
    assert translated["activities"] == mcdev["activities"]  # references journeystack cannot resolve stay


def test_directories_in_either_layout(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "journeys" / "b").mkdir(parents=True)
    (export / "journeys" / "a").mkdir(parents=True)
    (export / "events").mkdir()
    (export / "journeys" / "b" / "v1.json").write_text('{"key": "b", "version": 1}')
    (export / "journeys" / "a" / "v2.json").write_text('{"key": "a", "version": 2}')
    (export / "journeys" / "a" / "v1.json").write_text('{"key": "a", "version": 1}')
    (export / "events" / "E.json").write_text('{"eventDefinitionKey": "E"}')
    (export / "journeys" / "a" / "broken.json").write_text("{")
    tree = d.read_tree(export)
    assert tree.layout == "journeystack"
    assert [(f.key, f.version) for f in tree.journeys] == [("a", 1), ("a", 2), ("b", 1)]
    assert [e.key for e in tree.events] == ["E"]
    assert [(p.name, problem.split(":")[0]) for p, problem in tree.unreadable] == [
        ("broken.json", "is not JSON")
    ]

    unit = tmp_path / "project" / "retrieve" / "local" / "_ParentBU_"
    (unit / "journey").mkdir(parents=True)
    (unit / "event").mkdir()
    (unit / "journey" / "k.journey-meta.json").write_text(
        '{"key": "k", "version": 3, "r__folder_Path": "my journeys"}'
    )
    (unit / "event" / "E.event-meta.json").write_text('{"eventDefinitionKey": "E"}')
    for root in (tmp_path / "project", tmp_path / "project" / "retrieve", unit):
        tree = d.read_tree(root)
        assert tree.layout == "mcdev" and [e.key for e in tree.events] == ["E"]
        assert [(f.key, f.latest, f.document["folderPath"]) for f in tree.journeys] == [
            ("k", True, "my journeys")
        ]

    other = tmp_path / "project" / "retrieve" / "local" / "Other" / "journey"
    other.mkdir(parents=True)
    (other / "x.journey-meta.json").write_text('{"key": "x"}')
    with pytest.raises(
        d.LayoutError, match="several business units \\(retrieve/local/Other, retrieve/local/_ParentBU_\\)"
    ):
        d.read_tree(tmp_path / "project")
    with pytest.raises(d.LayoutError, match="holds no journeys"):
        d.read_tree(tmp_path / "export" / "events")


def test_file_names_are_safe_for_any_key() -> None:
    assert d.journey_path("welcome", 3).as_posix() == "journeys/welcome/v3.json"
    assert d.journey_path("a/b c:ü", 1).as_posix() == "journeys/a%2Fb%20c%3A%C3%BC/v1.json"
    assert d.event_path("..").as_posix() == "events/%2E..json"
