"""journeystack.domain.runtime.criteria: FilterDefinition XML parsed safely and evaluated as
docs/criteria.md describes; every decision taken where SFMC is silent is pinned here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeAlias

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from journeystack.domain.runtime.criteria import (
    MAX_BYTES,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MISSING,
    OPERATORS,
    Condition,
    ConditionSet,
    Criteria,
    CriteriaError,
    parse_criteria,
)

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)  # a Friday
NOW_MS = int(NOW.timestamp() * 1000)
KEY = "Contact_Salesforce_1.Field"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def cond(key: str, operator: str, value: str | None = "", *, extra: str = "") -> str:
    body = "" if value is None else f"<Value><![CDATA[{value}]]></Value>"
    return f'<Condition Key="{key}" Operator="{operator}"{extra}>{body}</Condition>'


def cset(operator: str, *members: str) -> str:
    return f'<ConditionSet Operator="{operator}" ConditionSetName="Individual Filter Grouping">{"".join(members)}</ConditionSet>'


def fd(*members: str, operator: str = "AND") -> str:
    return f"<FilterDefinition>{cset(operator, *members)}</FilterDefinition>"


def run(criteria: Criteria | str, attributes: Mapping[str, object], now_ms: int = NOW_MS) -> bool:
    parsed = parse_criteria(criteria) if isinstance(criteria, str) else criteria
    return parsed.evaluate(lambda key: attributes.get(key, MISSING), now_ms=now_ms)


def one(operator: str, value: str, attribute: object, now_ms: int = NOW_MS) -> bool:
    """One condition on KEY; the attribute may be MISSING."""
    return run(fd(cond(KEY, operator, value)), {} if attribute is MISSING else {KEY: attribute}, now_ms)


def refused(xml: str) -> str:
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(xml)
    assert "\n" not in caught.value.message and caught.value.message == str(caught.value)
    return caught.value.message


# --- every operator, a true and a false case -------------------------------------------------------

OPERATOR_CASES = [
    ("Equal", "Processed", "processed", True),
    ("Equal", "Processed", "Pending", False),
    ("NotEqual", "Active", "Lapsed", True),
    ("NotEqual", "Active", "ACTIVE", False),
    ("GreaterThan", "0", "3", True),
    ("GreaterThan", "3", "3", False),
    ("GreaterThanOrEqual", "3", "3", True),
    ("GreaterThanOrEqual", "3", "2.99", False),
    ("LessThan", "24", "23", True),
    ("LessThan", "24", "24", False),
    ("LessThanOrEqual", "24", "24", True),
    ("LessThanOrEqual", "24", "25", False),
    ("Is", "true", "True", True),
    ("Is", "true", "false", False),
    ("IsNull", "", "", True),
    ("IsNull", "", "x", False),
    ("IsNotNull", "", "x", True),
    ("IsNotNull", "", None, False),
    ("Contains", "noaddress", "a@NoAddress.com", True),
    ("Contains", "@", "nobody", False),
    ("NotContains", "+886", "+852 1234", True),
    ("NotContains", "+886", "+886 1234", False),
    ("BeginsWith", "H", "hello", True),
    ("BeginsWith", "H", "oh", False),
    ("EndsWith", ".com", "a@B.COM", True),
    ("EndsWith", ".com", "a@b.org", False),
    ("AtOrAfter", ";-;14;days", "2024-03-01", True),
    ("AtOrAfter", ";-;14;days", "2024-02-29", False),
    ("AtOrBefore", "2024-03-15", "2024-03-15T23:59:59", True),
    ("AtOrBefore", "2024-03-15", "2024-03-16T00:00:00", False),
]


@pytest.mark.parametrize(("operator", "value", "attribute", "expected"), OPERATOR_CASES)
def test_every_operator(operator: str, value: str, attribute: object, expected: bool) -> None:
    assert one(operator, value, attribute) is expected


def test_the_operator_table_is_what_the_cases_cover() -> None:
    assert set(OPERATORS.values()) == {case[0] for case in OPERATOR_CASES}


# --- blanks: SQL NULL semantics -----------------------------------------------------------------------

VALUE_OPERATORS = sorted(set(OPERATORS.values()) - {"IsNull", "IsNotNull"})
LITERALS = {"Is": "false", "AtOrAfter": "2000-01-01", "AtOrBefore": ";+;0;days"}


@pytest.mark.parametrize("blank", [MISSING, None, "", "   "], ids=["missing", "none", "empty", "spaces"])
@pytest.mark.parametrize("operator", VALUE_OPERATORS)
def test_blank_attributes_match_only_isnull(operator: str, blank: object) -> None:
    # NotEqual and NotContains included: a blank is SQL NULL, which no comparison matches.
    assert one(operator, LITERALS.get(operator, "x"), blank) is False
    assert one("IsNull", "", blank) is True
    assert one("IsNotNull", "", blank) is False


def test_real_payloads_add_isnull_to_include_blanks() -> None:
    # "Is_Recurring_Donation__c is False OR is null", as a real decision split writes it.
    xml = fd(cond(KEY, "Is", "false"), cond(KEY, "IsNull", ""), operator="OR")
    assert run(xml, {}) and run(xml, {KEY: False}) and not run(xml, {KEY: True})


# --- coercions -----------------------------------------------------------------------------------------


def test_numbers_compare_as_numbers_when_both_sides_are_numbers() -> None:
    assert one("GreaterThan", "9", "10")  # as text, "10" < "9"
    assert one("Equal", "1.0", 1) and one("Equal", "7", "007") and one("Equal", "1e3", "1000")
    assert one("Equal", "0.1", 0.1) and one("LessThan", "0", Decimal("-0.5"))
    # Exact: as floats these two would be equal.
    assert not one("Equal", "12345678901234567890", "12345678901234567891")


def test_ordering_against_a_number_or_date_needs_one() -> None:
    assert not one("GreaterThan", "0", "unknown") and not one("LessThan", "0", "unknown")
    assert not one("GreaterThan", "2024-01-01", "soon")
    # Equal and NotEqual fall back to text, so NotEqual stays the negation of Equal.
    assert not one("Equal", "5", "five") and one("NotEqual", "5", "five")
    assert one("Equal", "2024-01-01", "2024-01-01 (est.)") is False


def test_text_compares_case_insensitively_and_trimmed() -> None:
    assert one("Equal", "English", "  ENGLISH ") and one("BeginsWith", "straße", "STRASSE 1")
    assert one("GreaterThan", "m", "Zed") and not one("GreaterThan", "m", "Alpha")
    assert one("Contains", "", "x") and one("BeginsWith", "", "x") and not one("Contains", "", " ")


def test_whitespace_around_cdata_is_not_part_of_the_value() -> None:
    pretty = f"""<FilterDefinition>
      <ConditionSet Operator="AND">
        <Condition Key="{KEY}" Operator="Equal">
          <Value>
            <![CDATA[
                Processed
            ]]>
          </Value>
        </Condition>
      </ConditionSet>
    </FilterDefinition>"""
    root = parse_criteria(pretty).root
    assert root is not None
    [condition] = root.members
    assert isinstance(condition, Condition) and condition.value == "Processed"
    assert run(pretty, {KEY: "Processed"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-10", datetime(2024, 3, 10, tzinfo=UTC)),
        ("2024-03-10T13:30:00", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
        ("2024-03-10 13:30", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
        ("2024-03-10T13:30:00.1234567", datetime(2024, 3, 10, 13, 30, 0, 123456, tzinfo=UTC)),
        ("2024-03-10T13:30:00Z", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
        ("2024-03-10T15:30:00+02:00", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
        ("3/10/2024", datetime(2024, 3, 10, tzinfo=UTC)),
        ("3/10/2024 1:30:00 PM", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
        ("03/10/2024 12:05 AM", datetime(2024, 3, 10, 0, 5, tzinfo=UTC)),
        ("3/10/2024 13:30:00", datetime(2024, 3, 10, 13, 30, tzinfo=UTC)),
    ],
)
def test_dates_in_iso_and_us_forms(text: str, expected: datetime) -> None:
    instant = expected.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert one("AtOrAfter", instant, text) and one("AtOrBefore", instant, text)
    date_only = ":" not in text  # compares by day: the next day is after it, the next millisecond is not
    later = expected + (timedelta(days=1) if date_only else timedelta(milliseconds=1))
    assert not one("AtOrAfter", later.isoformat(), text) and one("AtOrBefore", later.isoformat(), text)


@pytest.mark.parametrize(
    "text", ["2/30/2024", "13/1/2024", "3/10/24", "2024-3-10", "2024-03-10X10:00", "3/10/2024 1:00 XM"]
)
def test_what_is_not_a_date(text: str) -> None:
    assert not one("AtOrAfter", "1900-01-01", text) and not one("AtOrBefore", "2999-01-01", text)


def test_date_only_side_compares_by_utc_day() -> None:
    assert one("Equal", "2024-03-15", "2024-03-15T23:00:00") and one(
        "AtOrAfter", "2024-03-15", "2024-03-15T00:00:01"
    )
    assert not one("GreaterThan", "2024-03-15", "2024-03-15T23:00:00")
    assert one("GreaterThan", "2024-03-15T10:00:00", "2024-03-15T10:00:01")


def test_naive_times_are_utc_and_offsets_are_converted() -> None:
    # 01:00 at +02:00 is 23:00 UTC the day before.
    assert not one("AtOrAfter", ";+;0;days", "2024-03-15T01:00:00+02:00")
    assert one("AtOrAfter", ";+;0;days", "2024-03-15T00:00:00")
    assert one("AtOrAfter", ";+;0;days", datetime(2024, 3, 15, 1, 0))  # naive datetime: UTC
    assert one("Equal", "2024-03-15", date(2024, 3, 15))


def test_is_reads_booleans() -> None:
    for truthy in (True, 1, "true", "TRUE", "1", "yes", " Yes "):
        assert one("Is", "true", truthy) and not one("Is", "false", truthy)
    for falsy in (False, 0, "false", "0", "no"):
        assert one("Is", "false", falsy) and not one("Is", "true", falsy)
    for neither in ("maybe", 2, "y"):
        assert not one("Is", "true", neither) and not one("Is", "false", neither)
    assert one("Is", "1", True) and one("Is", "No", False)


def test_equal_reads_a_bool_attribute_as_true_or_false_text() -> None:
    # A decision split on boolean entry data, as a real journey writes it: Equal, CDATA[False].
    assert one("Equal", "False", False) and one("NotEqual", "False", True)
    assert not one("Equal", "1", True)


def test_other_attribute_types_compare_as_their_text() -> None:
    assert one("Contains", "234", 1234567) and one("Equal", "2024-03-15", datetime(2024, 3, 15, 9))


# --- relative dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "token", "boundary"),
    [
        (NOW, ";+;0;days", date(2024, 3, 15)),
        (NOW, ";-;14;days", date(2024, 3, 1)),
        (NOW, ";+;3;DAYS", date(2024, 3, 18)),
        (NOW, ";-;2;weeks", date(2024, 3, 1)),
        (NOW, ";-;1;months", date(2024, 2, 15)),
        (datetime(2024, 3, 31, tzinfo=UTC), ";-;1;months", date(2024, 2, 29)),
        (datetime(2024, 1, 31, tzinfo=UTC), ";+;13;months", date(2025, 2, 28)),
        (datetime(2024, 2, 29, tzinfo=UTC), ";+;1;years", date(2025, 2, 28)),
        (NOW, ";-;18;years", date(2006, 3, 15)),
    ],
)
def test_relative_dates(now: datetime, token: str, boundary: date) -> None:
    on, before = boundary.isoformat(), (boundary - timedelta(days=1)).isoformat() + "T23:59:59"
    assert one("AtOrAfter", token, on, ms(now)) and not one("AtOrAfter", token, before, ms(now))
    assert one("AtOrBefore", token, before, ms(now)) and one("Equal", token, on + "T08:00:00", ms(now))


def test_today_is_the_utc_date_of_now_ms() -> None:
    late = ms(datetime(2024, 3, 15, 23, 30, tzinfo=UTC))
    early_next_day = ms(datetime(2024, 3, 16, 0, 30, tzinfo=UTC))
    assert one("Equal", ";+;0;days", "2024-03-15", late) and not one(
        "Equal", ";+;0;days", "2024-03-15", early_next_day
    )


def test_one_criteria_follows_the_clock_across_days() -> None:
    criteria = parse_criteria(fd(cond(KEY, "AtOrAfter", ";+;0;days")))
    assert run(criteria, {KEY: "2024-03-15"}, NOW_MS)
    assert not run(criteria, {KEY: "2024-03-15"}, NOW_MS + 86_400_000)
    assert run(criteria, {KEY: "2024-03-15"}, NOW_MS)


def test_relative_dates_past_the_calendar_clamp() -> None:
    assert one("AtOrAfter", ";-;999999999;years", "0001-01-01") and one(
        "AtOrBefore", ";+;999999999;days", "9999-12-31"
    )


# --- ValueIsReference ----------------------------------------------------------------------------------


def test_value_is_reference_compares_two_attributes() -> None:
    other = "Contact_Salesforce_1.Other"

    def ref(operator: str) -> str:
        return fd(cond(KEY, operator, other, extra=' ValueIsReference="true"'))

    assert parse_criteria(ref("Equal")).keys == {KEY, other}
    assert run(ref("Equal"), {KEY: "a@b.com", other: "A@B.COM"})
    assert not run(ref("Equal"), {KEY: "a@b.com", other: "c@d.com"})
    assert run(ref("GreaterThan"), {KEY: "10", other: 9}) and not run(
        ref("GreaterThan"), {KEY: "10", other: "11"}
    )
    assert run(ref("AtOrAfter"), {KEY: "2024-03-15", other: "3/14/2024 11:00:00 PM"})
    assert run(ref("Is"), {KEY: "yes", other: True}) and run(ref("Contains"), {KEY: "abc", other: "B"})
    for attributes in ({KEY: "x"}, {KEY: "x", other: None}, {other: "x"}):
        assert not run(ref("Equal"), attributes) and not run(ref("NotEqual"), attributes)
    # IsNull and IsNotNull read no value, so a reference there names nothing to read.
    assert parse_criteria(ref("IsNull")).keys == {KEY} and run(ref("IsNull"), {other: "x"})


# --- structure ------------------------------------------------------------------------------------------


def test_and_or_nesting() -> None:
    a, b, c = "A.a", "A.b", "A.c"
    xml = fd(cond(a, "Is", "true"), cset("OR", cond(b, "Is", "true"), cset("AND", cond(c, "Is", "true"))))
    assert run(xml, {a: True, b: False, c: True}) and run(xml, {a: True, b: True, c: False})
    assert not run(xml, {a: True, b: False, c: False}) and not run(xml, {a: False, b: True, c: True})


def test_lookup_receives_keys_verbatim() -> None:
    key = 'Event.SalesforceObj-1.Contact:Account:"Billing City"'
    seen: list[str] = []

    def lookup(asked: str) -> object:
        seen.append(asked)
        return "paris"

    criteria = parse_criteria(fd(cond(key.replace('"', "&quot;"), "Equal", "Paris")))
    assert criteria.evaluate(lookup, now_ms=0) and seen == [key]


def test_parsed_conditions_record_what_was_written() -> None:
    xml = (
        "<FilterDefinition><ConditionSet Operator='or'>"
        "<Condition IsEphemeralAttribute='true' Key='Event.APIEvent-abc.Email' Operator='notequal' "
        "UiMetaData='{&quot;x&quot;:1}'><Value><![CDATA[a@b.com]]></Value></Condition>"
        "<Condition Key='Contact.Email' Operator='Equal' ValueIsReference='TRUE'>"
        "<AttributePath RelationshipID='rel-1'><Value><![CDATA[Contact.Alt]]></Value></AttributePath></Condition>"
        "</ConditionSet></FilterDefinition>"
    )
    criteria = parse_criteria(xml)
    assert criteria.keys == {"Event.APIEvent-abc.Email", "Contact.Email", "Contact.Alt"}
    assert criteria.root == ConditionSet(
        "OR",
        (
            Condition("Event.APIEvent-abc.Email", "NotEqual", "a@b.com", is_ephemeral=True),
            Condition(
                "Contact.Email", "Equal", "Contact.Alt", value_is_reference=True, relationship_id="rel-1"
            ),
        ),
    )


def test_names_match_case_insensitively() -> None:
    xml = (
        '<filterdefinition><CONDITIONSET OPERATOR="and"><condition KEY="A.x" operator="ISNOTNULL"/>'
        '<Condition key="A.y" Operator="beginswith"><value>ab</value></Condition></CONDITIONSET></filterdefinition>'
    )
    assert run(xml, {"A.x": 1, "A.y": "ABC"}) and not run(xml, {"A.x": 1, "A.y": "b"})


def test_empty_criteria_always_match() -> None:
    for xml in (
        "",
        "  \n",
        "<FilterDefinition/>",
        "<FilterDefinition><ConditionSet Operator='OR'/></FilterDefinition>",
    ):
        criteria = parse_criteria(xml)
        assert criteria.keys == frozenset() and run(criteria, {})


def test_empty_nested_sets_follow_all_and_any() -> None:
    assert run(fd(cond(KEY, "IsNull"), cset("AND")), {})
    assert not run(fd(cond(KEY, "IsNull"), cset("OR")), {})


# --- real payloads (engine.md §2.4) -----------------------------------------------------------------------

DONATION = """<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping"><Condition Key="Donation__c_Salesforce_1.Date__c" Operator="AtOrAfter" UiMetaData="{&quot;groupToSetRelationshipId&quot;:&quot;fe966f2d-4cca-ea11-b83a-b883035bd8a1&quot;}"><AttributePath RelationshipID="cc9b6f2d-4cca-ea11-b83a-b883035bd8a1"><Value><![CDATA[;-;14;days]]></Value></AttributePath></Condition><Condition Key="Donation__c_Salesforce_1.Status__c" Operator="Equal" UiMetaData="{}"><AttributePath RelationshipID="cc9b6f2d-4cca-ea11-b83a-b883035bd8a1"><Value><![CDATA[Processed]]></Value></AttributePath></Condition><ConditionSet Operator="OR" ConditionSetName="Individual Filter Grouping"> <Condition Key="Donation__c_Salesforce_1.Is_Recurring_Donation__c" Operator="Is" UiMetaData="{}"> <AttributePath RelationshipID="cc9b6f2d-4cca-ea11-b83a-b883035bd8a1"> <Value> <![CDATA[false]]> </Value> </AttributePath> </Condition> <Condition Key="Donation__c_Salesforce_1.Is_Recurring_Donation__c" Operator="IsNull" UiMetaData="{}"> <AttributePath RelationshipID="cc9b6f2d-4cca-ea11-b83a-b883035bd8a1"> <Value> <![CDATA[]]> </Value> </AttributePath> </Condition> </ConditionSet></ConditionSet></FilterDefinition>"""


def test_real_payload_donated_recently() -> None:
    base = {
        "Donation__c_Salesforce_1.Date__c": "3/1/2024 9:15:00 AM",
        "Donation__c_Salesforce_1.Status__c": "Processed",
    }
    assert run(DONATION, base)
    assert run(DONATION, {**base, "Donation__c_Salesforce_1.Is_Recurring_Donation__c": "False"})
    assert not run(DONATION, {**base, "Donation__c_Salesforce_1.Is_Recurring_Donation__c": "True"})
    assert not run(DONATION, {**base, "Donation__c_Salesforce_1.Date__c": "2/29/2024 11:59:59 PM"})
    assert not run(DONATION, {**base, "Donation__c_Salesforce_1.Status__c": "Pending"})


def test_real_payload_entry_data_split_and_email_not_valid() -> None:
    key = "Event.DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e.Email"
    split = f'<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping"><Condition IsEphemeralAttribute="true" Key="{key}" Operator="BeginsWith" UiMetaData="{{}}"><Value><![CDATA[H]]></Value></Condition></ConditionSet></FilterDefinition>'
    assert run(split, {key: "hello@example.com"}) and not run(split, {key: "x@example.com"})
    email = "Contact_Salesforce_1.Email"
    not_valid = fd(
        cond(email, "IsNull", ""),
        cond(email, "NotContains", "@"),
        cond(email, "Contains", "noaddress"),
        operator="OR",
    )
    assert (
        run(not_valid, {}) and run(not_valid, {email: "nope"}) and run(not_valid, {email: "x@noaddress.org"})
    )
    assert not run(not_valid, {email: "ada@example.com"})


def test_legacy_id_conditions_and_single_quotes() -> None:
    xml = (
        "<FilterDefinition Source='SubscriberAttribute'><ConditionSet Operator='AND' ConditionSetName='Grouping'>"
        "<Condition ID='268133f8-fbcf-e311-9ae6-ac162db18844' isParam='false' Operator='GreaterThanOrEqual' "
        "operatorTemplate='undefined' operatorEditable='1' valueEditable='1' conditionValid='1'>"
        "<Value><![CDATA[100]]></Value></Condition>"
        '<Condition ID="248133f8-fbcf-e311-9ae6-ac162db18844" isParam=\'false\' Operator="IsNotNull">'
        "<Value><![CDATA[]]></Value></Condition></ConditionSet></FilterDefinition>"
    )
    followers, other = "268133f8-fbcf-e311-9ae6-ac162db18844", "248133f8-fbcf-e311-9ae6-ac162db18844"
    assert parse_criteria(xml).keys == {followers, other}
    assert run(xml, {followers: 100, other: "x"}) and not run(xml, {followers: 99, other: "x"})


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("not xml", "not well-formed"),
        ("<FilterDefinition><ConditionSet Operator='AND'>", "not well-formed"),
        ("<Other/>", "<Other>"),
        (
            "<FilterDefinition><ConditionSet Operator='AND'/><ConditionSet Operator='AND'/></FilterDefinition>",
            "exactly one",
        ),
        ("<FilterDefinition><Include/></FilterDefinition>", "exactly one"),
        ("<FilterDefinition><ConditionSet Operator='XOR'/></FilterDefinition>", "'XOR'"),
        ("<FilterDefinition><ConditionSet/></FilterDefinition>", "AND or OR"),
        (fd("<Exclude/>"), "<Exclude>"),
        (fd("<Condition Operator='Equal'><Value>x</Value></Condition>"), "no Key"),
        (fd("<Condition Key='A.x'><Value>x</Value></Condition>"), "operator ''"),
        (fd("<Condition Key='A.x' Operator='Equal'/>"), "needs a <Value>"),
        (
            fd("<Condition Key='A.x' Operator='Equal'><Value>a</Value><Value>b</Value></Condition>"),
            "2 Values",
        ),
        (fd("<Condition Key='A.x' Operator='Equal'><Value><b>a</b></Value></Condition>"), "holds elements"),
        (fd("<Condition Key='A.x' Operator='Equal'><Note/></Condition>"), "<Note>"),
        (
            fd("<Condition Key='A.x' Operator='Equal'><AttributePath><Note/></AttributePath></Condition>"),
            "<Note>",
        ),
        (fd(cond("A.x", "Is", "maybe")), "true or false"),
        (fd(cond("A.x", "AtOrAfter", "soon")), "needs a date"),
        (fd(cond("A.x", "AtOrAfter", ";-;x;days")), "not a relative date"),
        (fd(cond("A.x", "AtOrAfter", ";-;3;fortnights")), "not a relative date"),
        (fd(cond("A.x", "Contains", ";-;3;days")), "Contains cannot compare"),
        (fd(cond("A.x", "Equal", " ", extra=' ValueIsReference="true"')), "names no attribute"),
    ],
)
def test_malformed_documents_are_refused(xml: str, fragment: str) -> None:
    assert fragment in refused(xml)


@pytest.mark.parametrize(
    "operator", ["IsNotEmpty", "IsEmpty", "Between", "Before", "After", "IsNot", "Like", "Foo"]
)
def test_unknown_operators_are_refused_naming_them(operator: str) -> None:
    message = refused(fd(cond("A.x", "Equal", "1"), cond("A.y", operator, "1")))
    assert f"'{operator}'" in message and "Condition 2 (Key 'A.y')" in message


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><FilterDefinition><ConditionSet Operator="AND"><Condition Key="A.x" Operator="Equal">'
    "<Value>&lol9;</Value></Condition></ConditionSet></FilterDefinition>"
)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (BILLION_LAUGHS, "DTD"),
        (
            '<!DOCTYPE f [<!ENTITY e SYSTEM "file:///etc/passwd">]><FilterDefinition>&e;</FilterDefinition>',
            "DTD",
        ),
        ("<!DOCTYPE FilterDefinition><FilterDefinition/>", "DTD"),
        ("<FilterDefinition>&e;</FilterDefinition>", "not well-formed"),
    ],
)
def test_dtds_and_entities_are_refused(xml: str, fragment: str) -> None:
    assert fragment in refused(xml)


def test_size_limit() -> None:
    shell = "<FilterDefinition></FilterDefinition>"
    at_limit = shell.replace("><", ">" + " " * (MAX_BYTES - len(shell)) + "<")
    assert len(at_limit) == MAX_BYTES and run(at_limit, {})
    assert "larger than 65536 bytes" in refused(at_limit.replace(" ", "  ", 1))
    # Counted in UTF-8 bytes, not characters.
    wide = fd(cond("A.x", "Equal", "é" * (MAX_BYTES // 2)))
    assert len(wide) < MAX_BYTES + 200 and "larger than" in refused(wide)


def test_condition_limit() -> None:
    many = [cond(f"A.k{i}", "IsNull", None) for i in range(MAX_CONDITIONS)]
    assert len(parse_criteria(fd(*many)).keys) == MAX_CONDITIONS
    assert "more than 1000 Conditions" in refused(fd(*many, cond("A.extra", "IsNull", None)))


def nested(levels: int) -> str:
    inner = cond("A.x", "IsNull", None)
    for _ in range(levels):
        inner = cset("AND", inner)
    return f"<FilterDefinition>{inner}</FilterDefinition>"


def test_depth_limit() -> None:
    assert run(nested(MAX_DEPTH), {})
    assert "deeper than 32" in refused(nested(MAX_DEPTH + 1))
    assert "deeper than" in refused(
        "<FilterDefinition>" + "<a>" * 5000 + "</a>" * 5000 + "</FilterDefinition>"
    )


# --- properties --------------------------------------------------------------------------------------------

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=8).filter(
    lambda s: "]]>" not in s
)
PRESENT = st.one_of(
    XML_TEXT.filter(lambda s: s.strip() != ""),
    st.integers(-1000, 1000),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-100, max_value=100),
    st.booleans(),
    st.dates().map(date.isoformat),
    st.datetimes().map(datetime.isoformat),
)
LITERAL = st.one_of(
    XML_TEXT, st.integers(-1000, 1000).map(str), st.dates().map(date.isoformat), st.just(";-;3;days")
).filter(lambda s: not s.strip().startswith(";") or s == ";-;3;days")
NEGATIONS = [("Equal", "NotEqual"), ("Contains", "NotContains")]


@settings(deadline=None)
@given(literal=LITERAL, attribute=PRESENT, pair=st.sampled_from(NEGATIONS))
def test_not_operators_negate_their_partner_on_present_values(
    literal: str, attribute: object, pair: tuple[str, str]
) -> None:
    positive, negative = pair
    assume(not (positive == "Contains" and literal.startswith(";")))
    assert one(negative, literal, attribute) is (not one(positive, literal, attribute))


@settings(deadline=None)
@given(
    literal=st.integers(-50, 50).map(str),
    attribute=st.one_of(st.integers(-60, 60), st.integers(-60, 60).map(str), st.decimals(-60, 60, places=3)),
)
def test_ordering_operators_complement_each_other_on_numbers(literal: str, attribute: object) -> None:
    assert one("GreaterThan", literal, attribute) is (not one("LessThanOrEqual", literal, attribute))
    assert one("LessThan", literal, attribute) is (not one("GreaterThanOrEqual", literal, attribute))


@settings(deadline=None)
@given(literal=st.dates(), attribute=st.datetimes())
def test_date_operators_cover_every_date(literal: date, attribute: datetime) -> None:
    after, before = (
        one("AtOrAfter", literal.isoformat(), attribute.isoformat()),
        one("AtOrBefore", literal.isoformat(), attribute),
    )
    assert after or before
    assert (after and before) is (attribute.date() == literal)


LEAVES = 6
# A leaf is the index of a fact; a ConditionSet is (operator, members).
Tree: TypeAlias = "int | tuple[str, list[Tree]]"
TREES: st.SearchStrategy[Tree] = st.recursive(
    st.integers(0, LEAVES - 1),
    lambda children: st.tuples(st.sampled_from(["AND", "OR"]), st.lists(children, max_size=4)),
    max_leaves=24,
)


def render(tree: Tree) -> str:
    if isinstance(tree, int):
        return cond(f"Leaf.k{tree}", "Is", "true")
    operator, members = tree
    return cset(operator, *(render(member) for member in members))


def model(tree: Tree, facts: list[bool]) -> bool:
    if isinstance(tree, int):
        return facts[tree]
    operator, members = tree
    return (all if operator == "AND" else any)(model(member, facts) for member in members)


def shape(tree: Tree) -> tuple[int, int]:
    """(leaves, ConditionSet depth)."""
    if isinstance(tree, int):
        return 1, 0
    found = [shape(member) for member in tree[1]]
    return sum(leaves for leaves, _ in found), 1 + max((depth for _, depth in found), default=0)


@settings(deadline=None)
@given(
    top=st.tuples(st.sampled_from(["AND", "OR"]), st.lists(TREES, max_size=4)),
    facts=st.lists(st.booleans(), min_size=LEAVES, max_size=LEAVES),
)
def test_condition_sets_agree_with_all_and_any(top: tuple[str, list[Tree]], facts: list[bool]) -> None:
    leaves, depth = shape(top)
    assume(depth <= MAX_DEPTH)
    criteria = parse_criteria(f"<FilterDefinition>{render(top)}</FilterDefinition>")
    expected = model(top, facts) if leaves else True  # no condition at all: always matches
    assert run(criteria, {f"Leaf.k{i}": fact for i, fact in enumerate(facts)}) is expected
