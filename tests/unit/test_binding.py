"""Data binding: every `{{...}}` form, strict and lenient rendering, and the limits on templates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journeystack.domain.runtime.binding import (
    MAX_EXPRESSIONS,
    MAX_TEMPLATE_CHARS,
    BindingScope,
    TemplateError,
    UnresolvedBinding,
    compile_template,
    resolve_value,
    to_text,
)

ENTRY = "DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e"


def scope(**changes: Any) -> BindingScope:
    base: dict[str, Any] = {
        "contact_key": "0031x000001",
        "event_data": {
            ENTRY: {"Email": "ann@example.com", "Age": 42, "First Name": "Ann", "VIP": True, "Note": None,
                    "Address": {"City": "Lyon"}},
            "APIEvent-cart": {"CartTotal": 99.5},
        },
        "contact_attributes": {
            "Default": {"Email": "ann@contact.example", "MobileNumber": "+15550100", "PhoneNumber": "+15550199"},
            "Loyalty Members": {"Tier": "Gold", "Points": 1200},
            "Renewals": {"Due": date(2030, 6, 1)},
        },
        "interaction_defaults": {"email": [f'{{{{Event.{ENTRY}."Email"}}}}'], "mobileNumber": []},
        "context": {"ContactKey": "0031x000001", "DefinitionId": "def-1", "VersionNumber": 3, "ExecutionMode": "Production"},
        "interaction": {"EMAILV2-1": {"requestID": "req-1", "messageKey": "msg-1"}, "REST-1": {"score": 7, "nested": {"a": [1]}}},
        "activity_id": "act-1",
    }  # fmt: skip
    base.update(changes)
    return BindingScope(**base)


def render(text: str, *, strict: bool = False, **changes: Any) -> object:
    return compile_template(text).render(scope(**changes), strict=strict)


def lenient(text: str, **changes: Any) -> tuple[object, list[str]]:
    unresolved: list[str] = []
    return compile_template(text).render(scope(**changes), strict=False, unresolved=unresolved), unresolved


# --- each expression form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (f"{{{{Event.{ENTRY}.Email}}}}", "ann@example.com"),
        (f'{{{{Event.{ENTRY}."First Name"}}}}', "Ann"),
        (f'{{{{Event."{ENTRY}"."Email"}}}}', "ann@example.com"),
        (f"{{{{Event.{ENTRY}.Address.City}}}}", "Lyon"),
        ("{{Event.APIEvent-cart.CartTotal}}", 99.5),
        ("{{Contact.Key}}", "0031x000001"),
        ("{{Contact.Attribute.Renewals.Due}}", date(2030, 6, 1)),
        ('{{Contact.Attribute."Loyalty Members"."Tier"}}', "Gold"),
        ('{{Contact.Attribute."Loyalty Members".Points}}', 1200),
        ("{{Contact.Default.Email}}", "ann@contact.example"),
        ("{{Contact.Default.MobileNumber}}", "+15550100"),
        ("{{Contact.Default.PhoneNumber}}", "+15550199"),
        ("{{Contact.Default.SMS}}", "+15550100"),
        ("{{InteractionDefaults.Email}}", "ann@example.com"),
        ("{{Context.DefinitionId}}", "def-1"),
        ("{{Context.VersionNumber}}", 3),
        ("{{Interaction.REST-1.score}}", 7),
        ("{{Interaction.REST-1.nested.a}}", [1]),
        ("{{Interaction.EMAILV2-1.RequestID}}", "req-1"),
        ("{{Interaction.EMAILV2-1.MessageKey}}", "msg-1"),
        ("{{Activity.Id}}", "act-1"),
    ],
)
def test_each_expression_form(text: str, value: object) -> None:
    assert render(text, strict=True) == value


def test_event_alone_is_the_whole_journey_data() -> None:
    whole = render("{{Event}}", strict=True)
    assert isinstance(whole, dict)
    assert whole["APIEvent-cart"] == {"CartTotal": 99.5}
    assert render(f"{{{{Event.{ENTRY}}}}}", strict=True) == scope().event_data[ENTRY]


def test_blanks_inside_the_braces_and_around_dots_are_tolerated() -> None:
    assert render("{{ Contact.Key }}", strict=True) == "0031x000001"
    assert render('{{\tContact . Attribute . "Loyalty Members" . Tier\n}}', strict=True) == "Gold"


@pytest.mark.parametrize(
    "text",
    [
        "{{contact.key}}",  # names are case-sensitive
        "{{Contact.Attribute.Loyalty Members.tier}}",
        "{{Contact.Attribute.Renewals}}",
        "{{Contact.Attribute.Nowhere.Field}}",
        "{{Contact.Default.Fax}}",
        "{{Contact.Keys}}",
        "{{Event.NoSuchEvent.Email}}",
        f"{{{{Event.{ENTRY}.Missing}}}}",
        f"{{{{Event.{ENTRY}.Email.Deeper}}}}",
        "{{Context.Nope}}",
        "{{Context}}",
        "{{Interaction.REST-9.score}}",
        "{{Interaction.REST-1.nope}}",
        "{{Interaction.REST-1}}",
        "{{InteractionDefaults.Fax}}",
        "{{InteractionDefaults.MobileNumber}}",  # the list is empty
        "{{Journey.Name}}",
        "{{Activity.Key}}",
        "{{Unknown}}",
        '{{Event."unterminated}}',
        "{{Event..Email}}",
        '{{Event.""."x"}}',
        '{{Event.a"b.c}}',
        '{{Event."a" b.c}}',
    ],
)
def test_anything_else_names_nothing(text: str) -> None:
    value, unresolved = lenient(text)
    assert value == ""
    assert unresolved == [text]
    with pytest.raises(UnresolvedBinding) as caught:
        render(text, strict=True)
    assert caught.value.expression == unresolved[0]


def test_activity_id_is_unresolved_outside_an_activity() -> None:
    assert lenient("{{Activity.Id}}", activity_id=None) == ("", ["{{Activity.Id}}"])


def test_a_null_value_resolves_to_none_and_reads_as_empty_text() -> None:
    assert render(f"{{{{Event.{ENTRY}.Note}}}}", strict=True) is None
    assert render(f"[{{{{Event.{ENTRY}.Note}}}}]", strict=True) == "[]"


def test_sms_reads_the_mobile_number_only_when_there_is_no_sms_field() -> None:
    attributes = {"Default": {"SMS": "+1555SMS", "MobileNumber": "+15550100"}}
    assert render("{{Contact.Default.SMS}}", contact_attributes=attributes) == "+1555SMS"
    assert lenient("{{Contact.Default.Email}}", contact_attributes={}) == ("", ["{{Contact.Default.Email}}"])


# --- interaction defaults -----------------------------------------------------------------------


def test_interaction_defaults_take_the_first_non_empty_source() -> None:
    defaults = {"email": ["{{Contact.Attribute.Loyalty Members.Email}}", "  ", f"{{{{Event.{ENTRY}.Note}}}}",
                          "{{Contact.Default.Email}}", f"{{{{Event.{ENTRY}.Email}}}}"]}  # fmt: skip
    assert lenient("{{InteractionDefaults.Email}}", interaction_defaults=defaults) == (
        "ann@contact.example",
        [],
    )


def test_interaction_defaults_with_no_non_empty_source_are_unresolved_even_if_strict() -> None:
    defaults = {"email": ["{{Contact.Attribute.Nowhere.Email}}", ""]}
    assert lenient("{{InteractionDefaults.Email}}", interaction_defaults=defaults) == (
        "",
        ["{{InteractionDefaults.Email}}"],
    )
    with pytest.raises(UnresolvedBinding) as caught:
        render("{{InteractionDefaults.Email}}", strict=True, interaction_defaults=defaults)
    assert caught.value.expression == "{{InteractionDefaults.Email}}"


def test_interaction_defaults_may_be_one_text_or_a_literal_and_keep_their_case() -> None:
    assert (
        render("{{InteractionDefaults.Email}}", interaction_defaults={"email": "{{Contact.Key}}"})
        == "0031x000001"
    )
    assert (
        render("{{InteractionDefaults.MobileNumber}}", interaction_defaults={"mobileNumber": ["+1555"]})
        == "+1555"
    )
    assert (
        render("{{InteractionDefaults.MobileNumber}}", interaction_defaults={"MobileNumber": [15550100]})
        == 15550100
    )
    assert lenient("{{InteractionDefaults.Email}}", interaction_defaults={"email": None})[1] == [
        "{{InteractionDefaults.Email}}"
    ]


def test_interaction_defaults_that_name_themselves_do_not_loop() -> None:
    defaults = {"email": ["{{InteractionDefaults.Email}}", "{{Contact.Default.Email}}"]}
    assert render("{{InteractionDefaults.Email}}", interaction_defaults=defaults) == "ann@contact.example"
    looping = {"email": ["{{InteractionDefaults.Email}}"]}
    assert lenient("{{InteractionDefaults.Email}}", interaction_defaults=looping)[1] == [
        "{{InteractionDefaults.Email}}"
    ]


def test_interaction_defaults_are_resolved_only_when_used() -> None:
    # A broken default does not matter to a template that does not name it.
    assert (
        render("{{Contact.Key}}", strict=True, interaction_defaults={"email": ["{{Nope}}"]}) == "0031x000001"
    )


# --- text, types, strict and lenient ------------------------------------------------------------


def test_a_text_that_is_exactly_one_expression_keeps_the_value_type() -> None:
    assert render(f"{{{{Event.{ENTRY}.Age}}}}") == 42
    assert render(f"{{{{Event.{ENTRY}.VIP}}}}") is True
    assert render("{{Interaction.REST-1.nested}}") == {"a": [1]}
    # Anything around the expression makes it text.
    assert render(f" {{{{Event.{ENTRY}.Age}}}}") == " 42"


def test_values_written_into_text() -> None:
    text = (f"{{{{Event.{ENTRY}.First Name}}}} is {{{{Event.{ENTRY}.Age}}}}, vip={{{{Event.{ENTRY}.VIP}}}}, "
            "due {{Contact.Attribute.Renewals.Due}}, {{Interaction.REST-1.nested}}, {{Event.APIEvent-cart.CartTotal}}")  # fmt: skip
    assert render(text, strict=True) == 'Ann is 42, vip=true, due 2030-06-01, {"a":[1]}, 99.5'


def test_to_text() -> None:
    assert to_text(None) == ""
    assert to_text(False) == "false"
    assert to_text(7) == "7"
    assert to_text(datetime(2030, 6, 1, 9, 30)) == "2030-06-01T09:30:00"
    assert to_text(["é", {"k": None}]) == '["é",{"k":null}]'


def test_lenient_leaves_unresolved_expressions_empty_and_reports_them_in_order() -> None:
    value, unresolved = lenient("Hi {{Contact.Attribute.X.Name}}, key {{Contact.Key}}, {{ Journey.Name }}!")
    assert value == "Hi , key 0031x000001, !"
    assert unresolved == ["{{Contact.Attribute.X.Name}}", "{{Journey.Name}}"]
    assert render("{{Journey.Name}}") == ""  # no list given: nothing reported, still empty


def test_strict_raises_at_the_first_unresolved_expression() -> None:
    with pytest.raises(UnresolvedBinding) as caught:
        render("{{Contact.Key}} {{Nope.One}} {{Nope.Two}}", strict=True)
    assert caught.value.expression == "{{Nope.One}}"
    assert "{{Nope.One}}" in str(caught.value)


def test_braces_that_are_no_expression_stay_literal() -> None:
    assert render("a {{ b", strict=True) == "a {{ b"
    assert render("}} {{", strict=True) == "}} {{"
    assert render("{{}} and {{  }}", strict=True) == "{{}} and {{  }}"
    assert render("{{{Contact.Key}}}", strict=True) == "{0031x000001}"
    assert render("{ {Contact.Key} }", strict=True) == "{ {Contact.Key} }"


def test_a_template_is_compiled_once() -> None:
    first = compile_template("Dear {{Contact.Key}}")
    assert compile_template("Dear {{Contact.Key}}") is first
    assert first.expressions == ("{{Contact.Key}}",)
    assert compile_template("no bindings").expressions == ()


# --- limits -------------------------------------------------------------------------------------


def test_templates_are_capped_in_length_and_in_expressions() -> None:
    compile_template("x" * MAX_TEMPLATE_CHARS)
    with pytest.raises(TemplateError):
        compile_template("x" * (MAX_TEMPLATE_CHARS + 1))
    compile_template("{{Contact.Key}}" * MAX_EXPRESSIONS)
    with pytest.raises(TemplateError) as caught:
        compile_template("{{Contact.Key}}" * (MAX_EXPRESSIONS + 1))
    assert str(MAX_EXPRESSIONS) in caught.value.message


def test_pathological_texts_compile_in_one_pass() -> None:
    # Shapes that make backtracking parsers blow up; here each is one scan of at most 64 KiB.
    for text in (
        "{{" * 30_000,
        "{{" + "." * 60_000 + "}}",
        '{{"' * 20_000 + "}}",
        "{{a" + " ." * 30_000 + "}}",
    ):
        template = compile_template(text)
        assert isinstance(template.render(scope(), strict=False), str)


# --- resolve_value ------------------------------------------------------------------------------


def test_resolve_value_walks_dicts_and_lists_and_keeps_other_values() -> None:
    arguments = {
        "inArguments": [
            {
                "email": f"{{{{Event.{ENTRY}.Email}}}}",
                "age": f"{{{{Event.{ENTRY}.Age}}}}",
                "{{Contact.Key}}": "key",
            },
            ("{{Contact.Key}}", 5, None, True),
        ],
        "timeout": 10_000,
        "label": "plain",
    }
    unresolved: list[str] = []
    assert resolve_value(arguments, scope(), strict=False, unresolved=unresolved) == {
        "inArguments": [
            {"email": "ann@example.com", "age": 42, "{{Contact.Key}}": "key"},  # keys are never rendered
            ["0031x000001", 5, None, True],
        ],
        "timeout": 10_000,
        "label": "plain",
    }
    assert unresolved == []


def test_resolve_value_reports_and_raises_like_render() -> None:
    unresolved: list[str] = []
    assert resolve_value(
        ["{{Nope.A}}", {"b": "x{{Nope.B}}"}], scope(), strict=False, unresolved=unresolved
    ) == [
        "",
        {"b": "x"},
    ]
    assert unresolved == ["{{Nope.A}}", "{{Nope.B}}"]
    with pytest.raises(UnresolvedBinding):
        resolve_value({"a": ["{{Nope.A}}"]}, scope(), strict=True)


def test_resolve_value_refuses_absurd_nesting() -> None:
    deep: object = "{{Contact.Key}}"
    for _ in range(70):
        deep = [deep]
    with pytest.raises(TemplateError):
        resolve_value(deep, scope(), strict=False)


# --- properties ---------------------------------------------------------------------------------

PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=40)


@given(st.text(max_size=200))
def test_any_text_compiles_and_renders_without_error_in_lenient_mode(text: str) -> None:
    compile_template(text).render(scope(), strict=False)


@given(st.lists(st.tuples(PLAIN_TEXT, st.sampled_from(["{{Contact.Key}}", "{{Nope.X}}", "{{ Context.DefinitionId }}"])),
                max_size=6), PLAIN_TEXT)  # fmt: skip
def test_rendering_keeps_the_literal_text_around_expressions(
    pieces: list[tuple[str, str]], tail: str
) -> None:
    values = {"{{Contact.Key}}": "0031x000001", "{{Nope.X}}": "", "{{ Context.DefinitionId }}": "def-1"}
    text = "".join(literal + expression for literal, expression in pieces) + tail
    expected = "".join(literal + values[expression] for literal, expression in pieces) + tail
    if len(pieces) == 1 and not pieces[0][0] and not tail:
        return  # a lone expression keeps its raw value; covered above
    assert render(text) == expected
