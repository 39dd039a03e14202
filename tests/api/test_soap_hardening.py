"""SOAP: linear filters, bounded requests, and a SOAP fault for every failure (issue 12 §1, 3, 5, 6)."""

from __future__ import annotations

import time
from xml.etree import ElementTree

import httpx
import pytest

from tests.soap_client import (
    PARTNER,
    body_of,
    create_folder,
    create_folder_body,
    envelope,
    journey_folders,
    post,
    retrieve_body,
    root_journey_folder_id,
    simple_filter,
)
from tests.support import Api

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


def fault_of(response: httpx.Response) -> dict[str, str]:
    """faultcode and faultstring of a SOAP fault answer (HTTP 500, text/xml)."""
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/xml")
    found = ElementTree.fromstring(response.content).find(f"{SOAP}Body/{SOAP}Fault")
    assert found is not None, response.text
    return {child.tag: child.text or "" for child in found}


def _folders_named(api: Api, operator: str, value: str) -> tuple[str, list[str]]:
    response = post(api, retrieve_body("DataFolder", ["ID", "Name"], simple_filter("Name", operator, value)))
    assert response.status_code == 200, response.text
    result = body_of(response, "RetrieveResponseMsg")
    return result["OverallStatus"], sorted(r["Name"] for r in result["Results"])


def test_like_runs_in_linear_time_on_a_backtracking_pattern(api: Api) -> None:
    create_folder(api, "a" * 100)
    pattern = "%a" * 40 + "%b"
    started = time.monotonic()
    assert _folders_named(api, "like", pattern) == ("OK", [])
    assert time.monotonic() - started < 5  # the backtracking regex took minutes
    assert _folders_named(api, "like", "%a%a%") == ("OK", ["a" * 100])


def test_like_keeps_its_meaning(api: Api) -> None:
    for name in ("Campaigns", "Camp 2024", "Newsletters"):
        create_folder(api, name)
    assert _folders_named(api, "like", "camp%") == ("OK", ["Camp 2024", "Campaigns"])
    assert _folders_named(api, "like", "%s") == ("OK", ["Campaigns", "Newsletters", "my journeys"])
    assert _folders_named(api, "like", "C%a%s") == ("OK", ["Campaigns"])
    assert _folders_named(api, "like", "%2024") == ("OK", ["Camp 2024"])
    assert _folders_named(api, "like", "letter") == ("OK", ["Newsletters"])
    assert _folders_named(api, "like", "%") == (
        "OK",
        ["Camp 2024", "Campaigns", "Newsletters", "my journeys"],
    )


def test_a_filter_value_over_the_limit_is_an_error_status(api: Api) -> None:
    status, names = _folders_named(api, "like", "%" + "a" * 1001)
    assert (
        names == [] and status.startswith("Error: ") and "JOURNEYSTACK_SOAP_MAX_FILTER_VALUE_LENGTH" in status
    )


def test_more_objects_than_sfmcs_batch_size_is_a_fault_and_changes_nothing(api: Api) -> None:
    root = root_journey_folder_id(api)
    one = create_folder_body("x", root)
    objects = one[one.index("<Objects") : one.index("</CreateRequest>")]
    many = "".join(objects.replace("<Name>x</Name>", f"<Name>f{n}</Name>") for n in range(51))
    response = post(api, f'<CreateRequest xmlns="{PARTNER}">{many}</CreateRequest>', action="Create")
    fault = fault_of(response)
    assert fault["faultcode"] == "soap:Client" and "at most 50" in fault["faultstring"]
    assert len(journey_folders(api)) == 1
    fifty = "".join(objects.replace("<Name>x</Name>", f"<Name>f{n}</Name>") for n in range(50))
    response = post(api, f'<CreateRequest xmlns="{PARTNER}">{fifty}</CreateRequest>', action="Create")
    assert body_of(response, "CreateResponse")["OverallStatus"] == "OK"
    assert len(journey_folders(api)) == 51


@pytest.mark.parametrize("encoding", ["klingon", "utf-99"])
def test_an_unknown_xml_encoding_is_a_soap_fault(api: Api, encoding: str) -> None:
    document = f'<?xml version="1.0" encoding="{encoding}"?>' + envelope("<RetrieveRequestMsg/>", api.token)
    response = api.client.post(
        "/Service.asmx", content=document.encode(), headers={"Content-Type": "text/xml"}
    )
    assert fault_of(response)["faultcode"] == "soap:Client"


@pytest.mark.parametrize("folder_id", [str(2**63), str(2**64), "1" * 40, "١٢"])
def test_a_folder_id_out_of_range_is_an_error_result(api: Api, folder_id: str) -> None:
    update = (
        f'<UpdateRequest xmlns="{PARTNER}"><Objects xsi:type="DataFolder"><ID>{folder_id}</ID>'
        "<Name>renamed</Name></Objects></UpdateRequest>"
    )
    response = post(api, update, action="Update")
    assert response.status_code == 200, response.text
    result = body_of(response, "UpdateResponse")["Results"][0]
    assert result["StatusCode"] == "Error" and "ID must be a whole number" in result["StatusMessage"]
    created = post(
        api, create_folder_body("child", 0).replace("<ID>0</ID>", f"<ID>{folder_id}</ID>"), action="Create"
    )
    assert body_of(created, "CreateResponse")["Results"][0]["StatusCode"] == "Error"


def test_a_customer_key_longer_than_every_store_holds_is_refused(api: Api) -> None:
    body = create_folder_body("keyed", root_journey_folder_id(api)).replace(
        "<ContentType>", f"<CustomerKey>{'k' * 201}</CustomerKey><ContentType>"
    )
    result = body_of(post(api, body, action="Create"), "CreateResponse")["Results"][0]
    assert (
        result["StatusCode"] == "Error" and "CustomerKey is at most 200 characters" in result["StatusMessage"]
    )
    ok = body_of(post(api, body.replace("k" * 201, "k" * 200), action="Create"), "CreateResponse")
    assert ok["OverallStatus"] == "OK"
