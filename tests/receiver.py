"""A custom-activity server for the tests: a small Starlette app on loopback, as a team would write
one. It verifies every JWT with the package's secret (PyJWT, not journeystack's own code), records
every call it gets, measures how many are in flight at once, and answers as each contact's
`behaviour` in-argument asks: at once, slowly, with a 500 (always, or on the first attempt only), a
400, or a branchResult."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.control_plane import JWT_SECRET
from tests.support import app_in_thread


@dataclass
class Received:
    path: str
    content_type: str
    claims: dict[str, Any]


@dataclass
class Receiver:
    """What the server saw; `url` is its base URL once running."""

    secret: str = JWT_SECRET
    url: str = ""
    calls: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # bodies whose JWT did not verify (claims {})
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)  # activityInstanceId -> calls
    failing: set[str] = field(default_factory=set)  # lifecycle paths answering 500
    delay: float = 0.0  # seconds every execute call takes before it answers
    gate: threading.Event = field(default_factory=threading.Event)  # "gated" calls answer once it is set
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, path: str) -> list[Received]:
        with self.lock:
            return [c for c in self.calls if c.path == path]

    def inputs(self, claims: dict[str, Any]) -> dict[str, Any]:
        """The in-arguments merged into one object (they come as an array of one-key objects)."""
        merged: dict[str, Any] = {}
        for item in claims.get("inArguments") or []:
            merged.update(item)
        return merged


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def receiver_app(receiver: Receiver) -> Starlette:
    async def decode(request: Request) -> dict[str, Any] | None:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/jwt"):
            try:
                claims: dict[str, Any] = jwt.decode(body.decode(), receiver.secret, algorithms=["HS256"])
            except jwt.PyJWTError as error:
                with receiver.lock:
                    receiver.rejected.append(f"{request.url.path}: {error}")
                    receiver.calls.append(Received(request.url.path, content_type, {}))
                return None
        else:
            claims = orjson.loads(body)
        with receiver.lock:
            receiver.calls.append(Received(request.url.path, content_type, claims))
        return claims

    async def execute(request: Request) -> Response:
        path = request.url.path
        receiver.in_flight[path] += 1
        receiver.max_in_flight[path] = max(receiver.max_in_flight[path], receiver.in_flight[path])
        try:
            claims = await decode(request)
            if claims is None:
                return Response(b'{"error": "bad signature"}', 401, media_type="application/json")
            inputs = receiver.inputs(claims)
            call_id = claims["activityInstanceId"]
            with receiver.lock:
                receiver.attempts[call_id] += 1
                attempt = receiver.attempts[call_id]
            behaviour = str(inputs.get("behaviour") or "ok")
            if receiver.delay:
                await asyncio.sleep(receiver.delay)
            if behaviour == "slow":
                # Never answers: the engine's timeout ends the call (it closes the connection), and
                # from then on the call no longer counts as in flight here.
                await _disconnected(request)
                return Response(b"", 499)
            if behaviour == "fail" or (behaviour == "flaky" and attempt == 1):
                return Response(b'{"error": "the CRM is down"}', 500, media_type="application/json")
            if behaviour == "gated":
                while not receiver.gate.is_set():
                    await asyncio.sleep(0.01)
            if behaviour == "moved":
                return Response(b"", 302, headers={"location": "https://example.com/elsewhere"})
            if behaviour == "refuse":
                return Response(b'{"error": "unknown contact"}', 400, media_type="application/json")
            if path.endswith("/split"):
                return Response(
                    orjson.dumps({"branchResult": inputs.get("code")}), media_type="application/json"
                )
            code = {"gold": "G", "silver": "S"}.get(str(inputs.get("plan")), "X")
            answer = {"discountCode": f"{code}-{inputs.get('contactKey')}", "tier": inputs.get("plan")}
            return Response(orjson.dumps(answer), media_type="application/json")
        finally:
            receiver.in_flight[path] -= 1

    async def lifecycle(request: Request) -> Response:
        await decode(request)
        if request.url.path in receiver.failing:
            return Response(b'{"error": "not ready"}', 500, media_type="application/json")
        return Response(b"{}", media_type="application/json")

    async def dispatch(request: Request) -> Response:
        """A path ending in save, validate, publish or stop is a lifecycle call; any other, execute."""
        last = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        handler = lifecycle if last in ("save", "validate", "publish", "stop") else execute
        return await handler(request)

    return Starlette(routes=[Route("/{path:path}", dispatch, methods=["POST"])])


@contextlib.contextmanager
def running_receiver(secret: str = JWT_SECRET) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    with app_in_thread(receiver_app(receiver)) as url:
        receiver.url = url
        try:
            yield receiver
        finally:
            receiver.gate.set()  # no call is left waiting on a test that failed


def by_contact(receiver: Receiver, path: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in receiver.of(path):
        found[call.claims["keyValue"]].append(call.claims)
    return found
