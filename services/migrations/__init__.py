"""Alembic migrations for the shared booking database (run through services.migrate)."""
