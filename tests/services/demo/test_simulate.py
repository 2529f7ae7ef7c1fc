"""The mini-program simulator writes only what the contract allows, on every database."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from services.demo import simulate
from services.errors import ValidationError
from services.models import Booking, Patient
from tests import factories as f

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)


def _shape(sql: str) -> str:
    """A statement with its parameter markers (:name, ?, %(name)s, %s) all written as '?'."""
    sql = re.sub(r"%\(\w+\)s|%s|\?|(?<![:\w]):\w+", "?", sql)
    return re.sub(r"\s+", " ", sql).strip()


CONTRACT_SHAPES = {_shape(s) for s in simulate.CONTRACT_WRITES}


@contextmanager
def statements():
    """Every statement any engine sends while the block runs."""
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", listener)


def _counts(db):
    with db.read() as c:
        total = c.execute(select(func.count()).select_from(Booking)).scalar_one()
        by = dict(c.execute(select(Booking.status, func.count()).group_by(Booking.status)).all())
        stamped = c.execute(select(func.count()).select_from(Booking).where(
            Booking.status == "cancelled", Booking.updated_at.is_not(None))).scalar_one()
        patients = c.execute(select(func.count()).select_from(Patient)).scalar_one()
    return total, by, stamped, patients


def test_contract_shapes_are_the_contract():
    assert _shape(simulate.INSERT_BOOKING) == (
        "INSERT INTO bookings (slot_id, patient_id, status, source) VALUES (?, ?, 'pending', 'miniprogram')")
    assert _shape(simulate.CANCEL) == (
        "UPDATE bookings SET status = 'cancelled' WHERE id = ? AND status IN ('pending', 'confirmed')")


def test_simulate_writes_exactly_n_requests_with_contract_sql_only(db):
    clinic = f.basic_clinic(db, capacity=2, slots=4)
    for _ in range(5):
        f.patient(db)
    with statements() as seen:
        summary = simulate.simulate(db.url if db.dialect == "sqlite" else db, 40, cancel_ratio=0.25,
                                    rng_seed=7, new_patient_ratio=0.3, referral_ratio=0.1)
    writes = [_shape(s) for s in seen if WRITE.match(s)]
    assert writes and set(writes) <= CONTRACT_SHAPES, set(writes) - CONTRACT_SHAPES
    referrals = writes.count(_shape(simulate.INSERT_REFERRAL))
    assert writes.count(_shape(simulate.INSERT_BOOKING)) + referrals == 40
    assert referrals == summary.referrals > 0  # a few referrals (转诊/医联体), the rest plain requests
    assert writes.count(_shape(simulate.INSERT_PATIENT)) == summary.patients_created > 0
    total, by, stamped, patients = _counts(db)
    assert summary.requests == total == 40
    assert summary.cancellations == by["cancelled"] == 10
    assert by == {"pending": 30, "cancelled": 10}
    assert 0 < stamped < 10  # some cancellations set updated_at, some do not
    assert patients == 5 + summary.patients_created
    with db.read() as c:
        slots = set(c.execute(select(Booking.slot_id).distinct()).scalars())
        sources = set(c.execute(select(Booking.source).distinct()).scalars())
        marked = c.execute(select(Booking.channel, Booking.referral_code).where(Booking.channel.is_not(None))).all()
    assert slots <= set(clinic["slot_ids"]) and sources == {"miniprogram"}
    assert len(marked) == summary.referrals and all(ch == "referral" and code for ch, code in marked), marked


def test_only_published_sessions_ahead_are_booked(db):
    today = dt.date.today()
    doc = f.doctor(db, f.department(db))
    _, published = f.session(db, doc, today + dt.timedelta(days=3))
    f.session(db, doc, today + dt.timedelta(days=3), period="pm", starts=dt.time(13, 30), ends=dt.time(17, 0),
              status="draft")
    f.session(db, doc, today + dt.timedelta(days=4), status="stopped")
    f.session(db, doc, today - dt.timedelta(days=1))
    simulate.simulate(db, 20, cancel_ratio=0.0, rng_seed=1)
    with db.read() as c:
        booked = set(c.execute(select(Booking.slot_id).distinct()).scalars())
    assert booked and booked <= set(published)


def test_nothing_to_book_writes_nothing(db):
    doc = f.doctor(db, f.department(db))
    f.session(db, doc, dt.date.today() + dt.timedelta(days=1), status="draft")
    with pytest.raises(ValidationError, match="no published sessions"):
        simulate.simulate(db, 5)
    assert _counts(db)[0] == 0 and _counts(db)[3] == 0


@pytest.mark.parametrize("n, ratio", [(0, 0.1), (-3, 0.1), (5, -0.1), (5, 1.5)])
def test_bad_arguments(sqlite_db, n, ratio):
    f.basic_clinic(sqlite_db)
    with pytest.raises(ValidationError):
        simulate.simulate(sqlite_db, n, cancel_ratio=ratio)
    assert _counts(sqlite_db)[0] == 0


def test_cancel_leaves_decided_bookings_alone(db):
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    b = f.request(db, clinic["slot_ids"][0], p)
    with db.write() as c:
        c.execute(Booking.__table__.update().where(Booking.id == b).values(status="rejected", reason="x"))
    mp = simulate.MiniProgram(db.engine, __import__("random").Random(3))
    assert mp.cancel(b) is False
    assert f.status_of(db, b) == "rejected"


def test_background_simulator(db):
    f.basic_clinic(db)
    url = db.engine.url.render_as_string(hide_password=False)
    sim = simulate.Simulator(url, min_interval=0.0, max_interval=0.01, cancel_ratio=0.3, rng_seed=5)
    sim.start()
    try:
        assert sim.wait_for_requests(6, timeout=60)
    finally:
        sim.stop()
    assert not sim.is_alive() and sim.errors == 0
    total, by, _, _ = _counts(db)
    assert total == sim.requests >= 6
    assert by.get("cancelled", 0) == sim.cancellations


def test_fake_people_are_valid():
    import random

    from services.bookings.patients import id_card_checksum_ok, normalize_phone
    rng = random.Random(1)
    today = dt.date(2026, 11, 26)
    for _ in range(200):
        p = simulate.random_patient(rng, today)
        assert 2 <= len(p["name"]) <= 3 and p["gender"] in "MF" and normalize_phone(p["phone"]) == p["phone"]
        assert p["openid"].startswith("o") and len(p["openid"]) == 28
        if p["id_card"]:
            assert id_card_checksum_ok(p["id_card"]) and p["id_card"][6:14] == f"{p['birth_date']:%Y%m%d}"
            assert int(p["id_card"][16]) % 2 == (1 if p["gender"] == "M" else 0)
