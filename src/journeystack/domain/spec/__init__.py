"""The Journey Spec checks: what a journey body must be to be saved, and to be published.

`check_structure(doc)` runs when a journey is saved (POST/PUT) and returns errors only.
`check_publishable(doc, event_definition_exists)` runs when a version is validated or published and
returns (errors, warnings); its errors include every structural problem. Both read the body under
SFMC's wire names (camelCase), compare activity types case-insensitively, treat null members as absent,
report every problem rather than the first, and never raise on malformed input.

Each problem carries a stable code, a numeric string in the style of SFMC's publishStatus items
(which is where these end up). 121547 is SFMC's own code; the others are journeystack's, chosen to
avoid SFMC's known ones (121008, 121226, 121500, 121546).

Save-time errors (check_structure, and so also publish errors):

    121000  the body is not a JSON object
    121001  a member has the wrong JSON type (incl. categoryId not an integer, array elements not objects)
    121002  entryMode is not NotSet, MultipleEntries, OnceAndDone or SingleEntryAcrossAllVersions
    121003  definitionType is not Multistep, Quicksend or Transactional
    121004  more than one trigger
    121011  an activity's key is missing, empty or not a string
    121012  an activity's type is missing, empty or not a string
    121013  two activities share a key
    121015  two outcomes (anywhere in the journey) share a key
    121016  an outcome's next names no activity
    121017  an outcome's next names its own activity
    121020  RANDOMSPLIT: an outcome percentage is not a JSON integer from 1 to 99
    121021  RANDOMSPLIT: the percentages do not add up to 100
    121022  RANDOMSPLIT: fewer than two outcomes
    121030  WAIT (by duration): waitDuration missing or not a positive number
    121031  WAIT: waitUnit missing or not minutes, hours, days, weeks or months
    121040  ENGAGEMENTDECISION: refActivityCustomerKey names no activity
    121041  ENGAGEMENTDECISION: refActivityCustomerKey names an activity that is not an email
    121042  ENGAGEMENTDECISION: statsTypeId is not 2, 3 or 6
    121050  MULTICRITERIADECISION: a criteria key is not one of the activity's outcome keys
    121060  REST/RESTDECISION: arguments.execute.timeout not a number from 1000 to 100000
    121061  REST/RESTDECISION: arguments.execute.retryCount not a whole number from 0 to 5
    121062  REST/RESTDECISION: arguments.execute.retryDelay not a number from 0 to 10000
    121063  REST/RESTDECISION: arguments.execute.concurrentRequests not a whole number from 1 to 50
    121070  goal or exit: metaData.conversionUnit is not percentage or wholenumber

Publish-time errors (check_publishable):

    121100  no trigger (entry event)
    121101  the trigger names no event definition
    121102  the trigger's event definition does not exist
    121103  no activities
    121104  the activity graph has a loop
    121105  an activity cannot be reached from the first activity
    121107  an activity says it is not configured (metaData.isConfigured false); a warning on a
            Transactional journey
    121108  an activity of a known type lacks the configuration its type needs
    121109  the journey has no name
    121110  a goal or exit has no condition (criteria or event definition)
    121111  ENGAGEMENTDECISION: the email it names does not come before it

Publish-time warnings:

    121106  entryMode not chosen (missing or NotSet) on a Multistep journey: it publishes (SFMC
            publishes it) and runs as SingleEntryAcrossAllVersions
    121107  (Transactional journeys) an activity says it is not configured
    121540  an activity type journeystack does not know (kept as sent, not checked)
    121547  a wait longer than 365 days

Every report is bounded (`bounded`): at most N problems, each message at most M bytes, then

    121998  how many more problems were found than the report lists
"""

from __future__ import annotations

from .activities import KNOWN_TYPES
from .problems import ERROR, WARNING, SpecProblem, bounded
from .publish import EventDefinitionExists, EventReference, check_publishable, event_reference
from .structure import check_structure

__all__ = [
    "ERROR",
    "KNOWN_TYPES",
    "WARNING",
    "bounded",
    "EventDefinitionExists",
    "EventReference",
    "SpecProblem",
    "check_publishable",
    "check_structure",
    "event_reference",
]
