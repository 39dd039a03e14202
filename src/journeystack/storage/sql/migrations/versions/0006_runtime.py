"""The journey runtime: clock, inbox, instances, history, outbox, contact attributes, stats, sweeps, exits

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _text(expression: str) -> sa.TextClause:
    return sa.text(expression)


def upgrade() -> None:
    op.create_table(
        "engine_clock",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("frozen", sa.Boolean, nullable=False),
        sa.Column("now_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "engine_inbox",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("event_instance_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("fired_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_engine_inbox_fired", "engine_inbox", ["fired_ms", "pk"])
    op.create_table(
        "journey_instances",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("journey_key", sa.String(200), nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("event_instance_id", sa.String(36), nullable=False),
        sa.Column("entry_number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.String(200), nullable=True),
        sa.Column("due_ms", sa.BigInteger, nullable=True),
        sa.Column("held_due_ms", sa.BigInteger, nullable=True),
        sa.Column("wait_kind", sa.String(16), nullable=True),
        sa.Column("wait_event_key", sa.String(200), nullable=True),
        sa.Column("wait_started_ms", sa.BigInteger, nullable=True),
        sa.Column("released_ms", sa.BigInteger, nullable=True),
        sa.Column("exit_requested_ms", sa.BigInteger, nullable=True),
        sa.Column("goal_met", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("entered_ms", sa.BigInteger, nullable=False),
        sa.Column("ended_ms", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_journey_instances_due", "journey_instances", ["due_ms"],
        sqlite_where=_text("due_ms IS NOT NULL"), postgresql_where=_text("due_ms IS NOT NULL"),
    )  # fmt: skip
    op.create_index("ix_journey_instances_contact", "journey_instances", ["mid", "contact_key", "journey_id"])
    op.create_index("ix_journey_instances_definition", "journey_instances", ["definition_id", "status", "id"])
    op.create_index(
        "ix_journey_instances_wait_event", "journey_instances", ["mid", "wait_event_key", "contact_key"],
        sqlite_where=_text("wait_event_key IS NOT NULL"), postgresql_where=_text("wait_event_key IS NOT NULL"),
    )  # fmt: skip
    op.create_table(
        "journey_history",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("transaction_ms", sa.BigInteger, nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("client_status", sa.String(32), nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("journey_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition_name", sa.String(400), nullable=False),
        sa.Column("activity_id", sa.String(36), nullable=True),
        sa.Column("activity_key", sa.String(200), nullable=True),
        sa.Column("activity_name", sa.String(400), nullable=True),
        sa.Column("activity_type", sa.String(100), nullable=True),
        sa.Column("definition_instance_id", sa.String(36), nullable=True),
        sa.Column("event_instance_id", sa.String(36), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("ix_journey_history_time", "journey_history", ["mid", "transaction_ms", "pk"])
    op.create_index("ix_journey_history_contact", "journey_history", ["mid", "contact_key", "pk"])
    op.create_table(
        "engine_outbox",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("journey_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("activity_id", sa.String(36), nullable=True),
        sa.Column("activity_key", sa.String(200), nullable=False),
        sa.Column("activity_type", sa.String(100), nullable=False),
        sa.Column("activity_name", sa.String(400), nullable=False),
        sa.Column("definition_instance_id", sa.String(36), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_engine_outbox_mid", "engine_outbox", ["mid", "pk"])
    op.create_index("ix_engine_outbox_contact", "engine_outbox", ["mid", "contact_key", "pk"])
    op.create_table(
        "contact_attributes",
        sa.Column("mid", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("contact_key", sa.String(254), primary_key=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("modified_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "journey_stats",
        sa.Column("definition_id", sa.String(36), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("current_population", sa.BigInteger, nullable=False),
        sa.Column("cumulative_population", sa.BigInteger, nullable=False),
        sa.Column("met_goal", sa.BigInteger, nullable=False),
        sa.Column("met_exit_criteria", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "engine_sweeps",
        sa.Column("definition_id", sa.String(36), primary_key=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("due_ms", sa.BigInteger, nullable=False),
        sa.Column("cursor", sa.String(36), nullable=True),
    )
    op.create_index("ix_engine_sweeps_due", "engine_sweeps", ["due_ms"])
    op.create_table(
        "exit_requests",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("contact_key", sa.String(254), nullable=False),
        sa.Column("journey_key", sa.String(200), nullable=False),
        sa.Column("versions", sa.Text, nullable=True),
        sa.Column("requested_ms", sa.BigInteger, nullable=False),
        sa.Column("done_ms", sa.BigInteger, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
    )
    op.create_index("ix_exit_requests_pending", "exit_requests", ["done_ms", "requested_ms"])
    op.create_index("ix_exit_requests_contact", "exit_requests", ["mid", "contact_key", "journey_key"])


def downgrade() -> None:
    for table in ("exit_requests", "engine_sweeps", "journey_stats", "contact_attributes", "engine_outbox",
                  "journey_history", "journey_instances", "engine_inbox", "engine_clock"):  # fmt: skip
        op.drop_table(table)
