"""The work limits services apply; Settings (JOURNEYSTACK_*) sets them, these are the defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    # Problems one report lists (a 400's validationErrors, a publish status, an audit entry), and
    # the bytes of each message.
    reported_problems: int = 100
    problem_message_bytes: int = 1024
    # Runs of a publish or validate before it is given up with status Error: a run that crashes its
    # process, or fails, is taken over after its lease, but not forever.
    operation_attempts: int = 3
    # Bytes of stored Journey Spec documents one list answer may carry.
    response_bytes: int = 32 * 1024 * 1024
