"""Alembic environment: migrations run on the engine the store hands over (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine, text

from journeystack.storage.sql.engine import Transaction, mark
from journeystack.storage.sql.tables import metadata

# Processes that start together (`serve --workers N`, several servers on one database) each run
# the migrations; on PostgreSQL they queue on this transaction-scoped advisory lock, and the later
# ones then read the version the first committed and find nothing left to do.
MIGRATION_LOCK_KEY = 0x6A73_6D69_6772_6174  # "jsmigrat"

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")

with engine.connect() as connection:
    # A write transaction; the pool forgets the kind when the connection goes back to it.
    mark(connection, Transaction.WRITE)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()
    connection.commit()
