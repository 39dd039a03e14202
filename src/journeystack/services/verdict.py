"""The publish verdict of a journey version: one home for what publish, validate and the offline
`journeystack validate` command all decide."""

from __future__ import annotations

from journeystack.domain.journey import JourneyVersion, spec_document
from journeystack.domain.spec import EventDefinitionExists, SpecProblem, check_publishable

from .population import runtime_problems


def publish_problems(
    version: JourneyVersion, event_definition_exists: EventDefinitionExists
) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """(errors, warnings) of publishing `version`: the Journey Spec's publish checks, then every part
    the engine could not execute (121112). `event_definition_exists(key, id)` answers for the
    trigger's event definition; whatever it raises propagates."""
    errors, warnings = check_publishable(spec_document(version.definition), event_definition_exists)
    return errors + runtime_problems(version), warnings
