"""Parsing SOAP requests (SFMC's partner API) into plain request objects.

The XML is parsed with defusedxml, which refuses DTDs, entity declarations and external references
(no billion laughs, no XXE). Namespaces are matched by local name only: clients spell them
differently and SFMC does not care either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# Nesting a partner-API request never needs; deeper input is refused before it is walked.
MAX_DEPTH = 32
_CHUNK = 64 * 1024


class SoapParseError(Exception):
    """The body is not a SOAP request journeystack understands; the message says why."""


@dataclass(frozen=True, slots=True)
class SimpleFilter:
    property: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComplexFilter:
    left: Filter
    operator: str
    right: Filter


Filter = SimpleFilter | ComplexFilter


@dataclass(frozen=True, slots=True)
class RetrieveRequest:
    object_type: str
    properties: tuple[str, ...]
    filter: Filter | None = None
    query_all_accounts: bool = False
    continue_request: str | None = None


@dataclass(frozen=True, slots=True)
class SoapObject:
    """One `Objects` element of a Create/Update/Delete: its xsi:type and its members, nested."""

    type: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    action: str  # Create, Update or Delete
    objects: tuple[SoapObject, ...]


@dataclass(frozen=True, slots=True)
class Envelope:
    token: str | None
    action: str  # Retrieve, Create, Update, Delete, or the unsupported request element's name
    request: RetrieveRequest | ChangeRequest | None


_CHANGE_ELEMENTS = {"CreateRequest": "Create", "UpdateRequest": "Update", "DeleteRequest": "Delete"}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _type_name(element: Element) -> str:
    return local(element.get(XSI_TYPE, "").split(":")[-1])


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SoapParseError(f"The request is nested deeper than {MAX_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in element)


def parse_envelope(body: bytes) -> Envelope:
    """The request in a SOAP envelope. Raises SoapParseError."""
    try:
        # Fed in chunks: one large document parsed in one call would hold the interpreter lock, and
        # so the event loop, for its whole parse.
        parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        for start in range(0, len(body), _CHUNK):
            parser.feed(body[start : start + _CHUNK])
        root = parser.close()
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        # LookupError: an XML declaration naming an encoding Python does not know.
        raise SoapParseError(f"The request is not well-formed XML: {error}") from None
    if local(root.tag) != "Envelope":
        raise SoapParseError("The request is not a SOAP envelope.")
    _check_depth(root)
    header = _child(root, "Header")
    token = None
    if header is not None:
        fueloauth = next((e for e in header.iter() if local(e.tag).lower() == "fueloauth"), None)
        token = _text(fueloauth) or None
    body_element = _child(root, "Body")
    content = next(iter(body_element), None) if body_element is not None else None
    if content is None:
        raise SoapParseError("The SOAP body is empty.")
    name = local(content.tag)
    if name == "RetrieveRequestMsg":
        retrieve = _child(content, "RetrieveRequest")
        if retrieve is None:
            raise SoapParseError("RetrieveRequestMsg has no RetrieveRequest.")
        return Envelope(token, "Retrieve", _retrieve(retrieve))
    if name in _CHANGE_ELEMENTS:
        objects = tuple(SoapObject(_type_name(o), _members(o)) for o in _children(content, "Objects"))
        return Envelope(token, _CHANGE_ELEMENTS[name], ChangeRequest(_CHANGE_ELEMENTS[name], objects))
    return Envelope(token, name, None)


def _retrieve(element: Element) -> RetrieveRequest:
    object_type = _text(_child(element, "ObjectType"))
    if not object_type:
        raise SoapParseError("RetrieveRequest has no ObjectType.")
    filter_element = _child(element, "Filter")
    return RetrieveRequest(
        object_type=object_type,
        properties=tuple(p for p in (_text(e) for e in _children(element, "Properties")) if p),
        filter=_filter(filter_element) if filter_element is not None else None,
        query_all_accounts=_text(_child(element, "QueryAllAccounts")).lower() == "true",
        continue_request=_text(_child(element, "ContinueRequest")) or None,
    )


def _filter(element: Element) -> Filter:
    left, right = _child(element, "LeftOperand"), _child(element, "RightOperand")
    if left is not None and right is not None:
        return ComplexFilter(_filter(left), _text(_child(element, "LogicalOperator")), _filter(right))
    prop = _text(_child(element, "Property"))
    if not prop:
        raise SoapParseError("A filter part names no Property.")
    values = tuple(_text(v) for v in _children(element, "Value"))
    values += tuple(_text(v) for v in _children(element, "DateValue"))
    return SimpleFilter(prop, _text(_child(element, "SimpleOperator")), values)


def _members(element: Element) -> dict[str, Any]:
    """An element's children as a dict: leaves as text, repeated names as lists."""
    result: dict[str, Any] = {}
    for child in element:
        name = local(child.tag)
        value: Any = _members(child) if len(child) else (child.text or "").strip()
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result
