"""THE RACE: mini-program processes write and cancel requests while autoapprove processes and a
clerk process decide them, on a few small slots, on every database.

Processes (spawn context, each with its own connections):
- MINIPROGRAMS processes act as the mini-program's backend with exactly the contract's plain SQL,
  each statement its own transaction: INSERT pending requests, and the contract's cancel UPDATE
  (which cancels a pending *or confirmed* booking, freeing a place without any lock).
- DECIDERS processes loop rules.decide_pending(); CLERKS processes approve random pending
  bookings with decisions.approve_many() (no duplicate rule for a clerk).
- Afterwards `regdesk autoapprove --once` decides what is left.

Why the "no `full` while a place was free" check is sound. Every decision that can confirm or
declare full holds the slot's lock (on MySQL/MariaDB its session's, see decisions.lock_and_count)
while it counts and while it writes its audit row, so the decisions on one slot are serialized,
and their audit rows get ids in that same order (a sequence or auto-increment value is taken at
insert time, inside the lock; SQLite has one writer). Places are taken only by confirmations
(no walk-ins, check-ins or no-shows here) and freed only by cancellation. So on the EXACT slots,
where the mini-program never cancels, the number of places taken when a decision was made is
exactly the number of confirmations before it in audit order: each `full` must come after exactly
`capacity` confirmations, each confirmation after fewer.
On the CHURN slots cancellations free places at moments we cannot order against the decisions,
so there we check the necessary condition only (at least `capacity` confirmations before a full),
plus the capacity itself through the slot_availability view, as everywhere.

Other invariants: every request written is in the table (none lost) and none is pending at the
end; each booking left `pending` at most once: exactly one 'decide' audit row (and one outbox row
of that kind) per decided booking, none for one cancelled while pending; a booking the
mini-program cancelled stays cancelled; and no patient holds two places that day both confirmed by
autoapprove (it checks duplicates under a lock per patient, or per department and day on
MySQL/MariaDB; a clerk may knowingly allow a second one).
"""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import queue
import random
import time
import traceback
import uuid
from collections import Counter, defaultdict

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from services.bookings import decisions, rules
from services.cli import main
from services.db import Database, make_engine
from services.models import AuditLog, Booking, ClinicSession, Doctor, Notification, Slot, SlotCounter
from services.staff.actor import Actor
from tests import factories as f

SPAWN = multiprocessing.get_context("spawn")
MINIPROGRAMS, REQUESTS_EACH, CANCEL_RATIO = 2, 100, 0.4
DECIDERS, CLERKS = 2, 1
EXACT_SLOTS, CHURN_SLOTS, CAPACITY, PATIENTS = 3, 2, 3, 30
TIMEOUT = 120

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- the processes (module level: spawn imports them)

def _contract_retry(multi_primary: bool, fn):
    """The contract: on a multi-primary cluster every writer retries a transaction aborted with 1213
    (Galera's certification failure). On one server the mini-program never retries: an error fails
    the race."""
    for attempt in range(20):
        try:
            return fn()
        except OperationalError as exc:
            if not multi_primary or exc.orig.args[0] != 1213 or attempt == 19:
                raise
            time.sleep(0.005 * (attempt + 1) * random.random())


def _miniprogram(url: str, exact: list[int], churn: list[int], patients: list[int], seed: int, go, out,
                 multi_primary: bool = False) -> None:
    try:
        rng = random.Random(seed)
        args = {"timeout": 30} if url.startswith("sqlite") else {"connect_timeout": 10}
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args=args)
        pg = engine.dialect.name == "postgresql"
        written, on_churn, cancelled = [], [], []
        insert = ("INSERT INTO bookings (slot_id, patient_id, status, source)"
                  " VALUES (:s, :p, 'pending', 'miniprogram')")
        with engine.connect() as c:
            go.wait(TIMEOUT)  # start together with the deciders, not before they are up
            for _ in range(REQUESTS_EACH):
                slot = rng.choice(exact + churn)
                params = {"s": slot, "p": rng.choice(patients)}
                if pg:
                    new_id = c.execute(text(insert + " RETURNING id"), params).scalar_one()
                else:
                    new_id = _contract_retry(multi_primary, lambda params=params: c.execute(text(insert), params).lastrowid)
                written.append(new_id)
                if slot in churn:
                    on_churn.append(new_id)
                if on_churn and rng.random() < CANCEL_RATIO:
                    target = rng.choice(on_churn)
                    n = _contract_retry(multi_primary, lambda target=target: c.execute(text(
                        "UPDATE bookings SET status = 'cancelled'"
                        " WHERE id = :id AND status IN ('pending', 'confirmed')"), {"id": target}).rowcount)
                    if n == 1:
                        cancelled.append(target)
        engine.dispose()
        out.put(("miniprogram", {"written": written, "cancelled": cancelled}))
    except BaseException:
        out.put(("miniprogram", traceback.format_exc()))


def _decider(url: str, done, out) -> None:
    try:
        db = Database(url)
        total = rules.DecideSummary()
        rules.load(db)  # connected and warm
        out.put(("ready", None))
        while True:
            finishing = done.is_set()
            summary = rules.decide_pending(db, limit=8)
            total = total + summary
            if finishing:
                break
            if not summary.decided:
                done.wait(0.01)  # back off a little while nothing is pending
        db.dispose()
        out.put(("decider", total))
    except BaseException:
        out.put(("decider", traceback.format_exc()))


def _clerk(url: str, done, seed: int, out) -> None:
    try:
        rng = random.Random(seed)
        db = Database(url)
        clerk = Actor(kind="staff", name="clerk-race", role="clerk")
        outcomes = Counter()
        rules.load(db)
        out.put(("ready", None))
        while True:
            finishing = done.is_set()
            with db.read() as c:
                ids = list(c.execute(select(Booking.id).where(Booking.status == "pending").limit(40)).scalars())
            rng.shuffle(ids)
            for _, res in decisions.approve_many(db, clerk, ids[:4]):
                outcomes[res.status if isinstance(res, decisions.BookingResult) else "refused"] += 1
            if finishing:
                break
            if not ids:
                done.wait(0.01)
        db.dispose()
        out.put(("clerk", dict(outcomes)))
    except BaseException:
        out.put(("clerk", traceback.format_exc()))


# ---------------------------------------------------------------- the test

def test_race(db, db_url, capsys):
    race(db, [db_url], capsys)


def race(db, urls: list[str], capsys, multi_primary: bool = False) -> None:
    """One race on a new clinic (so a test may run several rounds in one database). ``urls``: each
    process connects to urls[i % len(urls)] (a multi-primary cluster's nodes: writers and deciders on
    every node; then per node one mini-program, one decider and one clerk)."""
    department = f.department(db, code="R" + uuid.uuid4().hex[:8])
    _, slot_ids = f.session(db, f.doctor(db, department), dt.date.today() + dt.timedelta(days=2),
                            capacity=CAPACITY, slots=EXACT_SLOTS + CHURN_SLOTS)
    exact, churn = slot_ids[:EXACT_SLOTS], slot_ids[EXACT_SLOTS:]
    patients = [f.patient(db) for _ in range(PATIENTS)]
    n = len(urls)
    programs_n, deciders_n, clerks_n = (MINIPROGRAMS, DECIDERS, CLERKS) if n == 1 else (n, n, n)

    out, go, done = SPAWN.Queue(), SPAWN.Event(), SPAWN.Event()
    workers = [SPAWN.Process(target=_decider, args=(urls[i % n], done, out)) for i in range(deciders_n)]
    workers += [SPAWN.Process(target=_clerk, args=(urls[(i + 1) % n], done, 100 + i, out)) for i in range(clerks_n)]
    programs = [SPAWN.Process(target=_miniprogram, args=(urls[(i + 2) % n], exact, churn, patients,
                                                         random.randrange(1 << 30), go, out, multi_primary))
                for i in range(programs_n)]
    for p in workers + programs:
        p.start()
    results = defaultdict(list)
    try:
        for _ in range(2 * len(workers) + len(programs)):
            kind, value = out.get(timeout=TIMEOUT)
            assert not isinstance(value, str), f"{kind} process failed:\n{value}"
            results[kind].append(value)
            if len(results["ready"]) == len(workers):
                go.set()  # every decider is connected: let the mini-programs loose
            if len(results["miniprogram"]) == programs_n:
                done.set()  # the mini-programs are through: deciders make one last round and stop
    except queue.Empty:
        pytest.fail(f"a process did not report within {TIMEOUT} s: {dict(results)}")
    finally:
        go.set()
        done.set()
        for p in workers + programs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in workers + programs] == [0] * (len(workers) + len(programs))
    assert all(s.errors == 0 for s in results["decider"])

    written = [i for r in results["miniprogram"] for i in r["written"]]
    cancelled = {i for r in results["miniprogram"] for i in r["cancelled"]}
    if multi_primary:  # every node has applied every request before the last round decides them
        for url in urls:
            _wait_visible(url, written)
    for url in urls:  # autoapprove --once on every node
        assert main(["autoapprove", "--once", "--db", url]) == 0
        assert capsys.readouterr().out.startswith("autoapprove: ")
    if multi_primary:
        db = _synced(urls[0])  # reads that wait until this node has applied every commit there was

    slots = set(exact + churn)
    with db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(Booking.id, Booking.slot_id, Booking.patient_id, Booking.status,
                                                      Booking.decided_at, Booking.decided_by)
                                              .where(Booking.slot_id.in_(slots)))}
        audits = conn.execute(select(AuditLog.id, AuditLog.entity_id, AuditLog.detail, AuditLog.actor)
                              .where(AuditLog.entity == "booking", AuditLog.action == decisions.DECISION_ACTION)
                              .order_by(AuditLog.id)).all()
        notes = Counter((n.booking_id, n.kind) for n in conn.execute(select(Notification.booking_id, Notification.kind)))
        availability = conn.execute(text("SELECT slot_id, capacity, taken, pending FROM slot_availability")).all()
        counters = {r.slot_id: r for r in conn.execute(select(SlotCounter.slot_id, SlotCounter.taken,
                                                              SlotCounter.capacity))}
        days = {r.id: r for r in conn.execute(
            select(Booking.id, Doctor.department_id, ClinicSession.day).join(Slot, Slot.id == Booking.slot_id)
            .join(ClinicSession, ClinicSession.id == Slot.session_id).join(Doctor, Doctor.id == ClinicSession.doctor_id)
            .where(Booking.slot_id.in_(slots)))}
    if multi_primary:
        db.dispose()
    audits = [a for a in audits if int(a.entity_id) in rows]  # this round's only
    availability = [a for a in availability if a.slot_id in slots]
    counters = {k: v for k, v in counters.items() if k in slots}

    # none lost, none invented, nothing left pending, capacity never exceeded
    assert len(written) == programs_n * REQUESTS_EACH
    assert sorted(rows) == sorted(written)
    assert not [i for i, r in rows.items() if r.status == "pending"]
    assert all(a.taken <= a.capacity and a.pending == 0 for a in availability), availability
    # the counters the database keeps (triggers) agree with the bookings
    assert {a.slot_id: (a.taken, a.capacity) for a in availability} == {
        k: (v.taken, v.capacity) for k, v in counters.items()}
    assert all(rows[i].status == "cancelled" for i in cancelled)

    # each booking decided exactly once, with its outbox row; none for a request cancelled while pending
    decided = defaultdict(list)
    for a in audits:
        decided[int(a.entity_id)].append(json.loads(a.detail)["to"])
    for i, r in rows.items():
        got = decided.get(i, [])
        if r.status in ("confirmed", "full", "rejected"):
            assert got == [r.status], (i, r.status, got)
            assert notes[(i, r.status)] == 1 and r.decided_at is not None
        else:
            assert r.status == "cancelled" and got in ([], ["confirmed"]), (i, r.status, got)
            assert (r.decided_at is not None) == bool(got)
    assert sum(len(v) for v in decided.values()) == len(decided)

    # no patient holds two places in one department on one day (every decider applies the one-a-day
    # rule: autoapprove, and a clerk's approve, which no clerk here overrides)
    held = Counter((r.patient_id, days[i].department_id, days[i].day) for i, r in rows.items()
                   if r.status == "confirmed")
    assert not [k for k, v in held.items() if v > 1], held

    # no full while a place was free: replay each slot's decisions in audit (= lock) order. Not on a
    # multi-primary cluster: each node hands out its own audit ids, so their order is not the decisions'.
    confirms: Counter = Counter()
    for a in ([] if multi_primary else audits):
        b = rows[int(a.entity_id)]
        to = json.loads(a.detail)["to"]
        if to == "confirmed":
            if b.slot_id in exact:
                assert confirms[b.slot_id] < CAPACITY, f"booking {b.id} confirmed into a full slot"
            confirms[b.slot_id] += 1
        elif to == "full":
            if b.slot_id in exact:
                assert confirms[b.slot_id] == CAPACITY, f"booking {b.id} declared full with a free place"
            else:
                assert confirms[b.slot_id] >= CAPACITY, f"booking {b.id} declared full with a free place"

    # the race did race: decisions by several processes, with full slots and cancellations
    statuses = Counter(r.status for r in rows.values())
    assert statuses["full"] and statuses["confirmed"] and statuses["cancelled"], statuses


def _synced(url: str) -> Database:
    """A Database whose reads wait until their node has applied every transaction committed anywhere
    in the cluster before they started (Galera's wsrep_sync_wait)."""
    return Database(make_engine(url, connect_args={"connect_timeout": 5,
                                                    "init_command": "SET SESSION wsrep_sync_wait = 1"}))


def _wait_visible(url: str, ids: list[int]) -> None:
    db = _synced(url)
    try:
        with db.read() as conn:
            have = conn.execute(select(func.count()).select_from(Booking).where(Booking.id.in_(ids))).scalar_one()
    finally:
        db.dispose()
    assert have == len(ids), f"{url}: {have} of {len(ids)} requests there"
