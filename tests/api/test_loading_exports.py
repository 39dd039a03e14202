"""Loading journeys exported from a real tenant (issue 13 item 7): their categoryId names a folder
journeystack does not have. Seeding and snapshot import can make the missing journey folders, so a
recording loads as it is; a plain POST still refuses an unknown folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from journeystack.testing import Journeystack
from tests.control_plane import ControlCase
from tests.soap_client import journey_folders
from tests.support import BASE, assert_error

RECORDED = (
    Path(__file__).parents[1] / "fixtures" / "recordings" / "9999999" / "interaction" / "v1" / "interactions"
)
MULTISTEP = RECORDED / "key_testExisting_journey_Multistep" / "get-response.json"
NOT_A_FOLDER = "categoryId 6298 is not a journey folder of this business unit."


def folders_by_id(case: ControlCase) -> dict[int, dict[str, Any]]:
    return {int(f["ID"]): f for f in journey_folders(case.api)}


def test_seeding_makes_the_folders_a_recording_names(cp: ControlCase) -> None:
    recording = json.loads(MULTISTEP.read_text())
    assert_error(cp.api.post(BASE, json=recording), 400, 10005, NOT_A_FOLDER)  # a plain POST, as today
    refused = cp.admin.post("/journeys", params={"mid": cp.api.mid}, json=recording)
    assert refused.status_code == 400 and refused.json()["message"] == NOT_A_FOLDER

    seeded = cp.admin.ok("POST", "/journeys", params={"mid": cp.api.mid, "createMissingFolders": "true"},
                         json=recording)  # fmt: skip
    [created] = seeded["items"]
    assert seeded["count"] == 1 and (created["key"], created["categoryId"]) == (recording["key"], 6298)
    stored = cp.api.get(f"{BASE}/key:{recording['key']}").json()
    assert stored["categoryId"] == 6298 and stored["activities"] == recording["activities"]  # ids too
    folders = folders_by_id(cp)
    root = next(i for i, f in folders.items() if f["ParentFolder"]["ID"] == "0")
    assert (folders[6298]["Name"], int(folders[6298]["ParentFolder"]["ID"])) == ("Folder 6298", root)

    # A list answer loads its items; the folder is there now, so nothing more is made.
    listed = json.loads((RECORDED / "get-response-status=Published.json").read_text())
    seeded = cp.admin.ok("POST", "/journeys", params={"mid": cp.api.mid, "createMissingFolders": "true"},
                         json=listed)  # fmt: skip
    assert [i["key"] for i in seeded["items"]] == [i["key"] for i in listed["items"]]
    assert len(folders_by_id(cp)) == 2
    bad = cp.admin.post("/journeys", json=[1, 2])
    assert bad.status_code == 400 and bad.json()["errorcode"] == 10001


def test_snapshot_import_can_make_missing_journey_folders(cp: ControlCase, tmp_path: Path) -> None:
    cp.api.create("exported")
    snapshot = cp.admin.ok("GET", "/snapshot", params={"mid": cp.api.mid})
    [row] = snapshot["tables"]["journeys"]
    row["spec"] = json.dumps({**json.loads(row["spec"]), "categoryId": 7777})  # another tenant's folder
    snapshot["tables"]["folders"] = []  # and none of its folders
    cp.admin.ok("POST", "/snapshot", params={"mid": cp.api.mid}, json=snapshot)
    assert cp.api.get(f"{BASE}/key:exported").json()["categoryId"] == 7777
    assert 7777 not in folders_by_id(cp)  # without the option the journey names a folder that is not there

    cp.admin.ok(
        "POST", "/snapshot", params={"mid": cp.api.mid, "createMissingFolders": "true"}, json=snapshot
    )
    folders = folders_by_id(cp)
    [root] = [i for i, f in folders.items() if f["ParentFolder"]["ID"] == "0"]
    assert (folders[7777]["Name"], int(folders[7777]["ParentFolder"]["ID"])) == ("Folder 7777", root)
    assert root > 7777  # a new root's id is past every id the snapshot uses

    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    status, out, err = cp.cli("import", str(path), "--mid", str(cp.api.mid), "--create-missing-folders")
    assert (status, err) == (0, ""), out
    assert 7777 in folders_by_id(cp)


def test_the_plugin_seeds_a_recording_file_verbatim(journeystack: Journeystack) -> None:
    journeystack.seed(MULTISTEP, create_missing_folders=True)
    journey = journeystack.client().journeys.get("testExisting_journey_Multistep")
    assert (journey.category_id, journey.version, journey.status) == (6298, 1, "Draft")
