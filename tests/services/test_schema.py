"""The schema honours the contract on every database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from services import migrate
from services.db import Database
from services.errors import SchemaError

CONTRACT = {
    "hospitals": {"id", "name", "address", "phone", "active"},
    "departments": {"id", "hospital_id", "code", "name", "active"},
    "doctors": {"id", "department_id", "name", "title", "specialty", "fee", "active"},
    "clinic_sessions": {"id", "doctor_id", "day", "period", "starts_at", "ends_at", "status", "note"},
    "slots": {"id", "session_id", "starts_at", "ends_at", "capacity"},
    "patients": {"id", "openid", "name", "gender", "birth_date", "phone", "id_card", "created_at"},
    "bookings": {"id", "slot_id", "patient_id", "status", "source", "reason", "created_at", "updated_at"},
}
VIEW_COLUMNS = {"slot_id", "session_id", "doctor_id", "department_id", "day", "starts_at", "ends_at",
                "capacity", "taken", "pending", "remaining"}


def test_contract_tables_and_view_exist(db):
    insp = inspect(db.engine)
    for table, cols in CONTRACT.items():
        have = {c["name"] for c in insp.get_columns(table)}
        assert cols <= have, f"{table} lacks {cols - have}"
    assert "slot_availability" in insp.get_view_names()
    with db.engine.connect() as c:
        row = c.execute(text("SELECT * FROM slot_availability")).keys()
    assert VIEW_COLUMNS <= set(row)


def _minimal_roster(conn):
    conn.execute(text("INSERT INTO hospitals (id, name) VALUES (1, '测试医院')"))
    conn.execute(text("INSERT INTO departments (id, hospital_id, code, name) VALUES (1, 1, 'NK', '内科')"))
    conn.execute(text("INSERT INTO doctors (id, department_id, name, title, fee) VALUES (1, 1, '张三', '主任医师', 50)"))
    conn.execute(text(
        "INSERT INTO clinic_sessions (id, doctor_id, rostered_doctor_id, day, period, starts_at, ends_at, status)"
        " VALUES (1, 1, 1, :d, 'am', '08:00:00', '12:00:00', 'published')"), {"d": dt.date(2030, 1, 7)})
    conn.execute(text("INSERT INTO slots (id, session_id, starts_at, ends_at, capacity)"
                      " VALUES (1, 1, '08:00:00', '08:30:00', 2)"))


def test_miniprogram_statements_work_as_contract_says(db):
    """The mini-program's plain INSERT/UPDATE statements succeed and the view counts them."""
    with db.engine.begin() as c:
        _minimal_roster(c)
        c.execute(text("INSERT INTO patients (openid, name, gender, birth_date, phone, id_card)"
                       " VALUES ('o1', '李四', 'F', :b, '13800001111', NULL)"), {"b": dt.date(1990, 5, 1)})
        pid = c.execute(text("SELECT id FROM patients WHERE openid = 'o1'")).scalar_one()
        for _ in range(3):
            c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                           " VALUES (1, :p, 'pending', 'miniprogram')"), {"p": pid})
        first = c.execute(text("SELECT min(id) FROM bookings")).scalar_one()
        n = c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i AND status IN ('pending', 'confirmed')"),
                      {"i": first}).rowcount
        assert n == 1
    with db.engine.connect() as c:
        created = c.execute(text("SELECT created_at FROM bookings WHERE id = :i"), {"i": first}).scalar_one()
        assert created is not None
        av = c.execute(text("SELECT taken, pending, remaining, capacity, department_id FROM slot_availability"
                            " WHERE slot_id = 1")).one()
    assert (av.taken, av.pending, av.remaining, av.capacity, av.department_id) == (0, 2, 2, 2, 1)
    if isinstance(created, str):  # SQLite hands back text; it must still be a UTC timestamp
        created = dt.datetime.fromisoformat(created)
    assert abs(created - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)


def test_database_refuses_bad_rows(db):
    with db.engine.begin() as c:
        _minimal_roster(c)
    with pytest.raises(DBAPIError):
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO slots (session_id, starts_at, ends_at, capacity) VALUES (1, '09:00', '09:30', 0)"))
    with pytest.raises(DBAPIError):
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO patients (name, gender, phone) VALUES ('x', 'X', '1')"))


def test_upgrade_is_idempotent_and_check_passes(db):
    before, after = migrate.upgrade(db)
    assert before == after == migrate.head_revision()
    migrate.check(db)


def test_newer_schema_is_refused(db):
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaError, match="newer"):
        migrate.check(db)
    with pytest.raises(SchemaError, match="newer"):
        migrate.upgrade(db)


def test_empty_database_is_reported(db_url):
    database = Database(db_url)
    try:
        with pytest.raises(SchemaError, match="db upgrade"):
            migrate.check(database)
    finally:
        database.dispose()


def test_models_match_migrations(db):
    """The ORM classes the services use describe exactly what the migrations create."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.models import Base
    with db.engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
