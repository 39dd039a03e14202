"""A GET answers with the stored Journey Spec text spliced in: byte for byte what rendering the
parsed version gives."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from journeystack.api.schemas.journeys import parse_create, render, render_stored
from journeystack.domain.ids import RandomIds
from journeystack.domain.journey import JourneyVersion, Status, StoredJourney, first_version
from journeystack.domain.runtime.records import JourneyStats
from tests.support import journey_body, realistic_journeys

BODIES = [*realistic_journeys(), journey_body("bare"), journey_body("odd", description='ünïcode \u2028 "q"')]


def _versions(body: dict[str, object]) -> tuple[JourneyVersion, StoredJourney]:
    """A published version as rendered from memory, and as the store hands it to a GET."""
    version = first_version(parse_create(body), mid=1, ids=RandomIds(), now_ms=1_700_000_000_123)
    version = replace(version, status=Status.PUBLISHED, last_published_ms=1_700_000_001_000)
    unparsed = replace(version, definition=replace(version.definition, spec={}))
    return version, StoredJourney(unparsed, orjson.dumps(version.definition.spec).decode("utf-8"))


@pytest.mark.parametrize("body", BODIES, ids=lambda b: str(b["key"]))
@pytest.mark.parametrize("stats", [None, JourneyStats(3, 10, 2, 1)])
def test_the_spliced_answer_is_the_rendered_one(body: dict[str, object], stats: JourneyStats | None) -> None:
    version, stored = _versions(body)
    assert render_stored(replace(stored, stats=stats)) == orjson.dumps(render(version, stats=stats))


def test_an_empty_document_splices_to_valid_json() -> None:
    version, stored = _versions(journey_body("e"))
    answer = orjson.loads(render_stored(StoredJourney(stored.version, "{}")))
    assert answer["key"] == "e" and answer["definitionId"] == version.definition_id
    assert list(answer)[-4:] == ["entryMode", "definitionType", "status", "definitionId"]
