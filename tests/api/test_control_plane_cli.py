"""`journeystack admin ...` over HTTP and on the database, and what `serve` does for the control plane."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.cli import _parser
from journeystack.config import load_settings
from tests.control_plane import (
    ADMIN_TOKEN,
    PREFIX,
    ControlCase,
    make_case,
    packages_json,
    run_cli,
    server_env,
)
from tests.support import BASE, app_in_thread, free_port, running_server


def _json(text: str) -> Any:
    return json.loads(text)


def _listing(case: ControlCase) -> bytes:
    response = case.api.get(f"{BASE}?mostRecentVersionOnly=false&$orderBy=Name")
    assert response.status_code == 200
    return response.content


@pytest.fixture(autouse=True)
def _no_admin_token_in_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JOURNEYSTACK_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .journeystack/admin-token of a real `make serve` is found


def test_health_ready_and_info(cp: ControlCase) -> None:
    status, out, _ = cp.cli("health")
    assert status == 0 and _json(out) == {"status": "ok", "version": "0.1.0"}
    status, out, _ = cp.cli("ready")
    assert status == 0 and _json(out) == {"status": "ready"}
    status, out, _ = cp.cli("info")
    assert status == 0 and _json(out)["packages"][0]["clientId"] == "journeystack"


def test_a_refusal_is_printed_on_stderr_with_exit_status_1(cp: ControlCase) -> None:
    status, out, err = cp.cli("info", admin_token=None)
    assert status == 1 and out == ""
    assert _json(err)["errorcode"] == 90001
    status, _, err = cp.cli("info", admin_token="wrong")
    assert status == 1 and _json(err)["errorcode"] == 90001


def test_the_admin_token_may_come_from_the_environment(
    cp: ControlCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYSTACK_ADMIN_TOKEN", ADMIN_TOKEN)
    status, _, _ = cp.cli("info", admin_token=None)
    assert status == 0


def test_an_unreachable_server_is_exit_status_1() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    status, _, err = run_cli("admin", "health", "--url", url)
    assert status == 1 and err.startswith(f"journeystack admin: cannot reach the server at {url}: ")


def test_an_unreachable_server_names_the_default_url_it_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("JOURNEYSTACK_PORT", str(port))
    status, _, err = run_cli("admin", "info")
    assert status == 1
    assert err.startswith(f"journeystack admin: cannot reach the server at http://127.0.0.1:{port}: ")
    assert "--url" in err


def test_without_an_admin_token_the_refusal_names_both_ways_to_give_one(cp: ControlCase) -> None:
    status, _, err = cp.cli("info", admin_token=None)
    assert status == 1 and _json(err)["errorcode"] == 90001
    assert _json(err)["hint"] == (
        "no admin token was given: pass --admin-token TOKEN or set "
        "JOURNEYSTACK_ADMIN_TOKEN (serve prints its token, and keeps a generated one in "
        ".journeystack/admin-token, which admin reads from the current directory)"
    )


def test_a_wrong_admin_token_is_named_as_wrong(cp: ControlCase) -> None:
    status, _, err = cp.cli("info", admin_token="wrong")
    assert status == 1 and _json(err)["errorcode"] == 90001
    assert _json(err)["hint"] == (
        "the server refused the admin token given (--admin-token, "
        "JOURNEYSTACK_ADMIN_TOKEN or .journeystack/admin-token)"
    )


def test_the_admin_token_kept_by_serve_is_read_from_the_current_directory(
    cp: ControlCase, tmp_path: Path
) -> None:
    (tmp_path / ".journeystack").mkdir()
    (tmp_path / ".journeystack" / "admin-token").write_text(ADMIN_TOKEN + "\n")
    status, out, _ = cp.cli("info", admin_token=None)
    assert status == 0 and _json(out)["name"] == "journeystack"


def test_reset_over_http_and_on_the_database(cp: ControlCase) -> None:
    cp.api.create("a")
    cp.other.create("b")
    status, out, _ = cp.cli("reset", "--mid", str(cp.api.mid))
    assert status == 0 and _json(out)["deleted"]["journeys"] == 1
    assert cp.api.get(BASE).json()["count"] == 0 and cp.other.get(BASE).json()["count"] == 1
    status, out, _ = run_cli("admin", "reset", "--database-url", cp.database_url)
    assert status == 0 and _json(out) == {
        "scope": {"mid": None}, "deleted": _json(out)["deleted"], "kept": ["tokens"]
    }  # fmt: skip
    assert _json(out)["deleted"]["journeys"] == 1
    assert cp.other.get(BASE).json()["count"] == 0


def test_reset_with_tokens_over_http(cp: ControlCase) -> None:
    status, out, _ = cp.cli("reset", "--tokens")
    assert status == 0 and "tokens" in _json(out)["deleted"]
    assert cp.api.get(BASE).status_code == 401


def test_export_reset_import_round_trip_over_http_and_on_the_database(
    cp: ControlCase, tmp_path: Path
) -> None:
    cp.api.create("one", description="first")
    cp.api.create("two")
    cp.other.create("three")
    before, other_before = _listing(cp), cp.other.get(BASE).content
    over_http, direct = tmp_path / "http.json", tmp_path / "direct.json"
    status, out, _ = cp.cli("export", "-o", str(over_http))
    assert status == 0 and _json(out) == {"written": str(over_http), "tables": _json(out)["tables"]}
    assert _json(out)["tables"]["journeys"] == 3
    assert run_cli("admin", "export", "--database-url", cp.database_url, "-o", str(direct))[0] == 0
    assert over_http.read_bytes() == direct.read_bytes()
    status, out, _ = cp.cli("export")  # to stdout
    assert status == 0 and _json(out) == json.loads(over_http.read_text())

    assert cp.cli("reset")[0] == 0
    status, out, _ = cp.cli("import", str(over_http))
    assert status == 0 and _json(out)["inserted"]["journeys"] == 3
    assert _listing(cp) == before and cp.other.get(BASE).content == other_before

    assert run_cli("admin", "reset", "--database-url", cp.database_url)[0] == 0
    status, out, _ = run_cli("admin", "import", str(direct), "--database-url", cp.database_url)
    assert status == 0 and _json(out)["inserted"]["journeys"] == 3
    assert _listing(cp) == before and cp.other.get(BASE).content == other_before


def test_export_and_import_of_one_business_unit(cp: ControlCase, tmp_path: Path) -> None:
    cp.api.create("mine")
    cp.other.create("theirs")
    before = _listing(cp)
    path = tmp_path / "mine.json"
    assert cp.cli("export", "--mid", str(cp.api.mid), "-o", str(path))[0] == 0
    assert json.loads(path.read_text())["scope"] == {"mid": cp.api.mid}
    assert cp.cli("reset", "--mid", str(cp.api.mid))[0] == 0
    status, out, _ = cp.cli("import", str(path), "--mid", str(cp.api.mid))
    assert status == 0 and _json(out)["scope"] == {"mid": cp.api.mid}
    assert _listing(cp) == before and cp.other.get(BASE).json()["count"] == 1


@pytest.mark.parametrize("direct", [False, True])
def test_a_bad_file_is_refused_and_nothing_changes(cp: ControlCase, tmp_path: Path, direct: bool) -> None:
    cp.api.create("kept")
    before = cp.admin.get("/snapshot").content
    target = ["--database-url", cp.database_url] if direct else []
    bad_json, bad_version = tmp_path / "bad.json", tmp_path / "v2.json"
    bad_json.write_text("{not json")
    document = json.loads(before)
    document["format_version"] = 2
    bad_version.write_text(json.dumps(document))
    status, _, err = (
        run_cli("admin", "import", str(bad_version), *target)
        if direct
        else cp.cli("import", str(bad_version))
    )
    assert status == 1 and _json(err)["errorcode"] == 90002
    assert "format_version 2 is not supported" in _json(err)["message"]
    status, _, err = (
        run_cli("admin", "import", str(bad_json), *target) if direct else cp.cli("import", str(bad_json))
    )
    assert status == 1 and "JSON" in _json(err)["message"]
    missing = tmp_path / "missing.json"
    if direct:
        status, _, err = run_cli("admin", "import", str(missing), *target)
        assert status == 1 and "Cannot read" in _json(err)["message"]
    assert cp.admin.get("/snapshot").content == before


def test_journal_show_and_clear(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    cp.api.get(f"{BASE}/key:missing")
    cp.api.get(BASE)
    status, out, _ = cp.cli("journal", "show", "--path", "key:", "--status", "4xx", "--limit", "5")
    assert status == 0
    shown = _json(out)
    assert shown["count"] == 1 and shown["entries"][0]["status"] == 404
    assert _json(cp.cli("journal", "show", "--mid", str(cp.api.mid))[1])["count"] == 2
    status, out, _ = cp.cli("journal", "clear")
    assert status == 0 and _json(out) == {"deleted": 2}


def test_journal_without_a_command_shows_and_takes_url_either_side(cp: ControlCase) -> None:
    cp.admin.ok("DELETE", "/journal")
    cp.api.get(BASE)
    token = ["--admin-token", ADMIN_TOKEN]
    for argv in (
        ["journal", "--url", cp.base_url, *token],
        ["journal", "show", "--url", cp.base_url, *token],
        ["journal", "--url", cp.base_url, *token, "show"],
        ["journal", "--url", cp.base_url, *token, "--path", "interactions"],
    ):
        status, out, err = run_cli("admin", *argv)
        assert status == 0, (argv, err)
        assert _json(out)["count"] == 1, argv


def test_faults_add_list_show_clear(cp: ControlCase) -> None:
    status, out, _ = cp.cli("faults", "add", "--status", "429", "--times", "1", "--path", "/interaction/*",
                            "--method", "GET", "--mid", str(cp.api.mid), "--retry-after", "1")  # fmt: skip
    assert status == 0
    rule = _json(out)
    assert (rule["status"], rule["times"], rule["mid"], rule["retryAfter"]) == (429, 1, cp.api.mid, 1)
    assert cp.api.get(BASE).status_code == 429 and cp.api.get(BASE).status_code == 200
    status, out, _ = cp.cli("faults", "list")
    assert status == 0 and [r["id"] for r in _json(out)["rules"]] == [rule["id"]]
    status, out, _ = cp.cli("faults", "show", rule["id"])
    assert status == 0 and (_json(out)["matched"], _json(out)["fired"]) == (2, 1)
    assert cp.cli("faults", "add", "--latency-ms", "1")[0] == 0
    assert _json(cp.cli("faults", "clear", rule["id"])[1]) == {"deleted": 1}
    assert cp.cli("faults", "show", rule["id"])[0] == 1
    assert _json(cp.cli("faults", "clear")[1]) == {"deleted": 1}
    status, _, err = cp.cli("faults", "add", "--status", "200")
    assert status == 1 and _json(err)["errorcode"] == 90005


def test_nth_and_times_cannot_be_combined_on_the_command_line() -> None:
    status, _, err = run_cli("admin", "faults", "add", "--status", "500", "--nth", "1", "--times", "1")
    assert status == 2 and "not allowed with argument" in err


def test_help_tells_which_commands_use_http_and_which_the_database() -> None:
    status, out, _ = run_cli("admin", "--help")
    assert status == 0
    assert "[HTTP] liveness" in out and "[HTTP or --database-url] delete the whole state" in out
    assert "--admin-token" in out and "JOURNEYSTACK_ADMIN_TOKEN" in out
    status, out, _ = run_cli("admin", "import", "--help")
    assert status == 0 and "--database-url" in out and "--url" in out
    assert "--seed SEED_FILE" in run_cli("serve", "--help")[1]


def test_admin_runs_as_a_command(control_server: tuple[str, str]) -> None:
    base_url, _ = control_server
    done = subprocess.run(
        [sys.executable, "-m", "journeystack", "admin", "info", "--url", base_url, "--admin-token", ADMIN_TOKEN],
        capture_output=True, text=True, timeout=60, env={**os.environ, "JOURNEYSTACK_ACCESS_LOG": "false"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _json(done.stdout)["version"] == "0.1.0"


# --- serve ------------------------------------------------------------------------------------------


def test_serve_prints_a_generated_admin_token_that_opens_the_control_plane(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    del env["JOURNEYSTACK_ADMIN_TOKEN"]
    log = tmp_path / "server.log"
    with running_server(f"sqlite:///{tmp_path / 'j.db'}", env=env, log_path=log) as base_url:
        printed = log.read_text()
        found = re.search(r"control: +(\S+)  admin token: (\S+)  \(generated", printed)
        assert found, printed
        assert found.group(1) == f"{base_url}{PREFIX}/"
        token = found.group(2)
        assert len(token) >= 24
        answer = httpx.get(base_url + PREFIX + "/info", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        assert token not in answer.text
        assert httpx.get(base_url + PREFIX + "/info").status_code == 401


def test_serve_keeps_its_generated_admin_token_across_restarts(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    del env["JOURNEYSTACK_ADMIN_TOKEN"]
    url = f"sqlite:///{tmp_path / 'j.db'}"
    kept = tmp_path / ".journeystack" / "admin-token"
    printed = []
    for run in ("first", "second"):
        log = tmp_path / f"{run}.log"
        with running_server(url, env=env, log_path=log, cwd=tmp_path) as base_url:
            found = re.search(r"admin token: (\S+)  \((generated|kept)", log.read_text())
            assert found, log.read_text()
            printed.append((found.group(1), found.group(2)))
            headers = {"Authorization": f"Bearer {found.group(1)}"}
            assert httpx.get(base_url + PREFIX + "/info", headers=headers).status_code == 200
    assert printed[0][0] == printed[1][0] and [how for _, how in printed] == ["generated", "kept"]
    assert kept.read_text().strip() == printed[0][0]
    assert kept.stat().st_mode & 0o777 == 0o600


def test_serve_with_a_configured_token_does_not_keep_one(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server(
        f"sqlite:///{tmp_path / 'j.db'}", env=server_env(tmp_path), log_path=log, cwd=tmp_path
    ):
        pass
    assert not (tmp_path / ".journeystack" / "admin-token").exists()


def test_serve_with_a_configured_token_does_not_print_it(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with running_server(f"sqlite:///{tmp_path / 'j.db'}", env=server_env(tmp_path), log_path=log):
        printed = log.read_text()
    assert "admin token: from JOURNEYSTACK_ADMIN_TOKEN" in printed and ADMIN_TOKEN not in printed


def test_serve_seed_starts_from_a_snapshot(tmp_path: Path) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    settings = load_settings(database_url=source_url, access_log=False, packages=packages_json(),
                             admin_token=ADMIN_TOKEN)  # fmt: skip
    seed = tmp_path / "seed.json"
    with app_in_thread(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        source = make_case("inprocess", client, base_url, source_url)
        source.api.create("seeded-1", description="from the seed")
        source.api.create("seeded-2")
        source.other.create("seeded-3")
        expected = [
            _listing(source),
            source.api.get(f"{BASE}/key:seeded-1").content,
            source.other.get(BASE).content,
        ]
        assert source.cli("export", "-o", str(seed))[0] == 0

    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    # The target already holds state of its own: the seed replaces it.
    assert run_cli("db", "upgrade", "--database-url", target_url)[0] == 0
    log = tmp_path / "server.log"
    env = server_env(tmp_path, JOURNEYSTACK_SEED_FILE=str(seed))
    with (
        running_server(target_url, env=env, log_path=log) as base_url,
        httpx.Client(base_url=base_url) as client,
    ):
        target = make_case("server", client, base_url, target_url)
        seen = [
            _listing(target),
            target.api.get(f"{BASE}/key:seeded-1").content,
            target.other.get(BASE).content,
        ]
        assert seen == expected
        assert "seed:      " in log.read_text() and "journeys 3" in log.read_text()
        target.api.create("after-start")
    # Every start begins from the seed again.
    with running_server(target_url, env=env) as base_url, httpx.Client(base_url=base_url) as client:
        target = make_case("server", client, base_url, target_url)
        assert _listing(target) == expected[0]


def test_the_seed_flag_sets_the_seed_file() -> None:
    args = _parser().parse_args(["serve", "--seed", "state.json"])
    assert args.seed_file == "state.json"


def test_serve_refuses_a_bad_seed_and_does_not_start(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"format": "journeystack-snapshot", "format_version": 1, "scope": {"mid": None},
                                "tables": {"journeys": [{"key": "no-other-column"}]}}))  # fmt: skip
    command = [sys.executable, "-m", "journeystack", "serve", "--port", str(free_port()),
               "--database-url", f"sqlite:///{tmp_path / 'j.db'}", "--seed", str(seed)]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, **server_env(tmp_path)}
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert (
        f"journeystack: seed {seed} refused: The snapshot was refused, nothing was changed: " in done.stderr
    )
    assert "tables.journeys[0].mid is required" in done.stderr
