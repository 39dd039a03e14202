"""Writing SOAP responses as SFMC writes them.

Clients (sfmc-sdk's fast-xml-parser among them) look for the literal `soap:Envelope` and
`soap:Body` element names rather than resolving namespaces, so the prefixes here are fixed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"

# A nested value: text, or an ordered list of (name, value) children.
Node = str | list[tuple[str, "Node"]] | None


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """One entry of a Create/Update/Delete response."""

    ok: bool
    message: str
    ordinal: int
    new_id: int | None = None
    new_object_id: str | None = None
    error_code: int | None = None


def _node(name: str, value: Node) -> str:
    if value is None:
        return f'<{name} xsi:nil="true" />'
    if isinstance(value, str):
        return f"<{name}>{escape(value)}</{name}>" if value else f"<{name} />"
    return f"<{name}>{''.join(_node(n, v) for n, v in value)}</{name}>"


def _envelope(action: str, message_id: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsi="{XSI_NS}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">'
        f"<soap:Header><wsa:Action>{escape(action)}Response</wsa:Action>"
        f"<wsa:MessageID>urn:uuid:{escape(message_id)}</wsa:MessageID></soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def text(value: object) -> str:
    """A scalar as SOAP writes it (booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def nest(flat: Mapping[str, object], order: Sequence[str]) -> list[tuple[str, Node]]:
    """Dotted property names (`ParentFolder.ID`) as nested elements, in `order`."""
    result: list[tuple[str, Node]] = []
    for name in order:
        if name not in flat:
            continue
        value = flat[name]
        node: Node = None if value is None else text(value)
        head, _, rest = name.partition(".")
        target = result
        while rest:
            existing = next((child for n, child in target if n == head and isinstance(child, list)), None)
            if existing is None:
                existing = []
                target.append((head, existing))
            target = existing
            head, _, rest = rest.partition(".")
        target.append((head, node))
    return result


def retrieve_response(
    *, request_id: str, object_type: str, results: Iterable[list[tuple[str, Node]]], status: str = "OK"
) -> bytes:
    items = "".join(
        f"<Results xsi:type={quoteattr(object_type)}>{''.join(_node(n, v) for n, v in r)}</Results>"
        for r in results
    )
    body = (
        f'<RetrieveResponseMsg xmlns="{PARTNER_NS}"><OverallStatus>{escape(status)}</OverallStatus>'
        f"<RequestID>{escape(request_id)}</RequestID>{items}</RetrieveResponseMsg>"
    )
    return _envelope("Retrieve", request_id, body)


def change_response(*, action: str, request_id: str, results: Sequence[ChangeResult]) -> bytes:
    """CreateResponse / UpdateResponse / DeleteResponse."""
    entries = []
    for r in results:
        parts: list[tuple[str, Node]] = [
            ("StatusCode", "OK" if r.ok else "Error"),
            ("StatusMessage", r.message),
            ("OrdinalID", str(r.ordinal)),
        ]
        if r.error_code is not None:
            parts.append(("ErrorCode", str(r.error_code)))
        if action == "Create":
            parts.append(("NewID", str(r.new_id or 0)))
            if r.new_object_id:
                parts.append(("NewObjectID", r.new_object_id))
        entries.append(_node("Results", parts))
    overall = "OK" if all(r.ok for r in results) else "Error"
    body = (
        f'<{action}Response xmlns="{PARTNER_NS}">{"".join(entries)}'
        f"<RequestID>{escape(request_id)}</RequestID><OverallStatus>{overall}</OverallStatus></{action}Response>"
    )
    return _envelope(action, request_id, body)


def fault(*, code: str, message: str, message_id: str) -> bytes:
    body = (
        f"<soap:Fault><faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault>"
    )
    return _envelope("Fault", message_id, body)
