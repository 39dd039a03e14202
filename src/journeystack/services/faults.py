"""The fault rules of one process: add, list, remove, and decide what a call gets.

Rules live in memory. With several server processes each has its own rules and counters: add a
rule to every process, or run one process while injecting faults.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from journeystack.domain.faults import FaultCounter, FaultDecision, FaultRule, counter_for, decide, new_rule
from journeystack.errors import FaultRuleNotFound


@dataclass(frozen=True, slots=True)
class RuleView:
    """A rule and its counters as they were when asked."""

    rule: FaultRule
    matched: int
    fired: int


class FaultBook:
    """Thread-safe store of fault rules, in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[tuple[FaultRule, FaultCounter]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, **fields: Any) -> RuleView:
        """Check and add a rule (fields as `domain.faults.new_rule` takes them). Raises InvalidFaultRule."""
        with self._lock:
            rule = new_rule(f"f{next(self._ids)}", **fields)
            self._rules.append((rule, counter_for(rule)))
        return RuleView(rule, 0, 0)

    def rules(self) -> list[RuleView]:
        with self._lock:
            return [RuleView(rule, counter.matched, counter.fired) for rule, counter in self._rules]

    def get(self, rule_id: str) -> RuleView:
        """Raises FaultRuleNotFound."""
        with self._lock:
            for rule, counter in self._rules:
                if rule.id == rule_id:
                    return RuleView(rule, counter.matched, counter.fired)
        raise FaultRuleNotFound(rule_id)

    def remove(self, rule_id: str) -> None:
        """Raises FaultRuleNotFound."""
        with self._lock:
            kept = [(rule, counter) for rule, counter in self._rules if rule.id != rule_id]
            if len(kept) == len(self._rules):
                raise FaultRuleNotFound(rule_id)
            self._rules = kept

    def clear(self) -> int:
        """Remove every rule; returns how many there were."""
        with self._lock:
            count = len(self._rules)
            self._rules = []
        return count

    def __len__(self) -> int:
        return len(self._rules)

    def decide(self, method: str, path: str, mid: int | None) -> FaultDecision | None:
        """What the rules do to one call (and count it); None when none fires."""
        if not self._rules:  # the common case, without taking the lock
            return None
        with self._lock:
            return decide(self._rules, method, path, mid)
