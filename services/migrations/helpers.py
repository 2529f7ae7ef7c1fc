"""Dialect-aware pieces shared by the migrations (defaults, views, triggers)."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def utcnow() -> sa.TextClause:
    """A column default that is the current UTC time, whatever the server's time zone."""
    name = op.get_context().dialect.name
    if name == "postgresql":
        return sa.text("(now() AT TIME ZONE 'utc')")
    if name in ("mysql", "mariadb"):
        return sa.text("(UTC_TIMESTAMP())")
    return sa.text("CURRENT_TIMESTAMP")  # SQLite: CURRENT_TIMESTAMP is UTC


AVAILABILITY_VIEW = """
CREATE VIEW slot_availability AS
SELECT s.id AS slot_id,
       s.session_id AS session_id,
       cs.doctor_id AS doctor_id,
       d.department_id AS department_id,
       cs.day AS day,
       s.starts_at AS starts_at,
       s.ends_at AS ends_at,
       s.capacity AS capacity,
       COALESCE(SUM(CASE WHEN b.status IN ('confirmed', 'checked_in', 'no_show') THEN 1 ELSE 0 END), 0) AS taken,
       COALESCE(SUM(CASE WHEN b.status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
       s.capacity - COALESCE(SUM(CASE WHEN b.status IN ('confirmed', 'checked_in', 'no_show') THEN 1 ELSE 0 END), 0)
           AS remaining
FROM slots s
JOIN clinic_sessions cs ON cs.id = s.session_id
JOIN doctors d ON d.id = cs.doctor_id
LEFT JOIN bookings b ON b.slot_id = s.id
GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at, s.capacity
"""


def create_availability_view() -> None:
    op.execute(AVAILABILITY_VIEW)


def drop_availability_view() -> None:
    op.execute("DROP VIEW IF EXISTS slot_availability")
