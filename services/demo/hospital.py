"""The demo hospital: departments, doctors, rosters, sessions, patients and bookings in every status.

``seed(db)`` fills an empty database with 市第一人民医院: 14 departments, 45 doctors with weekly
templates, sessions published from a week ago to ``days`` ahead, a few hundred patients and bookings
like a working registration desk, the waitlist (候补) on; the same on every run (fixed RNG seed).

What goes through the real services (so the demo also has their audit rows and outbox):
staff accounts, templates and publishing, desk registrations, rejections, 'full' decisions,
desk cancellations, check-ins and no-shows today, walk-ins and one stopped clinic. The
mini-program's own rows (patients, pending requests, its cancellations) are written with its
plain SQL, and the bulk of settled history (past days, most confirmations) is inserted
directly: replaying a thousand decisions one transaction each would make seeding slow.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from services.bookings import decisions, patients, rules
from services.clock import hospital_today, local_now, to_utc
from services.db import Database
from services.demo import notices
from services.demo.history import REJECT_REASONS, BookingPlan, PlannedSlot, load_slots
from services.demo.simulate import MiniProgram, random_name, random_patient
from services.domain import BookingSource, BookingStatus, Period, Role
from services.errors import RegdeskError, RuleRefused, ValidationError
from services.models import Booking, ClinicSession, Department, Doctor, Hospital, Patient, Slot, Staff
from services.rosters import templates
from services.staff import audit, auth
from services.staff.actor import SYSTEM, Actor

log = logging.getLogger(__name__)

HOSPITAL = ("市第一人民医院", "人民路 88 号", "0571-88001234")
# code, name, specialties
DEPARTMENTS = (
    ("NK", "内科", ("高血压、糖尿病", "内科常见病", "老年病", "发热待查")),
    ("WK", "外科", ("普外科手术", "甲状腺乳腺", "疝气、胆囊结石", "创伤外科")),
    ("EK", "儿科", ("小儿呼吸道感染", "儿童生长发育", "新生儿疾病", "小儿消化")),
    ("FCK", "妇产科", ("产前检查", "妇科肿瘤", "不孕不育", "更年期综合征")),
    ("GK", "骨科", ("关节置换", "脊柱外科", "运动损伤", "骨质疏松")),
    ("YK", "眼科", ("白内障", "青光眼", "儿童近视", "眼底病")),
    ("EBH", "耳鼻喉科", ("鼻炎鼻窦炎", "咽喉疾病", "耳聋耳鸣", "睡眠呼吸暂停")),
    ("KQK", "口腔科", ("牙体牙髓", "口腔修复", "儿童牙科", "牙周病")),
    ("PFK", "皮肤科", ("湿疹皮炎", "痤疮", "银屑病", "皮肤过敏")),
    ("SJNK", "神经内科", ("脑血管病", "头痛头晕", "癫痫", "帕金森病")),
    ("XNK", "心内科", ("冠心病", "心律失常", "心力衰竭", "高血压")),
    ("XHNK", "消化内科", ("胃炎胃溃疡", "肝病", "胃肠镜检查", "炎症性肠病")),
    ("HXNK", "呼吸内科", ("慢阻肺", "哮喘", "肺结节", "慢性咳嗽")),
    ("ZYK", "中医科", ("中医内科调理", "针灸推拿", "中医妇科", "脾胃病")),
)
BIG = ("NK", "WK", "EK")  # four doctors; the others three
EVENING = ("NK", "EK", "KQK")  # departments with an evening clinic
TITLE_FEES = {"主任医师": Decimal("50.00"), "副主任医师": Decimal("35.00"),
              "主治医师": Decimal("25.00"), "住院医师": Decimal("15.00")}
HOURS = {Period.AM: (dt.time(8, 0), dt.time(12, 0)), Period.PM: (dt.time(13, 30), dt.time(17, 0)),
         Period.EVENING: (dt.time(18, 0), dt.time(21, 0))}
STAFF = (  # username, display name, role, password, departments (the README lists these)
    ("admin", "系统管理员", Role.ADMIN, "admin1234", ()),
    ("head_nk", "内科 李主任", Role.HEAD, "head1234", ("NK",)),
    ("clerk", "挂号员 王芳", Role.CLERK, "clerk1234", ()),
    ("demo", "演示挂号员", Role.CLERK, "demo1234", ()),
)
DEMO_USER = "demo"
DESK_CANCEL_REASONS = ("患者来电取消", "患者改约其他时间", "患者已在外院就诊")
STOP_REASON = "医生外出参加学术会议，本次门诊停诊，请改约其他时间"
PAST_DAYS = 7


@dataclass(frozen=True)
class SeedSummary:
    hospital: str
    departments: int
    doctors: int
    staff: tuple[str, ...]
    templates: int
    sessions: int
    slots: int
    patients: int
    bookings: dict[str, int] = field(default_factory=dict)  # status -> count
    first_day: dt.date | None = None
    last_day: dt.date | None = None


# ---------------------------------------------------------------- master data

def _masterdata(conn: Connection, rng: random.Random) -> list[dict]:
    """Hospital, departments, doctors. Returns the doctors as dicts."""
    hid = conn.execute(insert(Hospital).values(name=HOSPITAL[0], address=HOSPITAL[1], phone=HOSPITAL[2],
                                               active=True)).inserted_primary_key[0]
    doctors = []
    used_names: set[str] = set()
    for code, name, specialties in DEPARTMENTS:
        dep = conn.execute(insert(Department).values(hospital_id=hid, code=code, name=name, active=True)
                           ).inserted_primary_key[0]
        titles = ["主任医师", "副主任医师", "主治医师"] + (["住院医师"] if code in BIG else [])
        for i, title in enumerate(titles):
            doc_name = random_name(rng, rng.choice("MF"))
            while doc_name in used_names:
                doc_name = random_name(rng, rng.choice("MF"))
            used_names.add(doc_name)
            doc = {"department_id": dep, "name": doc_name, "title": title, "specialty": specialties[i],
                   "fee": TITLE_FEES[title], "active": True}
            doc["id"] = conn.execute(insert(Doctor).values(**doc)).inserted_primary_key[0]
            doc["code"] = code
            doctors.append(doc)
    audit.record(conn, SYSTEM, "seed", "hospital", hid, {"name": HOSPITAL[0], "doctors": len(doctors)})
    return doctors


def _weekly_plan(doctors: list[dict], rng: random.Random) -> list[tuple]:
    """(doctor, weekday, period, slot_minutes, capacity) for every template: each department has a
    doctor every weekday morning and afternoon, experts work fewer half-days with fewer places."""
    plan: dict[tuple[int, int, str], tuple] = {}
    by_dep: dict[str, list[dict]] = {}
    for d in doctors:
        by_dep.setdefault(d["code"], []).append(d)
    shape = {"主任医师": ((30,), (2,)), "副主任医师": ((30, 20), (2, 3)),
             "主治医师": ((20, 15), (3, 4)), "住院医师": ((15,), (4, 5))}
    extra = {"主任医师": 1, "副主任医师": 2, "主治医师": 3, "住院医师": 3}

    def add(doc: dict, weekday: int, period: str) -> None:
        minutes_, caps = shape[doc["title"]]
        m = rng.choice(minutes_)
        if period == Period.PM and 210 % m:  # 13:30-17:00 is 210 minutes
            m = 15 if m < 30 else 30
        plan[(doc["id"], weekday, period)] = (doc, weekday, period, m, rng.choice(caps))

    for code, docs in by_dep.items():
        for weekday in range(5):
            for period in (Period.AM, Period.PM):
                add(docs[(weekday * 2 + (period == Period.PM)) % len(docs)], weekday, period)
        for doc in docs:
            for _ in range(extra[doc["title"]]):
                weekday, period = rng.randrange(5), rng.choice((Period.AM, Period.PM))
                if (doc["id"], weekday, period) not in plan:
                    add(doc, weekday, period)
        add(docs[-1], 5, Period.AM)  # weekend mornings: every department on Saturday, the busy ones on Sunday
        if code in BIG or code in EVENING:
            add(docs[-2], 6, Period.AM)
        if code in EVENING:
            for weekday in (1, 3):
                add(docs[-1], weekday, Period.EVENING)
    return sorted(plan.values(), key=lambda p: (p[0]["id"], p[1], p[2]))


# ---------------------------------------------------------------- patients

def _patients(db: Database, rng: random.Random, today: dt.date, count: int) -> list[int]:
    """The mini-program's patients (with an openid), registered over the last two years; in bulk."""
    rows = [random_patient(rng, today) for _ in range(count)]
    with db.write() as conn:
        for r in rows:
            r["created_at"] = to_utc(dt.datetime.combine(today - dt.timedelta(days=rng.randint(8, 700)),
                                                         dt.time(rng.randint(7, 22), rng.randint(0, 59))))
        conn.execute(insert(Patient), rows)
        ids = list(conn.execute(select(Patient.id).order_by(Patient.id)).scalars())
    return ids


def _walk_ins(db: Database, rng: random.Random, today: dt.date, count: int, clerk) -> list[int]:
    ids = []
    for _ in range(count):
        p = random_patient(rng, today, openid=False)
        ids.append(patients.register(db, clerk, p["name"], p["gender"], p["phone"], p["birth_date"],
                                     p["id_card"]).id)
    return ids


# ---------------------------------------------------------------- the desk's day, through the services

def _ids(db: Database, where, limit: int | None = None) -> list[int]:
    q = (select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
         .join(ClinicSession, ClinicSession.id == Slot.session_id).join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .where(*where).order_by(Booking.id))
    with db.read() as conn:
        return list(conn.execute(q.limit(limit) if limit else q).scalars())


def _approve(db: Database, clerk, booking_id: int, now: dt.datetime) -> bool:
    """A clerk's approval as at the desk: what the rules refuse is rejected with the rule's words."""
    try:
        return decisions.approve(db, clerk, booking_id, now=now).status == BookingStatus.CONFIRMED
    except RuleRefused as exc:
        decisions.reject(db, clerk, booking_id, str(exc))
        return False


def _desk_work(db: Database, rng: random.Random, plan: BookingPlan, slots: list[PlannedSlot], today: dt.date,
               now: dt.datetime, actors: dict) -> None:
    clerk, head, admin = actors["clerk"], actors["head_nk"], actors["admin"]
    mp = MiniProgram(db.engine, rng)
    ahead = [s for s in slots if dt.datetime.combine(s.day, s.starts_at) > now]
    soon = [s for s in ahead if (s.day - today).days <= 6] or ahead

    def request(s: PlannedSlot) -> int | None:
        p = plan.patient_for(s, plan.patient_ids)
        return None if p is None else mp.request(s.id, p)

    # today: patients who came are checked in, a few did not come
    begun = _ids(db, (ClinicSession.day == today, Slot.starts_at <= now.time(),
                      Booking.status == BookingStatus.CONFIRMED))
    for i, bid in enumerate(begun):
        r = rng.random()
        if i >= 80:  # enough for the audit trail; the rest stay confirmed (late arrivals)
            break
        if r < 0.8:
            decisions.check_in(db, clerk, bid, now=now)
        elif r < 0.9:
            decisions.mark_no_show(db, clerk, bid, now=now)
    # walk-ins at the window for today's clinics that are still running
    open_today = [s for s in slots if s.day == today and s.taken < s.capacity
                  and dt.datetime.combine(s.day, s.starts_at) > now - dt.timedelta(hours=1)]
    for s in rng.sample(open_today, min(5, len(open_today))):
        p = plan.patient_for(s, plan.walk_in_ids)
        if p is not None:
            try:
                decisions.walk_in(db, clerk, s.id, p, now=now)
                s.taken += 1
            except RegdeskError as exc:  # e.g. the session is over at this hour
                log.info("demo walk-in skipped: %s", exc)
    # requests decided by a clerk: approvals and rejections with a reason
    for s in rng.sample(soon, min(20, len(soon))):
        bid = request(s)
        if bid is not None:
            _approve(db, clerk, bid, now)
    for s in rng.sample(soon, min(15, len(soon))):
        bid = request(s)
        if bid is not None:
            decisions.reject(db, clerk, bid, rng.choice(REJECT_REASONS))
    # slots filled up: the next request for them is decided 'full'; a few more wait in the queue
    full_slots = [s for s in soon if s.taken >= s.capacity][:6]
    for s in soon:
        if len(full_slots) >= 6:
            break
        if s not in full_slots and s.taken == 0 and s.capacity <= 3:
            for _ in range(s.capacity):
                bid = request(s)
                if bid is not None and _approve(db, clerk, bid, now):
                    s.taken += 1
            if s.taken >= s.capacity:
                full_slots.append(s)
    for i, s in enumerate(full_slots):
        bid = request(s)
        if bid is not None and i < 4:
            _approve(db, clerk, bid, now)  # -> full
    # cancellations: some at the desk (with a reason), some by patients in the mini-program
    confirmed = _ids(db, (ClinicSession.day > today, Booking.status == BookingStatus.CONFIRMED))
    for bid in rng.sample(confirmed, min(10, len(confirmed))):
        decisions.cancel(db, clerk, bid, rng.choice(DESK_CANCEL_REASONS))
    open_ids = _ids(db, (ClinicSession.day > today, Booking.status.in_((BookingStatus.PENDING,
                                                                        BookingStatus.CONFIRMED)),
                         Booking.source == BookingSource.MINIPROGRAM))
    for bid in rng.sample(open_ids, min(15, len(open_ids))):
        mp.cancel(bid)
    # one clinic stopped: a 内科 session a couple of days ahead, by the head of 内科
    _stop_one(db, rng, plan, slots, today, head, admin, request)


def _stop_one(db: Database, rng: random.Random, plan: BookingPlan, slots: list[PlannedSlot], today: dt.date,
              head, admin, request) -> None:
    sessions: dict[int, list[PlannedSlot]] = {}
    for s in slots:
        if s.day > today:
            sessions.setdefault(s.session_id, []).append(s)
    if not sessions:
        return
    nk = set(head.department_ids)
    target = min(sessions, key=lambda sid: (sessions[sid][0].department_id not in nk,
                                            abs((sessions[sid][0].day - today).days - 2), sid))
    for s in sessions[target][:2]:
        request(s)  # make sure somebody is told about the stop
    who = head if sessions[target][0].department_id in nk else admin
    templates.stop_session(db, who, target, STOP_REASON)


# ---------------------------------------------------------------- seed

# booking status -> the message its patient was sent when the hospital decided it
def seed(db: Database, *, days: int = 14, seed: int = 20261126, today: dt.date | None = None,
         now: dt.datetime | None = None, patients_count: int = 500) -> SeedSummary:
    """Fill an empty database with the demo hospital. Refuses when a hospital exists already.

    ``today``/``now`` are the clinic's local day and wall-clock time (default: now; a given
    ``today`` without ``now`` means 10:30 that day).
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationError(f"天数须在 1 到 60 之间：{days}")
    if now is None:
        now = local_now() if today in (None, hospital_today()) else dt.datetime.combine(today, dt.time(10, 30))
    today = today or now.date()
    with db.read() as conn:
        if conn.execute(select(func.count()).select_from(Hospital)).scalar_one():
            raise ValidationError("数据库中已有医院数据，未重新生成")
        # the demo's accounts have published passwords: never beside real ones
        if conn.execute(select(func.count()).select_from(Staff)).scalar_one():
            raise ValidationError("数据库中已有员工账号，演示数据（含公开密码的账号）只能生成在空数据库中")
    rng = random.Random(seed)
    with db.write() as conn:
        doctors = _masterdata(conn, rng)
    for username, display, role, password, deps in STAFF:
        auth.create_staff(db, SYSTEM, username, display, role, password, deps)
    actors = {name: auth.actor_for(db, name) for name in ("admin", "head_nk", "clerk")}
    rules.save(db, actors["admin"], waitlist=True)
    plan_rows = _weekly_plan(doctors, rng)
    for doc, weekday, period, minutes_, capacity in plan_rows:
        templates.save_template(db, actors["admin"], doc["id"], weekday, period, *HOURS[period], minutes_, capacity)
    first, last = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=days - 1)
    templates.publish(db, actors["admin"], first, last, today=first)  # the history, as if published a week ago
    patient_ids = _patients(db, rng, today, patients_count)
    walk_in_ids = _walk_ins(db, rng, today, max(5, patients_count // 9), actors["clerk"])
    slots = load_slots(db)
    plan = BookingPlan(rng, patient_ids, walk_in_ids, now)
    plan.plan(slots, today)
    plan.write(db)
    _desk_work(db, rng, plan, slots, today, now, actors)
    notices.notification_history(db, rng)
    with db.read() as conn:
        counts = dict(conn.execute(select(Booking.status, func.count()).group_by(Booking.status)).all())
        n_sessions = conn.execute(select(func.count()).select_from(ClinicSession)).scalar_one()
        n_slots = conn.execute(select(func.count()).select_from(Slot)).scalar_one()
        n_patients = conn.execute(select(func.count()).select_from(Patient)).scalar_one()
    summary = SeedSummary(HOSPITAL[0], len(DEPARTMENTS), len(doctors), tuple(s[0] for s in STAFF), len(plan_rows),
                          n_sessions, n_slots, n_patients, {k: int(v) for k, v in sorted(counts.items())},
                          first, last)
    log.info("demo seeded: %s", summary)
    return summary


def prepare(url: str | None = None) -> tuple[Database, Actor]:
    """The ``--demo`` console's database (default: demo.db in the data folder): created, migrated
    and seeded on first use. Returns the database and the demo clerk's Actor (no password asked)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from services import config, migrate
    url = url or config.demo_database_url()
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    if migrate.current_revision(db) != migrate.HEAD:
        migrate.upgrade(db)
    with db.read() as conn:
        empty = conn.execute(select(func.count()).select_from(Hospital)).scalar_one() == 0
    if empty:
        seed(db)
    return db, auth.actor_for(db, DEMO_USER)
