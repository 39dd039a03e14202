"""The caller every server process runs beside its engine thread: it makes custom activities' calls.

One thread with its own asyncio loop (never the server's). It claims due calls under a lease in a
short transaction, makes them concurrently (at most `concurrentRequests` per activity across all
processes, and at most `max_in_flight` in this process), and records their answers in batches in
another short transaction, for the engine to apply. Database work runs on one helper thread, so the
loop never waits on the database. Lifecycle calls (validate, publish, save, stop) go through the
same loop and client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from journeystack.domain.outbound import OutboundPolicy, OutboundRequest
from journeystack.domain.runtime.calls import CallAnswer
from journeystack.services.calls import CallWork, apply_recorded, claim_calls, record_answers
from journeystack.services.engine import Engine
from journeystack.services.worker import worker_name

from .http import Exchange, HttpClient

log = logging.getLogger("journeystack.calls")
# How often a claim also looks for calls this process did not store (another process's).
LOOK_AROUND_SECONDS = 0.5
T = TypeVar("T")


class _LoopWakeup:
    """What the engine sets when it stored calls: wakes the caller's loop from any thread."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    def set(self) -> None:
        self._caller.wake()


class Caller:
    """Implements services.context.Outbound for this process."""

    def __init__(
        self,
        *,
        policy: OutboundPolicy,
        secrets: Callable[[int], str],
        max_in_flight: int = 200,
        lease_grace_ms: int = 30_000,
        poll_seconds: float = 0.05,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.policy = policy
        self._secrets = secrets
        self.max_in_flight = max_in_flight
        self.lease_grace_ms = lease_grace_ms
        self.poll_seconds = poll_seconds
        self.owner = worker_name()
        self.on_exchange = on_exchange
        self._engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._db = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="journeystack-calls-db")
        self._ready = threading.Event()
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._claiming: asyncio.Lock | None = None
        self._next_look_around = 0.0
        self._in_flight = 0
        self._finished: list[tuple[str, CallAnswer]] = []
        self._tasks: set[asyncio.Future[Any]] = set()
        self._client: HttpClient | None = None

    # --- services.context.Outbound ---------------------------------------------------------------

    def secret_for(self, mid: int) -> str:
        return self._secrets(mid)

    def call_now(self, requests: list[OutboundRequest]) -> list[CallAnswer]:
        if not requests:
            return []
        if self._loop is None or self._stopping:
            return [CallAnswer(refused="journeystack's caller is not running") for _ in requests]
        future = self._submit(self._call_all(requests))
        longest = max(r.timeout_ms * (r.retry_count + 1) + r.retry_delay_ms * r.retry_count for r in requests)
        return future.result(timeout=longest / 1000 + 30)

    def call_later(self, requests: list[OutboundRequest]) -> None:
        if not requests:
            return
        if self._loop is None or self._stopping:
            log.warning("%d lifecycle calls were not made: the caller is not running", len(requests))
            return
        self._submit(self._call_all(requests))

    # --- running -----------------------------------------------------------------------------------

    def start(self, engine: Engine | None) -> None:
        """Start the loop thread; with an engine, also make its execute calls."""
        self._engine = engine
        self._thread = threading.Thread(target=self._run, name="journeystack-calls", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if engine is not None:
            engine.calls_due = _LoopWakeup(self)
            engine.caller_running = True

    def stop(self) -> None:
        self._stopping = True
        loop = self._loop
        if self._engine is not None:
            self._engine.caller_running = False
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._db.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        loop = self._loop
        if loop is None or self._stopping:
            coroutine.close()
            raise RuntimeError("the caller is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    def _run(self) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard] on Linux
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._client = HttpClient(on_exchange=self._exchanged)
        self._wake = asyncio.Event()
        self._claiming = asyncio.Lock()
        if self._engine is not None:
            self._keep(loop.create_task(self._dispatch()))
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            for task in list(self._tasks):
                task.cancel()
            self._client.close()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def _keep(self, future: asyncio.Future[Any]) -> None:
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def _exchanged(self, exchange: Exchange) -> None:
        if self.on_exchange is not None:
            try:
                self.on_exchange(exchange)
            except Exception:  # the journal must never break a call
                log.exception("journaling an outbound call failed")

    async def _call_all(self, requests: list[OutboundRequest]) -> list[CallAnswer]:
        assert self._client is not None
        return list(await asyncio.gather(*(self._client.call(r) for r in requests)))

    async def _in_db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: function(*args, **kwargs))

    # --- execute calls -----------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        """Claim what there is room for, whenever woken (calls stored) or polled (other processes'
        calls, leases that ran out)."""
        assert self._wake is not None
        while not self._stopping:
            room = self.max_in_flight - self._in_flight
            claimed = await self._claim_round()
            if claimed and claimed >= room:
                continue  # full: more may wait; claim again as soon as room frees up
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _claim_round(self) -> int:
        """Claim as many calls as there is room for and start them; returns how many."""
        engine = self._engine
        assert engine is not None and self._claiming is not None
        async with self._claiming:
            room = self.max_in_flight - self._in_flight
            if room <= 0:
                return 0
            # Now and then, look at every activity with calls waiting, not only those this process
            # stored calls for: calls another process stored (and died before making), or this
            # process stored before a restart, are made too.
            now = time.monotonic()
            look_around = now >= self._next_look_around
            if look_around:
                self._next_look_around = now + LOOK_AROUND_SECONDS
            try:
                work = await self._in_db(
                    claim_calls,
                    engine.ctx,
                    engine,
                    owner=self.owner,
                    capacity=room,
                    grace_ms=self.lease_grace_ms,
                    look_around=look_around,
                )
            except Exception:  # the database may be briefly unavailable; poll again
                log.exception("claiming custom-activity calls failed; will retry")
                return 0
            for item in work:
                self._in_flight += 1
                self._keep(asyncio.ensure_future(self._make(item)))
            return len(work)

    async def _make(self, work: CallWork) -> None:
        assert self._client is not None
        try:
            if work.request is None:
                answer = CallAnswer(refused=work.refused or "the call was not made")
            else:
                answer = await self._client.call(work.request)
        except Exception as error:  # a bug must not lose the contact: record it as the answer
            log.exception("custom-activity call %s failed unexpectedly", work.call_id)
            answer = CallAnswer(refused=f"journeystack could not make the call: {error!r}"[:300])
        self._finished.append((work.call_id, answer))
        if len(self._finished) == 1:
            self._keep(asyncio.ensure_future(self._flush()))

    async def _flush(self) -> None:
        """Record the answers finished so far (one short transaction: their places under
        concurrentRequests free up), claim the next calls, then apply the answers (another)."""
        engine = self._engine
        assert engine is not None
        # Let the answers of calls still running join this batch for a moment: one transaction
        # for many answers, rather than one each.
        for _ in range(20):
            if len(self._finished) >= self._in_flight or len(self._finished) >= 100:
                break
            await asyncio.sleep(0.0005)
        answers, self._finished = self._finished, []
        if not answers:
            return
        try:
            await self._in_db(record_answers, engine.ctx, owner=self.owner, answers=answers)
        except Exception:  # their leases run out and the calls are made again
            log.exception("recording %d custom-activity answers failed", len(answers))
        self._in_flight -= len(answers)
        await self._claim_round()  # the next calls go out while these answers are applied
        try:
            await self._in_db(apply_recorded, engine.ctx, engine, [call_id for call_id, _ in answers])
        except Exception:  # the engine thread applies them instead
            log.exception("applying %d custom-activity answers failed", len(answers))
