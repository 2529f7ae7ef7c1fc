"""Deciding in batches (services.bookings.batch): many decisions in one transaction decide exactly as one
decision a transaction does, oldest first: the same verdicts and reasons, audit rows, messages, guard rows,
counters and waitlist positions; and deciders racing on two processes still confirm each slot's oldest
requests up to its online share, each request decided once with one message.

The twins: the same clinic, requests and rules built in two fresh databases of one kind, decided at the
same moment one request a transaction (``chunk=1``) in the first and in runs of 7 and of 100 in the
others, then compared table by table (built by tests, shared with tests/services/test_galera_batch.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import queue
import random
import traceback
from collections import Counter

import pytest
from sqlalchemy import select

from services import migrate
from services.bookings import decisions, rules, waitlist
from services.clock import local_now
from services.db import Database
from services.models import AuditLog, Booking, Notification, PatientDayGuard, SlotCounter
from services.rosters import shares
from services.staff.actor import Actor
from tests import factories as f
from tests.dbs import fresh_database

ADMIN = Actor("staff", "admin", 1, "admin")
SPAWN = multiprocessing.get_context("spawn")
VARIANTS = {"plain": {}, "waitlist": {"waitlist": True}, "any_slot": {"waitlist": True, "waitlist_any_slot": True}}


def build_crush(db: Database, rule_changes: dict, requests: int = 60, seed: int = 7) -> None:
    """A department's day with everything a decision looks at: shares kept for the desk, referrals (转诊)
    and follow-ups (复诊) (1 of 5 places each), a walk-in on the desk share, two sessions that day (the
    one-a-day rule across them), a stopped session, a day beyond the booking window, a blacklisted patient,
    a patient who already holds a place, patients seen in the department three days before (follow-ups),
    a request the mini-program cancelled, and ``requests`` requests from 30 patients (many the same
    patient's), a quarter of them referrals."""
    if rule_changes:
        rules.save(db, ADMIN, **rule_changes)
    today = dt.date.today()
    day = today + dt.timedelta(days=2)
    dep = f.department(db)
    for kind, pct in (("desk", 30), ("referral", 20), ("followup", 20)):
        shares.set_share(db, ADMIN, pct, department_id=dep, kind=kind)
    doc, doc2 = f.doctor(db, dep), f.doctor(db, dep, name="李医生")
    _, am = f.session(db, doc, day, capacity=5, slots=3)
    _, pm = f.session(db, doc2, day, period="pm", starts=dt.time(13), ends=dt.time(17), capacity=2, slots=2)
    _, stopped = f.session(db, doc2, day + dt.timedelta(days=1), status="stopped", slots=1)
    _, far = f.session(db, doc, today + dt.timedelta(days=10), slots=1)
    _, past = f.session(db, doc, today - dt.timedelta(days=5), slots=1, capacity=5)
    _, seen = f.session(db, doc2, today - dt.timedelta(days=1), slots=1, capacity=8)
    patients = [f.patient(db) for _ in range(30)]
    for p in patients[2:10]:  # seen yesterday: a follow-up (复诊) on the crush's day
        f.set_status(db, f.request(db, seen[0], p), "checked_in")
    for _ in range(3):  # patients[0]: three no-shows, blacklisted
        f.set_status(db, f.request(db, past[0], patients[0]), "no_show")
    f.set_status(db, f.request(db, pm[1], patients[1]), "confirmed")  # patients[1] holds a place that day
    decisions.walk_in(db, ADMIN, am[0], f.patient(db))  # the desk share of am[0] taken
    rng = random.Random(seed)
    targets = am * 4 + pm * 2 + stopped + far
    ids = []
    for _ in range(requests):
        slot, patient = rng.choice(targets), rng.choice(patients)
        ids.append(f.referral(db, slot, patient) if rng.random() < 0.25 else f.request(db, slot, patient))
    f.set_status(db, ids[5], "cancelled")  # by the mini-program, before any decision


def outcome(db: Database) -> dict:
    """Everything a decision writes, comparable across two databases built alike."""
    with db.read() as c:
        bookings = c.execute(select(Booking.id, Booking.slot_id, Booking.patient_id, Booking.status, Booking.reason,
                                    Booking.source, Booking.share_kind, Booking.decided_by)
                             .order_by(Booking.id)).all()
        audits = c.execute(select(AuditLog.entity_id, AuditLog.action, AuditLog.actor, AuditLog.detail)
                           .where(AuditLog.entity == "booking").order_by(AuditLog.id)).all()
        notes = c.execute(select(Notification.booking_id, Notification.kind, Notification.state,
                                 Notification.payload)).all()
        guards = c.execute(select(PatientDayGuard.patient_id, PatientDayGuard.department_id, PatientDayGuard.day,
                                  PatientDayGuard.version)).all()
        counters = c.execute(select(SlotCounter.slot_id, SlotCounter.taken, SlotCounter.capacity)).all()
    return {"bookings": [tuple(r) for r in bookings],
            # each booking's audit rows in their order (rows of different bookings may interleave otherwise)
            "audit": sorted((tuple(r) for r in audits), key=lambda r: int(r[0])),
            "messages": sorted(tuple(r) for r in notes), "guards": sorted(tuple(r) for r in guards),
            "counters": sorted(tuple(r) for r in counters)}


def decide_all(db: Database, now: dt.datetime, chunk: int) -> rules.DecideSummary:
    return rules.decide_pending(db, now=now, chunk=chunk)


def assert_twins_decide_alike(dbs: list[Database], variant: str, deciders: list[Database] | None = None) -> None:
    """Build the crush in each database, decide it (through ``deciders``, the same databases by default)
    one a transaction in the first and in runs of 7 and 100 in the others, at the same moment: everything
    written is the same."""
    now = local_now()
    results = []
    for d, by, chunk in zip(dbs, deciders or dbs, (1, 7, 100), strict=True):
        build_crush(d, VARIANTS[variant])
        summary = decide_all(by, now, chunk)
        results.append((summary, outcome(by)))
    (single, expected), *batched = results
    for summary, got in batched:
        assert summary == single
        for table in expected:
            assert got[table] == expected[table], table
    reasons = Counter(r[4] for r in expected["bookings"] if r[3] != "cancelled")
    kept = Counter(r[6] for r in expected["bookings"] if r[3] == "confirmed")
    assert kept["referral"] and kept["followup"] and kept[None], kept  # each kept share given out
    # the crush did exercise every rule a decision applies
    for reason in (rules.DUPLICATE_REASON, rules.STOPPED_REASON, "只能预约7天内的号源", None):
        assert reasons[reason], reasons
    assert any(r and r.startswith("近90天爽约3次") for r in reasons), reasons
    if variant == "plain":
        assert reasons[decisions.FULL_REASON] and single.full, reasons
    else:
        assert single.waiting and any(waitlist.position_of(r) == 2 for r in reasons), reasons


@pytest.fixture
def twins(db, db_url, tmp_path):
    kind = {"mysql": "mariadb"}.get(db.dialect, db.dialect)
    with fresh_database(kind, tmp_path) as url_a, fresh_database(kind, tmp_path) as url_b:
        others = [Database(u) for u in (url_a, url_b)]
        for d in others:
            migrate.upgrade(d)
        yield [db, *others]
        for d in others:
            d.dispose()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_batch_decides_exactly_as_one_decision_a_transaction(twins, variant, caplog):
    caplog.set_level(logging.WARNING, logger="services.bookings.rules")
    assert_twins_decide_alike(twins, variant)
    # decided by the batches themselves, not by the one-at-a-time fallback of a run that failed
    assert not [r for r in caplog.records if r.name == "services.bookings.rules"], caplog.text


# ---------------------------------------------------------------- racing deciders on two processes

SLOTS, CAPACITY, KEPT, EACH = 4, 5, 2, 9  # 40% of 5 places kept for the desk: 3 online places a slot


def build_race(db: Database) -> tuple[list[int], dict[int, list[int]]]:
    """Slots of 5 places (2 kept for the desk) and 9 requests each, every one from another patient."""
    c = f.basic_clinic(db, capacity=CAPACITY, slots=SLOTS)
    shares.set_share(db, ADMIN, 40, department_id=c["department_id"])
    rng = random.Random(3)
    order = [s for s in c["slot_ids"] for _ in range(EACH)]
    rng.shuffle(order)
    by_slot: dict[int, list[int]] = {s: [] for s in c["slot_ids"]}
    for s in order:
        by_slot[s].append(f.request(db, s, f.patient(db)))
    return c["slot_ids"], by_slot


def check_race(db: Database, by_slot: dict[int, list[int]], *, oldest_first: bool = True) -> None:
    """Every request decided once (one audit row, one message), none pending, no slot over its capacity
    or its online share; on one server (``oldest_first``) each slot's oldest requests got its places."""
    with db.read() as c:
        status = dict(c.execute(select(Booking.id, Booking.status)).all())
        audits = Counter(int(e) for e in c.execute(select(AuditLog.entity_id).where(
            AuditLog.entity == "booking", AuditLog.action == decisions.DECISION_ACTION)).scalars())
        notes = Counter(c.execute(select(Notification.booking_id)).scalars())
        counters = dict(c.execute(select(SlotCounter.slot_id, SlotCounter.taken)).all())
    for slot, ids in by_slot.items():
        confirmed = [b for b in ids if status[b] == "confirmed"]
        assert len(confirmed) == CAPACITY - KEPT == counters[slot], (slot, confirmed)
        assert all(status[b] in ("confirmed", "full") for b in ids)
        if oldest_first:
            assert confirmed == sorted(ids)[:CAPACITY - KEPT]
        for b in ids:
            assert audits[b] == 1 and notes[b] == 1, b


def _decider(url: str, chunk: int, go, out) -> None:
    try:
        db = Database(url)
        total = rules.DecideSummary()
        rules.load(db)  # connected and warm
        out.put(("ready", None))
        go.wait(60)
        while (summary := rules.decide_pending(db, chunk=chunk, limit=10)).decided or summary.skipped:
            total = total + summary
        db.dispose()
        out.put(("decider", total))
    except BaseException:
        out.put(("decider", traceback.format_exc()))


def race_deciders(urls: list[str]) -> list[rules.DecideSummary]:
    """Two decider processes (on urls[0] and urls[1 % len]) at once, in runs of 3 and of 4; their summaries."""
    out, go = SPAWN.Queue(), SPAWN.Event()
    procs = [SPAWN.Process(target=_decider, args=(urls[i % len(urls)], 3 + i, go, out)) for i in range(2)]
    for p in procs:
        p.start()
    results: dict[str, list] = {"ready": [], "decider": []}
    try:
        for _ in range(4):
            kind, value = out.get(timeout=240)
            assert not isinstance(value, str), value
            results[kind].append(value)
            if len(results["ready"]) == 2:
                go.set()
    except queue.Empty:
        pytest.fail(f"a decider did not report: {results}")
    finally:
        go.set()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert all(s.errors == 0 for s in results["decider"])
    return results["decider"]


def test_racing_batch_deciders_on_two_processes_confirm_the_oldest_once(db, db_url):
    _, by_slot = build_race(db)
    summaries = race_deciders([db_url])
    assert sum(s.decided for s in summaries) == SLOTS * EACH
    check_race(db, by_slot)
