"""Benchmark: auto-approval (services.bookings.rules.decide_pending) against a bare loop of the same UPDATEs.

For each database (SQLite always; PostgreSQL and MariaDB when they answer), two fresh databases get
the same seed: N pending requests over enough slots that some fill up, with a sprinkling of
patients who ask twice the same day or have recent no-shows, so every rule has work. Then:

- rules: decide_pending() decides them all: context loaded per batch, decided in runs of 100 a
  transaction (services.bookings.batch) with their locks, fresh counts, conditional UPDATEs, audit
  rows and outbox rows.
- bare (the baseline, same run): one short transaction per booking that locks the slot, counts
  its taken places and runs the conditional UPDATE to confirmed or full: no rules, no audit, no
  outbox. This is the least any correct decider must do.

Prints decisions/s of each and the ratio rules time / bare time.
Aims: >= 300 decisions/s on SQLite, ratio <= 2.0.

    .venv/bin/python benchmarks/autoapprove.py [--requests 3000] [--only sqlite,postgresql,mariadb]
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, update

from benchmarks._dbs import available_kinds, bench_database
from services import migrate
from services.bookings import rules
from services.clock import utcnow
from services.db import Database
from services.models import (
    TAKEN_STATUSES,
    Booking,
    ClinicSession,
    Department,
    Doctor,
    Hospital,
    Patient,
    Slot,
)
from services.staff.actor import AUTOAPPROVE

log = logging.getLogger(__name__)
AIM_RATE_SQLITE, AIM_RATIO = 300.0, 2.0
CAPACITY = 12
DEPARTMENTS, DOCTORS_PER_DEPARTMENT, DAYS = 4, 3, 5


def seed(db: Database, requests: int, rng: random.Random) -> None:
    """Departments, doctors, published morning sessions over the next days, patients, requests."""
    migrate.upgrade(db)
    today = dt.date.today()
    slots_needed = max(1, int(requests / (CAPACITY * 1.15)))  # ~13 % of the requests find a full slot
    per_session = max(1, -(-slots_needed // (DEPARTMENTS * DOCTORS_PER_DEPARTMENT * DAYS)))
    with db.write() as c:
        hid = c.execute(insert(Hospital).values(name="基准测试医院", active=True)).inserted_primary_key[0]
        slot_ids = []
        for d in range(DEPARTMENTS):
            dep = c.execute(insert(Department).values(hospital_id=hid, code=f"D{d}", name=f"科室{d}",
                                                      active=True)).inserted_primary_key[0]
            for k in range(DOCTORS_PER_DEPARTMENT):
                doc = c.execute(insert(Doctor).values(department_id=dep, name=f"医生{d}-{k}", title="主治医师",
                                                      fee=Decimal("20.00"), active=True)).inserted_primary_key[0]
                for day in range(1, DAYS + 1):
                    sid = c.execute(insert(ClinicSession).values(
                        doctor_id=doc, rostered_doctor_id=doc, day=today + dt.timedelta(days=day), period="am",
                        starts_at=dt.time(8), ends_at=dt.time(12), status="published")).inserted_primary_key[0]
                    for i in range(per_session):
                        a = dt.datetime.combine(today, dt.time(8)) + dt.timedelta(minutes=(240 // per_session) * i)
                        b = a + dt.timedelta(minutes=240 // per_session)
                        slot_ids.append(c.execute(insert(Slot).values(
                            session_id=sid, starts_at=a.time(), ends_at=b.time(), capacity=CAPACITY)
                        ).inserted_primary_key[0])
        slot_ids = slot_ids[:slots_needed]
        patients = int(requests * 0.9)
        c.execute(insert(Patient), [{"openid": f"o-bench-{i}", "name": f"患者{i}", "gender": "F",
                                     "phone": f"139{i:08d}"} for i in range(patients)])
        pids = list(c.execute(select(Patient.id).order_by(Patient.id)).scalars())
        # a few patients with three recent no-shows (the blacklist rule) in a past session
        past = c.execute(insert(ClinicSession).values(
            doctor_id=doc, rostered_doctor_id=doc, day=today - dt.timedelta(days=3), period="pm",
            starts_at=dt.time(14), ends_at=dt.time(17), status="published")).inserted_primary_key[0]
        past_slot = c.execute(insert(Slot).values(session_id=past, starts_at=dt.time(14), ends_at=dt.time(17),
                                                  capacity=1000)).inserted_primary_key[0]
        c.execute(insert(Booking), [{"slot_id": past_slot, "patient_id": p, "status": "no_show", "source": "miniprogram"}
                                    for p in pids[: patients // 50] for _ in range(3)])
        # the requests, as the mini-program writes them; ~10 % of the patients ask twice
        rows = [{"slot_id": rng.choice(slot_ids), "patient_id": pids[i % patients], "status": "pending",
                 "source": "miniprogram"} for i in range(requests)]
        rng.shuffle(rows)
        c.execute(insert(Booking), rows)


def run_rules(db: Database) -> tuple[float, rules.DecideSummary]:
    t0 = time.perf_counter()
    summary = rules.decide_pending(db, AUTOAPPROVE)
    return time.perf_counter() - t0, summary


def run_bare(db: Database) -> tuple[float, int]:
    """One short transaction per booking: lock the slot, count, conditional UPDATE. Nothing else."""
    t0 = time.perf_counter()
    with db.read() as c:
        todo = c.execute(select(Booking.id, Booking.slot_id).where(Booking.status == "pending").order_by(Booking.id)).all()

    def decide(conn, booking_id: int, slot_id: int) -> int:
        capacity = conn.execute(select(Slot.capacity).where(Slot.id == slot_id).with_for_update()).scalar_one()
        taken = conn.execute(select(func.count()).select_from(Booking)
                             .where(Booking.slot_id == slot_id, Booking.status.in_(TAKEN_STATUSES))).scalar_one()
        status = "full" if taken >= capacity else "confirmed"
        now = utcnow()
        return conn.execute(update(Booking).where(Booking.id == booking_id, Booking.status == "pending")
                            .values(status=status, decided_at=now, decided_by="bench", updated_at=now)).rowcount

    done = 0
    for booking_id, slot_id in todo:
        done += db.run(lambda conn, b=booking_id, s=slot_id: decide(conn, b, s))
    return time.perf_counter() - t0, done


def bench(kind: str, requests: int, seed_value: int) -> dict:
    out = {}
    for which in ("bare", "rules"):
        with bench_database(kind) as url:
            db = Database(url)
            try:
                seed(db, requests, random.Random(seed_value))
                if which == "bare":
                    secs, n = run_bare(db)
                    out["bare"] = (secs, n)
                else:
                    secs, summary = run_rules(db)
                    out["rules"] = (secs, summary.decided)
                    out["summary"] = summary
            finally:
                db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--only", default=None, help="comma-separated kinds: sqlite,postgresql,mariadb")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    ok = True
    for kind in available_kinds(args.only):
        r = bench(kind, args.requests, args.seed)
        (bare_s, bare_n), (rules_s, rules_n) = r["bare"], r["rules"]
        ratio = rules_s / bare_s
        rate = rules_n / rules_s
        aims = [ratio <= AIM_RATIO] + ([rate >= AIM_RATE_SQLITE] if kind == "sqlite" else [])
        ok &= all(aims)
        print(f"{kind:10s} rules {rate:7.0f} decisions/s ({rules_n} in {rules_s:.2f} s; {r['summary'].line()})")
        print(f"{'':10s} bare  {bare_n / bare_s:7.0f} decisions/s ({bare_n} in {bare_s:.2f} s)")
        print(f"{'':10s} ratio rules/bare {ratio:.2f} (aim <= {AIM_RATIO})"
              + (f"; aim >= {AIM_RATE_SQLITE:.0f}/s" if kind == "sqlite" else "")
              + ("  OK" if all(aims) else "  MISSED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
