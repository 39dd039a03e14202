"""The pytest plugin (journeystack.testing), as a user's test suite sees it: each suite below runs in
a pytest session of its own (pytester), with nothing but the plugin and the client."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from journeystack.testing import serve_in_thread

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -p no:cacheprovider --strict-markers
filterwarnings = error
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(source)
    return pytester.runpytest_inprocess(*args)


def test_each_test_gets_an_emptied_server_with_everything_it_needs(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx
        import pytest


        def test_first_leaves_a_mess(journeystack):
            assert journeystack.url.startswith("http://127.0.0.1:")
            assert (journeystack.client_id, journeystack.client_secret) == ("journeystack", "journeystack")
            assert (journeystack.mid, journeystack.other_mid) == (1000001, 1000002)
            body = {"key": "mess", "name": "Mess", "workflowApiVersion": 1.0}
            answer = httpx.post(journeystack.url + "/interaction/v1/interactions", json=body, headers=journeystack.headers)
            assert answer.status_code == 200
            journeystack.faults.add(path="/interaction/v1/interactions*", status=503)
            journeystack.clock.advance("3d")
            journeystack.contacts.set("ada", {"Crm": {"Tier": "gold"}})
            assert journeystack.contacts.get("ada") == {"Crm": {"Tier": "gold"}}


        def test_second_finds_it_clean(journeystack, journeystack_client):
            assert list(journeystack_client.journeys.list()) == []
            assert journeystack.faults.list() == []
            assert journeystack.clock.now().year < 2100 and not journeystack.http.get(
                "/_journeystack/clock", headers={"Authorization": "Bearer " + journeystack.admin_token}
            ).json()["frozen"]
            assert journeystack.contacts.get("ada") == {}
            # newest first: the list above, and the token journeystack_client fetched for it
            assert [e["path"] for e in journeystack.journal] == ["/interaction/v1/interactions", "/v2/token"]


        def test_snapshot_and_seed(journeystack, journeystack_client, tmp_path):
            journeystack_client.journeys.create({"key": "kept", "name": "Kept", "workflowApiVersion": 1})
            snapshot = journeystack.snapshot()
            journeystack.reset()
            assert list(journeystack_client.journeys.list()) == []
            journeystack.seed(snapshot)
            assert [j.key for j in journeystack_client.journeys.list()] == ["kept"]
            (tmp_path / "seed.json").write_text(__import__("json").dumps(snapshot))
            journeystack.reset()
            journeystack.seed(tmp_path / "seed.json")
            assert [j.key for j in journeystack_client.journeys.list()] == ["kept"]


        @pytest.mark.journeystack(mid=1000002)
        def test_second_business_unit(journeystack, journeystack_client):
            assert journeystack.mid == 1000002
            journeystack_client.journeys.create({"key": "bu2", "name": "BU 2", "workflowApiVersion": 1})
            assert [j.key for j in journeystack.client(mid=1000001).journeys.list()] == []


        @pytest.mark.journeystack(strict_scopes=True)
        def test_strict_scopes(journeystack):
            assert journeystack.strict_scopes
            from journeystack.client import PermissionDeniedError
            with pytest.raises(PermissionDeniedError):
                journeystack.client(scope="journeys_read").journeys.create({"key": "k", "name": "K", "workflowApiVersion": 1})
        """,
    )
    result.assert_outcomes(passed=5)


def test_misused_markers_fail_with_a_reason(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.journeystack(mid=42)
        def test_unknown_mid(journeystack):
            pass

        @pytest.mark.journeystack(business_unit=2)
        def test_unknown_option(journeystack):
            pass
        """,
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.journeystack(mid=42): the server's package acts for [[]1000001, 1000002[]]*",
            "*@pytest.mark.journeystack takes mid= and strict_scopes= only, not [[]'business_unit'[]]*",
        ]
    )


def test_settings_of_the_in_thread_server_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def journeystack_settings():
            return {"token_lifetime_seconds": 600}
        """
    )
    result = run(
        pytester,
        """
        def test_lifetime(journeystack):
            assert journeystack.client().access_token().expires_in == 600 - 121
        """,
    )
    result.assert_outcomes(passed=1)


def test_the_fixture_can_use_a_running_server(pytester: pytest.Pytester, tmp_path: Path) -> None:
    with serve_in_thread(tmp_path) as server:
        source = f"""
            import pytest

            def test_uses_it(journeystack, journeystack_client):
                assert journeystack.url == "{server.url}"
                journeystack_client.journeys.create({{"key": "made-inside", "name": "Inside", "workflowApiVersion": 1}})

            @pytest.mark.journeystack(strict_scopes=True)
            def test_needs_strict_scopes(journeystack):
                pass
        """
        result = run(pytester, source, f"--journeystack-url={server.url}",
                     f"--journeystack-admin-token={server.admin_token}")  # fmt: skip
        result.assert_outcomes(passed=1, errors=1)
        result.stdout.fnmatch_lines(
            ["*this test needs strict scopes, and the journeystack at * does not enforce them*"]
        )
        token = httpx.post(server.url + "/v2/token", json={"grant_type": "client_credentials",
                           "client_id": "journeystack", "client_secret": "journeystack"}).json()["access_token"]  # fmt: skip
        listed = httpx.get(
            server.url + "/interaction/v1/interactions", headers={"Authorization": f"Bearer {token}"}
        )
        assert [item["key"] for item in listed.json()["items"]] == ["made-inside"]

        pytester.makepyfile("def test_x(journeystack):\n    pass\n")
        missing = pytester.runpytest_inprocess(f"--journeystack-url={server.url}")
        assert missing.ret == pytest.ExitCode.USAGE_ERROR
        missing.stderr.fnmatch_lines(["*--journeystack-url needs --journeystack-admin-token*"])


def test_a_refused_control_plane_call_says_why(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from journeystack.testing import ControlPlaneError

        def test_bad_fault(journeystack):
            with pytest.raises(ControlPlaneError, match="POST /_journeystack/faults answered 400"):
                journeystack.faults.add(status=200)
        """,
    )
    result.assert_outcomes(passed=1)
