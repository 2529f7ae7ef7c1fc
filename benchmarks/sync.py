"""Benchmark: the change feed's latency and the cost of a poll against the size of the database.

For each database (SQLite, PostgreSQL, MariaDB; a server that does not answer is skipped), in
databases of its own that it creates and drops:

1. Latency. ``python main.py watch`` runs as a separate process; a foreign writer (plain SQL on its
   own connection, like the mini-program) commits K booking requests spaced 20-150 ms apart, and
   the time from the writer's commit returning to watch's line arriving is measured for each.
   Prints p50 and p95 (aim: p95 < 250 ms on PostgreSQL, < 1 s on SQLite and MariaDB).
2. Poll cost. One database holds 2,000 bookings (and their 2,000 change rows), the other 200,000.
   Alternately on each: a foreign commit of one booking (not timed), then one ChangeFeed.poll()
   (timed) that finds that one change, the two in random order. Prints the median poll time on each
   and the median of the paired ratios large/small: the baseline is the small database in the same
   run; a poll must cost what changed, not what exists (goal: ratio <= 1.2).

    .venv/bin/python benchmarks/sync.py [--commits 50] [--small 2000] [--large 200000] [--polls 300]
                                        [--only sqlite,postgresql,mariadb]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text

from benchmarks._clinic import clinic_day
from benchmarks._dbs import available_kinds, bench_database
from services import migrate
from services.db import Database
from services.models import Booking
from services.sync.feed import ChangeFeed

log = logging.getLogger(__name__)

AIM_P95 = {"sqlite": 1.0, "postgresql": 0.25, "mariadb": 1.0}
PATIENTS = 2000
SLOTS = 40


def setup(url: str, bookings: int) -> tuple[Database, list[int], list[int]]:
    """Schema, one clinic day of SLOTS slots, PATIENTS patients and ``bookings`` pending requests."""
    db = Database(url)
    migrate.upgrade(db)
    day = dt.date.today() + dt.timedelta(days=3)
    slots, patients = clinic_day(db, day, slots=SLOTS, capacity=50, patients=PATIENTS, ends_at=dt.time(12))
    chunk = 5000
    for first in range(0, bookings, chunk):  # each chunk in its own transaction; the triggers log each row
        with db.write() as c:
            c.execute(insert(Booking), [{"slot_id": slots[i % SLOTS], "patient_id": patients[i % PATIENTS],
                                         "status": "pending", "source": "miniprogram"}
                                        for i in range(first, min(bookings, first + chunk))])
    return db, slots, patients


def foreign_commit(engine, slot_id: int, patient_id: int) -> None:
    with engine.begin() as c:
        c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                       " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": slot_id, "p": patient_id})


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(kind: str, folder: Path, commits: int) -> tuple[float, float]:
    with bench_database(kind, folder) as url:
        db, slots, patients = setup(url, 0)
        with db.read() as c:
            end = c.execute(text("SELECT coalesce(max(id), 0) FROM change_log")).scalar()
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--db", url, "watch", "--after", str(end)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: queue.Queue = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put((time.perf_counter(), json.loads(line)))

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        writer = create_engine(db.engine.url)  # the mini-program's own connection
        out = []
        try:
            # the first request also tells when watch has started listening (not timed)
            foreign_commit(writer, slots[0], patients[0])
            lines.get(timeout=60)
            for i in range(commits):
                time.sleep(random.uniform(0.02, 0.15))  # a commit at a random phase of any poll tick
                foreign_commit(writer, slots[i % SLOTS], patients[i + 1])
                committed = time.perf_counter()
                seen, obj = lines.get(timeout=30)
                assert obj["patient_id"] == patients[i + 1], obj
                out.append(seen - committed)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            reader.join(timeout=30)
            proc.stdout.close()
            writer.dispose()
            db.dispose()
    return pct(out, 50), pct(out, 95)


def poll_cost(kind: str, folder: Path, small: int, large: int, polls: int) -> tuple[float, float, float]:
    """Median poll time on the small and the large database, and the median of the paired ratios."""
    with bench_database(kind, folder) as url_s, bench_database(kind, folder) as url_l:
        t0 = time.perf_counter()
        dbs = [setup(url_s, small), setup(url_l, large)]
        print(f"  {kind}: filled {small:,} and {large:,} bookings in {time.perf_counter() - t0:.1f} s")
        writers = [create_engine(d[0].engine.url) for d in dbs]
        feeds = [ChangeFeed(d[0]) for d in dbs]
        times: list[list[float]] = [[], []]
        try:
            for i in range(polls + 20):
                pair = [0.0, 0.0]
                # both in turn, in random order: a busy moment of the (shared) machine hits both alike
                for k in random.sample((0, 1), 2):
                    db, slots, patients = dbs[k]
                    foreign_commit(writers[k], slots[i % SLOTS], patients[i % PATIENTS])
                    t = time.perf_counter()
                    got = feeds[k].poll()
                    pair[k] = time.perf_counter() - t
                    assert len(got) == 1, got
                if i >= 20:  # the first polls warm caches and connections
                    times[0].append(pair[0])
                    times[1].append(pair[1])
        finally:
            for feed in feeds:
                feed.close()
            for w in writers:
                w.dispose()
            for d in dbs:
                d[0].dispose()
    ratio = statistics.median(b / a for a, b in zip(*times, strict=True))
    return statistics.median(times[0]), statistics.median(times[1]), ratio


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=50)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=200_000)
    ap.add_argument("--polls", type=int, default=300)
    ap.add_argument("--only", default="sqlite,postgresql,mariadb")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    kinds = available_kinds(args.only)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            p50, p95 = latency(kind, Path(tmp), args.commits)
            aim = AIM_P95[kind]
            print(f"{kind:10s} latency commit -> watch line: p50 {p50 * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"
                  f"  (p95/aim {p95 / aim:.2f}, aim < {aim * 1000:.0f} ms) {'OK' if p95 < aim else 'OVER'}")
            small_t, large_t, ratio = poll_cost(kind, Path(tmp), args.small, args.large, args.polls)
            print(f"{kind:10s} poll finding 1 change: {args.small:,} bookings {small_t * 1e6:7.0f} us,"
                  f" {args.large:,} bookings {large_t * 1e6:7.0f} us, ratio (median of pairs) {ratio:.2f}"
                  f" (goal <= 1.2) {'OK' if ratio <= 1.2 else 'OVER'}")
            results.append(p95 < aim and ratio <= 1.2)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
