"""Alembic migrations of the SQL schema (configured in code by infra.db.migrate)."""
