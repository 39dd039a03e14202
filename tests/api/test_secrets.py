"""Secrets stay secret (issue 12 §8): serve prints no configured secret, and a Host header is
never copied unchecked into the instance URLs a token answer carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import Api, running_server, token_body


@pytest.mark.parametrize("host", ["evil.example/phish?x=", "a b", "127.0.0.1:99999999", "x@y", '"quoted"'])
def test_a_malformed_host_header_is_not_echoed_into_instance_urls(api: Api, host: str) -> None:
    answer = api.client.post("/v2/token", json=token_body(api.mid), headers={"Host": host})
    assert answer.status_code == 200
    body = answer.json()
    for url in (body["rest_instance_url"], body["soap_instance_url"]):
        assert host not in url and url.startswith("http://127.0.0.1:") and url.endswith("/")


def test_a_well_formed_host_header_is_used(api: Api) -> None:
    body = api.client.post(
        "/v2/token", json=token_body(api.mid), headers={"Host": "journeystack.test:8443"}
    ).json()
    assert body["rest_instance_url"] == "http://journeystack.test:8443/"


def test_serve_prints_only_the_built_in_default_secret(tmp_path: Path) -> None:
    packages = tmp_path / "packages.json"
    packages.write_text(json.dumps([{"client_id": "ci", "client_secret": "not-for-logs-7f3a", "mids": [5]}]))
    log = tmp_path / "serve.log"
    with running_server(f"sqlite:///{tmp_path / 'a.db'}", env={"JOURNEYSTACK_PACKAGES_FILE": str(packages)},
                        log_path=log):  # fmt: skip
        pass
    printed = log.read_text()
    assert "client_id=ci" in printed and "not-for-logs-7f3a" not in printed
    log2 = tmp_path / "default.log"
    with running_server(f"sqlite:///{tmp_path / 'b.db'}", log_path=log2):
        pass
    assert "client_id=journeystack client_secret=journeystack" in log2.read_text()


def test_serve_prints_the_jwt_signing_secret_only_when_it_generated_it(tmp_path: Path) -> None:
    log = tmp_path / "generated.log"
    with running_server(f"sqlite:///{tmp_path / 'a.db'}", log_path=log):
        pass
    [line] = [line for line in log.read_text().splitlines() if line.startswith("  jwt:")]
    assert line.startswith("  jwt:       signing secret ") and "(generated" in line
    packages = tmp_path / "packages.json"
    packages.write_text(json.dumps([{"client_id": "ci", "client_secret": "s", "mids": [5],
                                     "jwt_signing_secret": "package-jwt-secret-not-for-logs"}]))  # fmt: skip
    for env in ({"JOURNEYSTACK_JWT_SIGNING_SECRET": "server-jwt-secret-not-for-logs"},
                {"JOURNEYSTACK_PACKAGES_FILE": str(packages)}):  # fmt: skip
        configured = tmp_path / "configured.log"
        with running_server(f"sqlite:///{tmp_path / 'b.db'}", env=env, log_path=configured):
            pass
        printed = configured.read_text()
        assert "jwt:" not in printed and "not-for-logs" not in printed
