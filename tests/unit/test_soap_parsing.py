"""journeystack.soap: envelopes parsed safely, filters evaluated as SFMC's partner API does."""

from __future__ import annotations

import pytest

from journeystack.soap.envelope import (
    ChangeRequest,
    ComplexFilter,
    RetrieveRequest,
    SimpleFilter,
    SoapParseError,
    parse_envelope,
)
from journeystack.soap.filters import UnsupportedFilter, matches
from journeystack.soap.render import nest
from tests.soap_client import create_folder_body, envelope, retrieve_body, simple_filter


def test_retrieve_request_with_token_properties_and_filter() -> None:
    body = retrieve_body("DataFolder", ["ID", "Name"], simple_filter("ContentType", "IN", "a", "b"),
                         "<QueryAllAccounts>true</QueryAllAccounts>")  # fmt: skip
    parsed = parse_envelope(envelope(body, "tok").encode())
    assert parsed.token == "tok" and parsed.action == "Retrieve"
    assert parsed.request == RetrieveRequest(
        "DataFolder", ("ID", "Name"), SimpleFilter("ContentType", "IN", ("a", "b")), query_all_accounts=True
    )


def test_create_request_objects_are_nested_dicts() -> None:
    parsed = parse_envelope(envelope(create_folder_body("A &amp; B", 7), "t").encode())
    assert isinstance(parsed.request, ChangeRequest) and parsed.action == "Create"
    [obj] = parsed.request.objects
    assert obj.type == "DataFolder"
    assert obj.fields["Name"] == "A & B" and obj.fields["ParentFolder"] == {"ID": "7"}


@pytest.mark.parametrize(
    "raw",
    [
        b"not xml",
        b"<Other/>",
        b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>',
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Envelope><Body>&e;</Body></Envelope>',
        b"<Envelope><Body>" + b"<a>" * 40 + b"</a>" * 40 + b"</Body></Envelope>",
    ],
)
def test_what_is_refused(raw: bytes) -> None:
    with pytest.raises(SoapParseError):
        parse_envelope(raw)


RECORD = {"Name": "Welcome Journeys", "ID": 1001, "Email": None, "ActiveFlag": True, "ParentFolder.ID": 0}


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (SimpleFilter("name", "equals", ("welcome journeys",)), True),
        (SimpleFilter("ID", "equals", ("1001.0",)), True),
        (SimpleFilter("ID", "greaterThan", ("999",)), True),  # numbers compare as numbers
        (SimpleFilter("ID", "IN", ("1", "1001")), True),
        (SimpleFilter("ActiveFlag", "equals", ("true",)), True),
        (SimpleFilter("Email", "isNull", ()), True),
        (SimpleFilter("Name", "like", ("journey",)), True),
        (SimpleFilter("Name", "like", ("Wel%s",)), True),
        (SimpleFilter("Name", "like", ("%x%",)), False),
        (SimpleFilter("ParentFolder.ID", "notEquals", ("0",)), False),
        (
            ComplexFilter(
                SimpleFilter("ID", "equals", ("1",)), "OR", SimpleFilter("Name", "beginsWith", ("w",))
            ),
            True,
        ),
        (
            ComplexFilter(
                SimpleFilter("ID", "equals", ("1",)), "AND", SimpleFilter("Name", "beginsWith", ("w",))
            ),
            False,
        ),
    ],
)
def test_filters(part: SimpleFilter | ComplexFilter, expected: bool) -> None:
    assert matches(part, RECORD) is expected


def test_unknown_operator_is_reported() -> None:
    with pytest.raises(UnsupportedFilter, match="mostlyEquals"):
        matches(SimpleFilter("ID", "mostlyEquals", ("1",)), RECORD)


def test_dotted_properties_nest_in_order() -> None:
    flat = {"ID": 5, "ParentFolder.ID": 0, "ParentFolder.CustomerKey": None, "Name": "x", "IsActive": True}
    order = ["ID", "ParentFolder.ID", "ParentFolder.CustomerKey", "Name", "IsActive"]
    assert nest(flat, order) == [
        ("ID", "5"), ("ParentFolder", [("ID", "0"), ("CustomerKey", None)]), ("Name", "x"), ("IsActive", "true"),
    ]  # fmt: skip
