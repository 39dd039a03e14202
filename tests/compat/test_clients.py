"""The harness itself: it fails loudly without node/npm, and always puts the hosts file back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.clients import CompatSetupError, hosts_entries, node_and_npm


def test_missing_node_fails_loudly_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CompatSetupError, match="`node` is not on PATH.*never skips"):
        node_and_npm()


def test_hosts_file_is_restored_even_when_the_body_fails(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_bytes(b"127.0.0.1 localhost\n")
    hosts.chmod(0o644)
    with pytest.raises(RuntimeError), hosts_entries(["a.example", "b.example"], hosts):
        assert b"127.0.0.1 a.example\n" in hosts.read_bytes()
        raise RuntimeError("boom")
    assert hosts.read_bytes() == b"127.0.0.1 localhost\n"
    assert hosts.stat().st_mode & 0o777 == 0o644
