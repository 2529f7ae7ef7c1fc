"""A stand-in for the WeChat mini-program's backend, for demos, tests and load.

It does exactly what shared/CONTRACT.md allows the mini-program to do, with plain SQL
(sqlalchemy ``text()``) and no regdesk service call, on an engine of its own:

* ``INSERT INTO patients (openid, name, gender, birth_date, phone, id_card) VALUES (...)``
* ``INSERT INTO bookings (slot_id, patient_id, status, source) VALUES (?, ?, 'pending', 'miniprogram')``
* now and then a referral (转诊/医联体) instead: the same INSERT naming also ``channel`` ('referral') and
  ``referral_code`` (the referral's number), the optional columns docs/contract.md adds
* ``UPDATE bookings SET status = 'cancelled' WHERE id = ? AND status IN ('pending', 'confirmed')``,
  sometimes also setting ``updated_at``, sometimes not (the console must not depend on it).

Reads (to pick a slot and learn new ids) are plain SELECTs on the contract's tables and
the ``slot_availability`` view. Each write is its own short transaction, like one HTTP
request to the real backend.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Date, Time, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from services import limits
from services.clock import hospital_today, local_now, utcnow
from services.db import Database, is_certification_failure, is_multi_primary, make_engine
from services.errors import ValidationError

log = logging.getLogger(__name__)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_M = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博晨昊然轩睿哲"
GIVEN_F = "芳娜敏静丽艳娟霞燕玲婷雪慧莉萍红琳颖琴晶倩月蕾欣怡佳悦梦雅璐瑶菲薇思涵诗嘉欣宁妍"
MOBILE_PREFIXES = ("138", "139", "150", "151", "152", "158", "159", "136", "137", "186", "187", "188", "135",
                   "130", "131", "132", "155", "156", "185", "133", "153", "180", "181", "189", "177", "199")
REGION_CODES = ("110101", "110105", "310104", "310115", "440106", "440305", "330106", "320102", "420106",
                "510107", "610113", "370102", "120103", "500103")

# The only writes the mini-program makes (shared/CONTRACT.md). Tests check every write against these.
INSERT_PATIENT = ("INSERT INTO patients (openid, name, gender, birth_date, phone, id_card)"
                  " VALUES (:openid, :name, :gender, :birth_date, :phone, :id_card)")
INSERT_BOOKING = ("INSERT INTO bookings (slot_id, patient_id, status, source)"
                  " VALUES (:slot_id, :patient_id, 'pending', 'miniprogram')")
INSERT_REFERRAL = ("INSERT INTO bookings (slot_id, patient_id, status, source, channel, referral_code)"
                   " VALUES (:slot_id, :patient_id, 'pending', 'miniprogram', 'referral', :referral_code)")
REFERRAL_RATIO = 0.05  # the share of requests that are referrals (转诊/医联体)
CANCEL = "UPDATE bookings SET status = 'cancelled' WHERE id = :id AND status IN ('pending', 'confirmed')"
CANCEL_STAMPED = ("UPDATE bookings SET status = 'cancelled', updated_at = :now"
                  " WHERE id = :id AND status IN ('pending', 'confirmed')")
CONTRACT_WRITES = (INSERT_PATIENT, INSERT_BOOKING, INSERT_REFERRAL, CANCEL, CANCEL_STAMPED)
MP_RETRIES = 10  # a transaction aborted with 1213 on a multi-primary cluster, retried (docs/contract.md)

_OPEN_SLOTS = text(
    "SELECT a.slot_id, a.day, a.starts_at, a.remaining FROM slot_availability a"
    " JOIN clinic_sessions cs ON cs.id = a.session_id"
    " WHERE cs.status = 'published' AND a.day >= :today"
).bindparams(bindparam("today", type_=Date)).columns(day=Date, starts_at=Time)


# ---------------------------------------------------------------- fake people

def random_name(rng: random.Random, gender: str) -> str:
    pool = GIVEN_M if gender == "M" else GIVEN_F
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def random_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def random_birth_date(rng: random.Random, today: dt.date) -> dt.date:
    age_days = rng.randint(1 * 365, 88 * 365)
    return today - dt.timedelta(days=age_days)


def random_id_card(rng: random.Random, birth_date: dt.date, gender: str) -> str:
    """A syntactically valid 18-character ID card number (region, birth date, sequence, checksum)."""
    from services.bookings.patients import id_card_check_char
    seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)  # the 17th digit is odd for men
    first17 = f"{rng.choice(REGION_CODES)}{birth_date:%Y%m%d}{seq:03d}"
    return first17 + id_card_check_char(first17)


def random_openid(rng: random.Random) -> str:
    return "o" + uuid.UUID(int=rng.getrandbits(128)).hex[:27]


def random_patient(rng: random.Random, today: dt.date, *, openid: bool = True) -> dict:
    gender = rng.choice("MF")
    birth = random_birth_date(rng, today) if rng.random() < 0.8 else None
    card = random_id_card(rng, birth, gender) if birth is not None and rng.random() < 0.5 else None
    return {"openid": random_openid(rng) if openid else None, "name": random_name(rng, gender), "gender": gender,
            "birth_date": birth, "phone": random_mobile(rng), "id_card": card}


# ---------------------------------------------------------------- the mini-program's statements

def _plain(conn: Connection, value):
    """A date/time as the other team's backend would bind it: native on the servers, ISO text on
    SQLite (Python's sqlite3 date adapters are deprecated; typed binds would add casts on PostgreSQL)."""
    if conn.dialect.name == "sqlite" and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


class MiniProgram:
    """One mini-program backend process: plain SQL on its own engine."""

    def __init__(self, engine: Engine, rng: random.Random, new_patient_ratio: float = 0.2,
                 referral_ratio: float = REFERRAL_RATIO):
        self.engine = engine
        self.rng = rng
        self.new_patient_ratio = new_patient_ratio
        self.referral_ratio = referral_ratio
        self.referrals = 0  # referral requests written
        self.patient_ids: list[int] = []
        self.mine: list[int] = []  # bookings this process requested and may cancel
        self.patients_created = 0
        self.retries = 0  # transactions retried after a certification failure (multi-primary only)
        with engine.connect() as conn:
            self.multi_primary = is_multi_primary(conn)

    def _write(self, fn):
        """One write transaction. On a multi-primary cluster the contract (docs/contract.md) has every
        writer retry a transaction aborted with 1213 (failed certification); on one server the
        mini-program never retries, and regdesk never makes it fail."""
        for attempt in range(MP_RETRIES + 1):
            try:
                with self.engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if not (self.multi_primary and is_certification_failure(exc)) or attempt == MP_RETRIES:
                    raise
                self.retries += 1
                time.sleep(min(0.2, 0.005 * 2 ** attempt) * (0.5 + self.rng.random()))
        raise AssertionError("unreachable")

    def load_patients(self) -> None:
        with self.engine.connect() as conn:
            self.patient_ids = list(conn.execute(
                text("SELECT id FROM patients WHERE openid IS NOT NULL ORDER BY id")).scalars())

    def open_slots(self, now: dt.datetime | None = None) -> list[int]:
        """Slots of published sessions still ahead; slots with places left are preferred."""
        now = now or local_now()
        with self.engine.connect() as conn:
            rows = conn.execute(_OPEN_SLOTS, {"today": now.date()}).all()
        ahead = [r for r in rows if r.day > now.date() or r.starts_at > now.time()]
        free = [r.slot_id for r in ahead if r.remaining > 0]
        # mostly free slots, but patients do ask for full ones too (that is what 'full' is for)
        if free and (self.rng.random() < 0.9 or len(free) == len(ahead)):
            return free
        return [r.slot_id for r in ahead]

    def register(self) -> int:
        row = random_patient(self.rng, hospital_today())

        def tx(conn: Connection) -> int:
            conn.execute(text(INSERT_PATIENT), {**row, "birth_date": _plain(conn, row["birth_date"])})
            return conn.execute(text("SELECT id FROM patients WHERE openid = :o"), {"o": row["openid"]}).scalar_one()
        pid = self._write(tx)
        self.patient_ids.append(pid)
        self.patients_created += 1
        return pid

    def request(self, slot_id: int, patient_id: int, referral_code: str | None = None) -> int:
        """A booking request; with ``referral_code`` a referral (转诊/医联体)."""
        def tx(conn: Connection) -> int:
            if referral_code is None:
                result = conn.execute(text(INSERT_BOOKING), {"slot_id": slot_id, "patient_id": patient_id})
            else:
                result = conn.execute(text(INSERT_REFERRAL), {"slot_id": slot_id, "patient_id": patient_id,
                                                              "referral_code": referral_code})
            if conn.dialect.name == "postgresql":
                # currval of the bookings sequence, not lastval(): the change-feed trigger uses a sequence too
                return conn.execute(text("SELECT currval(pg_get_serial_sequence('bookings', 'id'))")).scalar_one()
            return result.lastrowid
        booking_id = self._write(tx)
        self.mine.append(int(booking_id))
        return int(booking_id)

    def cancel(self, booking_id: int) -> bool:
        """Cancel as the patient would; False when the hospital decided it otherwise first."""
        stamped = self.rng.random() >= 0.5

        def tx(conn: Connection) -> int:
            if not stamped:
                return conn.execute(text(CANCEL), {"id": booking_id}).rowcount
            return conn.execute(text(CANCEL_STAMPED), {"id": booking_id, "now": _plain(conn, utcnow())}).rowcount
        n = self._write(tx)
        if booking_id in self.mine:
            self.mine.remove(booking_id)
        return n == 1

    def one_request(self, slots: list[int]) -> int:
        if not self.patient_ids or self.rng.random() < self.new_patient_ratio:
            pid = self.register()
        else:
            pid = self.rng.choice(self.patient_ids)
        code = None
        if self.referral_ratio and self.rng.random() < self.referral_ratio:  # a referral from a partner hospital
            code = f"ZZ{hospital_today():%Y%m%d}{self.rng.randrange(10 ** 6):06d}"
            self.referrals += 1
        return self.request(self.rng.choice(slots), pid, code)


# ---------------------------------------------------------------- one-shot run

@dataclass(frozen=True)
class SimSummary:
    requests: int
    cancellations: int
    patients_created: int
    referrals: int = 0  # of the requests, referrals (转诊/医联体)


def _engine_of(url_or_db: str | Database) -> tuple[Engine, bool]:
    if isinstance(url_or_db, Database):
        return url_or_db.engine, False
    return make_engine(url_or_db), True


def simulate(url_or_db: str | Database, bookings: int, cancel_ratio: float = 0.1, rng_seed: int | None = None,
             new_patient_ratio: float = 0.2, referral_ratio: float = REFERRAL_RATIO) -> SimSummary:
    """Write ``bookings`` requests, cancelling about ``cancel_ratio`` of them at random later moments."""
    bookings = limits.SIMULATED_BOOKINGS.check(bookings)
    cancel_ratio = limits.RATIO.check(cancel_ratio)
    new_patient_ratio = limits.RATIO.check(new_patient_ratio)
    referral_ratio = limits.RATIO.check(referral_ratio)
    rng = random.Random(rng_seed)
    engine, own = _engine_of(url_or_db)
    try:
        mp = MiniProgram(engine, rng, new_patient_ratio, referral_ratio)
        slots = mp.open_slots()
        if not slots:
            raise ValidationError("no published sessions ahead to book: publish a roster (or run `regdesk demo seed`)")
        mp.load_patients()
        # which requests get cancelled, and after which later request the patient changes their mind
        targets = rng.sample(range(bookings), round(bookings * cancel_ratio))
        due: dict[int, list[int]] = {}
        for t in targets:
            due.setdefault(rng.randint(t, bookings - 1), []).append(t)
        written: list[int] = []
        cancelled = 0
        for i in range(bookings):
            written.append(mp.one_request(slots))
            for t in due.get(i, ()):
                cancelled += mp.cancel(written[t])
        log.info("simulated %d requests (%d referrals), %d cancellations, %d new patients", bookings,
                 mp.referrals, cancelled, mp.patients_created)
        return SimSummary(bookings, cancelled, mp.patients_created, mp.referrals)
    finally:
        if own:
            engine.dispose()


# ---------------------------------------------------------------- background traffic

class Simulator(threading.Thread):
    """Mini-program traffic in the background for the demo console: a request every
    ``min_interval``..``max_interval`` seconds, and now and then a patient cancelling."""

    def __init__(self, url: str, *, min_interval: float = 1.0, max_interval: float = 4.0,
                 cancel_ratio: float = 0.1, new_patient_ratio: float = 0.2, rng_seed: int | None = None):
        super().__init__(name="regdesk-simulator", daemon=True)
        self.url = url
        self.min_interval = min_interval
        self.max_interval = max(min_interval, max_interval)
        self.cancel_ratio = cancel_ratio
        self.new_patient_ratio = new_patient_ratio
        self.rng = random.Random(rng_seed)
        self.requests = 0
        self.cancellations = 0
        self.errors = 0
        self._halt = threading.Event()
        self._progress = threading.Condition()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._halt.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> bool:
        """Block until at least ``n`` requests were written (for tests and scripts)."""
        with self._progress:
            return self._progress.wait_for(lambda: self.requests >= n or not self.is_alive(), timeout) \
                and self.requests >= n

    def _step(self, mp: MiniProgram) -> None:
        if mp.mine and self.rng.random() < self.cancel_ratio:
            self.cancellations += mp.cancel(self.rng.choice(mp.mine))
        slots = mp.open_slots()
        if slots:
            mp.one_request(slots)
            with self._progress:
                self.requests += 1
                self._progress.notify_all()

    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            mp = MiniProgram(engine, self.rng, self.new_patient_ratio)
            loaded = False
            failures = 0  # consecutive: backs off while the database is away
            while not self._halt.wait(self.rng.uniform(self.min_interval, self.max_interval)):
                try:
                    if not loaded:
                        mp.load_patients()
                        loaded = True
                    self._step(mp)
                    failures = 0
                except Exception as exc:
                    self.errors += 1
                    failures += 1
                    log.warning("simulator: %s", exc)
                    self._halt.wait(min(30.0, 2.0 * failures))
        finally:
            engine.dispose()
            with self._progress:
                self._progress.notify_all()
