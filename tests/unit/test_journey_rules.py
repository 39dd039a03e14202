"""Domain rules of journey versions, without HTTP or a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from journeystack.domain import journey as rules
from journeystack.domain.dates import format_ms
from journeystack.domain.ids import SeededIds
from journeystack.domain.journey import JourneyDefinition, Status
from journeystack.errors import (
    DraftVersionExists,
    InvalidStateTransition,
    NoChange,
    StaleModifiedDate,
    VersionNotEditable,
)


def _definition(name: str = "n", **spec: object) -> JourneyDefinition:
    return JourneyDefinition.build(key="k", name=name, workflow_api_version=1.0, spec=dict(spec))


def test_first_version_has_definition_id_equal_to_id() -> None:
    v = rules.first_version(_definition(), mid=1, ids=SeededIds(1), now_ms=5)
    assert v.version == 1 and v.definition_id == v.id and v.status is Status.DRAFT
    assert v.created_ms == v.modified_ms == 5 and v.last_published_ms is None


def test_defaults_fill_what_the_client_left_out_or_sent_as_null() -> None:
    d = _definition(activities=None, categoryId=3)
    assert (
        d.spec["activities"] == [] and d.spec["defaults"] == {"properties": {}} and d.spec["categoryId"] == 3
    )
    assert d.entry_mode == "NotSet" and d.definition_type == "Multistep" and d.description == ""


def test_next_version_needs_a_non_draft_latest() -> None:
    ids = SeededIds(2)
    v1 = rules.first_version(_definition(), mid=1, ids=ids, now_ms=1)
    with pytest.raises(DraftVersionExists):
        rules.next_version(v1, _definition(), ids=ids, now_ms=2)
    v2 = rules.next_version(replace(v1, status=Status.PUBLISHED), _definition(), ids=ids, now_ms=2)
    assert v2.version == 2 and v2.id == v1.id and v2.definition_id != v1.definition_id


def test_update_checks_in_order_editable_then_modified_date_then_change() -> None:
    v = rules.first_version(_definition(), mid=1, ids=SeededIds(3), now_ms=1000)
    seen = format_ms(v.modified_ms)
    with pytest.raises(VersionNotEditable):
        rules.check_update(replace(v, status=Status.PUBLISHED), _definition("x"), "stale")
    with pytest.raises(VersionNotEditable):
        rules.check_update(replace(v, operation_id="op"), _definition("x"), seen)
    with pytest.raises(StaleModifiedDate):
        rules.check_update(v, _definition("x"), None)
    with pytest.raises(StaleModifiedDate):
        rules.check_update(v, _definition("x"), seen + ".0")
    with pytest.raises(NoChange):
        rules.check_update(v, _definition(), seen)
    assert rules.check_update(v, _definition("x"), seen) == 1000


def test_modified_date_strictly_increases_within_a_millisecond() -> None:
    assert rules.next_modified_ms(1000, 1000) == 1001
    assert rules.next_modified_ms(1000, 900) == 1001
    assert rules.next_modified_ms(1000, 2000) == 2000


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.PAUSED, Status.SCHEDULED_TO_PUBLISH])
def test_running_versions_cannot_be_deleted(status: Status) -> None:
    v = rules.first_version(_definition(), mid=1, ids=SeededIds(4), now_ms=1)
    with pytest.raises(InvalidStateTransition, match=f"Cannot delete interaction in {status.value} status."):
        rules.check_deletable(replace(v, status=status))
    rules.check_deletable(replace(v, status=Status.STOPPED))
