"""Excel exports: the day's patient list and the week's roster. No Qt.

The day list (``export_daily``) is streamed: one server-side cursor (``yield_per``) feeds an
openpyxl write-only sheet row by row, so memory does not grow with the number of bookings.
Its sheet: row 1 a title (hospital, day, departments, counts by status), row 2 the header
(frozen, repeated on every printed page), then one row per booking ordered by department,
doctor, session and time. Phone and ID numbers are masked unless the caller asks for full
numbers and holds ``export.unmasked``. Refused requests (``rejected``, ``full``) are not listed.

The roster (``export_roster``) is laid out so that a department head can edit it and load it
back with ``regdesk roster import``: see services/rosters/layout.py for the layout.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.pagebreak import Break
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from services.bookings.decisions import SOURCE_LABELS, STATUS_LABELS
from services.bookings.patients import GENDER_LABELS, age_on, mask_id_card, mask_phone
from services.clock import utc_to_local
from services.db import Database
from services.domain import BookingStatus
from services.errors import PermissionDenied
from services.excel import xlsx
from services.excel.xlsx import Column, RowWriter
from services.models import BOOKING_STATUSES, Booking, ClinicSession, Department, Doctor, Patient, Slot
from services.rosters import holidays, masterdata
from services.rosters.layout import (
    WEEKDAYS,
    Progress,
    load_week,
    parse_week,
    sheet_title,
    week_label,
    write_help,
    write_roster_sheet,
)
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

DAILY_STATUSES = tuple(s for s in BOOKING_STATUSES if s not in (BookingStatus.REJECTED, BookingStatus.FULL))
STREAM_BATCH = 2000


@dataclass(frozen=True)
class ExportResult:
    path: str
    rows: int  # bookings (daily) or doctor rows (roster)
    counts: dict[str, int] = field(default_factory=dict)  # daily: status -> bookings
    sheets: tuple[str, ...] = ()


# ---------------------------------------------------------------- scope

def resolve_departments(db: Database, actor: Actor, permission: str,
                        department_id: int | None = None) -> list[masterdata.DepartmentInfo]:
    """The departments an export covers: the one asked for, else every active one the actor may see."""
    if department_id is not None:
        dep = masterdata.get_department(db, department_id)
        actor.require(permission, dep.id)
        return [dep]
    actor.require(permission)
    deps = [d for d in masterdata.list_departments(db) if actor.can(permission, d.id)]
    if not deps:
        raise PermissionDenied(f"{actor.name} 没有可导出的科室")
    return deps


def department_id_by_code(db: Database, code: str | None) -> int | None:
    """The CLI's ``--department CODE`` as an id (None stays None)."""
    if code is None:
        return None
    return masterdata.department_by_code(db, code).id


# ---------------------------------------------------------------- the day list

class DailyRow(NamedTuple):
    """One booking of the day list, in the sheet's column order (then the ids)."""
    number: int
    time: dt.time
    department: str
    doctor: str
    title: str
    patient: str
    gender: str
    age: int | None
    phone: str
    id_card: str | None
    source: str
    status: str
    checked_in_at: dt.datetime | None
    booking_id: int
    status_code: str


DAILY_COLUMNS = (
    Column("序号", "int", 6), Column("时间", "time", 7, centered=True),
    Column("科室", "text", 10), Column("医生", "text", 10), Column("职称", "text", 11),
    Column("患者", "text", 12), Column("性别", "text", 6), Column("年龄", "int", 6, centered=True),
    Column("手机号", "text", 14), Column("身份证号", "text", 21), Column("来源", "text", 8),
    Column("状态", "text", 10), Column("签到时间", "datetime", 17),
)
N_DAILY = len(DAILY_COLUMNS)


def _daily_from(day: dt.date, department_ids: list[int], what):
    rostered = aliased(Doctor)
    q = (select(*what).select_from(ClinicSession)
         .join(rostered, rostered.id == ClinicSession.rostered_doctor_id)
         .join(Department, Department.id == rostered.department_id)
         .join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .join(Slot, Slot.session_id == ClinicSession.id)
         .join(Booking, Booking.slot_id == Slot.id)
         .where(ClinicSession.day == day, rostered.department_id.in_(department_ids),
                Booking.status.in_(DAILY_STATUSES)))
    return q


def daily_counts(conn: Connection, day: dt.date, department_ids: list[int]) -> dict[str, int]:
    q = _daily_from(day, department_ids, (Booking.status, func.count())).group_by(Booking.status)
    got = {s: n for s, n in conn.execute(q)}
    return {s: int(got[s]) for s in DAILY_STATUSES if got.get(s)}


def iter_daily_rows(conn: Connection, day: dt.date, department_ids: list[int], *,
                    unmasked: bool = False) -> Iterator[DailyRow]:
    """Stream the day's bookings through a server-side cursor (nothing is held but one batch)."""
    q = _daily_from(day, department_ids, (
        Department.name, Doctor.name, Doctor.title, ClinicSession.id, Slot.starts_at, Booking.id,
        Booking.status, Booking.source, Booking.checked_in_at, Patient.name, Patient.gender,
        Patient.birth_date, Patient.phone, Patient.id_card,
    )).join(Patient, Patient.id == Booking.patient_id).order_by(Department.code, Department.id, Doctor.id, ClinicSession.starts_at, ClinicSession.id,
                Slot.starts_at, Booking.id)
    result = conn.execution_options(yield_per=STREAM_BATCH).execute(q)
    session_id, number = None, 0
    status_labels, source_labels, genders = STATUS_LABELS, SOURCE_LABELS, GENDER_LABELS
    for (dep, doc, title, sid, start, bid, status, source, checked, pname, gender, birth, phone,
         card) in result:
        if sid != session_id:
            session_id, number = sid, 0
        number += 1
        if not unmasked:
            phone, card = mask_phone(phone), (mask_id_card(card) if card else None)
        yield DailyRow(number, start, dep, doc, title, pname, genders.get(gender, gender),
                       age_on(birth, day) if birth else None, phone, card,
                       source_labels.get(source, source), status_labels.get(status, status),
                       utc_to_local(checked) if checked else None, bid, status)


def daily_title(hospital: str, day: dt.date, departments, counts: dict[str, int]) -> str:
    deps = "、".join(departments) if len(departments) <= 3 else f"{len(departments)}个科室"
    total = sum(counts.values())
    parts = "，".join(f"{STATUS_LABELS.get(s, s)} {n}" for s, n in counts.items())
    return (f"{hospital} 门诊患者名单  {day:%Y-%m-%d} {WEEKDAYS[day.weekday()]}  {deps}  "
            f"共 {total} 人" + (f"（{parts}）" if parts else ""))


def _check_unmasked(actor: Actor, deps, unmasked: bool) -> None:
    if unmasked:
        for d in deps:
            actor.require("export.unmasked", d.id)


def export_daily(db: Database, actor: Actor, day: dt.date, out: str | Path, *,
                 department_id: int | None = None, unmasked: bool = False,
                 progress: Progress | None = None) -> ExportResult:
    """Write the day's patient list to ``out`` (.xlsx). Masked phone/ID numbers unless ``unmasked``."""
    deps = resolve_departments(db, actor, "export.daily", department_id)
    _check_unmasked(actor, deps, unmasked)
    hospital = masterdata.hospital(db).name
    ids = [d.id for d in deps]
    with db.read() as conn:
        counts = daily_counts(conn, day, ids)
        # widths from the small master data tables; patients' names get a fixed, generous width
        names = conn.execute(select(Department.name).where(Department.id.in_(ids))).scalars().all()
        docs = conn.execute(select(Doctor.name, Doctor.title).join(Department)
                            .where(Department.id.in_(ids))).all()
    total = sum(counts.values())
    columns = list(DAILY_COLUMNS)
    columns[2] = Column("科室", "text", xlsx.fit_width(names + ["科室"], 8, 24))
    columns[3] = Column("医生", "text", xlsx.fit_width([d[0] for d in docs] + ["医生"], 8, 20))
    columns[4] = Column("职称", "text", xlsx.fit_width([d[1] for d in docs] + ["职称"], 8, 20))
    title = daily_title(hospital, day, [d.name for d in deps], counts)

    # who took full phone and ID numbers out of the system is worth a line in the audit log, written
    # in the transaction that ends once the workbook is in place: a failed export leaves no audit row.
    # The transaction begins after the rows were written, so it holds a lock only while the file moves.
    with ExitStack() as unit, xlsx.atomic_output(out) as tmp:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(f"{day:%m-%d}患者名单")
        writer = RowWriter(ws, columns)
        ws.freeze_panes = "A3"
        xlsx.setup_print(ws, title_rows="1:2")
        ws.merged_cells.add(f"A1:{_col(N_DAILY - 2)}1")
        ws.row_dimensions[1].height = 24
        tcell = WriteOnlyCell(ws)
        xlsx.set_text(tcell, title)
        tcell.font, tcell.alignment = xlsx.TITLE_FONT, xlsx.TITLE_ALIGN
        # the day once more as a real date, for whoever sorts or merges several lists
        label = WriteOnlyCell(ws, value="就诊日期")
        label.font, label.alignment = xlsx.HEADER_FONT, xlsx.CENTER
        dcell = WriteOnlyCell(ws, value=day)
        dcell.number_format, dcell.font, dcell.alignment = xlsx.DATE_FORMAT, xlsx.HEADER_FONT, xlsx.CENTER
        ws.append([tcell] + [None] * (N_DAILY - 3) + [label, dcell])
        writer.header()
        done, row_idx, dep_now = 0, 2, None
        if progress:
            progress(0, total)
        with db.read() as conn:
            for row in iter_daily_rows(conn, day, ids, unmasked=unmasked):
                if row.department != dep_now:
                    if dep_now is not None:  # each department starts a new printed page
                        ws.row_breaks.append(Break(id=row_idx))
                    dep_now = row.department
                writer.append(row[:N_DAILY])
                row_idx += 1
                done += 1
                if progress and done % STREAM_BATCH == 0:
                    progress(done, total)
        ws.auto_filter.ref = f"A2:{_col(N_DAILY)}{max(row_idx, 2)}"
        wb.save(tmp)
        if unmasked:
            conn = unit.enter_context(db.write())
            audit.record(conn, actor, "export_unmasked", "department", ",".join(str(d.id) for d in deps),
                         {"what": "daily"})
    if progress:
        progress(done, max(total, done))
    log.info("daily list %s: %d rows -> %s", day, done, out)
    return ExportResult(str(out), done, counts, (ws.title,))


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(n)


# ---------------------------------------------------------------- the week's roster

def export_roster(db: Database, actor: Actor, week: str | dt.date, out: str | Path, *,
                  department_id: int | None = None, progress: Progress | None = None) -> ExportResult:
    """Write the week's roster, one sheet per department, in the layout ``roster import`` reads."""
    monday = parse_week(week) if isinstance(week, str) else week - dt.timedelta(days=week.weekday())
    deps = resolve_departments(db, actor, "export.roster", department_id)
    hospital = masterdata.hospital(db).name
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    names, rows = [], 0
    for i, dep in enumerate(deps):
        if progress:
            progress(i, len(deps))
        with db.read() as conn:
            state = load_week(conn, dep, hospital, monday)
            plans = holidays.plans(conn, monday, monday + dt.timedelta(days=6))
        ws = wb.create_sheet(sheet_title(dep.name, dep.code, taken))
        write_roster_sheet(ws, state, {d: p.label(dep.id) for d, p in plans.items() if p.label(dep.id)})
        names.append(ws.title)
        rows += len(state.doctors)
    write_help(wb)
    with xlsx.atomic_output(out) as tmp:
        wb.save(tmp)
    if progress:
        progress(len(deps), len(deps))
    log.info("roster %s: %d departments -> %s", week_label(monday), len(deps), out)
    return ExportResult(str(out), rows, {}, tuple(names))
