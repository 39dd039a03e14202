"""The `schema` SFMC adds to every activity it stores: descriptors of the activity's arguments.

SFMC's answers carry `activities[].schema.arguments`, a map of argument name to
`{dataType, isNullable, direction, readOnly, access}`, for every activity, whatever the client sent.
The descriptors below are the ones SFMC's recorded answers show for each type (mcdev 9.0.3's
fixtures: EMAILV2, WAIT, MULTICRITERIADECISION, UPDATECONTACTDATA); an activity of any other type
gets an empty argument map, since its descriptors are documented nowhere (docs/differences.md).
"""

from __future__ import annotations

from typing import Any, Final

# name: (dataType, isNullable, direction, readOnly); access is "Hidden" for every recorded argument.
_Arguments = dict[str, tuple[str, bool, str, bool]]

_EMAIL: Final[_Arguments] = {
    "requestID": ("Text", True, "Out", False),
    "messageKey": ("Text", True, "Out", False),
    "activityId": ("Text", True, "In", False),
    "definitionId": ("Text", True, "In", True),
    "emailSubjectDataBound": ("Text", True, "In", True),
    "contactId": ("Number", True, "In", False),
    "contactKey": ("Text", False, "In", False),
    "emailAddress": ("Text", False, "In", False),
    "sourceCustomObjectId": ("Text", True, "In", False),
    "sourceCustomObjectKey": ("LongNumber", True, "In", False),
    "fieldType": ("Text", True, "In", False),
    "eventData": ("Text", True, "In", False),
    "obfuscationProperties": ("Text", True, "In", False),
    "customObjectKey": ("LongNumber", True, "In", True),
    "definitionInstanceId": ("Text", False, "In", False),
}
_WAIT: Final[_Arguments] = {
    "endDate": ("Date", False, "Out", False),
    "waitEndDateAttributeDataBound": ("Text", True, "In", False),
    "waitDefinitionId": ("Text", False, "In", False),
    "waitForEventId": ("Text", True, "In", False),
    "executionMode": ("Text", False, "In", False),
    "startActivityKey": ("Text", True, "In", False),
    "waitQueueId": ("LongNumber", True, "In", False),
}
_DECISION: Final[_Arguments] = {
    "actualChoice": ("Number", False, "Out", False),
    "filterResult": ("Text", False, "In", True),
}
_UPDATE_CONTACT: Final[_Arguments] = {
    "contactKey": ("Text", False, "In", False),
    "activityData": ("Text", False, "In", False),
}
_BY_TYPE: Final[dict[str, _Arguments]] = {
    "EMAILV2": _EMAIL,
    "WAIT": _WAIT,
    "MULTICRITERIADECISION": _DECISION,
    "UPDATECONTACTDATA": _UPDATE_CONTACT,
}


def activity_schema(activity_type: Any) -> dict[str, Any]:
    """A fresh `schema` member for an activity of `activity_type` (compared upper-cased)."""
    recorded = _BY_TYPE.get(activity_type.upper() if isinstance(activity_type, str) else "", {})
    return {
        "arguments": {
            name: {
                "dataType": data_type,
                "isNullable": nullable,
                "direction": direction,
                "readOnly": read_only,
                "access": "Hidden",
            }
            for name, (data_type, nullable, direction, read_only) in recorded.items()
        }
    }
