"""The request journal: the last N calls and their answers, with tokens and secrets masked.

Recording a call only keeps references and a capped copy of its bodies; it is masked and shaped
when read, which keeps recording cheap on the request path. Headers, query parameters and JSON (or
form) fields whose name looks like a secret (`*secret*`, `*token*`, `*password*`, `authorization`,
`cookie`, `*api_key*`, `*oauth*`) keep their name and lose their value; so do XML elements such as
SOAP's `<fueloauth>`. A body over the capture cap is shown as text, cut at the cap, with the same
names masked by pattern and any `Bearer <token>` masked.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree

import orjson
from defusedxml.ElementTree import fromstring

from journeystack.domain.clock import Clock

from .http import ApiRequest, ApiResponse

# The header a response answered by a fault rule carries (api/control.py sets it).
FAULT_HEADER = "X-Journeystack-Fault"

MASK = "********"
_SENSITIVE = r"secret|token|passw(?:or)?d|pwd|authori[sz]ation|cookie|api[-_]?key|oauth"
SENSITIVE_NAME = re.compile(_SENSITIVE, re.IGNORECASE)
# The same words, spelt out for str.find.
_WORDS = ("secret", "token", "password", "passwd", "pwd", "authorization", "authorisation", "cookie",
          "api_key", "api-key", "apikey", "oauth")  # fmt: skip
# In text: after a sensitive word, the rest of the name, a `:` or `=`, and the value to mask. Possessive
# quantifiers keep it linear on any input.
_VALUE_AFTER = re.compile(
    r"""[\w.-]*+["']?\s*+[:=]\s*+(?P<value>"(?:[^"\\]|\\.)*+"?|'[^']*+'?|[^\s&,;{}\[\]"']++)"""
)
# In XML: a sensitive element's text, as SOAP carries the access token (<fueloauth>) or a password.
_XML_AFTER = re.compile(r"[\w.-]*+(?:\s[^<>]*+)?>(?P<value>[^<]++)")
_BEARER = re.compile(r"(?P<scheme>\b(?:bearer|basic)\s++)[A-Za-z0-9._~+/=-]++", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def is_sensitive(name: str) -> bool:
    """Whether a header, parameter or member name looks like it holds a secret."""
    return SENSITIVE_NAME.search(name) is not None


def mask_value(value: Any) -> Any:
    """A JSON value with every member whose name looks like a secret masked, at any depth."""
    if isinstance(value, dict):
        return {
            name: (MASK if item is not None and is_sensitive(name) else mask_value(item))
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def mask_header(name: str, value: str) -> str:
    if not is_sensitive(name):
        return value
    scheme, _, credential = value.partition(" ")
    return f"{scheme} {MASK}" if credential and scheme.isalpha() else MASK


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): mask_header(name, value) for name, value in headers}


def mask_text(text: str) -> str:
    """Text that may hold secrets in `name: value` or `name=value` form, or as bearer credentials."""
    # Python's case-insensitive regex alternation is slow on large text: find the words in a
    # lower-cased copy instead (same offsets, unless lower-casing changed the length).
    lowered = text.lower()
    if len(lowered) == len(text):
        words = sorted((at, at + len(w)) for w in _WORDS for at in _find_all(lowered, w))
    else:
        words = [(m.start(), m.end()) for m in SENSITIVE_NAME.finditer(text)]
    if words:
        text = _mask_values(text, words)
    if "bearer" in lowered or "basic" in lowered:
        text = _BEARER.sub(lambda m: m.group("scheme") + MASK, text)
    return text


def _xml_element_text(text: str, start: int, end: int) -> re.Match[str] | None:
    """The text of an element whose name holds the word at start:end (an opening tag only)."""
    at = start
    while at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_.:-"):
        at -= 1
    if at == 0 or text[at - 1] != "<":
        return None
    return _XML_AFTER.match(text, end)


def _find_all(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at != -1:
        yield at
        at = text.find(word, at + 1)


def _mask_values(text: str, words: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    done = 0
    for start, end in words:
        if start < done:
            continue
        found = _xml_element_text(text, start, end) or _VALUE_AFTER.match(text, end)
        if found is None:
            continue
        value = found.group("value")
        quote = value[0] if value[:1] in ('"', "'") else ""
        pieces.append(text[done : found.start("value")])
        pieces.append(f"{quote}{MASK}{quote}")
        done = found.end()
    pieces.append(text[done:])
    return "".join(pieces)


def mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, MASK if value and is_sensitive(name) else value) for name, value in pairs])


def _mask_xml(body: bytes) -> str | None:
    """An XML body parsed, every element whose name looks like a secret emptied of all its text
    (CDATA and comments included: the parser has resolved them), and written again; None when it
    is not XML the SOAP endpoint would parse either."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception:
        return None
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if is_sensitive(name):
            for child in list(element):
                element.remove(child)
            element.text = MASK
        for attribute in list(element.attrib):
            if is_sensitive(attribute.rsplit("}", 1)[-1]):
                element.set(attribute, MASK)
    return ElementTree.tostring(root, encoding="unicode")


def _looks_structured(body: bytes) -> bool:
    return body.lstrip()[:1] in (b"{", b"[", b"<")


# A request body over the capture cap is parsed whole to be masked when it is recorded, by the
# journal's own thread, never on the event loop. Beyond this size it is not parsed at all, and the
# journal says so: masking a 4 MiB SOAP envelope costs half a second of interpreter time.
MAX_MASKED_BYTES = 1024 * 1024


def capture_body(body: bytes | None, content_type: str, cap: int) -> tuple[Any, bool]:
    """A whole body as the journal shows it, and whether it was cut: masked after parsing, never
    by pattern over the raw text (which a CDATA section, a comment or a JSON escape such as
    `client_s\\u0065cret` defeats). JSON as JSON, form fields as an object, XML as XML text,
    each cut to `cap` characters once masked. A body that looks like JSON or XML but does not
    parse is not shown; other text is shown with `name=value` secrets and credentials masked."""
    if not body:
        return None, False
    if len(body) > MAX_MASKED_BYTES:
        return f"(not shown: {len(body)} bytes, more than the {MAX_MASKED_BYTES} the journal masks)", True
    value: Any = None
    parsed = False
    try:
        value, parsed = orjson.loads(body), True
    except orjson.JSONDecodeError:
        if "application/x-www-form-urlencoded" in content_type:
            value = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            parsed = True
    if parsed:
        masked = mask_value(value)
        dumped = orjson.dumps(masked)
        if len(dumped) <= cap:
            return masked, False
        return dumped[:cap].decode("utf-8", "ignore"), True
    xml = _mask_xml(body) if body.lstrip()[:1] == b"<" else None
    if xml is not None:
        return xml[:cap], len(xml) > cap
    if _looks_structured(body):
        return f"(not shown: {len(body)} bytes that look like JSON or XML but do not parse)", False
    text = mask_text(body[: cap + 256].decode("utf-8", "replace"))
    return text[:cap], len(body) > cap or len(text) > cap


@dataclass(frozen=True, slots=True)
class _Call:
    """One recorded call as it came: masked and shaped only when read, to keep recording cheap.
    Bodies are kept whole up to the cap, beyond it cut a little past the cap (masked, then cut)."""

    sequence: int
    time_ms: int
    request_id: str
    method: str
    path: str
    query: bytes
    status: int
    duration_ms: float
    mid: int | None
    fault: str | None
    reason: str | None
    request_headers: dict[str, str]
    request_body: bytes
    request_bytes: int
    request_captured: Future[tuple[Any, bool]] | None
    response_headers: dict[str, str]
    response_body: bytes | None
    response_bytes: int
    # Calls the engine made (custom activities): their full URL, and why no answer came, if none did.
    direction: str = "inbound"
    url: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class JournalQuery:
    path: str | None = None
    status: str | None = None  # "404" or a class such as "4xx"
    mid: int | None = None
    limit: int = 50
    direction: str | None = None  # inbound | outbound

    def wants(self, call: _Call) -> bool:
        if self.direction and call.direction != self.direction:
            return False
        if self.path and self.path.lower() not in call.path.lower():
            return False
        if self.mid is not None and call.mid != self.mid:
            return False
        if self.status:
            status = str(call.status)
            wanted = self.status.lower()
            if wanted.endswith("xx"):
                return status.startswith(wanted[:-2])
            return status == wanted
        return True


class Journal:
    """A bounded, thread-safe record of calls, newest last; control-plane calls are not recorded."""

    def __init__(self, *, size: int, body_cap: int, clock: Clock, enabled: bool = True) -> None:
        self.enabled = enabled
        self.size = size
        self._cap = body_cap
        # What is kept of a body over the cap: enough past it to mask a value the cap cuts through.
        self._keep = body_cap + 512
        self._clock = clock
        self._calls: deque[_Call] = deque(maxlen=size)
        # Masks big request bodies off the caller's thread (the event loop), one at a time.
        self._masker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journeystack-journal")
        self._sequence = 0
        self._lock = threading.Lock()

    def record(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        headers: dict[str, str],
        request: ApiRequest | None,
        response: ApiResponse,
        request_id: str,
        duration_ms: float,
    ) -> None:
        body = request.body if request is not None else b""
        # A request body over the cap cannot be parsed later from what is kept of it: mask it now,
        # after parsing the whole of it. (Responses are journeystack's own JSON or XML, kept as a
        # prefix and masked when read.)
        captured = (
            self._masker.submit(capture_body, body, headers.get("content-type", ""), self._cap)
            if len(body) > self._cap
            else None
        )
        # The response's own headers, as they were sent: lower-cased (and the JSON content type
        # the pipeline adds filled in) only when the journal is read.
        response_headers = response.headers
        keep = self._keep
        with self._lock:
            self._sequence += 1
            self._calls.append(
                _Call(
                    sequence=self._sequence,
                    time_ms=self._clock.now_ms(),
                    request_id=request_id,
                    method=method,
                    path=path.split("?", 1)[0],
                    query=query,
                    status=response.status,
                    duration_ms=duration_ms,
                    mid=request.grant.mid if request is not None and request.grant is not None else None,
                    fault=response_headers.get(FAULT_HEADER),
                    reason=response.reason,
                    request_headers=headers,
                    request_body=body[:keep],
                    request_bytes=len(body),
                    request_captured=captured,
                    response_headers=response_headers,
                    response_body=None if response.body is None else response.body[:keep],
                    response_bytes=len(response.body or b""),
                )
            )

    def record_outbound(
        self,
        *,
        method: str,
        url: str,
        path: str,
        request_headers: dict[str, str],
        shown_body: bytes,
        status: int | None,
        error: str | None,
        response_headers: dict[str, str],
        response_body: bytes,
        duration_ms: float,
        mid: int | None,
        time_ms: int,
    ) -> None:
        """One call the engine made. `shown_body` is the request as the journal shows it: the JSON
        envelope (masked when read like any body), also when it was sent signed as a JWT."""
        keep = self._keep
        with self._lock:
            self._sequence += 1
            self._calls.append(
                _Call(
                    sequence=self._sequence, time_ms=time_ms, request_id="", method=method, path=path,
                    query=b"", status=status or 0, duration_ms=duration_ms, mid=mid, fault=None, reason=None,
                    request_headers=request_headers, request_body=shown_body[:keep],
                    request_bytes=len(shown_body), request_captured=None, response_headers=response_headers,
                    response_body=response_body[:keep], response_bytes=len(response_body),
                    direction="outbound", url=url, error=error,
                )
            )  # fmt: skip

    def entries(self, query: JournalQuery) -> list[dict[str, Any]]:
        """The newest entries first, at most `query.limit` of them, masked."""
        with self._lock:
            calls = list(self._calls)
        found: list[dict[str, Any]] = []
        for call in reversed(calls):
            if query.wants(call):
                found.append(self._entry(call))
                if len(found) >= query.limit:
                    break
        return found

    def _entry(self, call: _Call) -> dict[str, Any]:
        if call.request_captured is not None:
            request_body, request_cut = call.request_captured.result()[0], True
        else:
            request_body, request_cut = self._capture(
                call.request_body, call.request_bytes, call.request_headers
            )
        response_headers = {name.lower(): value for name, value in call.response_headers.items()}
        if call.response_body is not None:
            response_headers.setdefault("content-type", "application/json; charset=utf-8")
        response_body, response_cut = self._capture(call.response_body, call.response_bytes, response_headers)
        extra: dict[str, Any] = {}
        if call.direction == "outbound":
            extra = {"url": _mask_url(call.url or ""), "error": call.error}
        return {
            "direction": call.direction,
            **extra,
            "sequence": call.sequence,
            "time": _iso(call.time_ms),
            "requestId": call.request_id,
            "method": call.method,
            "path": call.path,
            "query": mask_query(call.query.decode("latin-1")),
            "status": call.status,
            "durationMs": round(call.duration_ms, 2),
            "mid": call.mid,
            "fault": call.fault,
            "reason": call.reason,
            "request": {
                "headers": mask_headers(call.request_headers.items()),
                "body": request_body,
                "bodyBytes": call.request_bytes,
                "bodyTruncated": request_cut,
            },
            "response": {
                "headers": mask_headers(response_headers.items()),
                "body": response_body,
                "bodyBytes": call.response_bytes,
                "bodyTruncated": response_cut,
            },
        }

    def _capture(self, body: bytes | None, size: int, headers: dict[str, str]) -> tuple[Any, bool]:
        captured, cut = capture_body(body, headers.get("content-type", ""), self._cap)
        return captured, cut or size > len(body or b"")

    def clear(self) -> int:
        with self._lock:
            count = len(self._calls)
            self._calls.clear()
        return count

    def __len__(self) -> int:
        return len(self._calls)


def _mask_url(url: str) -> str:
    """A URL with secret-looking query parameters masked."""
    base, separator, query = url.partition("?")
    return f"{base}?{mask_query(query)}" if separator else base


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
