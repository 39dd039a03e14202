"""SFMC date rendering and the canonical parse behind the modifiedDate comparison."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from journeystack.domain.dates import NEVER, format_ms, parse_canonical


def test_fraction_digits_are_trimmed() -> None:
    assert format_ms(0) == "1970-01-01T00:00:00"
    assert format_ms(150) == "1970-01-01T00:00:00.15"
    assert format_ms(673) == "1970-01-01T00:00:00.673"
    assert format_ms(900) == "1970-01-01T00:00:00.9"
    assert format_ms(None) == NEVER == "0001-01-01T00:00:00"


@given(st.integers(min_value=0, max_value=4_000_000_000_000))
def test_format_then_parse_round_trips(ms: int) -> None:
    assert parse_canonical(format_ms(ms)) == ms


def test_non_canonical_spellings_do_not_parse() -> None:
    for text in ("1970-01-01T00:00:00.150", "1970-01-01T00:00:00.0", "1970-01-01 00:00:00", "1970-01-01T00:00:00Z",
                 "1970-13-01T00:00:00", "", "yesterday", "1970-01-01T00:00:00.1234"):  # fmt: skip
        assert parse_canonical(text) is None, text
