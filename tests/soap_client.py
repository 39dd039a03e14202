"""A tiny SOAP client for tests: envelopes the way sfmc-sdk writes them, answers parsed to dicts."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx

from tests.support import Api

ENVELOPE = (
    '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Body>{body}</Body>'
    '<Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></Header></Envelope>'
)
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"


def envelope(body: str, token: str) -> str:
    return ENVELOPE.format(body=body, token=token)


def retrieve_body(object_type: str, properties: list[str], filter_xml: str = "", extra: str = "") -> str:
    props = "".join(f"<Properties>{p}</Properties>" for p in properties)
    return (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest><ObjectType>{object_type}</ObjectType>'
        f"{props}{filter_xml}{extra}</RetrieveRequest></RetrieveRequestMsg>"
    )


def simple_filter(prop: str, operator: str, *values: str) -> str:
    vals = "".join(f"<Value>{v}</Value>" for v in values)
    return (
        f'<Filter xsi:type="SimpleFilterPart"><Property>{prop}</Property>'
        f"<SimpleOperator>{operator}</SimpleOperator>{vals}</Filter>"
    )


def create_folder_body(name: str, parent_id: int, content_type: str = "journey") -> str:
    return (
        f'<CreateRequest xmlns="{PARTNER}"><Objects xsi:type="DataFolder"><Name>{name}</Name>'
        f"<ContentType>{content_type}</ContentType><ParentFolder><ID>{parent_id}</ID></ParentFolder>"
        "<IsActive>true</IsActive><IsEditable>true</IsEditable><AllowChildren>true</AllowChildren>"
        "</Objects></CreateRequest>"
    )


def post(api: Api, body: str, *, token: str | None = None, action: str = "Retrieve") -> httpx.Response:
    return api.client.post(
        "/Service.asmx",
        content=envelope(body, api.token if token is None else token).encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": action},
    )


def _to_dict(element: ElementTree.Element) -> Any:
    if len(element) == 0:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in element:
        name = child.tag.rsplit("}", 1)[-1]
        value = _to_dict(child)
        if name == "Results":
            result.setdefault("Results", []).append(value)
        else:
            result[name] = value
    return result


def body_of(response: httpx.Response, element: str) -> dict[str, Any]:
    """The named element inside soap:Body, as nested dicts (Results always a list)."""
    root = ElementTree.fromstring(response.content)
    found = root.find(f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{element}")
    if found is None:
        found = root.find(f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{{{PARTNER}}}{element}")
    assert found is not None, response.text
    result: dict[str, Any] = _to_dict(found)
    result.setdefault("Results", [])
    return result


def journey_folders(api: Api) -> list[dict[str, Any]]:
    response = post(
        api,
        retrieve_body(
            "DataFolder",
            ["ID", "Name", "ContentType", "ParentFolder.ID", "CustomerKey"],
            simple_filter("ContentType", "equals", "journey"),
        ),
    )
    assert response.status_code == 200, response.text
    folders: list[dict[str, Any]] = body_of(response, "RetrieveResponseMsg")["Results"]
    return folders


def root_journey_folder_id(api: Api) -> int:
    return next(int(f["ID"]) for f in journey_folders(api) if f["ParentFolder"]["ID"] == "0")


def create_folder(api: Api, name: str, parent_id: int | None = None) -> int:
    parent = root_journey_folder_id(api) if parent_id is None else parent_id
    response = post(api, create_folder_body(name, parent), action="Create")
    assert response.status_code == 200, response.text
    result = body_of(response, "CreateResponse")
    assert result["OverallStatus"] == "OK", response.text
    return int(result["Results"][0]["NewID"])
