"""Custom-activity calls, engagement recorded against outbox messages, Path Optimizer tests

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_calls",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("activity_key", sa.String(200), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("due_ms", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger, nullable=True),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
    )
    op.create_index("ix_engine_calls_state", "engine_calls", ["state", "held", "due_ms"])
    op.create_index(
        "ix_engine_calls_claimable",
        "engine_calls",
        ["state", "held", "definition_id", "activity_key", "due_ms", "id"],
    )
    op.create_index("ix_engine_calls_instance", "engine_calls", ["instance_id"])
    op.create_table(
        "engine_engagement",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("definition_instance_id", sa.String(36), nullable=False),
        sa.Column("activity_key", sa.String(200), nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("message_ms", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url_id", sa.String(200), nullable=True),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_engine_engagement_message", "engine_engagement", ["definition_instance_id", "activity_key"]
    )
    op.create_table(
        "engine_path_tests",
        sa.Column("definition_id", sa.String(36), primary_key=True),
        sa.Column("activity_key", sa.String(200), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("winner", sa.Integer, nullable=True),
        sa.Column("decided_ms", sa.BigInteger, nullable=True),
        sa.Column("summary", sa.Text, nullable=True),
    )
    op.create_table(
        "engine_path_choices",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("activity_key", sa.String(200), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("outcome", sa.Integer, nullable=False),
        sa.Column("chosen_ms", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_engine_path_choices_test", "engine_path_choices", ["definition_id", "activity_key", "chosen_ms"]
    )


def downgrade() -> None:
    for table in ("engine_path_choices", "engine_path_tests", "engine_engagement", "engine_calls"):
        op.drop_table(table)
