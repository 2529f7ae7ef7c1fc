"""Benchmark: from a cancellation's commit to the waiting patient's confirmation (候补成功).

For each database (SQLite, PostgreSQL, MariaDB; a server that does not answer is skipped), in a database
of its own that it creates and drops: the waitlist rule on, ``--slots`` slots of one place each, each held
by a confirmed booking with one request waiting for it (候补中（第 1 位）). The job service (a Runner with
the decide, shares and waitlist jobs, ``--interval`` between rounds, in this process) runs; a foreign
writer (plain SQL on its own connection, as the mini-program) cancels the held bookings one at a time,
at random phases of the rounds. Measured for each cancel, from its commit returning:

- the confirmation: until an observer (its own connection, polling every 2 ms) reads the waiting request
  as ``confirmed``;
- the baseline, the change feed's own latency: until a ChangeFeed reader polling at the job service's
  interval sees the cancel (what anything following the feed at that cadence can do at best).

Prints p50/p95 of both and the ratio of the p50s. Aim: p95 under 1 s with the job service running.

    .venv/bin/python benchmarks/waitlist.py [--slots 40] [--interval 0.25] [--only sqlite,postgresql,mariadb]
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

from sqlalchemy import create_engine, text

from benchmarks._clinic import clinic_day
from benchmarks._dbs import available_kinds, bench_database
from services import migrate
from services.bookings import rules
from services.cli.cmd_jobs import make_jobs
from services.config import Config, WeChatSettings
from services.db import Database
from services.jobs.runner import Runner
from services.staff.actor import Actor
from services.sync.feed import ChangeFeed

ADMIN = Actor("staff", "bench-admin", 1, "admin")
TIMEOUT = 30.0


def setup(url: str, slots: int) -> tuple[Database, list[tuple[int, int]]]:
    """(held booking, waiting request) per slot."""
    db = Database(url)
    migrate.upgrade(db)
    rules.save(db, ADMIN, waitlist=True)
    day = dt.date.today() + dt.timedelta(days=3)
    slot_ids, patients = clinic_day(db, day, slots=slots, capacity=1, patients=2 * slots, ends_at=dt.time(20))
    pairs = []
    with db.engine.begin() as c:  # the mini-program's requests: the first of each slot is confirmed, the next waits
        for i, slot in enumerate(slot_ids):
            ids = []
            for p in (patients[2 * i], patients[2 * i + 1]):
                c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                               " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": slot, "p": p})
                ids.append(c.execute(text("SELECT max(id) FROM bookings WHERE patient_id = :p"), {"p": p}).scalar_one())
            pairs.append((ids[0], ids[1]))
    summary = rules.decide_pending(db)
    assert summary.confirmed == slots and summary.waiting == slots, summary
    return db, pairs


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(kind: str, url: str, slots: int, interval: float) -> tuple[list[float], list[float]]:
    db, pairs = setup(url, slots)
    stop = threading.Event()
    runner = Runner(db, Config(url, WeChatSettings()), make_jobs(("decide", "shares", "waitlist")),
                    stop=stop, interval=interval)
    seen_feed: dict[int, float] = {}
    seen_confirmed: dict[int, float] = {}
    waiting = [w for _, w in pairs]

    def follow() -> None:
        feed = ChangeFeed(db)
        feed.poll()
        while not stop.is_set():
            for ch in feed.poll():
                if ch.entity == "booking" and ch.status == "cancelled":
                    seen_feed.setdefault(int(ch.entity_id), time.perf_counter())
            stop.wait(interval)

    def observe() -> None:
        engine = create_engine(url)
        try:
            with engine.connect() as c:
                while not stop.is_set():
                    ids = [w for w in waiting if w not in seen_confirmed]
                    if ids:
                        rows = c.execute(text("SELECT id FROM bookings WHERE status = 'confirmed' AND id IN ("
                                              + ",".join(str(i) for i in ids) + ")")).scalars().all()
                        c.rollback()  # a fresh snapshot on the next read
                        now = time.perf_counter()
                        for i in rows:
                            seen_confirmed.setdefault(i, now)
                    time.sleep(0.002)
        finally:
            engine.dispose()

    runner_thread = threading.Thread(target=runner.run_forever, daemon=True)
    threads = [threading.Thread(target=follow, daemon=True), threading.Thread(target=observe, daemon=True)]
    runner_thread.start()
    for t in threads:
        t.start()
    writer = create_engine(url)
    confirm, feed = [], []
    try:
        time.sleep(interval * 2)  # the first round (leases, heartbeat) is behind us
        for held, wait in pairs:
            time.sleep(random.uniform(0.05, interval + 0.1))  # a random phase of the rounds
            with writer.begin() as c:
                c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :b AND status IN"
                               " ('pending', 'confirmed')"), {"b": held})
            t0 = time.perf_counter()
            deadline = t0 + TIMEOUT
            while (wait not in seen_confirmed or held not in seen_feed) and time.perf_counter() < deadline:
                time.sleep(0.001)
            if wait not in seen_confirmed or held not in seen_feed:
                raise SystemExit(f"{kind}: booking {wait} not confirmed within {TIMEOUT:.0f} s")
            confirm.append(seen_confirmed[wait] - t0)
            feed.append(seen_feed[held] - t0)
    finally:
        stop.set()
        runner_thread.join(timeout=10)
        for t in threads:
            t.join(timeout=10)
        writer.dispose()
        db.dispose()
    return confirm, feed


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slots", type=int, default=40)
    ap.add_argument("--interval", type=float, default=0.25, help="the job service's pause between rounds")
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    print(f"cancel commit -> 候补成功 (waitlist job, rounds every {args.interval:g} s) vs the change feed polled "
          f"at the same interval; {args.slots} cancels")
    print("| database | confirmed p50 | p95 | change feed p50 | p95 | ratio of p50s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in available_kinds(args.only):
        with bench_database(kind) as url:
            confirm, feed = run(kind, url, args.slots, args.interval)
        c50, f50 = statistics.median(confirm), statistics.median(feed)
        print(f"| {kind} | {c50 * 1000:.0f} ms | {pct(confirm, 0.95) * 1000:.0f} ms | {f50 * 1000:.0f} ms | "
              f"{pct(feed, 0.95) * 1000:.0f} ms | {c50 / f50 if f50 else float('nan'):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
