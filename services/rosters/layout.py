"""The roster workbook's layout, shared by the export (services/excel/exports.py) and the import
(services/rosters/imports.py), so that what one writes the other reads. No Qt.

* one sheet per department, named after it; a last sheet ``填写说明`` explains the format;
* row 1: title; row 2: ``科室代码`` | code | ``周次`` | ``2026-W48`` | a short hint;
* rows 3-4: ``编号`` | ``医生`` | ``职称`` | for each day Monday..Sunday a column per period,
  row 3 the day (``周一 11-23``, merged over its three columns), row 4 ``上午``/``下午``/``晚上``;
* from row 5, one row per doctor: the doctor's id (column A, so that names may repeat),
  name, title, then one cell per day and period (columns D..X), empty when there is no
  session, else three short lines::

      08:00-12:00
      共20号 已约3
      停诊 替诊:王医生

  the hours; the places of the whole session (all its slots together) and those taken;
  a third line only when there is something to say: ``停诊`` (stopped), ``未发布`` (a draft),
  ``替诊:NAME`` (another doctor sees the patients). The hours, ``共N号`` and the ``未发布``
  mark are read back; ``停诊`` is only compared (adding or removing it is refused: stopping a
  clinic notifies patients and is done in the console); ``已约`` and ``替诊`` are information.

Sessions are keyed by (rostered doctor, day, period), the key the schema keeps unique.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from services import limits
from services.domain import BookingStatus, Period, SessionStatus
from services.errors import ValidationError
from services.excel import xlsx
from services.models import TAKEN_STATUSES, Booking, ClinicSession, Doctor, Slot
from services.rosters import masterdata

log = logging.getLogger(__name__)

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PERIODS = (Period.AM, Period.PM, Period.EVENING)
PERIOD_LABELS = {Period.AM: "上午", Period.PM: "下午", Period.EVENING: "晚上"}
LIVE_STATUSES = (BookingStatus.PENDING, *TAKEN_STATUSES)  # bookings that hold or may still get a place


# ---------------------------------------------------------------- weeks

_WEEK_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})\s*$")


def parse_week(text) -> dt.date:
    """'2026-W48' -> the Monday of that ISO week."""
    m = _WEEK_RE.match(str(text or ""))
    if not m:
        raise ValidationError(f"周次格式应为 2026-W48：{limits.shown(text)}")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValidationError(f"没有这一周：{limits.shown(text)}") from None
    if monday > dt.date.max - dt.timedelta(days=6):  # 9999-W52: its Sunday is past the last date Python knows
        raise ValidationError(f"没有这一周：{limits.shown(text)}")
    return monday


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class SlotState:
    id: int
    starts_at: dt.time
    ends_at: dt.time
    capacity: int
    taken: int  # confirmed, checked_in, no_show
    live: int  # taken + pending
    bookings: int  # any status (a booking row of any status keeps the slot from being deleted)


def _total(count: str) -> property:
    """A session's sum of one of its slots' counts (SlotState's ``count``)."""
    return property(lambda session: sum(getattr(s, count) for s in session.slots), doc=f"the slots' {count}, summed")


@dataclass(frozen=True)
class SessionState:
    id: int
    doctor_id: int  # who sees the patients (a substitute after a substitution)
    rostered_doctor_id: int
    doctor_name: str
    day: dt.date
    period: str
    starts_at: dt.time
    ends_at: dt.time
    status: str
    slots: tuple[SlotState, ...]

    # the session's totals over its slots
    capacity = _total("capacity")
    taken = _total("taken")
    live = _total("live")
    bookings = _total("bookings")


@dataclass(frozen=True)
class DoctorLine:
    id: int
    name: str
    title: str
    active: bool


@dataclass(frozen=True)
class RosterWeek:
    department: masterdata.DepartmentInfo
    hospital: str
    monday: dt.date
    doctors: tuple[DoctorLine, ...]
    sessions: dict[tuple[int, dt.date, str], SessionState]  # (rostered doctor, day, period)

    @property
    def days(self) -> tuple[dt.date, ...]:
        return tuple(self.monday + dt.timedelta(days=i) for i in range(7))


def _title_rank(title: str) -> int:
    return masterdata.TITLES.index(title) if title in masterdata.TITLES else len(masterdata.TITLES)


def load_week(conn: Connection, department: masterdata.DepartmentInfo, hospital: str, monday: dt.date, *,
              lock: bool = False) -> RosterWeek:
    """The department's doctors and their sessions of the week, with places taken per slot.

    With ``lock`` the sessions and slots are locked (FOR UPDATE) for the rest of the transaction,
    so that nobody confirms a booking into a slot the caller is about to shrink or delete.
    """
    sunday = monday + dt.timedelta(days=6)
    docs = conn.execute(select(Doctor.id, Doctor.name, Doctor.title, Doctor.active)
                        .where(Doctor.department_id == department.id)).all()
    doc_ids = [d.id for d in docs]
    actual = aliased(Doctor)
    sq = (select(ClinicSession.id, ClinicSession.doctor_id, ClinicSession.rostered_doctor_id, actual.name,
                 ClinicSession.day, ClinicSession.period, ClinicSession.starts_at, ClinicSession.ends_at,
                 ClinicSession.status)
          .join(actual, actual.id == ClinicSession.doctor_id)
          .where(ClinicSession.rostered_doctor_id.in_(doc_ids), ClinicSession.day.between(monday, sunday))
          .order_by(ClinicSession.id))
    if lock and doc_ids:  # a plain row lock (MariaDB knows no FOR UPDATE OF)
        conn.execute(select(ClinicSession.id).where(ClinicSession.rostered_doctor_id.in_(doc_ids),
                                                    ClinicSession.day.between(monday, sunday))
                     .with_for_update()).all()
    sessions = conn.execute(sq).all() if doc_ids else []
    sids = [s.id for s in sessions]
    slots: dict[int, list[SlotState]] = {sid: [] for sid in sids}
    if sids:
        if lock:  # aggregates cannot be locked: lock the rows first, then count
            conn.execute(select(Slot.id).where(Slot.session_id.in_(sids)).with_for_update()).all()
        taken = func.coalesce(func.sum(case((Booking.status.in_(TAKEN_STATUSES), 1), else_=0)), 0)
        live = func.coalesce(func.sum(case((Booking.status.in_(LIVE_STATUSES), 1), else_=0)), 0)
        rows = conn.execute(
            select(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at, Slot.capacity, taken, live,
                   func.count(Booking.id))
            .outerjoin(Booking, Booking.slot_id == Slot.id)
            .where(Slot.session_id.in_(sids))
            .group_by(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at, Slot.capacity)
            .order_by(Slot.session_id, Slot.starts_at)).all()
        for r in rows:
            slots[r[1]].append(SlotState(r[0], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), int(r[7])))
    states = {}
    for s in sessions:
        states[(s.rostered_doctor_id, s.day, s.period)] = SessionState(
            s.id, s.doctor_id, s.rostered_doctor_id, s.name, s.day, s.period, s.starts_at, s.ends_at,
            s.status, tuple(slots[s.id]))
    rostered = {k[0] for k in states}
    lines = sorted((DoctorLine(d.id, d.name, d.title, bool(d.active)) for d in docs
                    if d.active or d.id in rostered), key=lambda d: (_title_rank(d.title), d.id))
    return RosterWeek(department, hospital, monday, tuple(lines), states)


# ---------------------------------------------------------------- the week's roster: writing

# how far a workbook's export or import has come, told (done, total) as it goes
Progress = Callable[[int, int], None]
ROSTER_FIRST_ROW = 5  # the first doctor row
ROSTER_FIRST_COL = 4  # column D: Monday morning
ROSTER_META = {"code_label": "A2", "code": "B2", "week_label": "C2", "week": "D2"}
CODE_LABEL, WEEK_LABEL = "科室代码", "周次"
HELP_SHEET = "填写说明"
STOPPED_MARK, DRAFT_MARK, SUBSTITUTE_MARK = "停诊", "未发布", "替诊"
HINT = ("格式：08:00-12:00 共20号（共N号=该出诊全部号源）；在空白单元格填写即新增出诊；"
        "清空单元格即删除出诊（仅限无预约）；改完后用“导入排班”载入")


def roster_column(day_index: int, period_index: int) -> int:
    """The 1-based column of a day (Monday = 0) and period (am = 0)."""
    return ROSTER_FIRST_COL + 3 * day_index + period_index


def session_text(s: SessionState) -> str:
    lines = [f"{s.starts_at:%H:%M}-{s.ends_at:%H:%M}", f"共{s.capacity}号 已约{s.taken}"]
    marks = []
    if s.status == SessionStatus.STOPPED:
        marks.append(STOPPED_MARK)
    elif s.status == SessionStatus.DRAFT:
        marks.append(DRAFT_MARK)
    if s.doctor_id != s.rostered_doctor_id:
        marks.append(f"{SUBSTITUTE_MARK}:{s.doctor_name}")
    if marks:
        lines.append(" ".join(marks))
    return "\n".join(lines)


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, code: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, no []:*?/\\), unique in the workbook."""
    base = _BAD_TITLE.sub("_", xlsx.clean_text(name)).strip("'") or code
    title = base[:31]
    if title.lower() in taken or title == HELP_SHEET:
        title = f"{base[:31 - len(code) - 2]}({code})"
    n = 2
    while title.lower() in taken:
        title = f"{base[:27]}~{n}"
        n += 1
    taken.add(title.lower())
    return title


def write_roster_sheet(ws, week: RosterWeek, day_labels: dict[dt.date, str] | None = None) -> None:
    """``day_labels``: a day's holiday words after its date in row 3 (services.rosters.holidays; the import reads
    only the weekday at the start of the cell)."""
    from openpyxl.utils import get_column_letter
    last = roster_column(6, 2)
    last_letter = get_column_letter(last)
    sunday = week.monday + dt.timedelta(days=6)
    xlsx.set_text(ws["A1"], f"{week.hospital} {week.department.name} 排班表  {week_label(week.monday)}"
                            f"（{week.monday:%Y-%m-%d} 至 {sunday:%Y-%m-%d}）")
    ws["A1"].font, ws["A1"].alignment = xlsx.TITLE_FONT, xlsx.TITLE_ALIGN
    ws.merge_cells(f"A1:{last_letter}1")
    ws.row_dimensions[1].height = 24
    ws["A2"], ws["C2"] = CODE_LABEL, WEEK_LABEL
    xlsx.set_text(ws["B2"], week.department.code)
    ws["D2"] = week_label(week.monday)
    for ref in ("B2", "D2"):
        ws[ref].number_format = xlsx.TEXT_FORMAT
        ws[ref].font = xlsx.HEADER_FONT
    ws["E2"] = HINT
    ws["E2"].alignment = xlsx.WRAP
    ws.merge_cells(f"E2:{last_letter}2")
    ws.row_dimensions[2].height = 30
    for col, label in ((1, "编号"), (2, "医生"), (3, "职称")):
        c = ws.cell(3, col, label)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for d, day in enumerate(week.days):
        col = roster_column(d, 0)
        note = (day_labels or {}).get(day)
        ws.cell(3, col, f"{WEEKDAYS[d]} {day:%m-%d}" + (f" {note}" if note else ""))
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 2)
        for p, period in enumerate(PERIODS):
            ws.cell(4, col + p, PERIOD_LABELS[period])
    for row in ws.iter_rows(min_row=3, max_row=4, max_col=last):
        for c in row:
            c.font, c.fill, c.border, c.alignment = xlsx.HEADER_FONT, xlsx.HEADER_FILL, xlsx.BORDER, xlsx.CENTER
    r = ROSTER_FIRST_ROW
    for doc in week.doctors:
        ws.cell(r, 1, doc.id).alignment = xlsx.CENTER
        xlsx.set_text(ws.cell(r, 2), doc.name)
        xlsx.set_text(ws.cell(r, 3), doc.title)
        lines = 1
        for d, day in enumerate(week.days):
            for p, period in enumerate(PERIODS):
                c = ws.cell(r, roster_column(d, p))
                s = week.sessions.get((doc.id, day, period))
                if s is not None:
                    text = session_text(s)
                    xlsx.set_text(c, text)
                    lines = max(lines, text.count("\n") + 1)
                    if s.status == SessionStatus.STOPPED:
                        c.fill = xlsx.STOPPED_FILL
                    elif s.status == SessionStatus.DRAFT:
                        c.fill = xlsx.DRAFT_FILL
                # text format: a head typing "8:00" must not get an Excel time back
                c.number_format = xlsx.TEXT_FORMAT
                c.alignment, c.border = xlsx.WRAP, xlsx.BORDER
        for col in (1, 2, 3):
            ws.cell(r, col).border = xlsx.BORDER
        ws.row_dimensions[r].height = 15 * lines + 4
        r += 1
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = xlsx.fit_width([d.name for d in week.doctors] + ["医生"], 8, 20)
    ws.column_dimensions["C"].width = xlsx.fit_width([d.title for d in week.doctors] + ["职称"], 8, 14)
    # "08:00-12:00" is 11 characters: 21 such columns must still print readably on A4 landscape
    evening = any(key[2] == Period.EVENING for key in week.sessions)
    for col in range(ROSTER_FIRST_COL, last + 1):
        dim = ws.column_dimensions[get_column_letter(col)]
        dim.width = 11.5
        # a week without evening clinics hides (not removes: the layout stays importable) their columns
        dim.hidden = not evening and (col - ROSTER_FIRST_COL) % len(PERIODS) == PERIODS.index(Period.EVENING)
    ws.freeze_panes = f"{get_column_letter(ROSTER_FIRST_COL)}{ROSTER_FIRST_ROW}"
    xlsx.setup_print(ws, title_rows="3:4")
    ws.print_title_cols = "A:C"  # the doctors again on every page
    if evening:
        ws.page_setup.fitToWidth = 2  # 21 day columns on one A4 page would print at a third of their size
    # only the grid: the long note of row 2 must not widen the page (it wraps within the grid's width)
    ws.print_area = f"A1:{get_column_letter(last)}{max(r - 1, ROSTER_FIRST_ROW)}"


def write_help(wb) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    lines = [
        "排班表填写说明",
        "每个科室一张工作表；每位医生一行（A列为医生编号，请勿修改；新增医生可只填姓名）。",
        "每个单元格是一天的一个时段：第一行出诊时间，如 08:00-12:00；第二行号源总数，如 共20号。",
        "“已约N”和“替诊:姓名”只是说明，导入时忽略；“未发布”表示草稿，删去该标记即发布。",
        "在空白单元格填写时间和号数 = 新增出诊（立即发布）；清空单元格 = 删除出诊（仅限没有预约的出诊）。",
        "号数不能少于已约人数；同一医生同一天的出诊时间不能重叠。停诊请在排班界面操作（需通知患者）。",
        "导入时先检查全部内容，有任何问题都不会修改数据库，并列出每个问题所在的工作表和单元格。",
    ]
    for i, text in enumerate(lines, 1):
        ws.cell(i, 1, text)
    ws["A1"].font = xlsx.TITLE_FONT
    ws.column_dimensions["A"].width = 100


# ---------------------------------------------------------------- reading a cell back

MAX_PLACES = limits.PLACES.hi  # the places of one session; the same limit as templates and the command line
PROBLEM_CHARS = 200  # one problem's message at most (a cell's own text is cut shorter, services.limits.shown)


@dataclass(frozen=True)
class CellSpec:
    """What a head wrote in a roster cell: hours, places in total, and the marks that matter."""
    starts_at: dt.time
    ends_at: dt.time
    places: int
    draft: bool = False
    stopped: bool = False


@dataclass(frozen=True)
class Problem:
    """Something wrong in an imported file, at a sheet and cell."""
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        message = self.message if len(self.message) <= PROBLEM_CHARS else self.message[:PROBLEM_CHARS] + "…"
        return f"{limits.shown(self.sheet, 31)}!{self.cell}: {message}"


# what the import read from one sheet (services/rosters/imports.py), planned by services/rosters/apply.py
@dataclass
class RowIn:
    row: int
    doctor_id: int | None
    name: str | None
    cells: dict[tuple[int, int], tuple[str, CellSpec | None]]  # (day index, period index) -> (ref, spec)
    unreadable: set[tuple[int, int]] = field(default_factory=set)  # neither empty nor a session


@dataclass
class SheetIn:
    title: str
    department: masterdata.DepartmentInfo
    monday: dt.date
    rows: list[RowIn] = field(default_factory=list)


class CellError(ValueError):
    """A cell that cannot be read; the message is for the head (Chinese)."""


_DASHES = str.maketrans({"：": ":", "–": "-", "—": "-", "－": "-", "~": "-", "～": "-", "\u3000": " ",
                         "至": "-", "，": " ", ",": " ", "；": " ", ";": " "})
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{1,2})\s*-\s*(\d{1,2}):(\d{1,2})")
_PLACES = re.compile(r"共\s*(-?[0-9]+)\s*号")
_TAKEN = re.compile(r"已约\s*\d+\s*(号|人)?")
_SUBSTITUTE = re.compile(SUBSTITUTE_MARK + r"[^\n]*")
FORMAT_HINT = "格式应为 08:00-12:00 共20号"


def _time(h: str, m: str) -> dt.time:
    hour, minute = int(h), int(m)
    if hour > 23 or minute > 59:
        raise CellError(f"时间无效：{h}:{m}")
    return dt.time(hour, minute)


def parse_cell(value) -> CellSpec | None:
    """The cell's session, None for an empty cell; CellError when it cannot be read."""
    if value is None:
        return None
    if not isinstance(value, str):
        # Excel turned what was typed into a number or a time: we cannot know what was meant
        raise CellError(f"应为文字（{FORMAT_HINT}），请将单元格设为文本格式")
    text = value.translate(_DASHES).strip()
    if not text:
        return None
    text = _SUBSTITUTE.sub(" ", text)  # who substitutes is set in the console, not here
    m = _RANGE.match(text)
    if not m:
        raise CellError(f"无法识别出诊时间“{limits.shown(value.strip().splitlines()[0].strip())}”，{FORMAT_HINT}")
    start, end = _time(m.group(1), m.group(2)), _time(m.group(3), m.group(4))
    rest = text[m.end():]
    places = _PLACES.findall(rest)
    if not places:
        raise CellError(f"缺少号数，{FORMAT_HINT}")
    if len(places) > 1:
        raise CellError("号数写了不止一次")
    rest = _PLACES.sub(" ", rest)
    rest = _TAKEN.sub(" ", rest)
    stopped = STOPPED_MARK in rest
    draft = DRAFT_MARK in rest
    rest = rest.replace(STOPPED_MARK, " ").replace(DRAFT_MARK, " ").strip()
    if rest:
        raise CellError(f"无法识别“{limits.shown(rest.split()[0])}”，{FORMAT_HINT}")
    if end < start:
        raise CellError("结束时间早于开始时间")
    if end == start:
        raise CellError("结束时间与开始时间相同")
    raw = places[0]
    if len(raw.lstrip("-").lstrip("0")) > len(str(MAX_PLACES)):  # before int(): 5,000 digits raise ValueError
        raise CellError(f"号数必须大于 0：{limits.shown(raw)}" if raw.startswith("-")
                        else f"号数过大：{limits.shown(raw)}（最多 {MAX_PLACES}）")
    n = int(raw)  # zero or below is explained by the planner, next to the session it would change
    if n > MAX_PLACES:
        raise CellError(f"号数过大：{n}（最多 {MAX_PLACES}）")
    return CellSpec(start, end, n, draft=draft, stopped=stopped)
