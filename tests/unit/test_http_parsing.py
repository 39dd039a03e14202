"""Request-body parsing limits: nesting depth is measured on the decoded document."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from journeystack.api.http import parse_json_object
from journeystack.errors import InvalidRequest


def _nested(depth: int, *, arrays: bool = False) -> dict[str, Any]:
    """A JSON object whose deepest container is `depth` levels down (the object itself is level 1)."""
    inner: Any = [] if arrays else {}
    for _ in range(depth - 2):
        inner = [inner] if arrays else {"n": inner}
    return {"n": inner}


@pytest.mark.parametrize("arrays", [False, True])
def test_a_body_exactly_at_the_depth_limit_is_accepted(arrays: bool) -> None:
    body = orjson.dumps(_nested(64, arrays=arrays))
    assert parse_json_object(body, max_depth=64)


@pytest.mark.parametrize("arrays", [False, True])
def test_one_level_deeper_is_refused_with_10003(arrays: bool) -> None:
    body = orjson.dumps(_nested(65, arrays=arrays))
    with pytest.raises(InvalidRequest) as raised:
        parse_json_object(body, max_depth=64)
    assert [p.code for p in raised.value.problems] == [10003]


def test_brackets_inside_strings_do_not_count() -> None:
    body = orjson.dumps({"a": "[" * 500, "b": "{" * 500, "c": [{"d": "]}" * 300}]})
    assert parse_json_object(body, max_depth=8)["c"][0]["d"].startswith("]}")


def test_many_shallow_containers_are_not_deep() -> None:
    body = orjson.dumps({"items": [{"x": [1]} for _ in range(500)]})
    assert len(parse_json_object(body, max_depth=8)["items"]) == 500
