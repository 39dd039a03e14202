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
    # The trigger's event definition, extracted on save so "which journeys use this event" is a lookup.
    Column("event_definition_key", String(200), nullable=True),
    Column("event_definition_id", String(36), nullable=True),
    Column("paused_until_ms", BigInteger, nullable=True),
    Column("pause_options", Text, nullable=True),
    UniqueConstraint("mid", "key", "version", name="uq_journeys_mid_key_version"),
    Index("ix_journeys_mid_journey_id_version", "mid", "journey_id", "version"),
    Index("ix_journeys_list_modified", "mid", "is_head", "modified_ms", "pk"),
    Index("ix_journeys_list_name", "mid", "is_head", "name", "pk"),
    Index("ix_journeys_event_definition_key", "mid", "event_definition_key"),
    Index("ix_journeys_paused_until", "paused_until_ms"),
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

operations = Table(
    "operations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("state", String(16), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("run_after_ms", BigInteger, nullable=False),
    # A claim is a lease: a claim older than the lease belongs to a process presumed dead.
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_at_ms", BigInteger, nullable=True),
    Column("finished_ms", BigInteger, nullable=True),
    Column("errors", Text, nullable=False),
    Column("warnings", Text, nullable=False),
    # Claims so far; past JOURNEYSTACK_OPERATION_ATTEMPTS the operation is given up (migration 0010).
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_operations_due", "state", "run_after_ms"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("action", String(16), nullable=False),
    Column("name", String(400), nullable=False),
    Column("description", Text, nullable=False),
    Column("execution_mode", String(32), nullable=False),
    Column("user", String(200), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("details", Text, nullable=False),
    Index("ix_audit_entries_journey", "mid", "journey_id", "action", "pk"),
)

event_definitions = Table(
    "event_definitions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("key", String(200), nullable=False),
    Column("name", String(400), nullable=False),
    Column("type", String(100), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("modified_by", String(200), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("mid", "key", name="uq_event_definitions_mid_key"),
    Index("ix_event_definitions_mid_name", "mid", "name", "pk"),
)

# Folders (SFMC data folders); ids are the wire ids (SOAP `ID`, a journey's `categoryId`), handed out
# by journeystack, so they are not auto-numbered (snapshots keep them).
folders = Table(
    "folders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("mid", BigInteger, nullable=False),
    Column("parent_id", BigInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("customer_key", String(200), nullable=True),
    Column("description", Text, nullable=False),
    Column("object_id", String(36), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("is_editable", Boolean, nullable=False),
    Column("allow_children", Boolean, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    UniqueConstraint("mid", "parent_id", "content_type", "name", name="uq_folders_mid_parent_type_name"),
    Index("ix_folders_mid_content_type", "mid", "content_type"),
)

# How many journeys a business unit lists by default (its head versions), kept in the transaction of
# every change to a head, so the default list's `count` costs one row read however large the store;
# and its `generation`, a fresh random number written with every change to its journeys, which tells
# a process whether the list positions it remembers still hold (storage/sql/anchors.py).
journey_counts = Table(
    "journey_counts",
    metadata,
    Column("mid", BigInteger, primary_key=True, autoincrement=False),
    Column("heads", BigInteger, nullable=False),
    # Not state: snapshots leave it out, and an import gives every business unit a new one.
    Column("generation", BigInteger, nullable=False, server_default="0", info={"snapshot": False}),
)
