"""The database schema; Alembic migrations create it, this module describes it to SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

journeys = Table(
    "journeys",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_id", String(36), nullable=False, unique=True),
    Column("status", String(32), nullable=False),
    Column("name", String(400), nullable=False),
    Column("description", Text, nullable=False),
    Column("workflow_api_version", Float, nullable=False),
    Column("entry_mode", String(64), nullable=False),
    Column("definition_type", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    Column("last_published_ms", BigInteger, nullable=True),
    # The most recent non-Deleted version of its journey: what list answers by default.
    Column("is_head", Boolean, nullable=False),
    Column("operation_id", String(36), nullable=True),
    Column("spec", Text, nullable=False),
    UniqueConstraint("mid", "key", "version", name="uq_journeys_mid_key_version"),
    Index("ix_journeys_mid_journey_id_version", "mid", "journey_id", "version"),
    Index("ix_journeys_list_modified", "mid", "is_head", "modified_ms", "pk"),
    Index("ix_journeys_list_name", "mid", "is_head", "name", "pk"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("client_id", String(200), nullable=False),
    Column("mid", BigInteger, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Index("ix_tokens_expires_at_ms", "expires_at_ms"),
)
