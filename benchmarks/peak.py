"""Benchmark: a large hospital's peak on PostgreSQL and on a 3-node MariaDB Galera cluster.

Per target (``--db postgresql,galera``), two runs in databases of their own, the same workload:
a history of ``--history`` bookings (1,000,000 by default) and, as the baseline of the poll cost,
10,000; in both, ``--day`` bookings (30,000) on today's clinics. Bulk-loaded, not through the services
(PostgreSQL COPY, MySQL multi-row INSERT, the triggers switched off meanwhile and the slot counters
computed afterwards). Then, for ``--minutes`` (10; ``--quick``: 40 s and a history of 100,000):

- 20 console-like clients (4 processes of 5 threads): decide pending requests (approve, some
  rejected), walk-ins, check-ins, a department's day list, patient searches, each followed by a
  clerk's pause (``--think``, 0.5 s on average: a busy desk; 0 makes them hammer the database);
- 8 mini-program writers (2 processes of 4 threads; services/demo/simulate.py's plain SQL, retrying 1213
  on Galera as the contract says), each about ``--rate`` requests a second, some cancelled;
- a change feed (services.sync.feed.ChangeFeed) that measures, for each request a writer commits, the
  time until the feed delivers it (the lag), and the time of each of its polls.

On Galera every process connects to its own node (writers and clients on all three, the feed on
node 1). Prints per run: errors (anything but a refusal a clerk would read), oversold slots (must be
0), decisions per second, decision p50/p95/p99 (aim: p95 < 50 ms on PostgreSQL), the change feed's
lag p50/p95, the median poll; then the poll cost against the 10,000-history run (aim: <= 1.2x).

    .venv/bin/python benchmarks/peak.py [--db postgresql,galera] [--minutes 10] [--quick]
                                        [--history 1000000] [--day 30000] [--galera-port 24350]
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text

from benchmarks._dbs import bench_database, reachable
from benchmarks._peak_load import PATIENTS, load
from services.bookings import decisions, patients, queries
from services.db import Database
from services.errors import RegdeskError
from services.staff.actor import Actor

SPAWN = multiprocessing.get_context("spawn")
CLIENT_PROCS, CLIENT_THREADS, WRITER_PROCS, WRITER_THREADS = 4, 5, 2, 4
ACTIONS = ("decide",) * 8 + ("walk_in",) * 2 + ("check_in",) * 3 + ("day_list",) * 2 + ("search",) * 5
CLERK = Actor(kind="staff", name="bench-clerk", role="admin")


# ---------------------------------------------------------------- the workload (module level: spawn imports it)

def _client(url: str, today_slots: list[int], departments: int, seconds: float, think: float, seed: int,
            out) -> None:
    stats = {a: [] for a in set(ACTIONS)}
    errors: list[str] = []
    db = Database(url)
    stop_at = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        pending: list[int] = []
        confirmed: list[int] = []
        while time.monotonic() < stop_at:
            action = rng.choice(ACTIONS)
            t0 = time.perf_counter()
            try:
                if action == "decide":
                    if not pending:
                        with db.read() as c:
                            pending = list(c.execute(text(
                                "SELECT id FROM bookings WHERE status = 'pending' ORDER BY id DESC LIMIT 400")).scalars())
                        rng.shuffle(pending)
                        pending = pending[:20]
                        if not pending:
                            continue
                        t0 = time.perf_counter()
                    b = pending.pop()
                    if rng.random() < 0.15:
                        decisions.reject(db, CLERK, b, "号源调整，请改约其他时段")
                    else:
                        decisions.approve(db, CLERK, b)
                elif action == "walk_in":
                    decisions.walk_in(db, CLERK, rng.choice(today_slots), rng.randrange(PATIENTS) + 1)
                elif action == "check_in":
                    if not confirmed:
                        with db.read() as c:
                            confirmed = list(c.execute(text(
                                "SELECT id FROM bookings WHERE status = 'confirmed' AND slot_id >= :lo"
                                " ORDER BY id DESC LIMIT 400"), {"lo": today_slots[0]}).scalars())
                        rng.shuffle(confirmed)
                        confirmed = confirmed[:20]
                        if not confirmed:
                            continue
                        t0 = time.perf_counter()
                    decisions.check_in(db, CLERK, confirmed.pop())
                elif action == "day_list":
                    queries.day_list(db, dt.date.today(), department_id=rng.randrange(departments) + 1)
                else:
                    patients.find(db, rng.choice(("王", "李芳", "张", "陈静", "1234", str(rng.randrange(9999)).zfill(4))))
            except RegdeskError:
                pass  # a refusal the clerk reads (already decided, full, a rule): an outcome, timed too
            except Exception as exc:
                errors.append(f"{action}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
                continue
            stats[action].append(time.perf_counter() - t0)
            time.sleep(rng.expovariate(1 / think))  # the clerk looks at the screen, talks to the patient

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.dispose()
    out.put(("client", stats, errors))


def _writer(url: str, today_slots: list[int], seconds: float, rate: float, seed: int, out) -> None:
    from services.db import make_engine
    from services.demo.simulate import MiniProgram
    engine = make_engine(url, pool_size=WRITER_THREADS)
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    retries = []

    def worker(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        mp = MiniProgram(engine, rng, new_patient_ratio=0.0)
        mp.patient_ids = list(range(1, PATIENTS + 1))
        while time.monotonic() < stop_at:
            try:
                if mp.mine and rng.random() < 0.15:
                    mp.cancel(rng.choice(mp.mine))
                else:
                    b = mp.request(rng.choice(today_slots), rng.randrange(PATIENTS) + 1)
                    out.put(("written", b, time.time()))
            except Exception as exc:
                errors.append(f"writer: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            time.sleep(rng.expovariate(rate))
        retries.append(mp.retries)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(WRITER_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    out.put(("writer", sum(retries), errors))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def alone(url: str, n: int = 150) -> list[float]:
    """The baseline: ``n`` approvals one after another by one clerk, nothing else running."""
    db = Database(url)
    with db.read() as c:
        ids = list(c.execute(text("SELECT id FROM bookings WHERE status = 'pending' ORDER BY id LIMIT :n"),
                             {"n": n + 20}).scalars())
    times = []
    for i, b in enumerate(ids):
        t0 = time.perf_counter()
        try:
            decisions.approve(db, CLERK, b)
        except RegdeskError:
            pass
        if i >= 20:  # the first ones warm the connection and the caches
            times.append(time.perf_counter() - t0)
    db.dispose()
    return times


def run(urls: list[str], info: dict, seconds: float, rate: float, think: float) -> dict:
    """The workload for ``seconds`` against ``urls`` (one, or each node); the feed on urls[0]."""
    from services.sync.feed import ChangeFeed
    baseline = alone(urls[0])
    out = SPAWN.Queue()
    procs = [SPAWN.Process(target=_client, args=(urls[i % len(urls)], info["today_slots"], info["departments"],
                                                  seconds, think, i + 1, out)) for i in range(CLIENT_PROCS)]
    procs += [SPAWN.Process(target=_writer, args=(urls[(i + 1) % len(urls)], info["today_slots"], seconds, rate,
                                                   50 + i, out)) for i in range(WRITER_PROCS)]
    feed_db = Database(urls[0])
    feed = ChangeFeed(feed_db)
    for p in procs:
        p.start()
    written: dict[int, float] = {}
    seen: dict[int, float] = {}
    polls: list[float] = []
    stats = {a: [] for a in set(ACTIONS)}
    errors: list[str] = []
    retries = 0
    reports = 0
    deadline = time.monotonic() + seconds + 120
    while reports < len(procs) and time.monotonic() < deadline:
        if feed.wait(0.05):
            t0 = time.perf_counter()
            changes = feed.poll()
            polls.append(time.perf_counter() - t0)
            now = time.time()
            for ch in changes:
                if ch.entity == "booking" and ch.op == "insert":
                    seen.setdefault(int(ch.entity_id), now)
        try:
            while True:
                msg = out.get_nowait()
                if msg[0] == "written":
                    written[msg[1]] = msg[2]
                elif msg[0] == "client":
                    reports += 1
                    for a, v in msg[1].items():
                        stats[a] += v
                    errors += msg[2]
                else:
                    reports += 1
                    retries += msg[1]
                    errors += msg[2]
        except queue.Empty:
            pass
    for p in procs:
        p.join(30)
    for _ in range(100):  # the last requests: until the feed has them all (bounded)
        if set(written) <= set(seen):
            break
        if feed.wait(0.1):
            now = time.time()
            seen.update({int(ch.entity_id): now for ch in feed.poll()
                         if ch.entity == "booking" and ch.op == "insert" and int(ch.entity_id) not in seen})
    feed.close()
    with feed_db.read() as c:
        if _galera(c):  # wait until node 1 has applied what the others committed
            c.exec_driver_sql("SET SESSION wsrep_sync_wait = 1")
        oversold = c.execute(text("SELECT count(*) FROM slot_availability WHERE taken > capacity")).scalar_one()
        drift = c.execute(text("SELECT count(*) FROM slot_counters k JOIN slot_availability a ON a.slot_id = k.slot_id"
                               " WHERE k.taken <> a.taken")).scalar_one()
    feed_db.dispose()
    lags = [seen[b] - t for b, t in written.items() if b in seen]
    decisions = stats["decide"]
    return {"errors": errors, "oversold": oversold, "drift": drift, "decisions_per_s": len(decisions) / seconds,
            "decide": decisions, "stats": stats, "lags": lags, "missed": len(set(written) - set(seen)),
            "written": len(written), "polls": polls, "retries": retries, "alone": baseline}


def _galera(conn) -> bool:
    from services.db import is_multi_primary
    return is_multi_primary(conn)


# ---------------------------------------------------------------- targets and the report

def _galera_database(cluster):
    from tests.galera import fresh_database
    return fresh_database(cluster)


def paired_polls(url_small: str, url_large: str, slot: int, polls: int = 200) -> tuple[float, float, float]:
    """After the peak: one foreign commit, then one timed ChangeFeed.poll() that finds it, on the
    10,000-history database and on the large one in turn (random order, so a busy moment of the
    shared machine hits both alike). Medians of each, and the median of the paired ratios."""
    from services.sync.feed import ChangeFeed
    dbs = [Database(url_small), Database(url_large)]
    feeds = [ChangeFeed(d) for d in dbs]
    times: list[list[float]] = [[], []]
    try:
        for i in range(polls + 20):
            pair = [0.0, 0.0]
            for k in random.sample((0, 1), 2):
                with dbs[k].engine.begin() as c:
                    c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                                   " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": slot, "p": i + 1})
                t = time.perf_counter()
                feeds[k].poll()
                pair[k] = time.perf_counter() - t
            if i >= 20:
                times[0].append(pair[0])
                times[1].append(pair[1])
    finally:
        for f in feeds:
            f.close()
        for d in dbs:
            d.dispose()
    return (statistics.median(times[0]), statistics.median(times[1]),
            statistics.median(b / a for a, b in zip(*times, strict=True)))


def one_target(kind: str, history: int, day: int, seconds: float, rate: float, think: float,
               cluster=None) -> None:
    from contextlib import ExitStack

    def ms(v: float) -> str:
        return f"{v * 1000:.1f} ms"
    with ExitStack() as stack:
        first_urls = []
        for label, size in (("10,000", 10_000), (f"{history:,}", history)):
            target = stack.enter_context(bench_database("postgresql") if kind == "postgresql"
                                         else _galera_database(cluster))
            urls = [target] if isinstance(target, str) else target
            first_urls.append(urls[0])
            info = load(urls[0], size, day)
            r = run(urls, info, seconds, rate, think)
            print(f"{kind}, history {label} (+{day:,} today; loaded in {info['load_s']:.0f} s), {seconds:.0f} s: "
                  f"errors {len(r['errors'])}, oversold slots {r['oversold']} (counter drift {r['drift']}), "
                  f"decisions {r['decisions_per_s']:.1f}/s p50 {ms(pct(r['decide'], 50))} "
                  f"p95 {ms(pct(r['decide'], 95))} p99 {ms(pct(r['decide'], 99))}; feed lag p50 {ms(pct(r['lags'], 50))} "
                  f"p95 {ms(pct(r['lags'], 95))} ({r['written'] - r['missed']} of {r['written']} seen); "
                  f"median poll during the peak {ms(statistics.median(r['polls']))}; "
                  f"mini-program retries {r['retries']}; one decision alone (baseline) p50 {ms(pct(r['alone'], 50))} "
                  f"p95 {ms(pct(r['alone'], 95))}", flush=True)
            for a in sorted(r["stats"]):
                v = r["stats"][a]
                print(f"    {a:9} n={len(v):6}  p50 {ms(pct(v, 50))}  p95 {ms(pct(v, 95))}", flush=True)
            for e in sorted(set(r["errors"]))[:5]:
                print(f"    error: {e}", flush=True)
        small, large, ratio = paired_polls(first_urls[0], first_urls[1], info["today_slots"][0])
        print(f"{kind}: a poll that finds one change, history 10,000 {ms(small)}, {history:,} {ms(large)}: "
              f"{ratio:.2f}x (aim <= 1.2)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="postgresql,galera")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="40 s per run and a history of 100,000")
    ap.add_argument("--history", type=int)
    ap.add_argument("--day", type=int, default=30_000)
    ap.add_argument("--rate", type=float, default=5.0, help="requests a second per mini-program writer")
    ap.add_argument("--think", type=float, default=0.5, help="mean pause of a console client between actions (s)")
    ap.add_argument("--galera-port", type=int, default=24350)
    args = ap.parse_args()
    seconds = 40.0 if args.quick else args.minutes * 60
    history = args.history or (100_000 if args.quick else 1_000_000)
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    print(f"peak: {CLIENT_PROCS * CLIENT_THREADS} console clients, {WRITER_PROCS * WRITER_THREADS} mini-program "
          f"writers, {seconds:.0f} s per run; machine: {multiprocessing.cpu_count()} cores", flush=True)
    for kind in kinds:
        if kind == "postgresql":
            if not reachable("postgresql"):
                print("postgresql: not reachable, skipped")
                continue
            one_target(kind, history, args.day, seconds, args.rate, args.think)
        elif kind == "galera":
            from tests.galera import Cluster, GaleraUnavailable, free_base
            folder = Path(tempfile.mkdtemp(prefix="regdesk-peak-galera-", dir="/tmp"))
            cluster = Cluster(folder, free_base(args.galera_port))
            dog = cluster.watchdog()
            try:
                cluster.start()
                one_target(kind, history, args.day, seconds, args.rate, args.think, cluster)
            except GaleraUnavailable as exc:
                print(f"galera: {exc}, skipped")
            finally:
                cluster.stop()
                dog.stdin.close()
                dog.wait(60)
                shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"peak: unknown target {kind!r} (postgresql, galera)", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
