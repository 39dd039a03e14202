"""sfmc-sdk 2.1.2, used directly (tests/compat/sdk_roundtrip.mjs): token, REST get and getBulk,
SOAP retrieve and create of DataFolder, AccountUser, an empty dependency type, and the refresh
after an unknown token on both SOAP (`Token Expired` fault) and REST (401)."""

from __future__ import annotations

from pathlib import Path

from tests.compat.clients import TENANT, Clients, client_env, connections_made, run_sdk
from tests.compat.conftest import CompatServer
from tests.soap_client import journey_folders
from tests.support import BASE, journey_body


def test_sfmc_sdk_rest_and_soap(clients: Clients, compat_server: CompatServer, tmp_path: Path) -> None:
    api = compat_server.api
    for n in range(5):
        assert api.post(BASE, json=journey_body(f"sdk-{n}")).status_code == 200
    port = compat_server.base_url.rsplit(":", 1)[1]
    connections = tmp_path / "connections.log"
    env = client_env(
        tmp_path / "home",
        connections,
        JOURNEYSTACK_SDK_CLIENT_ID="journeystack",
        JOURNEYSTACK_SDK_CLIENT_SECRET="journeystack",
        JOURNEYSTACK_SDK_AUTH_URL=f"http://127.0.0.1:{port}/v2/token?t=https://{TENANT}.auth.marketingcloudapis.com/",
        JOURNEYSTACK_SDK_MID="1000001",
        JOURNEYSTACK_SDK_KEY="sdk-3",
        JOURNEYSTACK_SDK_PAGE_SIZE="2",
    )
    out = run_sdk(clients, env, tmp_path)

    assert isinstance(out["auth"]["expires_in"], int)
    assert "journeys_read" in out["auth"]["scope"]  # a string, split into an array by onRefresh
    assert out["auth"]["rest_instance_url"] == out["auth"]["soap_instance_url"] == f"http://127.0.0.1:{port}/"
    assert out["one"]["key"] == "sdk-3" and out["one"]["version"] == 1
    # getBulk with $pageSize=2 pages through all five journeys and stops on `count`.
    assert sorted(item["key"] for item in out["bulk"]["items"]) == [f"sdk-{n}" for n in range(5)]
    assert out["events"]["items"] == []

    folders = out["folders"]
    assert folders["OverallStatus"] == "OK"
    [root] = folders["Results"]
    assert (root["Name"], root["ContentType"], root["ParentFolder"]["ID"]) == ("my journeys", "journey", 0)
    assert root["Client"]["ID"] == 1000001 and root["CustomerKey"] == "journey_default"
    assert root["ID"] == api.get(f"{BASE}/key:sdk-3").json()["categoryId"]  # journeys land in the root

    created = out["created"]
    assert created["OverallStatus"] == "OK" and created["Results"][0]["StatusCode"] == "OK"
    new_id = created["Results"][0]["NewID"]
    assert {int(f["ID"]): f["Name"] for f in journey_folders(api)} == {
        root["ID"]: "my journeys",
        new_id: "sdk folder",
    }

    [user] = out["users"]["Results"]
    assert user["Name"] == "journeystack app user" and user["ActiveFlag"] is True
    assert out["emails"]["OverallStatus"] == "OK" and "Results" not in out["emails"]

    # The unknown token was refreshed once on SOAP and once on REST, then both calls went through.
    assert len(out["afterSoapExpiry"]["Results"]) == 2
    assert out["afterRestExpiry"]["count"] == 5
    # First token, then one refresh each; the refreshes sent `scope` (see sdk_roundtrip.mjs).
    assert out["refreshes"] == ["string", "string", "string"]
    assert out["notFound"] == {"message": "Interaction matching criteria not found.", "code": 30003}
    assert out["eventNotFound"] == {"status": 400, "code": "ERR_BAD_REQUEST"}

    made = connections_made(connections)
    assert made and all(target == f"127.0.0.1:{port}" for target in made), sorted(set(made))
