"""The pure contact steps: data binding modes, what criteria read, entry-mode rules, the loop guard."""

from __future__ import annotations

from typing import Any

import pytest

from journeystack.domain.runtime import steps
from journeystack.domain.runtime.criteria import MISSING
from journeystack.domain.runtime.entry import Past, entry_refusal
from journeystack.domain.runtime.plan import JourneyPlan, compile_plan
from journeystack.domain.runtime.steps import Effects, Instance

EVENT = "APIEvent-steps"


def _plan(activities: list[dict[str, Any]], **spec: Any) -> JourneyPlan:
    document = {
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": EVENT}}],
        "activities": activities,
        **spec,
    }
    return compile_plan(mid=1, journey_id="j", definition_id="d", key="k", version=1, name="K",
                        entry_mode="MultipleEntries", spec=document)  # fmt: skip


def _instance(data: dict[str, Any] | None = None) -> Instance:
    return Instance(id="i", mid=1, journey_id="j", definition_id="d", version=1, journey_key="k", contact_key="c1",
                    event_instance_id="e", entry_number=1, status=steps.WAITING, position=None, due_ms=None,
                    data={"event": {EVENT: data or {}}}, entered_ms=0)  # fmt: skip


def _email(subject: str) -> dict[str, Any]:
    return {"key": "EMAIL", "type": "EMAILV2", "outcomes": [{"key": "o", "next": None}],
            "configurationArguments": {"triggeredSend": {"emailSubject": subject}}}  # fmt: skip


def _effects(strict: bool, attributes: dict[str, Any] | None = None) -> Effects:
    return Effects(attributes=lambda _key: attributes if attributes is not None else {}, strict=strict)


def test_an_unresolved_binding_is_empty_and_named_in_the_history_by_default() -> None:
    plan = _plan([_email("Hi {{Contact.Attribute.Crm.Name}}!")], defaults={"email": ["a@b.c"]})
    effects = _effects(strict=False)
    steps.enter(plan, _instance(), 0, effects)
    assert [m.subject for m in effects.outbox] == ["Hi !"]
    email_row = next(r for r in effects.history if r.activity_key == "EMAIL")
    assert email_row.status == "Complete"
    assert email_row.message == "Unresolved bindings (left empty): {{Contact.Attribute.Crm.Name}}"


def test_strict_binding_fails_the_activity_and_ejects_the_contact() -> None:
    plan = _plan([_email("Hi {{Contact.Attribute.Crm.Name}}!")], defaults={"email": ["a@b.c"]})
    effects = _effects(strict=True)
    instance = _instance()
    steps.enter(plan, instance, 0, effects)
    assert effects.outbox == [] and instance.status == steps.EJECTED
    last = effects.history[-1]
    assert (last.activity_key, last.status, last.client_status) == ("EMAIL", "Failed", "Error")
    assert (
        last.message == "The binding {{Contact.Attribute.Crm.Name}} could not be resolved (strict binding)."
    )


def test_criteria_read_entry_data_and_contact_attributes_field_names_in_any_case() -> None:
    instance = _instance({"Email": "a@b.c"})
    attributes = {"Crm": {"Tier": "gold"}}
    assert steps.lookup_fact(instance, attributes, f"Event.{EVENT}.email") == "a@b.c"
    assert steps.lookup_fact(instance, attributes, f'Event.{EVENT}."Email"') == "a@b.c"
    assert steps.lookup_fact(instance, attributes, "crm.TIER") == "gold"
    assert steps.lookup_fact(instance, attributes, "Crm.Missing") is MISSING
    assert steps.lookup_fact(instance, attributes, "Event.Other.Email") is MISSING


@pytest.mark.parametrize(
    ("mode", "past", "refused"),
    [
        ("MultipleEntries", Past(entries=3, live=2), False),
        ("OnceAndDone", Past(entries=0, live=0), False),
        ("OnceAndDone", Past(entries=1, live=0), True),
        ("SingleEntryAcrossAllVersions", Past(entries=5, live=0), False),
        ("SingleEntryAcrossAllVersions", Past(entries=1, live=1), True),
        ("NotSet", Past(entries=1, live=1), True),  # NotSet runs as SingleEntryAcrossAllVersions
        ("NotSet", Past(entries=1, live=0), False),
    ],
)
def test_entry_modes(mode: str, past: Past, refused: bool) -> None:
    assert (entry_refusal(mode, past) is not None) is refused


def test_a_path_that_never_reaches_a_wait_is_cut_off() -> None:
    chain = [{"key": f"A{n}", "type": "CUSTOMTHING", "outcomes": [{"key": "o", "next": f"A{n + 1}"}]}
             for n in range(steps.MAX_ACTIVITIES_PER_STEP + 5)]  # fmt: skip
    instance = _instance()
    effects = _effects(strict=False)
    steps.enter(_plan(chain), instance, 0, effects)
    assert instance.status == steps.EJECTED
    assert (
        effects.history[-1].message
        == f"More than {steps.MAX_ACTIVITIES_PER_STEP} activities ran without reaching a wait."
    )
