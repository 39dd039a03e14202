"""The real SFMC clients (mcdev, sfmc-sdk) for the compatibility suite: installing the pinned
versions from npm into a cache, and running them against journeystack.

Nothing here skips: without node or npm, or with an install that fails, the suite fails and says
why. Every client process runs with the update notifier off, a private config directory, no proxy
settings, and tests/compat/guard.cjs preloaded, which refuses connections that would leave this
machine and records every connection made.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PINNED = ("package.json", "package-lock.json")
GUARD = HERE / "guard.cjs"
SDK_SCRIPT = HERE / "sdk_roundtrip.mjs"
MIN_NODE = (20, 19)
TENANT = "mc-journeystack-local-000000"
MID = 1000001
CLIENT_ID = "journeystack"
CLIENT_SECRET = "journeystack"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CompatSetupError(AssertionError):
    """The clients cannot be installed or run here; the message says what is missing."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CompatSetupError(
            f"`{name}` is not on PATH. The compatibility suite needs Node.js >= "
            f"{MIN_NODE[0]}.{MIN_NODE[1]} with npm (e.g. `apt-get install nodejs npm`); it never skips."
        )
    return found


def node_and_npm() -> tuple[str, str]:
    """Paths of node and npm. Raises CompatSetupError when either is missing or node is too old."""
    node, npm = _tool("node"), _tool("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    match = re.match(r"v(\d+)\.(\d+)", version)
    if match is None or (int(match[1]), int(match[2])) < MIN_NODE:
        raise CompatSetupError(f"mcdev 9.0.3 needs Node.js >= {MIN_NODE[0]}.{MIN_NODE[1]}; found {version}.")
    return node, npm


def pinned_digest() -> str:
    digest = hashlib.sha256()
    for name in PINNED:
        digest.update(name.encode() + b"\0" + (HERE / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    configured = os.environ.get("JOURNEYSTACK_COMPAT_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "journeystack"


def _quiet_npm_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update(
        NO_UPDATE_NOTIFIER="1",
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
        npm_config_progress="false",
    )
    return env


@dataclass(frozen=True)
class Clients:
    """An installed set of the pinned clients."""

    root: Path  # holds node_modules/
    node: str
    install_seconds: float  # 0 when the cache was warm

    @property
    def mcdev(self) -> Path:
        return self.root / "node_modules" / "mcdev"

    @property
    def mcdev_cli(self) -> Path:
        return self.mcdev / "lib" / "cli.js"

    @property
    def mcdev_version(self) -> str:
        version: str = json.loads((self.mcdev / "package.json").read_text())["version"]
        return version

    @property
    def sdk_entry(self) -> Path:
        return self.root / "node_modules" / "sfmc-sdk" / "lib" / "index.js"

    @property
    def sdk_version(self) -> str:
        version: str = json.loads((self.root / "node_modules" / "sfmc-sdk" / "package.json").read_text())[
            "version"
        ]
        return version


def install_clients() -> Clients:
    """The pinned clients, installed once per pinned package.json/package-lock.json pair into
    `~/.cache/journeystack/compat-<digest>` ($JOURNEYSTACK_COMPAT_CACHE overrides the parent).

    `npm ci --ignore-scripts` installs exactly the lock; parallel test processes take turns under a
    file lock, and a half-finished install is never taken for a finished one.
    """
    node, npm = node_and_npm()
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"compat-{pinned_digest()}"
    with open(root / f"compat-{pinned_digest()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".installed").exists():
            return Clients(target, node, 0.0)
        started = time.monotonic()
        staging = Path(tempfile.mkdtemp(prefix="compat-staging-", dir=root))
        try:
            for name in PINNED:
                shutil.copyfile(HERE / name, staging / name)
            command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
            result = subprocess.run(
                command, cwd=staging, env=_quiet_npm_env(), capture_output=True, text=True, timeout=900
            )
            if result.returncode != 0:
                raise CompatSetupError(
                    f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            (staging / ".installed").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Clients(target, node, time.monotonic() - started)


def client_env(
    home: Path, connections: Path, *, allowed_hosts: tuple[str, ...] = (), **extra: str
) -> dict[str, str]:
    """The environment of a client process: no proxies, no update checks, a private config
    directory (mcdev keeps its token cache there), plain log lines, and the connection guard."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.lower().startswith("npm_") and k != "NODE_OPTIONS"
    }
    (home / "xdg").mkdir(parents=True, exist_ok=True)
    env.update(
        NO_UPDATE_NOTIFIER="1",
        XDG_CONFIG_HOME=str(home / "xdg"),
        NODE_OPTIONS=f"--require {GUARD}",
        JOURNEYSTACK_COMPAT_CONNECTIONS=str(connections),
        JOURNEYSTACK_COMPAT_ALLOWED_HOSTS=",".join(allowed_hosts),
        FORCE_COLOR="0",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def connections_made(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


@dataclass
class McdevRun:
    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float

    @property
    def problems(self) -> list[str]:
        """Lines mcdev logged as errors (it often exits 0 after one) or with its ☇ marker."""
        return [
            line
            for line in self.output.splitlines()
            if re.search(r"\berror\b", line, re.IGNORECASE) or "☇" in line
        ]

    def describe(self) -> str:
        return f"mcdev {' '.join(self.args)} -> {self.returncode} in {self.seconds:.1f}s:\n{self.output}"


@dataclass
class McdevProject:
    """An mcdev project directory with one credential `local` and business unit `_ParentBU_`."""

    clients: Clients
    directory: Path
    auth_url: str
    env: dict[str, str]
    runs: list[McdevRun] = field(default_factory=list)
    credential: str = "local"
    business_unit: str = "_ParentBU_"

    @classmethod
    def create(cls, clients: Clients, directory: Path, auth_url: str, env: dict[str, str]) -> McdevProject:
        """The project files: mcdev's own fixture `.mcdevrc.json` (shipped in the npm package) with
        our credential and the installed version, and `.mcdev-auth.json` pointing at journeystack."""
        directory.mkdir(parents=True, exist_ok=True)
        config = json.loads((clients.mcdev / "test" / "mockRoot" / ".mcdevrc.json").read_text())
        config["credentials"] = {"local": {"eid": MID, "businessUnits": {"_ParentBU_": MID}}}
        config["version"] = clients.mcdev_version
        config["metaDataTypes"]["retrieve"] = ["journey"]
        (directory / ".mcdevrc.json").write_text(json.dumps(config, indent=4))
        auth = {
            "local": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "auth_url": auth_url,
                "account_id": MID,
            }
        }
        (directory / ".mcdev-auth.json").write_text(json.dumps(auth, indent=4))
        return cls(clients, directory, auth_url, env)

    @property
    def bu(self) -> str:
        return f"{self.credential}/{self.business_unit}"

    def run(self, *args: str, timeout: float = 180) -> McdevRun:
        command = [self.clients.node, str(self.clients.mcdev_cli), *args, "--skipInteraction", "--noLogFile"]
        started = time.monotonic()
        result = subprocess.run(
            command, cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        output = _ANSI.sub("", result.stdout + result.stderr)
        run = McdevRun(tuple(args), result.returncode, output, time.monotonic() - started)
        self.runs.append(run)
        return run

    def run_ok(self, *args: str) -> McdevRun:
        """Run mcdev and insist it neither failed nor logged an error."""
        run = self.run(*args)
        assert run.returncode == 0 and not run.problems, run.describe()
        return run

    def journey_file(self, stage: str, key: str) -> Path:
        return (
            self.directory
            / stage
            / self.credential
            / self.business_unit
            / "journey"
            / f"{key}.journey-meta.json"
        )

    def retrieved(self, key: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.journey_file("retrieve", key).read_text())
        return document

    def stage_for_deploy(self, document: dict[str, Any]) -> None:
        """Put one journey into deploy/ (and nothing else: a deploy sends every file there)."""
        folder = self.journey_file("deploy", "x").parent
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.journey_file("deploy", document["key"]).write_text(json.dumps(document, indent=4))


def run_sdk(clients: Clients, env: dict[str, str], directory: Path) -> dict[str, Any]:
    result = subprocess.run(
        [clients.node, str(SDK_SCRIPT), str(clients.sdk_entry)], cwd=directory, env=env,
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"sfmc-sdk script failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@contextlib.contextmanager
def hosts_entries(names: list[str], hosts: Path = Path("/etc/hosts")) -> Iterator[None]:
    """Map `names` to 127.0.0.1 in the hosts file for the duration, then put the file back exactly
    as it was (content and mode), whatever happens in between."""
    original = hosts.read_bytes()
    mode = hosts.stat().st_mode
    try:
        with open(hosts, "ab") as handle:
            handle.write(b"\n# journeystack compat (temporary)\n")
            handle.write(("".join(f"127.0.0.1 {name}\n" for name in names)).encode())
        yield
    finally:
        hosts.write_bytes(original)
        os.chmod(hosts, mode)
