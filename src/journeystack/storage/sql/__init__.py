"""SQLAlchemy implementation of the storage ports (SQLite and PostgreSQL)."""
