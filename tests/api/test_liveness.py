"""No request can freeze the server (issue 12, general guard): while each attack the issue found
runs against a real server process, another client polls /_journeystack/health every 100 ms, and
the slowest answer stays under 250 ms (beyond the slowest answer of a quiet second just before,
which is what the machine's other load costs). The server is a separate process so that the
test's own threads do not compete with it for the interpreter lock."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.api.test_bounded_checks import chain
from tests.soap_client import (
    PARTNER,
    create_folder,
    create_folder_body,
    envelope,
    retrieve_body,
    root_journey_folder_id,
    simple_filter,
)
from tests.support import (
    BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    Api,
    create_event,
    journey_body,
    running_server,
    wait_for_operation,
)

WORST_MS = 250


class Poller:
    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert client.get("/_journeystack/health").status_code == 200
                self.latencies.append((time.perf_counter() - started) * 1000)
                self._stop.wait(0.1)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Api, Api]]:
    directory = tmp_path_factory.mktemp("liveness")
    packages = directory / "packages.json"
    packages.write_text(
        json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [1000001, 1000002]}])
    )
    env = {"JOURNEYSTACK_PACKAGES_FILE": str(packages), "JOURNEYSTACK_ACCESS_LOG": "false",
           "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0", "JOURNEYSTACK_WORKER_POLL_SECONDS": "0.02"}  # fmt: skip
    url = f"sqlite:///{directory / 'j.db'}"
    with running_server(url, env=env, log_path=directory / "server.log") as base, \
            httpx.Client(base_url=base, timeout=120) as client:  # fmt: skip
        yield (
            base,
            Api(client=client, mid=1000001, database_url=url).authenticate(),
            Api(client=client, mid=1000002, database_url=url).authenticate(),
        )


def soap_like(api: Api, _other: Api, _attempt: int) -> None:
    create_folder(api, "a" * 100)
    body = retrieve_body("DataFolder", ["ID", "Name"], simple_filter("Name", "like", "%a" * 60 + "%b"))
    api.client.post("/Service.asmx", content=envelope(body, api.token), headers={"Content-Type": "text/xml"})


def publish_loops(api: Api, other: Api, attempt: int) -> None:
    if attempt == 0:
        create_event(api)
    created = api.post(BASE, json={**chain(1000, 250), "key": f"liveness-loops-{attempt}"}).json()
    started = api.post(f"{BASE}/publishAsync/{created['id']}?versionNumber=1", json={}).json()
    deadline = time.monotonic() + 60
    while api.get(started["statusUrl"]).json()["status"].endswith("InProcess"):
        other.authenticate()  # another business unit's token requests (writes) meanwhile
        assert time.monotonic() < deadline
    wait_for_operation(api, started["statusUrl"])


def soap_batches(api: Api, _other: Api, _attempt: int) -> None:
    root = root_journey_folder_id(api)
    one = create_folder_body("x", root)
    objects = one[one.index("<Objects") : one.index("</CreateRequest>")]
    for count, prefix in ((50, "b"), (2000, "c")):
        many = "".join(objects.replace("<Name>x</Name>", f"<Name>{prefix}{n}</Name>") for n in range(count))
        api.client.post("/Service.asmx", content=envelope(f'<CreateRequest xmlns="{PARTNER}">{many}</CreateRequest>', api.token),
                        headers={"Content-Type": "text/xml"})  # fmt: skip
    properties = retrieve_body("DataFolder", ["Name"] * 100_000)
    api.client.post(
        "/Service.asmx", content=envelope(properties, api.token), headers={"Content-Type": "text/xml"}
    )


def big_bodies_and_pages(api: Api, _other: Api, attempt: int) -> None:
    pad = {"metaData": {"notes": "n" * 3_500_000}}
    for n in range(8):
        assert api.post(BASE, json=journey_body(f"heavy{attempt}-{n}", **pad)).status_code == 200
    api.get(f"{BASE}?$pageSize=500&extras=all")
    api.get(f"{BASE}?$pageSize=500")


ATTEMPTS = 3


@pytest.mark.slow
@pytest.mark.parametrize("attack", [soap_like, publish_loops, soap_batches, big_bodies_and_pages])
def test_health_answers_while_an_attack_runs(
    target: tuple[str, Api, Api], attack: Callable[[Api, Api, int], None]
) -> None:
    """The bound is for what the attack does to the server, not for what other processes on the
    same cores do to it: the machine's own noise (the slowest answer of a quiet second) is allowed
    on top, and on a machine loaded by others the attack is tried up to three times, the bound
    holding once. A server the attack really freezes (the issue's 9-24 s) fails every time."""
    base, api, other = target
    tries: list[str] = []
    for attempt in range(ATTEMPTS):
        with Poller(base) as quiet:
            time.sleep(1.0)
        noise = max(quiet.latencies)
        with Poller(base) as poller:
            time.sleep(0.3)
            attack(api, other, attempt)
            time.sleep(0.3)
        assert len(poller.latencies) >= 5
        worst = max(poller.latencies)
        tries.append(f"{len(poller.latencies)} polls, worst {worst:.1f} ms, quiet worst {noise:.1f} ms")
        if worst < WORST_MS + noise:
            break
    print(f"{attack.__name__}: " + "; ".join(tries))  # noqa: T201
    assert worst < WORST_MS + noise, tries
