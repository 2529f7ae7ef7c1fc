"""Benchmark: the crush at release time (放号), decided by the job service.

For each database (SQLite, PostgreSQL, MariaDB; a server that does not answer is skipped), in a database
of its own that it creates and drops: a popular department's week has just opened (4 doctors x 7 days,
one session each, 8 slots of 20 places, 30% kept for the desk: 号源池); ``--writers`` mini-program writers
(plain SQL, one connection each) commit ``--requests`` booking requests, each from a different patient,
spread evenly over ``--window`` seconds; the job service (a Runner with the decide, shares and waitlist
jobs, ``--interval`` between rounds, in this process) decides them. A reader on its own connection
(polling every 10 ms from the oldest undecided request) sees each verdict. Printed per database: the time from each request's commit to its verdict
(p50/p95/max), the decisions per second over the run, and the checks: every request decided, no slot over
capacity, the desk share kept (online bookings hold at most capacity - kept in every slot).
Aim: every request decided within 10 s of its arrival on PostgreSQL.

    .venv/bin/python benchmarks/release.py [--requests 10000] [--writers 8] [--window 60] [--interval 0.25]
                                           [--only sqlite,postgresql,mariadb]
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, create_engine, insert, select, text

from benchmarks._dbs import available_kinds, bench_database
from services import migrate
from services.bookings import rules
from services.cli.cmd_jobs import make_jobs
from services.clock import local_now
from services.config import Config, WeChatSettings
from services.db import Database
from services.jobs.runner import Runner
from services.models import ClinicSession, Department, Doctor, Hospital, Patient, Slot
from services.rosters import shares
from services.staff.actor import Actor

ADMIN = Actor("staff", "bench-admin", 1, "admin")
DOCTORS, DAYS, SLOTS, CAPACITY, DESK_PCT = 4, 7, 8, 20, 30
VERDICTS = ("confirmed", "full", "rejected")


def setup(url: str, requests: int) -> tuple[Database, list[int], list[int]]:
    db = Database(url)
    migrate.upgrade(db)
    first = dt.date.today() + dt.timedelta(days=1)  # the week inside the booking window
    with db.write() as c:
        hid = c.execute(insert(Hospital).values(name="基准医院")).inserted_primary_key[0]
        dep = c.execute(insert(Department).values(hospital_id=hid, code="EK", name="儿科")).inserted_primary_key[0]
        for n in range(DOCTORS):
            doc = c.execute(insert(Doctor).values(department_id=dep, name=f"医生{n}", title="主任医师", fee=50)
                            ).inserted_primary_key[0]
            for d in range(DAYS):
                day = first + dt.timedelta(days=d)
                sid = c.execute(insert(ClinicSession).values(
                    doctor_id=doc, rostered_doctor_id=doc, day=day, period="am", starts_at=dt.time(8),
                    ends_at=dt.time(12), status="published")).inserted_primary_key[0]
                start = dt.datetime.combine(day, dt.time(8))
                c.execute(insert(Slot), [{"session_id": sid, "capacity": CAPACITY,
                                          "starts_at": (start + dt.timedelta(minutes=30 * i)).time(),
                                          "ends_at": (start + dt.timedelta(minutes=30 * i + 30)).time()}
                                         for i in range(SLOTS)])
        c.execute(insert(Patient), [{"openid": f"o-bench-{i}", "name": f"患者{i}", "gender": "F",
                                     "phone": f"139{i:08d}"} for i in range(requests)])
        slots = list(c.execute(text("SELECT id FROM slots ORDER BY id")).scalars())
        patients = list(c.execute(text("SELECT id FROM patients ORDER BY id")).scalars())
    shares.set_share(db, ADMIN, DESK_PCT, department_id=dep)
    return db, slots, patients


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(kind: str, url: str, requests: int, writers: int, window: float, interval: float) -> str:
    db, slots, patients = setup(url, requests)
    stop = threading.Event()
    runner = Runner(db, Config(url, WeChatSettings()), make_jobs(("decide", "shares", "waitlist")),
                    stop=stop, interval=interval)
    committed: dict[int, float] = {}
    verdicts: dict[int, float] = {}
    errors: list[BaseException] = []

    def follow() -> None:  # its own connection, every 10 ms: the verdicts since the oldest undecided request
        engine = create_engine(url)
        lo = 0
        try:
            with engine.connect() as c:
                while not stop.is_set():
                    rows = c.execute(text("SELECT id FROM bookings WHERE id >= :lo AND status IN"
                                          " ('confirmed', 'full', 'rejected')"), {"lo": lo}).scalars().all()
                    c.rollback()  # a fresh snapshot on the next read
                    now = time.perf_counter()
                    for b in rows:
                        verdicts.setdefault(b, now)
                    open_ = [b for b in committed.copy() if b not in verdicts]
                    lo = min(open_) if open_ else (max(verdicts) + 1 if verdicts else 0)
                    stop.wait(0.01)
        finally:
            engine.dispose()

    def write(part: list[int], start: float) -> None:
        engine = create_engine(url)
        rng = random.Random(part[0] if part else 0)
        try:
            for n, p in enumerate(part):
                due = start + window * (n + rng.random()) / len(part)
                time.sleep(max(0.0, due - time.perf_counter()))
                with engine.begin() as c:
                    c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                                   " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": rng.choice(slots), "p": p})
                    bid = c.execute(text("SELECT max(id) FROM bookings WHERE patient_id = :p"), {"p": p}).scalar_one()
                committed[bid] = time.perf_counter()
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    background = [threading.Thread(target=runner.run_forever, daemon=True), threading.Thread(target=follow, daemon=True)]
    for t in background:
        t.start()
    time.sleep(interval * 2)
    start = time.perf_counter()
    parts = [patients[k::writers] for k in range(writers)]
    ws = [threading.Thread(target=write, args=(part, start)) for part in parts]
    for t in ws:
        t.start()
    for t in ws:
        t.join()
    deadline = time.perf_counter() + 300
    while len([b for b in committed if b in verdicts]) < len(committed) and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in background:
        t.join(timeout=30)
    if errors:
        raise SystemExit(f"{kind}: a writer failed: {errors[0]}")
    lat = [verdicts[b] - committed[b] for b in committed if b in verdicts]
    undecided = len(committed) - len(lat)
    span = max(verdicts.values()) - start
    r = rules.load(db)
    with db.read() as c:
        over = c.execute(text("SELECT COUNT(*) FROM slot_counters WHERE taken > capacity")).scalar_one()
        # the desk share is kept until its cut-off (by default 18:00 the day before): a run in the evening
        # rightly lets online requests into tomorrow's desk places, so only days still kept are checked
        kept_days = [d for d in c.execute(select(ClinicSession.day).distinct()).scalars()
                     if shares.opens_at(d, r) > local_now()]
        online = c.execute(text(
            "SELECT COUNT(*) FROM (SELECT s.id, s.capacity, COUNT(b.id) AS n FROM slots s"
            " JOIN clinic_sessions cs ON cs.id = s.session_id AND cs.day IN :days JOIN bookings b"
            " ON b.slot_id = s.id AND b.source = 'miniprogram' AND b.status = 'confirmed'"
            " GROUP BY s.id, s.capacity) t WHERE t.n > t.capacity - (t.capacity * :pct) / 100"
        ).bindparams(bindparam("days", expanding=True)), {"pct": DESK_PCT, "days": kept_days}).scalar_one()
        counts = dict(c.execute(text("SELECT status, COUNT(*) FROM bookings GROUP BY status")).all())
    db.dispose()
    return (f"| {kind} | {len(committed):,} | {statistics.median(lat) * 1000:.0f} ms | {pct(lat, 0.95) * 1000:.0f} ms |"
            f" {max(lat) * 1000:.0f} ms | {len(lat) / span:.0f}/s | {undecided} | {over} | {online} |"
            f" {counts.get('confirmed', 0):,} confirmed, {counts.get('full', 0):,} full,"
            f" {counts.get('rejected', 0):,} rejected |")


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    places = DOCTORS * DAYS * SLOTS * CAPACITY
    print(f"{args.requests:,} requests by {args.writers} writers over {args.window:g} s for {places:,} places "
          f"({DESK_PCT}% kept for the desk); the job service decides (rounds every {args.interval:g} s)")
    print("| database | requests | commit->verdict p50 | p95 | max | decisions/s (over the run) | undecided |"
          " slots over capacity | slots over the online share | outcome |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in available_kinds(args.only):
        with bench_database(kind) as url:
            print(run(kind, url, args.requests, args.writers, args.window, args.interval), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
