"""Fault rules: which SFMC calls the control plane fails or slows down, and when.

A rule matches a call by HTTP method, path and business unit. Paths are matched as globs with
`fnmatch` rules, case-insensitively, against the percent-decoded path without its query string:
`*` matches any run of characters, `/` included (`/interaction/v1/interactions*` matches every
journey route), `?` one character, `[...]` one of a set.

Of the calls a rule matches it fires on: the `nth` only, or the first `times`, or all of them; and
then, with `probability` < 1, on a random share of those, drawn from the rule's own generator
(seeded by `seed` for repeatable tests).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fnmatch import fnmatchcase
from http import HTTPStatus
from urllib.parse import unquote

from journeystack.errors import (
    InjectedFault,
    InvalidFaultRule,
    Problem,
    RateLimitExceeded,
    ServiceUnavailable,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Statuses SFMC answers with a Retry-After header; the rule's retry_after defaults to this many seconds.
RETRY_STATUSES = (429, 503)
DEFAULT_RETRY_AFTER = 1
MAX_LATENCY_MS = 60_000
MAX_RETRY_AFTER = 3600

_VALUE = 10005


@dataclass(frozen=True, slots=True)
class FaultRule:
    """What to match and what to do; build one with `new_rule`, which checks it."""

    id: str
    path: str = "*"
    method: str | None = None
    mid: int | None = None
    probability: float = 1.0
    seed: int | None = None
    nth: int | None = None
    times: int | None = None
    # The answer given in the route's place (None: the route answers, after any latency).
    status: int | None = None
    retry_after: int | None = None
    message: str | None = None
    errorcode: int | None = None
    latency_ms: int = 0

    def matches(self, method: str, path: str, mid: int | None) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if self.mid is not None and self.mid != mid:
            return False
        return fnmatchcase(normalise_path(path), self.path.lower())


def normalise_path(path: str) -> str:
    """The form paths are matched in: no query string, percent-decoded, lower case."""
    return unquote(path.split("?", 1)[0]).lower()


def new_rule(
    rule_id: str,
    *,
    path: str = "*",
    method: str | None = None,
    mid: int | None = None,
    probability: float = 1.0,
    seed: int | None = None,
    nth: int | None = None,
    times: int | None = None,
    status: int | None = None,
    retry_after: int | None = None,
    message: str | None = None,
    errorcode: int | None = None,
    latency_ms: int = 0,
) -> FaultRule:
    """A checked rule. Raises InvalidFaultRule naming every problem."""
    problems: list[Problem] = []

    def refuse(message: str, where: str) -> None:
        problems.append(Problem(message, _VALUE, where))

    if not path or not (path.startswith("/") or path.startswith("*")):
        refuse("path must be a glob pattern starting with / or *.", "path")
    if method is not None and method.upper() not in (*METHODS, "*"):
        refuse(f"method must be one of {', '.join(METHODS)} (or omitted for any).", "method")
    if not 0.0 <= probability <= 1.0:
        refuse("probability must be between 0 and 1.", "probability")
    if nth is not None and times is not None:
        refuse("Give nth (fail only the Nth matching call) or times (the first N), not both.", "nth")
    if nth is not None and nth < 1:
        refuse("nth must be 1 or more.", "nth")
    if times is not None and times < 1:
        refuse("times must be 1 or more.", "times")
    if status is not None and not 400 <= status <= 599:
        refuse("status must be an error status, 400 to 599.", "status")
    if not 0 <= latency_ms <= MAX_LATENCY_MS:
        refuse(f"latencyMs must be between 0 and {MAX_LATENCY_MS}.", "latencyMs")
    if status is None and latency_ms == 0:
        refuse("A rule needs an action: a status to answer with, or latencyMs to add.", "status")
    if retry_after is not None and not 0 <= retry_after <= MAX_RETRY_AFTER:
        refuse(f"retryAfter must be between 0 and {MAX_RETRY_AFTER} seconds.", "retryAfter")
    if retry_after is not None and status is None:
        refuse("retryAfter needs a status to answer with.", "retryAfter")
    if (message is not None or errorcode is not None) and status is None:
        refuse("message and errorcode need a status to answer with.", "message")
    if problems:
        raise InvalidFaultRule(problems)
    if retry_after is None and status in RETRY_STATUSES:
        retry_after = DEFAULT_RETRY_AFTER
    return FaultRule(
        id=rule_id,
        path=path,
        method=None if method in (None, "*") else method.upper(),
        mid=mid,
        probability=probability,
        seed=seed,
        nth=nth,
        times=times,
        status=status,
        retry_after=retry_after,
        message=message,
        errorcode=errorcode,
        latency_ms=latency_ms,
    )


@dataclass(slots=True)
class FaultCounter:
    """How often a rule matched and fired, and its random generator."""

    rng: random.Random
    matched: int = 0
    fired: int = 0


def counter_for(rule: FaultRule) -> FaultCounter:
    return FaultCounter(rng=random.Random(rule.seed))


def fires(rule: FaultRule, counter: FaultCounter) -> bool:
    """Count one matching call and decide whether the rule fires on it."""
    counter.matched += 1
    if rule.nth is not None and counter.matched != rule.nth:
        return False
    if rule.times is not None and counter.matched > rule.times:
        return False
    if rule.probability < 1.0 and counter.rng.random() >= rule.probability:
        return False
    counter.fired += 1
    return True


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What the rules decided for one call: which fired, the latency to add, the answer (if any)."""

    rule_ids: tuple[str, ...] = ()
    latency_ms: int = 0
    answer: FaultRule | None = None

    @property
    def marker(self) -> str:
        return ",".join(self.rule_ids)


def decide(
    rules: list[tuple[FaultRule, FaultCounter]], method: str, path: str, mid: int | None
) -> FaultDecision | None:
    """Evaluate rules in the order they were added. Every matching rule counts the call; the
    latencies of the rules that fire add up; the first rule that fires with a status answers, and
    rules after it do not see the call. None when no rule fires."""
    fired: list[FaultRule] = []
    for rule, counter in rules:
        if not rule.matches(method, path, mid) or not fires(rule, counter):
            continue
        fired.append(rule)
        if rule.status is not None:
            break
    if not fired:
        return None
    answer = fired[-1] if fired[-1].status is not None else None
    return FaultDecision(
        rule_ids=tuple(rule.id for rule in fired),
        latency_ms=sum(rule.latency_ms for rule in fired),
        answer=answer,
    )


def answer_error(rule: FaultRule, rule_ids: str) -> InjectedFault:
    """The error a firing rule with a status answers with; SFMC's own envelope for 429, 500 and 503."""
    status = rule.status or 500
    retry_after = rule.retry_after
    if status == 429:
        return RateLimitExceeded(rule_ids, message=rule.message, code=rule.errorcode, retry_after=retry_after)
    if status == 503:
        return ServiceUnavailable(
            rule_ids, message=rule.message, code=rule.errorcode, retry_after=retry_after
        )
    message = rule.message or (None if status == 500 else _phrase(status))
    code = rule.errorcode if rule.errorcode is not None else status
    return InjectedFault(rule_ids, status=status, message=message, code=code, retry_after=retry_after)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
