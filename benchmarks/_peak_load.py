"""Bulk load for benchmarks/peak.py: a hospital with a long history and a busy day, written with
PostgreSQL COPY or MySQL multi-row INSERTs (the triggers off meanwhile: the slot counters and the
one-a-day guards are computed afterwards, as revision 0008_capacity's backfill does), not through
the services.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from sqlalchemy import text

from services import migrate
from services.db import Database
from services.migrations import capacity, helpers

DEPARTMENTS, DOCTORS_PER, DAY_SLOTS, DAY_CAPACITY = 20, 5, 16, 40
HISTORY_DAYS, HISTORY_SLOTS, PATIENTS = 300, 8, 200_000
HISTORY_STATUSES = ("checked_in",) * 12 + ("no_show", "cancelled", "cancelled", "cancelled", "rejected", "full")


def _rows_history(n: int, slots: list[int], day_of: dict[int, dt.date], rng: random.Random):
    for i in range(n):
        slot = slots[i % len(slots)]  # an even spread: at most ceil(n / slots) per slot
        status = rng.choice(HISTORY_STATUSES)
        at = dt.datetime.combine(day_of[slot], dt.time(7))
        yield (slot, rng.randrange(PATIENTS) + 1, status, "miniprogram", at, at)


def _rows_day(n: int, slots: list[int], rng: random.Random):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for i in range(n):
        status = rng.choice(("confirmed",) * 5 + ("pending",) * 3 + ("checked_in", "cancelled"))
        yield (slots[i % len(slots)], rng.randrange(PATIENTS) + 1, status, "miniprogram", now, now)


def load(url: str, history: int, day: int) -> dict:
    """Master data, patients, sessions and the bookings, fast. Returns what the workload needs."""
    db = Database(url)
    migrate.upgrade(db)
    rng = random.Random(7)
    today = dt.date.today()
    start = (dt.datetime.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    end = dt.datetime.combine(today, dt.time(23, 50))
    if start.date() != today or end - start < dt.timedelta(hours=1):
        raise SystemExit("peak: run this before 22:40 local time (today's clinics need an hour left)")
    step = (end - start) / DAY_SLOTS
    with db.write() as c:
        c.execute(text("INSERT INTO hospitals (id, name) VALUES (1, '基准医院')"))
        c.execute(text("INSERT INTO departments (id, hospital_id, code, name) VALUES (:i, 1, :c, :n)"),
                  [{"i": d + 1, "c": f"D{d}", "n": f"科室{d}"} for d in range(DEPARTMENTS)])
        doctors = DEPARTMENTS * DOCTORS_PER
        c.execute(text("INSERT INTO doctors (id, department_id, name, title, fee) VALUES (:i, :d, :n, '主治医师', 25)"),
                  [{"i": i + 1, "d": i // DOCTORS_PER + 1, "n": f"医生{i}"} for i in range(doctors)])
    sessions, slots = [], []  # (id, doctor, day, start, end), (id, session, start, end, capacity)
    sid = 0
    for back in range(HISTORY_DAYS, -1, -1):
        d = today - dt.timedelta(days=back)
        for doc in range(1, doctors + 1):
            sid += 1
            if back:
                s0, length, count, cap = dt.datetime.combine(d, dt.time(8)), dt.timedelta(minutes=30), HISTORY_SLOTS, 6
            else:
                s0, length, count, cap = start, step, DAY_SLOTS, DAY_CAPACITY
            sessions.append((sid, doc, d, s0.time(), (s0 + length * count).time()))
            base = len(slots)
            slots += [(base + k + 1, sid, (s0 + length * k).time(), (s0 + length * (k + 1)).time(), cap)
                      for k in range(count)]
    day_of = {s[0]: sessions[s[1] - 1][2] for s in slots}
    past = [s[0] for s in slots if day_of[s[0]] < today]
    todays = [s[0] for s in slots if day_of[s[0]] == today]
    people = ((i + 1, f"o-peak-{i}", rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋") + str(i % 97),
               rng.choice("MF"), f"139{i:08d}") for i in range(PATIENTS))
    tables = [
        ("clinic_sessions", "id, doctor_id, rostered_doctor_id, day, period, starts_at, ends_at, status",
         ((i, doc, doc, d, "am", a, b, "published") for i, doc, d, a, b in sessions)),
        ("slots", "id, session_id, starts_at, ends_at, capacity", iter(slots)),
        ("patients", "id, openid, name, gender, phone", people),
        ("bookings", "slot_id, patient_id, status, source, created_at, decided_at",
         _rows_history(history, past, day_of, rng)),
        ("bookings", "slot_id, patient_id, status, source, created_at, decided_at", _rows_day(day, todays, rng)),
    ]
    started = time.perf_counter()
    _bulk(db, tables)
    took = time.perf_counter() - started
    db.dispose()
    return {"today_slots": todays, "departments": DEPARTMENTS, "load_s": took}


def _bulk(db: Database, tables) -> None:
    dialect = db.dialect
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if dialect == "postgresql":
            cur.execute("SET session_replication_role = replica")  # no triggers, no FK checks: a bulk load
            for table, cols, rows in tables:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
            cur.execute("SET session_replication_role = origin")
            for seq_table in ("clinic_sessions", "slots", "patients", "bookings"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'), (SELECT max(id) FROM {seq_table}))")
        else:
            names = [n for n, _t in helpers._trigger_names()] + [n for n, _t in capacity.TRIGGERS]
            for name in names:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            cur.execute("SET foreign_key_checks = 0")
            for table, cols, rows in tables:
                marks = ", ".join(["%s"] * len(cols.split(",")))
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == 5000:
                        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                        raw.commit()
                        batch = []
                if batch:
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                    raw.commit()
            cur.execute("SET foreign_key_checks = 1")
            for stmt in helpers.change_trigger_statements("mysql") + capacity.capacity_trigger_statements("mysql"):
                cur.execute(stmt)
        cur.execute("DELETE FROM slot_counters")
        cur.execute(capacity.BACKFILL_COUNTERS)
        cur.execute(capacity.BACKFILL_GUARDS)
        raw.commit()
        cur.execute("ANALYZE" if dialect == "postgresql" else "ANALYZE TABLE bookings, slots, patients, change_log")
        if dialect != "postgresql":
            cur.fetchall()
        raw.commit()
    finally:
        raw.close()
