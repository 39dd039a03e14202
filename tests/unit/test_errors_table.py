"""The error-to-status table (api/errors.py): every error class the domain can raise answers a
status of its own choosing, never the 500 of an error nobody mapped."""

from __future__ import annotations

import inspect

from journeystack import errors as e
from journeystack.api.errors import STATUS, status_for

# Not raised themselves: the root, OAuth's family (each of its errors has a row), and injected
# faults, which answer the status their fault rule chose.
ABSTRACT = {e.JourneystackError, e.OAuthError, e.InjectedFault}


def _error_classes() -> list[type[e.JourneystackError]]:
    return [
        cls
        for _name, cls in inspect.getmembers(e, inspect.isclass)
        if issubclass(cls, e.JourneystackError) and cls.__module__ == e.__name__
    ]


def test_every_error_class_reaches_a_row_through_its_mro() -> None:
    unmapped = [
        cls.__name__
        for cls in _error_classes()
        if cls not in ABSTRACT and not any(base in STATUS for base in cls.__mro__)
    ]
    assert unmapped == []


def test_every_row_names_an_error_class_and_an_http_status() -> None:
    classes = set(_error_classes())
    assert set(STATUS) <= classes
    assert all(100 <= status <= 599 for status in STATUS.values())


def test_the_nearest_class_wins() -> None:
    # NoSuchEventDefinition is an EventDefinitionNotFound (400, which mcdev reads as "no such
    # event"); CriteriaNotFound is a NotFound (404).
    assert status_for(e.NoSuchEventDefinition("no such event")) == 400
    assert status_for(e.CriteriaNotFound()) == 404
    assert status_for(e.ServiceUnavailable("down")) == 503
