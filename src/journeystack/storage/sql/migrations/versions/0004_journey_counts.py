"""journey_counts: how many journeys each business unit lists by default, kept with every change

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_counts",
        sa.Column("mid", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("heads", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO journey_counts (mid, heads) "
        "SELECT mid, COUNT(*) FROM journeys WHERE is_head = true GROUP BY mid"
    )


def downgrade() -> None:
    op.drop_table("journey_counts")
