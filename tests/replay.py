"""Replaying mcdev's recordings on journeystack (issue 13): for every recorded SFMC answer under
tests/fixtures/recordings/9999999/interaction/v1, the same request is made of journeystack, on the
state the recording implies, and the two answers are diffed by member names and JSON value types.

`Replay.run()` makes every request once, in an order that gives each one the state its recording
shows (a Draft, then the same journey Published, Paused, in version 3, ...), and returns the answers
by recording path; `differences()` diffs one pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.control_plane import Admin
from tests.support import BASE, Api, wait_for_operation

RECORDINGS = Path(__file__).parent / "fixtures" / "recordings" / "9999999" / "interaction" / "v1"
EVENTS = "/interaction/v1/eventDefinitions"
JOURNEY_SERVER_OWNED = ("id", "definitionId", "version", "status", "createdDate", "modifiedDate",
                        "lastPublishedDate", "stats", "scheduledStatus")  # fmt: skip
EVENT_SERVER_OWNED = ("id", "createdDate", "createdBy", "modifiedDate", "modifiedBy", "interactionCount",
                      "publishedInteractionCount")  # fmt: skip
# Recordings that hold no answer: mcdev ships this one empty (fidelity audit §0).
NOT_ANSWERS = {"interactions/validateStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response.json"}


def recording_paths() -> list[str]:
    return sorted(str(p.relative_to(RECORDINGS)) for p in RECORDINGS.rglob("*") if p.is_file())


def recorded(path: str) -> Any:
    """A recording: its JSON, or a .txt one's text."""
    text = (RECORDINGS / path).read_text(encoding="utf-8")
    return text if path.endswith(".txt") else json.loads(text)


# --- the diff -------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _identities(items: list[Any]) -> list[Any] | None:
    """What tells a list's objects apart, element by element: their key (or eventDefinitionKey)
    where every one has a distinct one, or an audit entry's action and how many came before it."""
    for name in ("key", "eventDefinitionKey"):
        values = [item.get(name) if isinstance(item, dict) else None for item in items]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return values
    if items and all(isinstance(item, dict) and isinstance(item.get("action"), str) for item in items):
        seen: dict[str, int] = {}
        actions: list[Any] = []
        for item in items:
            seen[item["action"]] = seen.get(item["action"], 0) + 1
            actions.append((item["action"], seen[item["action"]]))
        return actions
    return None


def differences(recording: Any, answer: Any, path: str = "") -> set[str]:
    """How `answer` differs from `recording` in member names and value types: "missing PATH",
    "extra PATH" and "type PATH: recorded -> answered". List elements are paired by their key (or
    eventDefinitionKey) where every element has a distinct one, audit entries by action, else by
    position; PATH names list
    elements `[]`, so one explanation covers all of a list's elements."""
    found: set[str] = set()
    if json_type(recording) != json_type(answer):
        if recording is not None:  # a recorded null says nothing about the member's type
            found.add(f"type {path or '.'}: {json_type(recording)} -> {json_type(answer)}")
        return found
    if isinstance(recording, dict):
        for name in recording.keys() - answer.keys():
            found.add(f"missing {path}.{name}".replace(" .", " "))
        for name in answer.keys() - recording.keys():
            found.add(f"extra {path}.{name}".replace(" .", " "))
        for name in recording.keys() & answer.keys():
            found |= differences(recording[name], answer[name], f"{path}.{name}")
    elif isinstance(recording, list):
        mine, theirs = _identities(recording), _identities(answer)
        if mine is not None and theirs is not None:
            by_identity = dict(zip(theirs, answer, strict=True))
            pairs = [
                (item, by_identity[i]) for i, item in zip(mine, recording, strict=True) if i in by_identity
            ]
        else:
            pairs = list(zip(recording, answer, strict=False))
        for recorded_item, answered_item in pairs:
            found |= differences(recorded_item, answered_item, f"{path}[]")
    return found


# --- the replay -----------------------------------------------------------------------------------


def _journey_body(path: str, **changes: Any) -> dict[str, Any]:
    """A recorded journey as a client saves it: without what the server owns."""
    body = {k: v for k, v in recorded(path).items() if k not in JOURNEY_SERVER_OWNED}
    return {**body, **changes}


def _event_body(document: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in document.items() if k not in EVENT_SERVER_OWNED}
    if isinstance(body.get("schema"), dict):  # a schema makes its own data extension
        body["schema"] = {k: v for k, v in body["schema"].items() if k != "id"}
        body.pop("dataExtensionId", None)
    return body


@dataclass
class Replay:
    api: Api
    admin: Admin
    answers: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # journey key -> id

    def answer(self, path: str, response: Any) -> Any:
        assert response.status_code < 300, (path, response.status_code, response.text)
        self.answers[path] = response.text if path.endswith(".txt") else response.json()
        return self.answers[path]

    def ok(self, response: Any) -> Any:
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    def run(self) -> dict[str, Any]:
        for step in (self.events, self.multistep, self.drafts, self.transactional, self.lists, self.deletes):
            step()
        return self.answers

    def events(self) -> None:
        api = self.api
        self.answer("eventDefinitions/post_withSchema-response.json",
                    api.post(EVENTS, json=_event_body(recorded("eventDefinitions/post_withSchema-response.json"))))  # fmt: skip
        self.answer("eventDefinitions/post_withExistingDE-response.json",
                    api.post(EVENTS, json=_event_body(recorded("eventDefinitions/post_withExistingDE-response.json"))))  # fmt: skip
        for item in recorded("eventDefinitions/get-response.json")["items"]:
            self.ok(api.post(EVENTS, json=_event_body(item)))
        for key in ("DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e", "testExisting_event_automation"):
            self.answer(
                f"eventDefinitions/key_{key}/get-response.json", api.get(f"{EVENTS}/key:{key}?extras=all")
            )
        self.answer(
            "eventDefinitions/get-response.json", api.get(f"{EVENTS}?extras=all&$pageSize=500&$page=1")
        )
        put = _event_body(recorded("eventDefinitions/key_testExisting_event/put-response.json"))
        self.answer("eventDefinitions/key_testExisting_event/put-response.json",
                    api.put(f"{EVENTS}/key:testExisting_event", json={**put, "description": "updated on deploy"}))  # fmt: skip

    def _publish(self, started: Any, status_path: str | None = None, async_path: str | None = None) -> None:
        body = self.answer(async_path, started) if async_path else self.ok(started)
        done = wait_for_operation(self.api, body["statusUrl"])
        if status_path:
            self.answers[status_path] = done

    def multistep(self) -> None:
        """testExisting_journey_Multistep (0175b971-...): a Draft, validated, then versions 1 to 3 published."""
        api, key = self.api, "testExisting_journey_Multistep"
        # Seeded as it was recorded: its categoryId 6298 names a folder this server makes for it.
        seeded = self.admin.ok("POST", "/journeys", params={"mid": api.mid, "createMissingFolders": "true"},
                               json=_journey_body(f"interactions/key_{key}/get-response.json"))  # fmt: skip
        journey_id = self.ids[key] = seeded["items"][0]["id"]
        self.answer(
            f"interactions/key_{key}/get-response.json", api.get(f"{BASE}/key:{key}?extras=activities")
        )
        self.answer(f"interactions/key_{key}/get-response-versionNumber=1.json",
                    api.get(f"{BASE}/key:{key}?extras=activities&versionNumber=1"))  # fmt: skip
        current = api.get(f"{BASE}/key:{key}").json()
        self.answer(f"interactions/key_{key}/put-response.json",
                    api.put(f"{BASE}/key:{key}", json={**current, "description": "updated on deploy"}))  # fmt: skip
        self.answer("interactions/0175b971-71a3-4d8e-98ac-48121f3fbf4f/get-response.json",
                    api.get(f"{BASE}/{journey_id}?extras=activities"))  # fmt: skip
        validate = api.post(f"{BASE}/validateAsync/{journey_id}?versionNumber=1", json={})
        self._publish(validate, "interactions/validateStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-success.json",
                      "interactions/validateAsync/0175b971-71a3-4d8e-98ac-48121f3fbf4f/post-response.json")  # fmt: skip
        publish = "interactions/publishAsync/0175b971-71a3-4d8e-98ac-48121f3fbf4f/post-response-versionNumber={}.json"
        status = "interactions/publishStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-success.json"
        self._publish(api.post(f"{BASE}/publishAsync/{journey_id}?versionNumber=1", json={}), status,
                      publish.format(1))  # fmt: skip
        for version in (2, 3):
            self.ok(api.post(BASE, json=_journey_body(f"interactions/key_{key}/get-response.json")))
            self._publish(api.post(f"{BASE}/publishAsync/{journey_id}?versionNumber={version}", json={}),
                          async_path=publish.format(3) if version == 3 else None)  # fmt: skip
        self.ok(api.post(f"{BASE}/stop/{journey_id}?versionNumber=1"))  # v1 was Unpublished; now Stopped
        for version in (1, 3):
            self.answer(f"interactions/0175b971-71a3-4d8e-98ac-48121f3fbf4f/get-response-versionNumber={version}.json",
                        api.get(f"{BASE}/{journey_id}?extras=activities&versionNumber={version}"))  # fmt: skip
        for version in (1, 2, 3):
            self.answer(f"interactions/0175b971-71a3-4d8e-98ac-48121f3fbf4f/audit/all/get-response-versionNumber={version}.json",
                        api.get(f"{BASE}/{journey_id}/audit/all?versionNumber={version}&$pageSize=50&$page=1"))  # fmt: skip
        # Publish and validate statuses with warnings, and with errors, on journeys made to have them.
        warned = _journey_body(f"interactions/key_{key}/get-response.json", key="replay-warnings",
                               entryMode="MultipleEntries")  # fmt: skip
        long_wait = next(a for a in warned["activities"] if a["type"] == "WAIT")
        long_wait["configurationArguments"] = {**long_wait["configurationArguments"], "waitDuration": 400,
                                               "waitUnit": "DAYS"}  # fmt: skip
        warned_id = self.ok(api.post(BASE, json=warned))["id"]
        self._publish(api.post(f"{BASE}/validateAsync/{warned_id}?versionNumber=1", json={}),
                      "interactions/validateStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-successWarnings.json")  # fmt: skip
        self._publish(api.post(f"{BASE}/publishAsync/{warned_id}?versionNumber=1", json={}),
                      "interactions/publishStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-successWarnings.json")  # fmt: skip
        failed = json.loads(json.dumps(warned))
        failed["key"] = "replay-failed"
        failed["triggers"][0]["metaData"] = {"eventDefinitionKey": "no-such-event"}
        email = next(a for a in failed["activities"] if a["type"] == "EMAILV2")
        email["metaData"] = {**email.get("metaData", {}), "isConfigured": False}
        failed_id = self.ok(api.post(BASE, json=failed))["id"]
        self._publish(api.post(f"{BASE}/validateAsync/{failed_id}?versionNumber=1", json={}),
                      "interactions/validateStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-failed.json")  # fmt: skip
        self._publish(api.post(f"{BASE}/publishAsync/{failed_id}?versionNumber=1", json={}),
                      "interactions/publishStatus/45f06c0a-3ed2-48b2-a6a8-b5119253f01c/get-response-failed.json")  # fmt: skip

    def drafts(self) -> None:
        """The Quicksend journey (3c3f4112-...) and the two update-contact journeys: Drafts, read and updated."""
        api = self.api
        quicksend = self.ok(api.post(BASE, json=_journey_body("interactions/key_testExisting_journey_Quicksend/get-response.json")))  # fmt: skip
        self.ids[quicksend["key"]] = quicksend["id"]
        for suffix in ("", "-versionNumber=1"):
            query = "&versionNumber=1" if suffix else ""
            self.answer(f"interactions/key_testExisting_journey_Quicksend/get-response{suffix}.json",
                        api.get(f"{BASE}/key:testExisting_journey_Quicksend?extras=activities{query}"))  # fmt: skip
        self.answer("interactions/3c3f4112-9b43-43ca-8a89-aa0375b2c1a2/get-response.json",
                    api.get(f"{BASE}/{quicksend['id']}?extras=activities"))  # fmt: skip
        for key in ("testExisting_journey_updatecontact", "testExisting_journey_updatecontact_sharedDE"):
            self.ok(api.post(BASE, json=_journey_body(f"interactions/key_{key}/get-response.json")))
            self.answer(
                f"interactions/key_{key}/get-response.json", api.get(f"{BASE}/key:{key}?extras=activities")
            )
            current = api.get(f"{BASE}/key:{key}").json()
            self.answer(f"interactions/key_{key}/put-response.json",
                        api.put(f"{BASE}/key:{key}", json={**current, "description": "updated on deploy"}))  # fmt: skip

    def transactional(self) -> None:
        """The transactional-send journeys (dsfdsafdsa-..., d4a900fe-..., 4c39662b-...)."""
        api = self.api
        created = self.answer("interactions/post-response.json", api.post(BASE, json=_journey_body("interactions/post-response.json")))  # fmt: skip
        self.answer("interactions/transactional/create/post-response.json",
                    api.post(f"{BASE}/transactional/create", json={"definitionId": created["id"]}))  # fmt: skip
        self.answer("interactions/key_testNew_temail_notPublished/get-response.json",
                    api.get(f"{BASE}/key:testNew_temail_notPublished?extras=activities"))  # fmt: skip

        key = "testExisting_temail_notPublished"
        draft = self.ok(api.post(BASE, json=_journey_body(f"interactions/key_{key}/get-response.json")))
        self.answer(f"interactions/key_{key}/put-response.json",
                    api.put(f"{BASE}/key:{key}", json={**draft, "description": "updated on deploy"}))  # fmt: skip
        self.ok(api.post(f"{BASE}/transactional/create", json={"definitionId": draft["id"]}))
        self.answer(
            f"interactions/key_{key}/get-response.json", api.get(f"{BASE}/key:{key}?extras=activities")
        )
        self.answer(f"interactions/key_{key}/get-response-versionNumber=1.json",
                    api.get(f"{BASE}/key:{key}?extras=activities&versionNumber=1"))  # fmt: skip

        key = "testExisting_temail"
        temail = self.ok(api.post(BASE, json=_journey_body(f"interactions/key_{key}/get-response.json")))
        self.ids[key] = temail["id"]
        self.ok(api.post(f"{BASE}/transactional/create", json={"definitionId": temail["id"]}))
        self.answer(
            f"interactions/key_{key}/get-response.json", api.get(f"{BASE}/key:{key}?extras=activities")
        )
        self.answer(f"interactions/key_{key}/get-response-versionNumber=1.json",
                    api.get(f"{BASE}/key:{key}?extras=activities&versionNumber=1"))  # fmt: skip
        self.answer("interactions/transactional/pause/post-response.json",
                    api.post(f"{BASE}/transactional/pause", json={"definitionId": temail["id"]}))  # fmt: skip
        # A PUT updates the Paused journey in place (mcdev's mock of a PUT of the Published one shows
        # the same answer; journeystack refuses that PUT, as SFMC does: docs/differences.md).
        current = api.get(f"{BASE}/key:{key}").json()
        for name in ("put-response-paused.json", "put-response.json"):
            current = self.answer(f"interactions/key_{key}/{name}",
                                  api.put(f"{BASE}/key:{key}", json={**current, "description": name}))  # fmt: skip
        self.answer("interactions/transactional/resume/post-response.json",
                    api.post(f"{BASE}/transactional/resume", json={"definitionId": temail["id"]}))  # fmt: skip
        # A transactional journey has one version: both recorded audit logs are replayed on it.
        for version in (1, 2):
            self.answer(f"interactions/dsfdsafdsa-922c-4568-85a5-e5cc77efc3be/audit/all/get-response-versionNumber={version}.json",
                        api.get(f"{BASE}/{temail['id']}/audit/all?versionNumber=1&$pageSize=50&$page=1"))  # fmt: skip

    def lists(self) -> None:
        self.answer("interactions/get-response.json", self.api.get(f"{BASE}/?extras=&$pageSize=500&$page=1"))
        self.answer("interactions/get-response-status=Published.json",
                    self.api.get(f"{BASE}/?$pageSize=500&$page=1&status=Published"))  # fmt: skip

    def deletes(self) -> None:
        api, root = self.api, "interactions/0175b971-71a3-4d8e-98ac-48121f3fbf4f"
        multistep = self.ids["testExisting_journey_Multistep"]
        self.answer(
            f"{root}/delete-response-versionNumber=1.txt", api.delete(f"{BASE}/{multistep}?versionNumber=1")
        )
        self.ok(api.post(f"{BASE}/stop/{multistep}?versionNumber=3"))
        self.answer(f"{root}/delete-response.txt", api.delete(f"{BASE}/{multistep}"))
        self.answer("interactions/3c3f4112-9b43-43ca-8a89-aa0375b2c1a2/delete-response.txt",
                    api.delete(f"{BASE}/{self.ids['testExisting_journey_Quicksend']}"))  # fmt: skip
        temail = self.ids["testExisting_temail"]
        self.ok(api.post(f"{BASE}/stop/{temail}?versionNumber=1"))
        self.answer("interactions/dsfdsafdsa-922c-4568-85a5-e5cc77efc3be/delete-response.txt",
                    api.delete(f"{BASE}/{temail}"))  # fmt: skip
        self.answer("eventDefinitions/key_testExisting_event/delete-response.txt",
                    api.delete(f"{EVENTS}/key:testExisting_event"))  # fmt: skip


def text_kind(text: str) -> str:
    """What a .txt answer is: empty, or the JSON value it holds (a bare id is a string)."""
    if not text.strip():
        return "empty"
    try:
        return json_type(json.loads(text))
    except json.JSONDecodeError:
        return "string"
