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
    text,
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
    # The spec's tag names (domain `tag_names`) as a JSON array, for the list's `tag` filter; NULL: none.
    Column("tags", Text, nullable=True),
    UniqueConstraint("mid", "key", "version", name="uq_journeys_mid_key_version"),
    Index("ix_journeys_mid_journey_id_version", "mid", "journey_id", "version"),
    Index("ix_journeys_list_modified", "mid", "is_head", "modified_ms", "pk"),
    Index("ix_journeys_list_name", "mid", "is_head", "name", "pk"),
    # Every version in list order, with what the filtered lists test (migration 0009): a status or
    # version filter walks these from the page's anchor instead of sorting its matches per page.
    Index("ix_journeys_versions_modified", "mid", "modified_ms", "pk", "status", "version", "is_head"),
    Index("ix_journeys_versions_name", "mid", "name", "pk", "status", "version", "is_head"),
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

# The journey runtime (docs/runtime.md). Every table but the clock belongs to a business unit, so a
# per-MID reset or snapshot covers that business unit's runtime state and nothing else.

# The engine's clock: real time, or frozen at now_ms; one row, shared by every process.
engine_clock = Table(
    "engine_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("frozen", Boolean, nullable=False),
    Column("now_ms", BigInteger, nullable=False),
)

# Fired entry events not yet processed by the engine (POST /events, /async/events). The engine
# admits or releases contacts in fired order, then deletes the row; history keeps what happened.
engine_inbox = Table(
    "engine_inbox",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("event_key", String(200), nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("event_instance_id", String(36), nullable=False),
    Column("request_id", String(36), nullable=True),
    Column("data", Text, nullable=False),
    Column("fired_ms", BigInteger, nullable=False),
    Index("ix_engine_inbox_fired", "fired_ms", "pk"),
)

# One contact's pass through one journey version (SFMC's definitionInstanceId).
journey_instances = Table(
    "journey_instances",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("journey_key", String(200), nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("event_instance_id", String(36), nullable=False),
    # The how-manieth entry of this contact into this journey (any version), from 1: what the
    # random source of its splits is keyed by, so a run is repeatable whatever the processing order.
    Column("entry_number", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # The activity it waits in (or last ran); None before the first activity and after the end.
    Column("position", String(200), nullable=True),
    # When the engine next takes it up: a wait's end, an exit request, a release. None: nothing due.
    Column("due_ms", BigInteger, nullable=True),
    # What was due while its version is paused; given back (maybe extended) on resume.
    Column("held_due_ms", BigInteger, nullable=True),
    Column("wait_kind", String(16), nullable=True),
    Column("wait_event_key", String(200), nullable=True),
    Column("wait_started_ms", BigInteger, nullable=True),
    Column("released_ms", BigInteger, nullable=True),
    Column("exit_requested_ms", BigInteger, nullable=True),
    Column("goal_met", Boolean, nullable=False),
    # Entry data by event key and activity out-arguments by activity key (JSON).
    Column("data", Text, nullable=False),
    Column("entered_ms", BigInteger, nullable=False),
    Column("ended_ms", BigInteger, nullable=True),
    Column("reason", Text, nullable=True),
    Index("ix_journey_instances_due", "due_ms", sqlite_where=text("due_ms IS NOT NULL"),
          postgresql_where=text("due_ms IS NOT NULL")),
    Index("ix_journey_instances_contact", "mid", "contact_key", "journey_id"),
    Index("ix_journey_instances_definition", "definition_id", "status", "id"),
    Index("ix_journey_instances_wait_event", "mid", "wait_event_key", "contact_key",
          sqlite_where=text("wait_event_key IS NOT NULL"), postgresql_where=text("wait_event_key IS NOT NULL")),
)  # fmt: skip

# Append-only journey history: one row per thing that happened to a contact.
journey_history = Table(
    "journey_history",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("transaction_ms", BigInteger, nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("status", String(64), nullable=False),
    Column("client_status", String(32), nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("journey_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_name", String(400), nullable=False),
    Column("activity_id", String(36), nullable=True),
    Column("activity_key", String(200), nullable=True),
    Column("activity_name", String(400), nullable=True),
    Column("activity_type", String(100), nullable=True),
    Column("definition_instance_id", String(36), nullable=True),
    Column("event_instance_id", String(36), nullable=True),
    Column("message", Text, nullable=True),
    Index("ix_journey_history_time", "mid", "transaction_ms", "pk"),
    Index("ix_journey_history_contact", "mid", "contact_key", "pk"),
)

# Messages the engine "sent": what an email, SMS or push activity would have handed to SFMC's senders.
engine_outbox = Table(
    "engine_outbox",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("journey_id", String(36), nullable=False),
    Column("journey_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("activity_id", String(36), nullable=True),
    Column("activity_key", String(200), nullable=False),
    Column("activity_type", String(100), nullable=False),
    Column("activity_name", String(400), nullable=False),
    Column("definition_instance_id", String(36), nullable=False),
    Column("address", Text, nullable=False),
    Column("subject", Text, nullable=True),
    Column("data", Text, nullable=False),
    Index("ix_engine_outbox_mid", "mid", "pk"),
    Index("ix_engine_outbox_contact", "mid", "contact_key", "pk"),
)

# Contact attributes ({{Contact.Attribute.<Set>.<Field>}}, criteria on contact data): one JSON
# document of attribute sets per contact.
contact_attributes = Table(
    "contact_attributes",
    metadata,
    Column("mid", BigInteger, primary_key=True, autoincrement=False),
    Column("contact_key", String(254), primary_key=True),
    Column("attributes", Text, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
)

# Journey stats per version, kept in the transactions that move instances (counting a million
# instances on every GET would not do).
journey_stats = Table(
    "journey_stats",
    metadata,
    Column("definition_id", String(36), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("current_population", BigInteger, nullable=False),
    Column("cumulative_population", BigInteger, nullable=False),
    Column("met_goal", BigInteger, nullable=False),
    Column("met_exit_criteria", BigInteger, nullable=False),
)

# The 24-hour goal and exit-criteria sweep of a running version with goals or exits; `cursor` is
# the last instance id a sweep in progress has looked at.
engine_sweeps = Table(
    "engine_sweeps",
    metadata,
    Column("definition_id", String(36), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("due_ms", BigInteger, nullable=False),
    Column("cursor", String(36), nullable=True),
    Index("ix_engine_sweeps_due", "due_ms"),
)

# contactexit requests: one row per (contact, journey key, version or all), answered by
# contactexit/status; the engine carries them out in due order.
exit_requests = Table(
    "exit_requests",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("journey_key", String(200), nullable=False),
    Column("versions", Text, nullable=True),
    Column("requested_ms", BigInteger, nullable=False),
    Column("done_ms", BigInteger, nullable=True),
    # JSON list of {"version", "message", "definitionInstanceId"?} once carried out.
    Column("outcome", Text, nullable=True),
    Index("ix_exit_requests_pending", "done_ms", "requested_ms"),
    Index("ix_exit_requests_contact", "mid", "contact_key", "journey_key"),
)

# Custom-activity calls: one row per contact reaching a REST or RestDecision activity, from the step
# that stores it (state due), through a caller's lease (claimed: lease_owner until lease_until_ms,
# wall-clock), to its answer (done), until the answer is applied and the row deleted. `held` while
# the version is paused. `request` is the JSON of the bound envelope, headers and note.
engine_calls = Table(
    "engine_calls",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("activity_key", String(200), nullable=False),
    Column("instance_id", String(36), nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("due_ms", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("held", Boolean, nullable=False),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=True),
    Column("claims", Integer, nullable=False),
    Column("request", Text, nullable=False),
    Column("answer", Text, nullable=True),
    Index("ix_engine_calls_state", "state", "held", "due_ms"),
    # Claims read only this index: calls of the activities not at their limit, oldest first.
    Index("ix_engine_calls_claimable", "state", "held", "definition_id", "activity_key", "due_ms", "id"),
    Index("ix_engine_calls_instance", "instance_id"),
)

# Opens, clicks and bounces a tester recorded against outbox messages (the message is named by the
# pass and the activity that sent it, which survive a snapshot; outbox row numbers do not).
engine_engagement = Table(
    "engine_engagement",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("definition_instance_id", String(36), nullable=False),
    Column("activity_key", String(200), nullable=False),
    Column("contact_key", String(254), nullable=False),
    Column("message_ms", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("url_id", String(200), nullable=True),
    Column("url", Text, nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_engine_engagement_message", "definition_instance_id", "activity_key"),
)

# Path Optimizer tests: when each started (its first contact) and the winner once chosen; and the
# path each pass took while the test ran.
engine_path_tests = Table(
    "engine_path_tests",
    metadata,
    Column("definition_id", String(36), primary_key=True),
    Column("activity_key", String(200), primary_key=True),
    Column("mid", BigInteger, nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("winner", Integer, nullable=True),
    Column("decided_ms", BigInteger, nullable=True),
    Column("summary", Text, nullable=True),
)
engine_path_choices = Table(
    "engine_path_choices",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("mid", BigInteger, nullable=False),
    Column("definition_id", String(36), nullable=False),
    Column("activity_key", String(200), nullable=False),
    Column("instance_id", String(36), nullable=False),
    Column("outcome", Integer, nullable=False),
    Column("chosen_ms", BigInteger, nullable=False),
    Index("ix_engine_path_choices_test", "definition_id", "activity_key", "chosen_ms"),
)
