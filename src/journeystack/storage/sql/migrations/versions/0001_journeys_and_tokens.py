"""journeys (one row per version) and access tokens

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("journey_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False, unique=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("workflow_api_version", sa.Float, nullable=False),
        sa.Column("entry_mode", sa.String(64), nullable=False),
        sa.Column("definition_type", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("modified_ms", sa.BigInteger, nullable=False),
        sa.Column("last_published_ms", sa.BigInteger, nullable=True),
        sa.Column("is_head", sa.Boolean, nullable=False),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.UniqueConstraint("mid", "key", "version", name="uq_journeys_mid_key_version"),
    )
    op.create_index("ix_journeys_mid_journey_id_version", "journeys", ["mid", "journey_id", "version"])
    op.create_index("ix_journeys_list_modified", "journeys", ["mid", "is_head", "modified_ms", "pk"])
    op.create_index("ix_journeys_list_name", "journeys", ["mid", "is_head", "name", "pk"])
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tokens_expires_at_ms", "tokens", ["expires_at_ms"])


def downgrade() -> None:
    op.drop_table("tokens")
    op.drop_index("ix_journeys_list_name", "journeys")
    op.drop_index("ix_journeys_list_modified", "journeys")
    op.drop_index("ix_journeys_mid_journey_id_version", "journeys")
    op.drop_table("journeys")
