"""A typed client for the Journey Builder Interaction API (`/interaction/v1`, `/v2/token`), for SFMC
and journeystack alike: `Client` (synchronous) and `AsyncClient`, built on httpx.

    from journeystack.client import Client, Journey

    with Client("http://127.0.0.1:4599", "journeystack", "journeystack", account_id=1000001) as sfmc:
        journey = sfmc.journeys.create(Journey(key="welcome", name="Welcome"))
        journey = sfmc.journeys.update(journey.model_copy(update={"description": "Hi"}))
        sfmc.journeys.publish(journey)
"""

from __future__ import annotations

from .aio import AsyncClient
from .errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConflictError,
    NotEditableError,
    NotFoundError,
    OperationFailedError,
    OperationTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SfmcError,
    StaleModifiedDateError,
)
from .models import (
    AccessToken,
    Activity,
    AuditEntry,
    BatchResult,
    EventDefinition,
    Folder,
    Journey,
    OperationProblem,
    OperationStatus,
    Outcome,
    Page,
    Trigger,
)
from .sync import Client

__all__ = [
    "AccessToken",
    "Activity",
    "AsyncClient",
    "AuditEntry",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "Client",
    "ClientError",
    "ConflictError",
    "EventDefinition",
    "Folder",
    "Journey",
    "NotEditableError",
    "NotFoundError",
    "OperationFailedError",
    "OperationProblem",
    "OperationStatus",
    "OperationTimeoutError",
    "Outcome",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "SfmcError",
    "StaleModifiedDateError",
    "Trigger",
]
