"""Optimistic concurrency: of many PUTs carrying the same modifiedDate, exactly one wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support import BASE, Api

THREADS = 32


def test_32_concurrent_puts_with_the_same_modified_date_one_wins(api: Api) -> None:
    stored = api.create("contended")
    barrier = threading.Barrier(THREADS)

    def attempt(n: int) -> tuple[int, dict[str, Any], httpx.Response]:
        body = {"key": "contended", "name": f"writer {n}", "version": 1, "workflowApiVersion": 1.0,
                "modifiedDate": stored["modifiedDate"], "description": f"by {n}"}  # fmt: skip
        barrier.wait()
        return n, body, api.put(BASE, json=body)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(attempt, range(THREADS)))

    winners = [(n, body, r) for n, body, r in results if r.status_code == 200]
    losers = [r for _, _, r in results if r.status_code != 200]
    assert len(winners) == 1, [r.status_code for _, _, r in results]
    assert len(losers) == THREADS - 1
    for response in losers:
        assert response.status_code == 400
        assert response.json()["errorcode"] == 30000
    _, body, response = winners[0]
    final = api.get(f"{BASE}/key:contended").json()
    assert final == response.json()
    assert final["name"] == body["name"] and final["description"] == body["description"]
