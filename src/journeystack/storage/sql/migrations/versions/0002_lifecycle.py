"""lifecycle: operations (publish/validate), audit log, event definitions, pause state

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journeys") as batch:
        batch.add_column(sa.Column("event_definition_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("event_definition_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("paused_until_ms", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("pause_options", sa.Text, nullable=True))
    op.create_index("ix_journeys_event_definition_key", "journeys", ["mid", "event_definition_key"])
    op.create_index("ix_journeys_paused_until", "journeys", ["paused_until_ms"])
    op.create_table(
        "operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("run_after_ms", sa.BigInteger, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at_ms", sa.BigInteger, nullable=True),
        sa.Column("finished_ms", sa.BigInteger, nullable=True),
        sa.Column("errors", sa.Text, nullable=False),
        sa.Column("warnings", sa.Text, nullable=False),
    )
    op.create_index("ix_operations_due", "operations", ["state", "run_after_ms"])
    op.create_table(
        "audit_entries",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("execution_mode", sa.String(32), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_entries_journey", "audit_entries", ["mid", "journey_id", "action", "pk"])
    op.create_table(
        "event_definitions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("modified_ms", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("modified_by", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("mid", "key", name="uq_event_definitions_mid_key"),
    )
    op.create_index("ix_event_definitions_mid_name", "event_definitions", ["mid", "name", "pk"])


def downgrade() -> None:
    op.drop_table("event_definitions")
    op.drop_table("audit_entries")
    op.drop_table("operations")
    op.drop_index("ix_journeys_paused_until", "journeys")
    op.drop_index("ix_journeys_event_definition_key", "journeys")
    with op.batch_alter_table("journeys") as batch:
        batch.drop_column("pause_options")
        batch.drop_column("paused_until_ms")
        batch.drop_column("event_definition_id")
        batch.drop_column("event_definition_key")
