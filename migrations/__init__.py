"""Alembic migrations for the harvester database (run them with `harvester db upgrade`)."""
