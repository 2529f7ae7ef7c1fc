"""A connection lost while it goes back to SQLAlchemy's pool (the server went away mid-transaction) is one
line in the log, not a traceback (the job service meets it when MariaDB shuts down under it:
tests/services/jobs/test_jobs_outages.py)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text

import services.db  # noqa: F401  (installs the pool's one-line note)


@pytest.mark.parametrize("db_url", ["mariadb"], indirect=True)
def test_a_connection_killed_in_a_transaction_is_one_warning_line(db_url, caplog):
    engine = create_engine(db_url)
    killer = create_engine(db_url)
    try:
        with caplog.at_level(logging.INFO):
            conn = engine.raw_connection()  # the pool's own handling, as a Session or Connection ends
            cur = conn.cursor()
            cur.execute("BEGIN")
            cur.execute("SELECT CONNECTION_ID()")
            cid = cur.fetchone()[0]
            with killer.connect() as k:
                k.execute(text(f"KILL CONNECTION {int(cid)}"))
            conn.close()  # back to the pool: its reset (a rollback) meets the lost connection
        notes = [r for r in caplog.records if r.name.startswith("sqlalchemy.pool")]
        assert notes, "the pool said nothing about the lost connection"
        assert all(r.levelno == logging.WARNING and r.exc_info is None for r in notes)
        assert "Traceback" not in caplog.text
    finally:
        engine.dispose()
        killer.dispose()
