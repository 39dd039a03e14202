"""Custom activities (REST and RestDecision): their settings, the call one contact's pass makes, and
what its answer means. Pure: the engine stores a Call when a contact reaches the activity, a caller
makes it outside any transaction, and the answer is applied in a new short transaction.

Settings, ranges and defaults are those of SFMC's sample custom activity (engine.md §2.8); a stored
value out of range (save refuses new ones) is brought into range rather than refused at run time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

TIMEOUT_MS: Final = (1_000, 100_000, 60_000)  # low, high, default
RETRY_COUNT: Final = (0, 5, 0)
RETRY_DELAY_MS: Final = (0, 10_000, 1_000)
CONCURRENT_REQUESTS: Final = (1, 50, 1)
LIFECYCLE_STEPS: Final = ("save", "validate", "publish", "stop")
# How much of an answer the engine reads (a longer one is a failed call), and how much of it a
# history row quotes.
MAX_ANSWER_BYTES: Final = 1024 * 1024
EXCERPT_CHARS: Final = 300
# activityInstanceId: derived from the pass and the activity, so a retried or re-made call (after a
# crash) carries the same one as the first.
_CALL_NAMESPACE: Final = uuid.UUID("6a6f7572-6e65-7973-7461-636b2d63616c")

# Call states in engine_calls.
DUE: Final = "due"  # waiting for a caller
CLAIMED: Final = "claimed"  # a caller holds its lease and is making it
DONE: Final = "done"  # answered; the answer waits to be applied


@dataclass(frozen=True, slots=True)
class CallSpec:
    """A REST or RestDecision activity's execute settings, compiled once per version."""

    url: str
    in_arguments: Any
    out_arguments: Any
    headers: Mapping[str, Any]
    timeout_ms: int
    retry_count: int
    retry_delay_ms: int
    concurrency: int
    use_jwt: bool
    # RestDecision: (branchResult, outcome index) in outcome order, and the remainder path (an
    # outcome without arguments.branchResult), if any.
    decision: bool = False
    branches: tuple[tuple[str, int], ...] = ()
    remainder: int | None = None
    # configurationArguments.{save,validate,publish,stop}.url
    lifecycle: Mapping[str, str] = field(default_factory=dict)
    lifecycle_jwt: bool = False

    @property
    def lease_ms(self) -> int:
        """The longest one call can take, retries and their delays included."""
        attempts = self.retry_count + 1
        return attempts * self.timeout_ms + self.retry_count * self.retry_delay_ms


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _bounded(value: Any, limits: tuple[int, int, int]) -> int:
    low, high, default = limits
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return default
    if not isinstance(value, int | float) or value != value:  # NaN
        return default
    return int(min(high, max(low, value)))


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def parse_call(activity: Mapping[str, Any], *, decision: bool) -> CallSpec:
    """The execute settings of a REST or RestDecision activity (the URL may be missing: publish
    refuses that)."""
    arguments = _object(activity.get("arguments"))
    execute = _object(arguments.get("execute"))
    config = _object(activity.get("configurationArguments"))
    url = execute.get("url") or config.get("url") or ""
    headers = execute.get("headers") or execute.get("header") or {}
    branches: list[tuple[str, int]] = []
    remainder: int | None = None
    outcomes = [o for o in activity.get("outcomes") or [] if isinstance(o, Mapping)]
    for index, outcome in enumerate(outcomes):
        value = _object(outcome.get("arguments")).get("branchResult")
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value) != "":
            branches.append((str(value), index))
        elif remainder is None:
            remainder = index
    lifecycle = {
        step: text
        for step in LIFECYCLE_STEPS
        if isinstance(text := _object(config.get(step)).get("url"), str) and text.strip()
    }
    return CallSpec(
        url=url if isinstance(url, str) else "",
        in_arguments=execute.get("inArguments") or [],
        out_arguments=execute.get("outArguments") or [],
        headers=headers if isinstance(headers, Mapping) else {},
        timeout_ms=_bounded(execute.get("timeout"), TIMEOUT_MS),
        retry_count=_bounded(execute.get("retryCount"), RETRY_COUNT),
        retry_delay_ms=_bounded(execute.get("retryDelay"), RETRY_DELAY_MS),
        concurrency=_bounded(execute.get("concurrentRequests"), CONCURRENT_REQUESTS),
        use_jwt=_flag(execute.get("useJwt")),
        decision=decision,
        branches=tuple(branches) if decision else (),
        remainder=remainder if decision else None,
        lifecycle=lifecycle,
        lifecycle_jwt=_flag(config.get("useJwt")) or _flag(execute.get("useJwt")),
    )


def activity_instance_id(instance_id: str, activity_key: str) -> str:
    return str(uuid.uuid5(_CALL_NAMESPACE, f"{instance_id}/{activity_key}"))


@dataclass(frozen=True, slots=True)
class Call:
    """One contact's call to a custom activity's execute URL, as stored for a caller.

    `envelope` is the documented body with the bindings already resolved at the moment the contact
    reached the activity (`due_ms`); `headers` are the activity's extra headers, resolved too."""

    id: str  # the envelope's activityInstanceId
    mid: int
    definition_id: str
    activity_key: str
    instance_id: str
    contact_key: str
    due_ms: int
    envelope: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    note: str | None = None  # e.g. the bindings that did not resolve, for the history row
    state: str = DUE
    lease_owner: str | None = None
    lease_until_ms: int | None = None
    claims: int = 0
    held: bool = False
    answer: CallAnswer | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: the HTTP status (None when no answer came) or why it failed, and how long it took."""

    status: int | None
    error: str | None
    elapsed_ms: int

    def describe(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}"
        return self.error or "no answer"

    @property
    def retryable(self) -> bool:
        """Network errors, time-outs and 5xx are retried (SFMC's sample README); other answers are final."""
        return self.status is None or self.status >= 500


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """What a call came to: its attempts, the last answer's status, parsed JSON body and excerpt.
    `refused`: the call was not made (its URL is not allowed, its version no longer runs...)."""

    attempts: tuple[Attempt, ...] = ()
    body: Any = None
    excerpt: str = ""
    refused: str | None = None

    @property
    def status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None

    @property
    def ok(self) -> bool:
        status = self.status
        return self.refused is None and status is not None and 200 <= status < 300

    def describe(self) -> str:
        """The attempts in one line, e.g. "timed out after 1000 ms; HTTP 500; HTTP 200"."""
        if self.refused is not None:
            return self.refused
        return "; ".join(a.describe() for a in self.attempts)

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "attempts": [[a.status, a.error, a.elapsed_ms] for a in self.attempts],
                "body": self.body,
                "excerpt": self.excerpt,
                "refused": self.refused,
            }
        ).decode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> CallAnswer:
        raw = orjson.loads(text)
        return cls(
            attempts=tuple(Attempt(a[0], a[1], a[2]) for a in raw.get("attempts") or ()),
            body=raw.get("body"),
            excerpt=raw.get("excerpt") or "",
            refused=raw.get("refused"),
        )


def excerpt(body: bytes) -> str:
    """The start of an answer as history quotes it: at most EXCERPT_CHARS characters, one line."""
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def parse_answer_body(body: bytes) -> Any:
    """The answer's JSON, or None when it is not JSON (an empty body, text)."""
    if not body.strip():
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def branch_of(spec: CallSpec, body: Any) -> tuple[int | None, str]:
    """RestDecision: the outcome the answer's branchResult picks, else the remainder path, else None
    (the contact is ejected); and the history message saying which and why."""
    value = body.get("branchResult") if isinstance(body, Mapping) else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        for branch, index in spec.branches:
            if branch == str(value):
                return index, f"branchResult {str(value)!r}"
        why = f"branchResult {str(value)[:100]!r} matches no outcome"
    else:
        why = "the answer carries no branchResult"
    if spec.remainder is not None:
        return spec.remainder, f"{why}: the remainder path"
    return None, why


def out_arguments(body: Any) -> dict[str, Any]:
    """What `{{Interaction.<activityKey>.<field>}}` reads afterwards: every member of an answer that is
    a JSON object (SFMC keeps the ones the activity's schema names; journeystack has no schema)."""
    return dict(body) if isinstance(body, Mapping) else {}
