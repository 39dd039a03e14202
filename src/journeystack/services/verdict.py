"""The publish verdict of a journey version: one home for what publish, validate and the offline
`journeystack validate` command all decide."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from journeystack.domain.journey import JourneyVersion, spec_document
from journeystack.domain.outbound import OutboundPolicy, Target
from journeystack.domain.runtime.calls import CallSpec, parse_call
from journeystack.domain.runtime.plan import CALL_TYPES, activity_id
from journeystack.domain.spec import EventDefinitionExists, SpecProblem, check_publishable
from journeystack.domain.spec.problems import ERROR
from journeystack.storage.ports import UnitOfWork

from .context import ServiceContext
from .population import runtime_problems

# journeystack's own publish error, next to the other 1211xx codes: a custom activity's URL the
# engine may not call.
URL_NOT_ALLOWED: Final = "121113"


def publish_problems(
    version: JourneyVersion, event_definition_exists: EventDefinitionExists, outbound: OutboundPolicy | None
) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """(errors, warnings) of publishing `version`: the Journey Spec's publish checks, every part
    the engine could not execute (121112), then every custom-activity URL `outbound` does not allow
    (121113; None: not checked). `event_definition_exists(key, id)` answers for the trigger's event
    definition; whatever it raises propagates. The validate and publish calls of custom activities
    are not part of it: only a server makes them (services/lifecycle.py)."""
    errors, warnings = check_publishable(spec_document(version.definition), event_definition_exists)
    errors += runtime_problems(version)
    if outbound is not None:
        errors += url_problems(outbound, version)
    return errors, warnings


def stored_publish_problems(
    ctx: ServiceContext, uow: UnitOfWork, version: JourneyVersion
) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """`publish_problems` as a server decides it: against the business unit's stored event
    definitions (read in `uow`) and this server's outbound policy."""

    def exists(key: str | None, event_id: str | None) -> bool:
        return (key is not None and uow.events.get(version.mid, key=key) is not None) or (
            event_id is not None and uow.events.get(version.mid, event_id=event_id.lower()) is not None
        )

    policy = ctx.outbound.policy if ctx.outbound is not None else None
    return publish_problems(version, exists, policy)


def custom_activities(version: JourneyVersion) -> list[tuple[str, str, CallSpec]]:
    """(activity id, key, settings) of each REST and RestDecision activity of a version."""
    found = []
    for raw in spec_document(version.definition).get("activities") or []:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str):
            continue
        kind = raw.get("type")
        upper = kind.upper() if isinstance(kind, str) else ""
        if upper in CALL_TYPES:
            spec = parse_call(raw, decision=upper == "RESTDECISION")
            found.append((activity_id(version.id, raw), str(raw["key"]), spec))
    return found


def url_problems(policy: OutboundPolicy, version: JourneyVersion) -> list[SpecProblem]:
    """Publish errors for every custom-activity URL (execute and lifecycle) the engine may not call."""
    problems = []
    for _, key, spec in custom_activities(version):
        urls = [("arguments.execute.url", spec.url)] if spec.url else []
        urls += [(f"configurationArguments.{step}.url", url) for step, url in spec.lifecycle.items()]
        for member, url in urls:
            checked = policy.check(url)
            if not isinstance(checked, Target):
                text = f"activity {key!r}: {member} cannot be called: {checked}"
                problems.append(
                    SpecProblem(URL_NOT_ALLOWED, text, path=member, level=ERROR, activity_key=key)
                )
    return problems
