"""The list filters SFMC documents: journeys' tag names, and every version in list order

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _tag_names(spec_text: str) -> list[str]:
    """domain.journey.tag_names, frozen here: a migration must not change with the code."""
    try:
        spec = orjson.loads(spec_text)
    except orjson.JSONDecodeError:
        return []
    tags = spec.get("tags") if isinstance(spec, dict) else None
    names = {(t.get("name") if isinstance(t, dict) else t) for t in (tags if isinstance(tags, list) else [])}
    return sorted({n.strip().lower() for n in names if isinstance(n, str) and n.strip()})


def upgrade() -> None:
    with op.batch_alter_table("journeys") as batch:
        batch.add_column(sa.Column("tags", sa.Text, nullable=True))
    connection = op.get_bind()
    journeys = sa.table(
        "journeys", sa.column("pk", sa.Integer), sa.column("spec", sa.Text), sa.column("tags", sa.Text)
    )
    tagged = connection.execute(
        sa.select(journeys.c.pk, journeys.c.spec).where(journeys.c.spec.like('%"tags"%'))
    )
    for pk, spec in tagged.all():
        names = _tag_names(spec)
        if names:
            connection.execute(
                sa.update(journeys).where(journeys.c.pk == pk).values(tags=orjson.dumps(names).decode())
            )
    op.create_index(
        "ix_journeys_versions_modified",
        "journeys",
        ["mid", "modified_ms", "pk", "status", "version", "is_head"],
    )
    op.create_index(
        "ix_journeys_versions_name", "journeys", ["mid", "name", "pk", "status", "version", "is_head"]
    )


def downgrade() -> None:
    op.drop_index("ix_journeys_versions_name", "journeys")
    op.drop_index("ix_journeys_versions_modified", "journeys")
    with op.batch_alter_table("journeys") as batch:
        batch.drop_column("tags")
