"""Injected id generation: random GUIDs in production, a seeded sequence in tests."""

from __future__ import annotations

import random
import threading
import uuid
from typing import Protocol


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new lower-case GUID string."""
        ...


class RandomIds:
    def new_id(self) -> str:
        return str(uuid.uuid4())


class SeededIds:
    """Repeatable GUIDs for tests: the same seed gives the same sequence."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
