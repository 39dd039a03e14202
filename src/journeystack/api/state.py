"""What route handlers share: settings, the service context, the token service and the engine."""

from __future__ import annotations

from dataclasses import dataclass

from journeystack.config import Settings
from journeystack.services.context import ServiceContext
from journeystack.services.engine import Engine
from journeystack.services.tokens import TokenService


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    ctx: ServiceContext
    tokens: TokenService
    engine: Engine
