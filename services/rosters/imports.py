"""Loading a roster prepared in Excel (``regdesk roster import FILE.xlsx``). No Qt.

The file has the layout ``export roster`` writes (services/rosters/layout.py). Every cell is
compared with the database, keyed by (doctor, day, period):

* empty in the file, no session: nothing;
* a session in a cell that was empty: a new session with its slots, published (a draft
  when the cell says ``未发布``); its slot length comes from the doctor's weekly template for
  that day and period, else 30 minutes, and ``共N号`` is spread evenly over the slots;
* hours or places changed: the session is updated; slots that fall outside new hours are
  removed (refused if a booking refers to them), new ones are added, and the places are
  spread again without taking any slot below what it already holds;
* ``未发布`` added or removed: the session becomes a draft (refused while it has live
  bookings) or is published;
* a cell cleared: the session is deleted when no booking ever referred to it, turned into
  a draft when only finished ones (cancelled, rejected ...) do, refused when live ones do;
* unchanged: nothing at all, so importing a file just exported changes no row.

A doctor's row that is missing from the file leaves that doctor's sessions alone. Stopping
or resuming a clinic is not done here (it notifies patients: the console asks first).

All or nothing: the file is read and checked in full, then, in one write transaction with
the week's sessions and slots locked, checked against the database; only if no problem was
found anywhere is anything written. Every problem is reported with its sheet and cell
(``内科!D7: 结束时间早于开始时间``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from services import limits
from services.clock import hospital_today
from services.db import Database
from services.errors import ValidationError
from services.rosters import apply, masterdata
from services.rosters.layout import (
    CODE_LABEL,
    HELP_SHEET,
    PERIOD_LABELS,
    PERIODS,
    ROSTER_FIRST_ROW,
    WEEKDAYS,
    CellError,
    Problem,
    Progress,
    RowIn,
    SheetIn,
    parse_cell,
    parse_week,
    roster_column,
    week_label,
)
from services.staff.actor import Actor

log = logging.getLogger(__name__)

MAX_DOCTOR_ROWS = 2000  # doctor rows per sheet; a sheet with more is refused, never cut short
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a workbook unpacking to more is not a roster (or a zip bomb)
SHOWN_PROBLEMS = 10  # the message lists the first problems and counts the rest


class RosterImportError(ValidationError):
    """The file was refused; ``problems`` lists each one with its sheet and cell. The message
    shows the first SHOWN_PROBLEMS of them (each cut to a readable length) and counts the rest."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"…及其他 {len(self.problems) - SHOWN_PROBLEMS} 处问题")
        shown = "\n".join(lines)
        super().__init__(f"排班表有 {len(self.problems)} 处问题，数据库未做任何修改：\n{shown}")


@dataclass(frozen=True)
class ImportSummary:
    path: str
    sheets: tuple[str, ...]
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unpublished: int = 0  # turned into drafts
    published: int = 0  # drafts published
    unchanged: int = 0
    notified: int = 0  # patients told that their session's hours changed

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted + self.unpublished + self.published

    def __str__(self) -> str:
        return (f"已导入 {len(self.sheets)} 个科室：新增 {self.created}，修改 {self.updated}，删除 {self.deleted}，"
                f"发布 {self.published}，改为未发布 {self.unpublished}，未变 {self.unchanged}"
                + (f"；{self.notified} 位已预约患者将收到时间变更通知" if self.notified else ""))


# ---------------------------------------------------------------- reading the file

def _text(value) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _read_sheet(ws, deps_by_code: dict[str, masterdata.DepartmentInfo],
                problems: list[Problem]) -> SheetIn | None:
    from openpyxl.utils import get_column_letter
    title = ws.title
    bad = len(problems)
    code = _text(ws["B2"].value)
    dep = None
    if code is None:
        problems.append(Problem(title, "B2", "缺少科室代码"))
    else:
        dep = deps_by_code.get(code) or deps_by_code.get(code.lower())
        if dep is None:
            problems.append(Problem(title, "B2", f"没有科室代码 {limits.shown(code)}"))
    monday = None
    try:
        monday = parse_week(ws["D2"].value)
    except ValidationError as exc:
        problems.append(Problem(title, "D2", str(exc)))
    else:
        horizon = limits.roster_horizon(hospital_today())
        if monday > horizon:  # the same reach as `roster publish` (services/limits.py)
            problems.append(Problem(title, "D2", f"{week_label(monday)} 太远：排班最远到 {horizon}"
                                                 f"（{limits.ROSTER_DAYS_AHEAD} 天内）"))
    for d in range(7):
        ref = f"{get_column_letter(roster_column(d, 0))}3"
        if not (_text(ws[ref].value) or "").startswith(WEEKDAYS[d]):
            problems.append(Problem(title, ref, f"表头应为“{WEEKDAYS[d]}”开头（请勿增删列）"))
        for p, period in enumerate(PERIODS):
            ref = f"{get_column_letter(roster_column(d, p))}4"
            if _text(ws[ref].value) != PERIOD_LABELS[period]:
                problems.append(Problem(title, ref, f"表头应为“{PERIOD_LABELS[period]}”（请勿增删列）"))
    if len(problems) > bad:
        return None  # without its department, week and columns the sheet's cells mean nothing
    sheet = SheetIn(title, dep, monday)
    last_col = roster_column(6, 2)
    last_row = _last_row_with_content(ws, last_col)
    if last_row - ROSTER_FIRST_ROW + 1 > MAX_DOCTOR_ROWS:  # refused whole: no row is ever left unread
        problems.append(Problem(title, f"A{last_row}",
                                f"一张排班表最多 {MAX_DOCTOR_ROWS} 位医生（第 {ROSTER_FIRST_ROW} 至 "
                                f"{ROSTER_FIRST_ROW + MAX_DOCTOR_ROWS - 1} 行），本表写到了第 {last_row} 行；"
                                "请删去多余的行或分成几个文件"))
        return None
    for r, values in enumerate(ws.iter_rows(min_row=ROSTER_FIRST_ROW, max_row=last_row, max_col=last_col,
                                            values_only=False), ROSTER_FIRST_ROW):
        id_cell, name_cell = values[0], values[1]
        row = RowIn(r, None, _text(name_cell.value), {})
        raw_id = id_cell.value
        if raw_id is not None and _text(raw_id) is not None:
            row.doctor_id = _doctor_id(raw_id, title, id_cell.coordinate, problems)
        for d in range(7):
            for p in range(3):
                cell = values[roster_column(d, p) - 1]
                if cell.data_type == "f":
                    problems.append(Problem(title, cell.coordinate, "单元格含公式，请直接填写文字"))
                    row.unreadable.add((d, p))
                    continue
                try:
                    spec = parse_cell(cell.value)
                except CellError as exc:
                    problems.append(Problem(title, cell.coordinate, str(exc)))
                    row.unreadable.add((d, p))
                    continue
                row.cells[(d, p)] = (cell.coordinate, spec)
        if row.doctor_id is None and row.name is None:
            written = [ref for ref, spec in row.cells.values() if spec is not None]
            if written:
                problems.append(Problem(title, f"B{r}", "这一行有出诊但没有医生"))
            continue  # an empty line (or one only used for notes)
        sheet.rows.append(row)
    return sheet


def _doctor_id(raw, title: str, ref: str, problems: list[Problem]) -> int | None:
    """Column A: a doctor's id as Excel keeps it (a number, or text of digits), inside the range
    of ids (services/limits.py); else a problem at the cell."""
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**63:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or limits.ROW_ID.problem(raw):
        problems.append(Problem(title, ref, f"医生编号应为 1 至 {limits.ROW_ID.hi} 的整数：{limits.shown(raw)}"))
        return None
    return limits.ROW_ID.check(raw)


def _last_row_with_content(ws, max_col: int) -> int:
    """The last row with a value in the roster's columns. Looks only at the cells the file holds
    (openpyxl's cell map): a sheet formatted down to row 1,048,576 is not a million empty rows
    to walk, and a value far below the last doctor is still found."""
    last = ROSTER_FIRST_ROW - 1
    for (r, c), cell in ws._cells.items():
        if r > last and c <= max_col and cell.value is not None and str(cell.value).strip():
            last = r
    return last


def _open_workbook(p: Path):
    """The workbook, or one clear line for a file that is none: not there, a name the file system
    refuses, not a zip (a text file renamed .xlsx), a zip that is no workbook, one that unpacks
    to more than MAX_UNPACKED_BYTES."""
    import zipfile

    from openpyxl import load_workbook
    try:
        if not p.is_file():
            raise ValidationError(f"文件不存在：{limits.shown(str(p), 200)}")
        with zipfile.ZipFile(p) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except OSError as exc:
        raise limits.path_error(exc, p) from None
    except (zipfile.BadZipFile, ValueError):
        unpacked = None
    if unpacked is not None and unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(f"“{limits.shown(p.name)}”太大（解压后 {unpacked // 2**20} MB），不像是排班表")
    try:
        if unpacked is None:
            raise ValueError("not a zip file")
        with p.open("rb") as fh:  # closed by us: openpyxl leaves the file open when it fails halfway
            return load_workbook(fh, read_only=False, data_only=False)
    except Exception as exc:
        log.info("cannot open %s as a workbook: %r", p, exc)
        raise ValidationError(f"无法读取“{limits.shown(p.name)}”：不是有效的 Excel 工作簿（.xlsx），"
                              "或文件已损坏") from None


def read_workbook(path: str | Path, deps_by_code: dict[str, masterdata.DepartmentInfo],
                  problems: list[Problem]) -> list[SheetIn]:
    """The roster sheets of the file; what cannot be read goes to ``problems``."""
    p = limits.file_path(path, field="path")
    wb = _open_workbook(p)
    sheets = []
    try:
        for ws in wb.worksheets:
            if ws.title == HELP_SHEET:
                continue
            if _text(ws["A2"].value) != CODE_LABEL:
                log.info("sheet %s is not a roster sheet (A2 is not %s): skipped", ws.title, CODE_LABEL)
                continue
            sheet = _read_sheet(ws, deps_by_code, problems)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        wb.close()
    if not sheets and not problems:
        raise ValidationError(f"“{limits.shown(p.name)}”中没有排班表（应由“导出排班”生成：A2 为“{CODE_LABEL}”）",
                              field="path")
    seen: dict[int, str] = {}
    for s in sheets:
        if s.department.id in seen:
            problems.append(Problem(s.title, "B2", f"科室 {s.department.code} 已在工作表“{seen[s.department.id]}”中"))
        seen[s.department.id] = s.title
    return sheets


# ---------------------------------------------------------------- import

def import_roster(db: Database, actor: Actor, path: str | Path, *,
                  progress: Progress | None = None) -> ImportSummary:
    """Load a roster workbook: all or nothing. Raises RosterImportError listing every problem."""
    actor.require("roster.import")
    hospital = masterdata.hospital(db)
    deps_by_code: dict[str, masterdata.DepartmentInfo] = {}
    for d in masterdata.list_departments(db, include_inactive=True):
        if d.hospital_id == hospital.id:
            deps_by_code[d.code] = d
            deps_by_code.setdefault(d.code.lower(), d)
    if progress:
        progress(0, 3)
    problems: list[Problem] = []
    sheets = read_workbook(path, deps_by_code, problems)
    for s in sheets:
        actor.require("roster.import", s.department.id)
    if progress:
        progress(1, 3)

    def tx(conn: Connection) -> ImportSummary:
        found = list(problems)  # a retried transaction starts again from the file's problems
        apply.lock_departments(conn, {s.department.id for s in sheets})
        plans = [apply.plan_sheet(conn, s, hospital.name, found) for s in sheets]
        apply.check_overlaps(conn, plans, found)
        if found:
            raise RosterImportError(found)
        counts = apply.apply(conn, actor, plans, str(path))
        return ImportSummary(str(path), tuple(s.title for s in sheets), **counts)

    summary = db.run(tx)
    if progress:
        progress(3, 3)
    log.info("roster import %s: %s", path, summary)
    return summary

