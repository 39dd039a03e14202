"""Transactional-send journeys and the transactional email definition each stands for.

Publishing a transactional-send journey (transactional/create) makes SFMC create a transactional
email definition (the transactional messaging API's `/messaging/v1/email/definitions`) and write its
id into the journey's email activity, which it also marks configured (mcdev's recordings: the
journey's create answer and its GET after publishing). journeystack keeps no second object: the
definition is read off the journey, so it exists exactly while the journey is Published (status
Active) or Paused (Inactive), and says what the journey's email activity says.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from .journey import JourneyDefinition, JourneyVersion, Status

_EMAIL_DEFINITION_NAMESPACE: Final = uuid.UUID("5b1f0f3e-2f61-4c52-9a0e-7d1b0c6a7e21")
CLASSIFICATION: Final = "Default Transactional"


def email_activity(spec: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The journey's email activity (its first EMAILV2 one) and where it is."""
    activities = spec.get("activities")
    for index, activity in enumerate(activities if isinstance(activities, list) else []):
        if isinstance(activity, dict) and str(activity.get("type", "")).upper() == "EMAILV2":
            return index, activity
    return None


def definition_key(version: JourneyVersion) -> str:
    """The email definition's key: what the email activity names in metaData.highThroughput
    (mcdev writes it there), else the journey's key."""
    found = email_activity(version.definition.spec)
    if found is not None:
        meta = found[1].get("metaData")
        high = meta.get("highThroughput") if isinstance(meta, dict) else None
        key = high.get("definitionKey") if isinstance(high, dict) else None
        if isinstance(key, str) and key:
            return key
    return version.key


def published(version: JourneyVersion) -> JourneyDefinition:
    """The definition as transactional/create leaves it: the email activity names its email
    definition (`configurationArguments.triggeredSendId`, kept if already set; else derived from
    the journey id, so it is the same however often the journey is published) and says it is
    configured."""
    definition = version.definition
    found = email_activity(definition.spec)
    if found is None:
        return definition
    index, activity = found
    config = activity.get("configurationArguments")
    config = dict(config) if isinstance(config, dict) else {}
    if not (isinstance(config.get("triggeredSendId"), str) and config["triggeredSendId"]):
        config["triggeredSendId"] = str(uuid.uuid5(_EMAIL_DEFINITION_NAMESPACE, version.id))
    meta = activity.get("metaData")
    meta = {**(meta if isinstance(meta, dict) else {}), "isConfigured": True}
    activities = list(definition.spec["activities"])
    activities[index] = {**activity, "configurationArguments": config, "metaData": meta}
    return JourneyDefinition(
        key=definition.key,
        name=definition.name,
        description=definition.description,
        workflow_api_version=definition.workflow_api_version,
        entry_mode=definition.entry_mode,
        definition_type=definition.definition_type,
        spec={**definition.spec, "activities": activities},
    )


@dataclass(frozen=True, slots=True)
class EmailDefinition:
    """A transactional email definition, as read off its journey."""

    key: str
    id: str
    name: str
    description: str
    status: str  # Active or Inactive
    created_ms: int
    modified_ms: int
    journey_key: str
    data_extension_id: str | None
    auto_add_subscriber: bool
    update_subscriber: bool
    track_links: bool


def email_definition(version: JourneyVersion) -> EmailDefinition | None:
    """The email definition a transactional-send journey version stands for, if it has one: it is
    Published or Paused and its email activity names the definition."""
    if not version.transactional or version.status not in (Status.PUBLISHED, Status.PAUSED):
        return None
    found = email_activity(version.definition.spec)
    if found is None:
        return None
    activity = found[1]
    config = activity.get("configurationArguments")
    config = config if isinstance(config, dict) else {}
    definition_id = config.get("triggeredSendId")
    if not isinstance(definition_id, str) or not definition_id:
        return None
    send = config.get("triggeredSend")
    send = send if isinstance(send, dict) else {}
    meta = activity.get("metaData")
    high = meta.get("highThroughput") if isinstance(meta, dict) else None
    data_extension = high.get("dataExtensionId") if isinstance(high, dict) else None
    return EmailDefinition(
        key=definition_key(version),
        id=definition_id,
        name=version.definition.name,
        description=version.definition.description,
        status="Active" if version.status is Status.PUBLISHED else "Inactive",
        created_ms=version.created_ms,
        modified_ms=version.modified_ms,
        journey_key=version.key,
        data_extension_id=data_extension if isinstance(data_extension, str) else None,
        auto_add_subscriber=send.get("autoAddSubscribers") is not False,
        update_subscriber=send.get("autoUpdateSubscribers") is not False,
        track_links=send.get("isTrackingClicks") is not False,
    )
