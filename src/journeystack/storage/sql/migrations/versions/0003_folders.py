"""folders: the SFMC data folders journeys' categoryId points into

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("mid", sa.BigInteger, nullable=False),
        sa.Column("parent_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("customer_key", sa.String(200), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("object_id", sa.String(36), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("is_editable", sa.Boolean, nullable=False),
        sa.Column("allow_children", sa.Boolean, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("modified_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint(
            "mid", "parent_id", "content_type", "name", name="uq_folders_mid_parent_type_name"
        ),
    )
    op.create_index("ix_folders_mid_content_type", "folders", ["mid", "content_type"])


def downgrade() -> None:
    op.drop_table("folders")
