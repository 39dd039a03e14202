"""Data binding: the `{{...}}` expressions of activity arguments, compiled once, rendered per contact.

SFMC evaluates bindings when the activity runs for a contact, never at save or publish, and matches
names case-sensitively (engine.md §3). What it does with an expression that does not resolve is not
public, so the caller chooses: lenient (empty string, reported) or strict (UnresolvedBinding).
docs/waits-and-binding.md lists every expression form and every choice made where SFMC is silent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Final

__all__ = [
    "MAX_EXPRESSIONS",
    "MAX_TEMPLATE_CHARS",
    "BindingScope",
    "Template",
    "TemplateError",
    "UnresolvedBinding",
    "compile_template",
    "resolve_value",
    "to_text",
]

MAX_TEMPLATE_CHARS: Final = 64 * 1024
MAX_EXPRESSIONS: Final = 512
_MAX_NESTING: Final = 64  # how deep resolve_value walks into dicts and lists
_WHITESPACE: Final = frozenset(" \t\r\n")
# Contact.Default.<name> reads the "Default" attribute set; SFMC's docs also name the mobile number
# "SMS" there (engine.md §3), so that name falls back to MobileNumber.
_DEFAULT_SET: Final = "Default"
_DEFAULT_ALIASES: Final = {"SMS": "MobileNumber"}


class TemplateError(ValueError):
    """A text journeystack refuses to compile as a template (too long, too many expressions, nested
    too deeply); `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnresolvedBinding(Exception):
    """A binding that names nothing in the contact's scope, in strict mode. `expression` is the
    binding as written, braces included (e.g. "{{Contact.Attribute.Set.Field}}")."""

    def __init__(self, expression: str) -> None:
        super().__init__(f"unresolved binding {expression}")
        self.expression = expression


@dataclass(frozen=True, slots=True)
class BindingScope:
    """Everything a binding can name for one contact at one activity."""

    contact_key: str
    # event definition key -> the data frozen at entry (or carried by a released Wait Until API Event)
    event_data: Mapping[str, Mapping[str, object]]
    # attribute set (data extension) -> field -> value; the "Default" set holds Email, MobileNumber...
    contact_attributes: Mapping[str, Mapping[str, object]]
    # the journey's `defaults`: {"email": [template, ...], "mobileNumber": [...]}
    interaction_defaults: Mapping[str, object]
    # ContactKey, DefinitionId, DefinitionInstanceId, ExecutionMode, StartActivityKey, VersionNumber...
    context: Mapping[str, object]
    # activity key -> out-arguments of the activities the contact went through
    interaction: Mapping[str, Mapping[str, object]]
    activity_id: str | None = None


_MISSING: Final = object()  # what a lookup returns when the expression names nothing
_Lookup = Callable[[BindingScope, int], object]


class Template:
    """A text compiled once: its literal pieces and the lookups of its expressions, in order."""

    __slots__ = ("_literals", "_lookups", "_single", "expressions", "text")

    def __init__(self, text: str, literals: tuple[str, ...], expressions: tuple[str, ...],
                 lookups: tuple[_Lookup, ...]) -> None:  # fmt: skip
        self.text = text
        self.expressions = expressions  # each as written, braces included
        self._literals = literals
        self._lookups = lookups
        # A text that is exactly one expression renders to the bound value itself, keeping its type.
        self._single = lookups[0] if len(lookups) == 1 and literals == ("", "") else None

    def render(self, scope: BindingScope, *, strict: bool, unresolved: list[str] | None = None) -> object:
        """The text with its expressions bound for `scope`. A text that is exactly one expression gives
        the bound value as is (a number stays a number); otherwise each value is written into the text
        (see `to_text`). An expression that names nothing renders as "" and is appended to
        `unresolved`, or, when `strict`, raises UnresolvedBinding."""
        return self._render(scope, strict, unresolved, 0)

    def _render(self, scope: BindingScope, strict: bool, unresolved: list[str] | None, depth: int) -> object:
        if self._single is not None:
            value = self._single(scope, depth)
            if value is _MISSING:
                return _unresolved(self.expressions[0], strict, unresolved)
            return value
        literals = self._literals
        if len(literals) == 1:
            return literals[0]
        pieces = [literals[0]]
        for index, lookup in enumerate(self._lookups):
            value = lookup(scope, depth)
            if type(value) is str:
                pieces.append(value)
            elif value is _MISSING:
                _unresolved(self.expressions[index], strict, unresolved)
            else:
                pieces.append(to_text(value))
            pieces.append(literals[index + 1])
        return "".join(pieces)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def _unresolved(expression: str, strict: bool, unresolved: list[str] | None) -> str:
    if strict:
        raise UnresolvedBinding(expression)
    if unresolved is not None:
        unresolved.append(expression)
    return ""


def to_text(value: object) -> str:
    """How a bound value reads inside a longer text: None as "", booleans and containers as JSON,
    dates in ISO 8601, anything else as str()."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def resolve_value(
    value: object, scope: BindingScope, *, strict: bool, unresolved: list[str] | None = None
) -> object:
    """`value` with every string in it rendered as a template, walking into dicts (values only, never
    keys) and lists; other values come back as they are. Raises UnresolvedBinding (strict) and
    TemplateError (a string too large to compile, or nesting deeper than 64)."""
    return _resolve(value, scope, strict, unresolved, 0)


def _resolve(
    value: object, scope: BindingScope, strict: bool, unresolved: list[str] | None, nesting: int
) -> object:
    if isinstance(value, str):
        if "{{" not in value:
            return value
        return compile_template(value)._render(scope, strict, unresolved, 0)
    if nesting >= _MAX_NESTING:
        raise TemplateError(f"arguments nested more than {_MAX_NESTING} levels deep")
    if isinstance(value, Mapping):
        return {key: _resolve(item, scope, strict, unresolved, nesting + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(item, scope, strict, unresolved, nesting + 1) for item in value]
    return value


# --- compiling -----------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def compile_template(text: str) -> Template:
    """`text` split once into literal pieces and expression lookups (cached). A `{{` with no `}}`
    after it, and an empty `{{ }}`, are literal text. Raises TemplateError past 64 KiB or 512
    expressions."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"a template may hold at most {MAX_TEMPLATE_CHARS} characters, not {len(text)}")
    literals: list[str] = []
    expressions: list[str] = []
    lookups: list[_Lookup] = []
    literal_start = 0
    position = 0
    while True:  # one left-to-right pass: every character is looked at a bounded number of times
        opening = text.find("{{", position)
        if opening < 0:
            break
        closing = text.find("}}", opening + 2)
        if closing < 0:
            break
        opening = text.rfind("{{", opening, closing)  # "{{{a}}}": the innermost pair binds
        source = text[opening + 2 : closing].strip()
        position = closing + 2
        if not source:
            continue
        if len(lookups) == MAX_EXPRESSIONS:
            raise TemplateError(f"a template may hold at most {MAX_EXPRESSIONS} expressions")
        literals.append(text[literal_start:opening])
        expressions.append("{{" + source + "}}")
        lookups.append(_compile_expression(source))
        literal_start = position
    literals.append(text[literal_start:])
    return Template(text, tuple(literals), tuple(expressions), tuple(lookups))


def _segments(source: str) -> tuple[str, ...] | None:
    """`Event.key."Field Name"` -> ("Event", "key", "Field Name"); None when malformed. A segment is
    either "quoted" (anything but a quote) or bare (anything but a dot or a quote), blanks trimmed."""
    segments: list[str] = []
    length = len(source)
    index = 0
    while True:
        while index < length and source[index] in _WHITESPACE:
            index += 1
        if index < length and source[index] == '"':
            end = source.find('"', index + 1)
            if end < 0:
                return None
            segment = source[index + 1 : end]
            index = end + 1
            while index < length and source[index] in _WHITESPACE:
                index += 1
            last = index == length
            if not last and source[index] != ".":
                return None
        else:
            end = source.find(".", index)
            last = end < 0
            segment = source[index:].strip() if last else source[index:end].strip()
            if '"' in segment:
                return None
            index = end
        if not segment:
            return None
        segments.append(segment)
        if last:
            return tuple(segments)
        index += 1  # past the dot


def _compile_expression(source: str) -> _Lookup:
    """The lookup for one expression; anything that is not one of the documented forms names nothing."""
    segments = _segments(source)
    if segments is None:
        return _nothing
    head, rest = segments[0], segments[1:]
    if head == "Event":
        return _event(rest)
    if head == "Contact":
        return _contact(rest)
    if head == "InteractionDefaults" and len(rest) == 1:
        return _interaction_default(rest[0])
    if head == "Context" and len(rest) == 1:
        return _context(rest[0])
    if head == "Interaction" and len(rest) >= 2:
        return _interaction(rest[0], rest[1], rest[2:])
    if head == "Activity" and rest == ("Id",):
        return _activity_id
    return _nothing


def _nothing(_scope: BindingScope, _depth: int) -> object:
    return _MISSING


def _walk(value: object, path: tuple[str, ...]) -> object:
    for name in path:
        try:
            value = value[name]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            return _MISSING
    return value


def _event(rest: tuple[str, ...]) -> _Lookup:
    if not rest:

        def whole(scope: BindingScope, _depth: int) -> object:  # {{Event}}: all journey data, by event key
            return {key: dict(data) for key, data in scope.event_data.items()}

        return whole
    key, path = rest[0], rest[1:]

    def event(scope: BindingScope, _depth: int) -> object:
        data = scope.event_data.get(key, _MISSING)
        return data if data is _MISSING else _walk(data, path)

    return event


def _contact(rest: tuple[str, ...]) -> _Lookup:
    if rest == ("Key",):

        def contact_key(scope: BindingScope, _depth: int) -> object:
            return scope.contact_key

        return contact_key
    if len(rest) >= 3 and rest[0] == "Attribute":
        attribute_set, path = rest[1], rest[2:]

        def attribute(scope: BindingScope, _depth: int) -> object:
            fields = scope.contact_attributes.get(attribute_set, _MISSING)
            return fields if fields is _MISSING else _walk(fields, path)

        return attribute
    if len(rest) == 2 and rest[0] == "Default":
        name = rest[1]
        alias = _DEFAULT_ALIASES.get(name)

        def default(scope: BindingScope, _depth: int) -> object:
            fields = scope.contact_attributes.get(_DEFAULT_SET)
            if fields is None:
                return _MISSING
            value = fields.get(name, _MISSING)
            return fields.get(alias, _MISSING) if value is _MISSING and alias else value

        return default
    return _nothing


def _interaction_default(name: str) -> _Lookup:
    # The journey's `defaults` keys are lower camel case (email, mobileNumber); the binding names are
    # Pascal case (Email, MobileNumber).
    keys = (name, name[:1].lower() + name[1:])

    def interaction_default(scope: BindingScope, depth: int) -> object:
        if depth > 0:  # a default that names a default again would never end
            return _MISSING
        sources: object = _MISSING
        for key in keys:
            sources = scope.interaction_defaults.get(key, _MISSING)
            if sources is not _MISSING:
                break
        if sources is _MISSING or sources is None:
            return _MISSING
        for source in sources if isinstance(sources, list | tuple) else (sources,):
            value = (
                compile_template(source)._render(scope, False, None, depth + 1)
                if isinstance(source, str)
                else source
            )
            if not _is_blank(value):
                return value
        return _MISSING

    return interaction_default


def _is_blank(value: object) -> bool:
    return value is None or value is _MISSING or (isinstance(value, str) and not value.strip())


def _context(name: str) -> _Lookup:
    def context(scope: BindingScope, _depth: int) -> object:
        return scope.context.get(name, _MISSING)

    return context


def _interaction(activity_key: str, argument: str, path: tuple[str, ...]) -> _Lookup:
    lowered = argument.lower()

    def interaction(scope: BindingScope, _depth: int) -> object:
        arguments = scope.interaction.get(activity_key)
        if arguments is None:
            return _MISSING
        value = arguments.get(argument, _MISSING)
        if value is _MISSING:
            # Real journeys bind {{Interaction.EMAILV2-1.RequestID}} to the out-argument the email
            # activity's schema spells requestID (code#13590072894), so the name matches in any case.
            value = next((v for k, v in arguments.items() if k.lower() == lowered), _MISSING)
        return value if value is _MISSING or not path else _walk(value, path)

    return interaction


def _activity_id(scope: BindingScope, _depth: int) -> object:
    return _MISSING if scope.activity_id is None else scope.activity_id
