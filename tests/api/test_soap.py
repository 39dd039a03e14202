"""POST /Service.asmx: the SOAP calls SFMC tools make (DataFolder, AccountUser, dependency types)."""

from __future__ import annotations

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

FOLDER_PROPS = ["ID", "Client.ID", "CustomerKey", "Name", "ContentType", "ParentFolder.ID", "IsEditable"]


def test_every_business_unit_starts_with_a_root_journey_folder(api: Api) -> None:
    response = post(
        api, retrieve_body("DataFolder", FOLDER_PROPS, simple_filter("ContentType", "equals", "journey"))
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    # sfmc-sdk looks for these literal prefixes rather than resolving namespaces.
    assert b"<soap:Envelope" in response.content and b"<soap:Body>" in response.content
    result = body_of(response, "RetrieveResponseMsg")
    assert result["OverallStatus"] == "OK" and result["RequestID"]
    [root] = result["Results"]
    assert root == {
        "Client": {"ID": str(api.mid)},
        "ID": root["ID"],
        "CustomerKey": "journey_default",
        "ParentFolder": {"ID": "0"},
        "Name": "my journeys",
        "ContentType": "journey",
        "IsEditable": "false",
    }
    assert int(root["ID"]) > 0


def test_folders_can_be_created_below_the_root_and_are_listed(api: Api) -> None:
    root = root_journey_folder_id(api)
    first = create_folder(api, "Campaigns")
    nested = create_folder(api, "2026", parent_id=first)
    listed = {int(f["ID"]): (f["Name"], int(f["ParentFolder"]["ID"])) for f in journey_folders(api)}
    assert listed == {root: ("my journeys", 0), first: ("Campaigns", root), nested: ("2026", first)}

    # The list-types query mcdev also sends: no folders of those types exist.
    in_filter = simple_filter("ContentType", "IN", "list", "mysubs", "publication", "suppression_list")
    result = body_of(post(api, retrieve_body("DataFolder", FOLDER_PROPS, in_filter)), "RetrieveResponseMsg")
    assert result["OverallStatus"] == "OK" and result["Results"] == []

    by_name = simple_filter("Name", "equals", "campaigns")  # compared case-insensitively
    complex_filter = (
        '<Filter xsi:type="ComplexFilterPart"><LeftOperand xsi:type="SimpleFilterPart"><Property>ContentType'
        "</Property><SimpleOperator>equals</SimpleOperator><Value>journey</Value></LeftOperand>"
        "<LogicalOperator>AND</LogicalOperator>"
        + by_name.replace("<Filter ", "<RightOperand ").replace("</Filter>", "</RightOperand>")
        + "</Filter>"
    )
    result = body_of(
        post(api, retrieve_body("DataFolder", ["ID", "Name"], complex_filter)), "RetrieveResponseMsg"
    )
    assert result["Results"] == [{"ID": str(first), "Name": "Campaigns"}]


@pytest.mark.parametrize(
    ("name", "parent", "content_type", "message"),
    [
        ("Campaigns", None, "journey", "A folder named Campaigns already exists in the parent folder."),
        ("Orphan", 999_999_999, "journey", "Parent folder 999999999 does not exist."),
        ("Top", 0, "journey", "Parent folder 0 does not exist."),
        (
            "DEs",
            None,
            "dataextension",
            "ContentType dataextension differs from the parent folder's (journey).",
        ),
        ("", None, "journey", "Name is required and at most 200 characters long."),
    ],
)
def test_refused_folder_creations_answer_an_error_result(
    api: Api, name: str, parent: int | None, content_type: str, message: str
) -> None:
    create_folder(api, "Campaigns")
    parent_id = root_journey_folder_id(api) if parent is None else parent
    response = post(api, create_folder_body(name, parent_id, content_type), action="Create")
    assert response.status_code == 200
    result = body_of(response, "CreateResponse")
    assert result["OverallStatus"] == "Error"
    [entry] = result["Results"]
    assert (entry["StatusCode"], entry["StatusMessage"]) == ("Error", message)
    assert len(journey_folders(api)) == 2


def test_update_renames_a_folder_and_delete_is_refused(api: Api) -> None:
    folder = create_folder(api, "Old name")
    update = (
        f'<UpdateRequest xmlns="{PARTNER}"><Objects xsi:type="DataFolder"><ID>{folder}</ID>'
        "<Name>New name</Name></Objects></UpdateRequest>"
    )
    result = body_of(post(api, update, action="Update"), "UpdateResponse")
    assert result["OverallStatus"] == "OK" and result["Results"][0]["StatusCode"] == "OK"
    assert {f["Name"] for f in journey_folders(api)} == {"my journeys", "New name"}

    root = root_journey_folder_id(api)
    rename_root = update.replace(f"<ID>{folder}</ID>", f"<ID>{root}</ID>")
    assert body_of(post(api, rename_root, action="Update"), "UpdateResponse")["OverallStatus"] == "Error"

    delete = update.replace("UpdateRequest", "DeleteRequest")
    result = body_of(post(api, delete, action="Delete"), "DeleteResponse")
    assert result["OverallStatus"] == "Error"
    assert result["Results"][0]["StatusMessage"] == "Deleting folders is not supported by journeystack."


@pytest.mark.parametrize(
    "object_type",
    ["TriggeredSendDefinition", "DataExtension", "List", "Email", "SendClassification", "SenderProfile",
     "Program", "DataExtensionField"],
)  # fmt: skip
def test_dependency_types_answer_an_empty_successful_result(api: Api, object_type: str) -> None:
    result = body_of(post(api, retrieve_body(object_type, ["CustomerKey", "Name"])), "RetrieveResponseMsg")
    assert result["OverallStatus"] == "OK" and result["Results"] == []


def test_unknown_type_answers_an_error_status(api: Api) -> None:
    result = body_of(post(api, retrieve_body("Spaceship", ["Name"])), "RetrieveResponseMsg")
    assert result["OverallStatus"] == "Error: The object type Spaceship is not supported by journeystack."


def test_account_user_is_the_installed_package_user_and_filters_apply(api: Api) -> None:
    props = ["ID", "Name", "Email", "ActiveFlag", "CustomerKey", "MustChangePassword"]
    query_all = "<QueryAllAccounts>true</QueryAllAccounts>"
    result = body_of(post(api, retrieve_body("AccountUser", props, simple_filter("Email", "like", "@"), query_all)),
                     "RetrieveResponseMsg")  # fmt: skip
    [user] = result["Results"]
    assert user["Name"] == "journeystack app user" and user["CustomerKey"] == "journeystack"
    assert user["ActiveFlag"] == "true" and user["Email"].endswith("@journeystack.invalid")
    inactive = body_of(post(api, retrieve_body("AccountUser", props, simple_filter("ActiveFlag", "equals", "false"))),
                       "RetrieveResponseMsg")  # fmt: skip
    assert inactive["Results"] == []


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_missing_or_unknown_token_is_the_token_expired_fault(api: Api, token: str) -> None:
    response = post(api, retrieve_body("DataFolder", ["ID"]), token=token)
    assert response.status_code == 500
    fault = body_of(response, "{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault["faultstring"] == "Token Expired"


def test_path_is_case_insensitive_and_bad_xml_is_a_client_fault(api: Api) -> None:
    body = retrieve_body("DataFolder", ["ID"])
    response = api.client.post("/service.ASMX", content=envelope(body, api.token).encode())
    assert response.status_code == 200
    broken = api.client.post("/Service.asmx", content=b"<Envelope><Body>")
    assert broken.status_code == 500
    assert body_of(broken, "{http://schemas.xmlsoap.org/soap/envelope/}Fault")["faultcode"] == "soap:Client"


def test_entity_expansion_and_dtds_are_refused(api: Api) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>&lol2;</Body></Envelope>'
    )
    response = api.client.post("/Service.asmx", content=bomb)
    assert response.status_code == 500
    fault = body_of(response, "{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault["faultcode"] == "soap:Client" and "lollol" not in response.text


def test_business_units_see_only_their_own_folders(api: Api) -> None:
    create_folder(api, "Mine")
    other = Api(client=api.client, mid=api.other_mid, database_url=api.database_url).authenticate()
    theirs = journey_folders(other)
    assert [f["Name"] for f in theirs] == ["my journeys"]
    assert int(theirs[0]["ID"]) != root_journey_folder_id(api)
