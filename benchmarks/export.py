"""Benchmark: `regdesk export daily` on a day of 30,000 bookings, against a bare openpyxl script.

For each database (SQLite, PostgreSQL, MariaDB; a server that does not answer is skipped) this
creates its own database, fills one day with 30,000 bookings (and the next day with 3,000),
then runs, as whole processes, alternately:

* ``python main.py export daily --date D --out ours.xlsx`` (the clerk's log-in, masking, labels,
  typed and styled cells, hostile-text checks, title, print set-up);
* a bare script: the same join through the plain driver (sqlite3 / psycopg / PyMySQL), every
  row appended as it comes to an openpyxl write-only sheet, no styles, no checks.

It prints the best and median wall time of each and their ratio (goal: at most 1.5, aim 1.2;
judged on the best runs, as the machine may be shared), the same for CPU time (user + system),
the peak memory (max RSS) of the export on the 3,000- and the 30,000-booking day (it must not
grow with the rows), and whether the command line process loaded any Qt module (it must not).

    .venv/bin/python benchmarks/export.py [--bookings 30000] [--runs 3] [--only sqlite,postgresql,mariadb]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from benchmarks._dbs import available_kinds, bench_database
from services import migrate
from services.db import Database
from services.models import Booking, ClinicSession, Department, Doctor, Hospital, Patient, Slot
from services.staff import auth
from services.staff.actor import SYSTEM

log = logging.getLogger(__name__)

DAY = dt.date(2026, 12, 1)
BENCH_PASSWORD = "bench-pass-1234"
SMALL_DAY = DAY + dt.timedelta(days=1)
DEPARTMENTS = ("内科", "外科", "儿科", "妇产科", "眼科", "耳鼻喉科", "皮肤科", "口腔科", "中医科", "骨科")
TITLES = ("主任医师", "副主任医师", "主治医师", "住院医师")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧"
STATUSES = ["confirmed"] * 12 + ["checked_in"] * 3 + ["pending"] * 2 + ["cancelled", "no_show", "stopped"]

# --------------------------------------------------------------------- databases


def seed(db: Database, day: dt.date, bookings: int, rng: random.Random, first_patient: int) -> int:
    """Ten departments, six doctors each, a morning and an afternoon of 8 slots each, ``bookings``
    bookings spread over them, each by its own patient. Returns the next free patient number."""
    with db.write() as c:
        hid = c.execute(text("SELECT id FROM hospitals")).scalar()
        if hid is None:
            hid = c.execute(insert(Hospital).values(name="基准测试人民医院", active=True)).inserted_primary_key[0]
            for i, name in enumerate(DEPARTMENTS):
                dep = c.execute(insert(Department).values(hospital_id=hid, code=f"D{i:02d}", name=name,
                                                          active=True)).inserted_primary_key[0]
                c.execute(insert(Doctor), [{"department_id": dep, "name": rng.choice(SURNAMES) + rng.choice(GIVEN)
                                            + "医生", "title": TITLES[j % 4], "fee": Decimal("25.00"),
                                            "active": True} for j in range(6)])
        doctors = [r[0] for r in c.execute(text("SELECT id FROM doctors ORDER BY id"))]
        slot_ids = []
        for doc in doctors:
            for period, start in (("am", dt.time(8)), ("pm", dt.time(13, 30))):
                t0 = dt.datetime.combine(day, start)
                sid = c.execute(insert(ClinicSession).values(
                    doctor_id=doc, rostered_doctor_id=doc, day=day, period=period, starts_at=start,
                    ends_at=(t0 + dt.timedelta(hours=4)).time(), status="published")).inserted_primary_key[0]
                for k in range(8):
                    a = t0 + dt.timedelta(minutes=30 * k)
                    slot_ids.append(c.execute(insert(Slot).values(
                        session_id=sid, starts_at=a.time(), ends_at=(a + dt.timedelta(minutes=30)).time(),
                        capacity=max(1, bookings // 900 + 5))).inserted_primary_key[0])
        patients = []
        for n in range(first_patient, first_patient + bookings):
            patients.append({
                "openid": f"o-bench-{n}", "gender": rng.choice("MF"),
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 3 else ""),
                "birth_date": dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30_000)),
                "phone": f"13{rng.randrange(10**9):09d}",
                "id_card": f"{rng.randrange(10**17):017d}X" if n % 2 else None,
                "created_at": dt.datetime(2026, 11, 1)})
        for i in range(0, len(patients), 5000):
            c.execute(insert(Patient), patients[i:i + 5000])
        ids = [r[0] for r in c.execute(text("SELECT id FROM patients WHERE openid LIKE 'o-bench-%' "
                                            "ORDER BY id"))][-bookings:]
        rows = []
        for i, pid in enumerate(ids):
            status = rng.choice(STATUSES)
            rows.append({"slot_id": slot_ids[i % len(slot_ids)], "patient_id": pid, "status": status,
                         "source": "miniprogram" if i % 5 else "desk", "created_at": dt.datetime(2026, 11, 20),
                         "checked_in_at": dt.datetime(2026, 12, 1, 1, 30) if status == "checked_in" else None})
        for i in range(0, len(rows), 5000):
            c.execute(insert(Booking), rows[i:i + 5000])
    return first_patient + bookings


# --------------------------------------------------------------------- the two processes

BARE = r'''
import sys, datetime as dt
from openpyxl import Workbook
kind, url, day, out = sys.argv[1:5]
SQL = """SELECT d.name, doc.name, doc.title, s.id, sl.starts_at, b.id, b.status, b.source, b.checked_in_at,
         p.name, p.gender, p.birth_date, p.phone, p.id_card
  FROM clinic_sessions s JOIN doctors doc ON doc.id = s.doctor_id JOIN departments d ON d.id = doc.department_id
  JOIN slots sl ON sl.session_id = s.id JOIN bookings b ON b.slot_id = sl.id JOIN patients p ON p.id = b.patient_id
  WHERE s.day = {p} ORDER BY d.code, doc.id, s.starts_at, s.id, sl.starts_at, b.id"""
if kind == "sqlite":
    import sqlite3
    conn = sqlite3.connect(url)
    cur = conn.execute(SQL.format(p="?"), (day,))
else:
    from sqlalchemy.engine import make_url
    u = make_url(url)
    if kind == "postgresql":
        import psycopg
        conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password or "",
                               dbname=u.database)
    else:
        import pymysql
        conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
                               database=u.database, charset="utf8mb4")
    cur = conn.cursor()
    cur.execute(SQL.format(p="%s"), (dt.date.fromisoformat(day),))
wb = Workbook(write_only=True)
ws = wb.create_sheet("list")
ws.append(["科室", "医生", "职称", "出诊", "时间", "预约", "状态", "来源", "签到", "患者", "性别", "出生", "电话", "身份证"])
for row in cur:
    ws.append(row)
wb.save(out)
'''

NO_QT = r'''
import json, sys
from services.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "qt": sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6")))}))
'''


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one whole child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def bench(kind: str, n: int, runs: int, folder: Path) -> dict:
    with bench_database(kind, folder) as url:
        db = Database(url)
        migrate.upgrade(db)
        rng = random.Random(7)
        t0 = time.perf_counter()
        nxt = seed(db, DAY, n, rng, 1)
        seed(db, SMALL_DAY, max(1, n // 10), rng, nxt)
        seeded = time.perf_counter() - t0
        # the command logs in as a person (patients' data): a clerk's account, its password for the children
        auth.create_staff(db, SYSTEM, "bench", "Bench", "clerk", BENCH_PASSWORD)
        os.environ.update(REGDESK_USER="bench", REGDESK_PASSWORD=BENCH_PASSWORD)
        db.dispose()
        driver_url = url if kind != "sqlite" else make_url(url).database
        ours_out, bare_out = folder / f"ours-{kind}.xlsx", folder / f"bare-{kind}.xlsx"
        ours = [sys.executable, "main.py", "export", "daily", "--db", url, "--date", DAY.isoformat(),
                "--out", str(ours_out)]
        bare = [sys.executable, "-c", BARE, kind, driver_url, DAY.isoformat(), str(bare_out)]
        t_ours, t_bare, c_ours, c_bare, rss_big = [], [], [], [], []
        for _ in range(runs):
            t, cpu, _rss = run(bare)
            t_bare.append(t)
            c_bare.append(cpu)
            t, cpu, rss = run(ours)
            t_ours.append(t)
            c_ours.append(cpu)
            rss_big.append(rss)
        small = [sys.executable, "main.py", "export", "daily", "--db", url, "--date", SMALL_DAY.isoformat(),
                 "--out", str(folder / f"small-{kind}.xlsx")]
        rss_small = [run(small)[2] for _ in range(2)]
        check = subprocess.run([sys.executable, "-c", NO_QT, "export", "daily", "--db", url, "--date",
                                DAY.isoformat(), "--out", str(folder / f"qt-{kind}.xlsx")],
                               cwd=ROOT, capture_output=True, text=True, check=True)
        qt = json.loads(check.stdout.strip().splitlines()[-1])
        from openpyxl import load_workbook
        wb = load_workbook(ours_out, read_only=True)
        rows = sum(1 for _ in wb.active.iter_rows(min_row=3, max_col=1, values_only=True))
        wb.close()
    return {"kind": kind, "rows": rows, "seeded_s": seeded, "ours": t_ours, "bare": t_bare,
            "cpu_ours": c_ours, "cpu_bare": c_bare,
            "rss_small": min(rss_small), "rss_big": min(rss_big), "qt": qt["qt"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bookings", type=int, default=30_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="sqlite,postgresql,mariadb")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"regdesk export daily: {args.bookings} bookings, best/median of {args.runs} runs, whole processes")
    ok = True
    with tempfile.TemporaryDirectory(prefix="regdesk-bench-") as tmp:
        for kind in available_kinds(args.only):
            try:
                r = bench(kind, args.bookings, args.runs, Path(tmp))
            except Exception as exc:
                if kind != "sqlite" and "connect" in str(exc).lower():
                    print(f"{kind:<10} skipped: server not reachable ({str(exc).splitlines()[0]})")
                    continue
                raise
            best = min(r["ours"]) / min(r["bare"])
            med = statistics.median(r["ours"]) / statistics.median(r["bare"])
            grows = r["rss_big"] - r["rss_small"]
            ok &= best <= 1.5 and not r["qt"] and grows < 16
            print(f"{kind:<10} rows={r['rows']:>6}  export {min(r['ours']):6.2f}s (median "
                  f"{statistics.median(r['ours']):.2f}s)  bare openpyxl {min(r['bare']):6.2f}s (median "
                  f"{statistics.median(r['bare']):.2f}s)  ratio {best:.2f} (median {med:.2f})")
            cpu = min(r["cpu_ours"]) / min(r["cpu_bare"])
            print(f"{'':<10} CPU time {min(r['cpu_ours']):.2f}s vs {min(r['cpu_bare']):.2f}s: ratio {cpu:.2f}")
            print(f"{'':<10} peak RSS {r['rss_small']} MiB at {args.bookings // 10} bookings, {r['rss_big']} MiB "
                  f"at {args.bookings} (+{grows} MiB)  Qt modules loaded: {r['qt'] or 'none'}  "
                  f"(seeding took {r['seeded_s']:.1f}s)")
    print("goal met" if ok else "GOAL NOT MET (ratio <= 1.5, no Qt, memory flat)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
