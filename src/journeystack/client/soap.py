"""The little SOAP the client speaks: journey folders (DataFolder Retrieve and Create)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree

from .errors import BadRequestError
from .models import Folder

if TYPE_CHECKING:
    from ._plans import Call

PARTNER: Final = "http://exacttarget.com/wsdl/partnerAPI"
SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
FOLDER_PROPERTIES: Final = ("ID", "Name", "ContentType", "ParentFolder.ID", "CustomerKey")


def envelope(body: str, token: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<s:Header><fueloauth xmlns="http://exacttarget.com">{escape(token)}</fueloauth></s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def retrieve_folders(content_type: str) -> Call:
    from ._plans import Call

    properties = "".join(f"<Properties>{p}</Properties>" for p in FOLDER_PROPERTIES)
    body = (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest><ObjectType>DataFolder</ObjectType>'
        f'{properties}<Filter xsi:type="SimpleFilterPart"><Property>ContentType</Property>'
        f"<SimpleOperator>equals</SimpleOperator><Value>{escape(content_type)}</Value></Filter>"
        "</RetrieveRequest></RetrieveRequestMsg>"
    )
    return Call("POST", "Service.asmx", soap_action="Retrieve", soap_body=body)


def create_folder(name: str, parent_id: int, content_type: str) -> Call:
    from ._plans import Call

    body = (
        f'<CreateRequest xmlns="{PARTNER}"><Objects xsi:type="DataFolder">'
        f"<CustomerKey>{escape(name)}</CustomerKey><Name>{escape(name)}</Name>"
        f"<Description>{escape(name)}</Description><ContentType>{escape(content_type)}</ContentType>"
        f"<ParentFolder><ID>{int(parent_id)}</ID></ParentFolder><IsActive>true</IsActive>"
        "<IsEditable>true</IsEditable><AllowChildren>true</AllowChildren></Objects></CreateRequest>"
    )
    return Call("POST", "Service.asmx", soap_action="Create", soap_body=body)


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c) == name), None)


def _text(element: Element, *path: str) -> str | None:
    node: Element | None = element
    for name in path:
        node = _child(node, name) if node is not None else None
    return node.text if node is not None and node.text is not None else None


def _body(text: str) -> Element:
    root = ElementTree.fromstring(text.encode("utf-8"))
    body = next((c for c in root if _local(c) == "Body"), None)
    if body is None or not len(body):
        raise BadRequestError(status=200, errorcode=None, message="SOAP answer without a Body", body=text)
    return body[0]


def parse_folders(text: str) -> list[Folder]:
    message = _body(text)
    status = _text(message, "OverallStatus")
    if status is not None and status not in ("OK", "MoreDataAvailable"):
        raise BadRequestError(status=200, errorcode=None, message=f"DataFolder Retrieve: {status}", body=text)
    folders = []
    for result in (c for c in message if _local(c) == "Results"):
        identity, name = _text(result, "ID"), _text(result, "Name")
        if identity is None or name is None:
            continue
        parent = _text(result, "ParentFolder", "ID")
        folders.append(
            Folder(
                id=int(identity),
                name=name,
                parent_id=int(parent) if parent and parent.lstrip("-").isdigit() else None,
                content_type=_text(result, "ContentType"),
                customer_key=_text(result, "CustomerKey"),
            )
        )
    return folders


def parse_created(text: str) -> int:
    message = _body(text)
    result = _child(message, "Results")
    new_id = _text(result, "NewID") if result is not None else None
    if _text(message, "OverallStatus") != "OK" or new_id is None:
        detail = (_text(result, "StatusMessage") if result is not None else None) or "refused"
        raise BadRequestError(status=200, errorcode=None, message=f"DataFolder Create: {detail}", body=text)
    return int(new_id)
