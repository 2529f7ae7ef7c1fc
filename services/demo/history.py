"""The demo hospital's bookings in bulk (services.demo.hospital): planned slot by slot, keeping places and
the one-a-day rule, and inserted directly, as settled history and the mini-program's pending requests;
what the desk does goes through the services in services.demo.hospital."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import insert, select

from services.clock import to_utc
from services.db import Database
from services.domain import BookingSource, BookingStatus, SessionStatus
from services.models import Booking, ClinicSession, Doctor, Slot

REJECT_REASONS = ("该医生本时段仅接诊复诊患者，请改约其他医生", "您近期爽约次数较多，请到窗口现场挂号",
                  "就诊人信息不完整，请完善后重新预约", "该号为专家特需号，请通过窗口预约")


@dataclass
class PlannedSlot:
    id: int
    session_id: int
    day: dt.date
    starts_at: dt.time
    capacity: int
    department_id: int
    taken: int = 0


def load_slots(db: Database) -> list[PlannedSlot]:
    q = (select(Slot.id, Slot.session_id, ClinicSession.day, Slot.starts_at, Slot.capacity, Doctor.department_id)
         .join(ClinicSession, ClinicSession.id == Slot.session_id).join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .where(ClinicSession.status == SessionStatus.PUBLISHED).order_by(ClinicSession.day, Slot.session_id,
                                                                          Slot.starts_at))
    with db.read() as conn:
        return [PlannedSlot(*r) for r in conn.execute(q)]


class BookingPlan:
    """Plans the bookings slot by slot, keeping places and the one-a-day rule, then writes them."""

    def __init__(self, rng: random.Random, patient_ids: list[int], walk_in_ids: list[int], now: dt.datetime):
        self.rng = rng
        self.patient_ids = patient_ids
        self.walk_in_ids = walk_in_ids
        self.now = now
        self.busy: set[tuple[int, dt.date, int]] = set()
        self.rows: list[dict] = []

    def patient_for(self, s: PlannedSlot, pool: list[int]) -> int | None:
        for _ in range(6):
            p = self.rng.choice(pool)
            if (p, s.day, s.department_id) not in self.busy:
                self.busy.add((p, s.day, s.department_id))
                return p
        return None

    def add(self, s: PlannedSlot, status: str, *, desk: bool = False, reason: str | None = None) -> dict | None:
        p = self.patient_for(s, self.walk_in_ids if desk else self.patient_ids)
        if p is None:
            return None
        slot_at = dt.datetime.combine(s.day, s.starts_at)
        asked = min(self.now - dt.timedelta(minutes=5),
                    slot_at - dt.timedelta(days=self.rng.randint(0, 6), hours=self.rng.randint(1, 12)))
        if status == BookingStatus.PENDING:  # requests still waiting came in during the last hours
            asked = self.now - dt.timedelta(minutes=self.rng.randint(3, 360))
        decided = None if status == BookingStatus.PENDING else min(self.now,
                                                                   asked + dt.timedelta(minutes=self.rng.randint(2,
                                                                                                                 90)))
        row = {"slot_id": s.id, "patient_id": p, "status": status,
               "source": BookingSource.DESK if desk else BookingSource.MINIPROGRAM,
               "reason": reason, "created_at": to_utc(asked),
               "updated_at": to_utc(decided) if decided else None, "decided_at": to_utc(decided) if decided else None,
               "decided_by": None if status == BookingStatus.PENDING else self.rng.choice(("clerk", "autoapprove",
                                                                                           "demo")),
               "checked_in_at": None}
        if status in (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, BookingStatus.CONFIRMED):
            s.taken += 1
        if status == BookingStatus.CHECKED_IN:
            row["checked_in_at"] = to_utc(slot_at - dt.timedelta(minutes=self.rng.randint(0, 25)))
            row["updated_at"] = row["checked_in_at"]
        if status == BookingStatus.NO_SHOW:
            row["updated_at"] = to_utc(dt.datetime.combine(s.day, dt.time(21, 30)))
        self.rows.append(row)
        return row

    def plan(self, slots: list[PlannedSlot], today: dt.date) -> None:
        rng = self.rng
        for s in slots:
            d = (s.day - today).days
            begun = dt.datetime.combine(s.day, s.starts_at) <= self.now
            fill = 0.14 if d < 0 else max(0.02, 0.3 - 0.025 * d)
            for _ in range(s.capacity):
                if rng.random() >= fill:
                    continue
                desk = rng.random() < 0.08
                # past days are settled history; today's begun slots are settled by the services later
                status = rng.choices((BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW), (92, 8))[0] if d < 0 \
                    else BookingStatus.CONFIRMED
                self.add(s, status, desk=desk)
            # requests that did not take a place
            if rng.random() < 0.02:
                self.add(s, BookingStatus.CANCELLED)
            if rng.random() < 0.015 and d < 0:
                self.add(s, BookingStatus.REJECTED, reason=rng.choice(REJECT_REASONS))
            if 0 <= d <= 6 and not begun and rng.random() < 0.05 * (7 - d) / 7 + 0.01:
                self.add(s, BookingStatus.PENDING)

    def write(self, db: Database) -> None:
        with db.write() as conn:
            for i in range(0, len(self.rows), 1000):
                conn.execute(insert(Booking), self.rows[i:i + 1000])
