"""mcdev and sfmc-sdk over TLS, trusting journeystack's throw-away CA through NODE_EXTRA_CA_CERTS.

Where the test may write /etc/hosts and bind port 443 (as root, e.g. in CI), it runs the faithful
setup: `<tenant>.{auth,rest,soap}.marketingcloudapis.com` mapped to 127.0.0.1 and the plain SFMC
auth URL `https://<tenant>.auth.marketingcloudapis.com/`; the hosts file is restored afterwards
whatever happens. Elsewhere it runs the same calls over HTTPS on a free port
(`https://127.0.0.1:PORT/v2/token?t=...`). Either way TLS, the certificate's names and the CA
trust are exercised; the form that ran is recorded in the test's `tls_form` property.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from journeystack.certs import make_certificates, tenant_hosts
from tests.compat.clients import (
    TENANT,
    Clients,
    McdevProject,
    client_env,
    connections_made,
    hosts_entries,
    run_sdk,
)
from tests.compat.conftest import SERVER_ENV
from tests.soap_client import create_folder
from tests.support import BASE, Api, free_port, journey_body

HOSTS = Path("/etc/hosts")


def _can_use_port_443() -> bool:
    if os.geteuid() != 0 or not os.access(HOSTS, os.W_OK):
        return False
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 443))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def tls_server(directory: Path, port: int, cert: Path, key: Path, ca: Path) -> Iterator[str]:
    """`journeystack serve` with TLS on 127.0.0.1:port; yields its https base URL."""
    command = [sys.executable, "-m", "journeystack", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--database-url", f"sqlite:///{directory / 'journeystack.db'}",
               "--tls-cert", str(cert), "--tls-key", str(key)]  # fmt: skip
    with open(directory / "server.log", "wb") as log:
        process = subprocess.Popen(
            command, env={**os.environ, **SERVER_ENV}, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"https://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, (directory / "server.log").read_text()
                try:
                    if (
                        httpx.get(
                            url + "/openapi.json", verify=ssl.create_default_context(cafile=ca), timeout=1
                        ).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "journeystack serve --tls-cert did not start within 30 s"
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_mcdev_and_sdk_over_tls(
    clients: Clients, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    files = make_certificates(tmp_path / "certs", tenant=TENANT)
    hosts_before = HOSTS.read_bytes()
    faithful = _can_use_port_443()
    record_property("tls_form", "hosts file + port 443" if faithful else "https on a free port")
    port = 443 if faithful else free_port()
    names = tenant_hosts(TENANT)
    hosts = hosts_entries(names) if faithful else contextlib.nullcontext()
    with hosts, tls_server(tmp_path, port, files.cert, files.key, files.ca) as base_url:
        if faithful:
            auth_url = f"https://{names[0]}/"
            rest_url = f"https://{names[1]}/"
        else:
            auth_url = f"{base_url}/v2/token?t=https://{names[0]}/"
            rest_url = f"{base_url}/"
        with httpx.Client(
            base_url=base_url, verify=ssl.create_default_context(cafile=files.ca), timeout=30
        ) as client:
            api = Api(client=client, mid=1000001, database_url="").authenticate()
            folder = create_folder(api, "tls")
            assert api.post(BASE, json=journey_body("tls-journey", categoryId=folder)).status_code == 200
            connections = tmp_path / "connections.log"
            extra = {"NODE_EXTRA_CA_CERTS": str(files.ca)}
            env = client_env(tmp_path / "home", connections, allowed_hosts=tuple(names), **extra)

            project = McdevProject.create(clients, tmp_path / "project", auth_url, env)
            run = project.run_ok("retrieve", project.bu, "journey")
            assert "Downloaded: journey (1)" in run.output, run.describe()
            assert project.retrieved("tls-journey")["r__folder_Path"] == "my journeys/tls"
            document = project.retrieved("tls-journey")
            document["description"] = "Deployed over TLS"
            project.stage_for_deploy(document)
            project.run_ok("deploy", project.bu, "journey", "tls-journey")
            assert api.get(f"{BASE}/key:tls-journey").json()["description"] == "Deployed over TLS"

            sdk_env = {
                **env,
                "JOURNEYSTACK_SDK_CLIENT_ID": "journeystack",
                "JOURNEYSTACK_SDK_CLIENT_SECRET": "journeystack",
                "JOURNEYSTACK_SDK_AUTH_URL": auth_url,
                "JOURNEYSTACK_SDK_MID": "1000001",
                "JOURNEYSTACK_SDK_KEY": "tls-journey",
                "JOURNEYSTACK_SDK_PAGE_SIZE": "50",
            }
            out = run_sdk(clients, sdk_env, tmp_path)
            # Through the auth host, the instance URLs name the tenant's rest and soap hosts.
            assert out["auth"]["rest_instance_url"] == rest_url
            assert out["auth"]["soap_instance_url"] == rest_url.replace(".rest.", ".soap.")
            assert out["one"]["key"] == "tls-journey"
            assert {f["Name"] for f in out["folders"]["Results"]} == {"my journeys", "tls"}

        made = set(connections_made(connections))
        expected = {f"{name}:443" for name in names} if faithful else {f"127.0.0.1:{port}"}
        assert made and made <= expected, sorted(made)
    assert HOSTS.read_bytes() == hosts_before  # the machine is left as it was
