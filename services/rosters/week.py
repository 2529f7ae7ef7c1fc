"""The week grid (排班周视图): a department's week, one row per doctor, a cell per (day, period).

A cell carries the session's hours, status, places taken, requests waiting for a decision, a
substitution, the desk share and the waitlist (services.rosters.shares); the days carry the
holidays, make-up working days and the hospital's exceptions (services.rosters.holidays).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from services.db import Database
from services.domain import SessionStatus
from services.errors import ValidationError
from services.models import ClinicSession, Doctor
from services.rosters import holidays, shares
from services.rosters.calendar import parse_date
from services.rosters.clinic_sessions import session_info, session_select
from services.rosters.masterdata import DepartmentInfo, DoctorInfo, department_in, doctors_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GridCell:
    session_id: int
    starts_at: dt.time
    ends_at: dt.time
    status: str
    taken: int
    capacity: int
    substitute_for: str | None  # the rostered doctor's name when this doctor stands in for them
    pending: int = 0
    note: str | None = None
    supply: shares.SessionSupply | None = None  # the desk share and the waitlist (services.rosters.shares)


@dataclass(frozen=True)
class RosterGrid:
    department: DepartmentInfo
    days: list[dt.date]  # Monday..Sunday
    doctors: list[DoctorInfo]  # the department's active doctors and anyone with a session that week
    cells: dict[tuple[int, dt.date, str], GridCell]  # (doctor who works, day, period) -> cell
    day_labels: dict[dt.date, str] = field(default_factory=dict)  # holidays, make-up days, exceptions
    day_marks: dict[dt.date, str] = field(default_factory=dict)  # 休 / 班 / 停 / 例 (services.rosters.holidays)


def week_grid(db: Database, department_id: int, monday: dt.date) -> RosterGrid:
    """A department's week: one row per doctor, a cell per (day, period) with a session (any status)."""
    monday = parse_date(monday, "周一日期", "monday")
    if monday.weekday() != 0:
        raise ValidationError(f"{monday} 不是周一", field="monday")
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    with db.read() as conn:
        dep = department_in(conn, department_id)
        rows = conn.execute(session_select().where(Doctor.department_id == department_id,
                                                   ClinicSession.day.between(days[0], days[-1]))
                            .order_by(ClinicSession.day, ClinicSession.starts_at, ClinicSession.id)).all()
        with_sessions = {r.doctor_id for r in rows}
        doctors = [d for d in doctors_in(conn, department_id, include_inactive=True) if d.active or d.id in with_sessions]
        plans = holidays.plans(conn, days[0], days[-1])
        supply = shares.session_supply(conn, [r.id for r in rows])
    cells: dict[tuple[int, dt.date, str], GridCell] = {}
    for r in rows:
        s = session_info(r)
        key = (s.doctor_id, s.day, s.period)
        cell = GridCell(s.id, s.starts_at, s.ends_at, s.status, s.taken, s.capacity,
                        s.rostered_doctor_name if s.substituted else None, s.pending, s.note, supply.get(s.id))
        old = cells.get(key)
        # two sessions in one cell happen only when a substitution fills a doctor's free part of a
        # period: keep the live one, and the doctor's own over the one they stand in for
        if old is None or (old.status == SessionStatus.STOPPED, old.substitute_for is not None) > \
                (cell.status == SessionStatus.STOPPED, cell.substitute_for is not None):
            if old is not None:
                log.info("week grid: session %s hides session %s in one cell", cell.session_id, old.session_id)
            cells[key] = cell
    labels = {d: p.label(department_id) for d, p in plans.items() if p.label(department_id)}
    return RosterGrid(dep, days, doctors, cells, labels, {d: plans[d].mark(department_id) for d in labels})

