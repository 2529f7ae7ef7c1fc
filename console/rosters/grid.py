"""The week grid of one department: doctors down, days x periods across, places taken/total in each cell.

``RosterGridModel.set_grid`` loads a new department or week (a model reset: a new query);
``RosterGridModel.apply_grid`` takes a fresh ``RosterGrid`` of the same department and week and
emits ``dataChanged`` for the cells that changed only, so the selection and the scroll position
survive the live feed's updates. Doctors who appear in the week are appended with ``beginInsertRows``.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from console.common.labels import period_label, weekday_label
from console.common.tablemodel import ID_ROLE, OWN_ROLE, ROW_ROLE, SORT_ROLE
from services.clock import hospital_today

log = logging.getLogger(__name__)

PERIODS = ("am", "pm", "evening")

# Cell colours (background, foreground); stopped is red/grey as the staff are used to on paper rosters.
COLORS = {
    "published": ("#e7f4ea", "#1d3b24"),
    "full": ("#d6e6fb", "#12325c"),
    "draft": ("#eeeeee", "#6b6b6b"),
    "stopped": ("#f6d5d3", "#8c1d18"),
    "substituted": ("#fff1c7", "#5c4300"),
}


# a day header's holiday mark (services.rosters.holidays.DayPlan.mark): days off red, days worked blue
MARK_COLORS = {"休": "#b3261e", "停": "#b3261e", "班": "#1d4ed8", "例": "#8a5a00"}


def hm(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, (dt.time, dt.datetime)) else str(value or "")


def cell_kind(cell: Any) -> str:
    """Which colour a session gets: stopped, substituted, draft, full or published."""
    if cell.status == "stopped":
        return "stopped"
    if getattr(cell, "substitute_for", None):
        return "substituted"
    if cell.status == "draft":
        return "draft"
    if cell.capacity and cell.taken >= cell.capacity:
        return "full"
    return "published"


class CellDelegate(QStyledItemDelegate):
    """Paints each session cell in its legend colour, its text fitted to the cell.

    The application's style sheet styles ``QTableView::item``; Qt's style-sheet style then ignores
    a model's BackgroundRole, so the colours the legend promises are painted here. With evening
    clinics a week has 21 columns of about 50 pixels on a 1366-pixel screen: the text is drawn
    with a small margin and a smaller font when needed ("22/42" never becomes "22…"); what still
    does not fit is elided, the whole text being in the tooltip. A selected cell keeps its colour
    and gets a frame."""

    SELECTED = QColor("#1f6f8b")
    MIN_POINT_SIZE = 7.5

    def paint(self, painter, option, index) -> None:
        brush = index.data(Qt.ItemDataRole.BackgroundRole)
        if brush is None or index.column() == 0:
            super().paint(painter, option, index)
            return
        painter.save()
        painter.fillRect(option.rect, brush)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        fg = index.data(Qt.ItemDataRole.ForegroundRole)
        painter.setPen(fg.color() if fg is not None else option.palette.text().color())
        area = option.rect.adjusted(2, 1, -2, -1)
        font = self.fitted_font(option.font, text.split("\n"), area.width(), area.height())
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        lines = [metrics.elidedText(line, Qt.TextElideMode.ElideRight, area.width()) for line in text.split("\n")]
        painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter), "\n".join(lines))
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(self.SELECTED, 2))
            painter.drawRect(option.rect.adjusted(1, 1, -1, -1))
        painter.restore()

    @classmethod
    def fitted_font(cls, base: QFont, lines: list[str], width: float, height: float) -> QFont:
        """The largest font from ``base`` down to MIN_POINT_SIZE in which every line fits."""
        font = QFont(base)
        size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        while True:
            font.setPointSizeF(size)
            metrics = QFontMetricsF(font)
            if (max((metrics.horizontalAdvance(line) for line in lines), default=0) <= width
                    and metrics.lineSpacing() * len(lines) <= height) or size <= cls.MIN_POINT_SIZE:
                return font
            size = max(cls.MIN_POINT_SIZE, size - 0.5)


class RosterGridModel(QAbstractTableModel):
    """Column 0 is the doctor; column 1 + d * len(periods) + p is day d, period p."""

    # the table model's roles (console.common.tablemodel): a cell's id is its session's, its record the cell
    SessionIdRole = ID_ROLE
    SortKeyRole = SORT_ROLE
    CellRole = ROW_ROLE
    StatusRole = OWN_ROLE
    DoctorIdRole = OWN_ROLE + 1
    DayRole = OWN_ROLE + 2
    PeriodRole = OWN_ROLE + 3

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid: Any = None
        self._doctors: list[Any] = []
        self._days: list[dt.date] = []
        self._periods: tuple[str, ...] = ("am", "pm")
        self._cells: dict[tuple, Any] = {}
        self._names: dict[int, str] = {}

    # ------------------------------------------------------------ loading
    @staticmethod
    def _periods_of(grid: Any) -> tuple[str, ...]:
        # evening clinics are rare: their columns appear only in weeks that have one
        used = {key[2] for key in grid.cells}
        return tuple(p for p in PERIODS if p in ("am", "pm") or p in used)

    def set_grid(self, grid: Any) -> None:
        """A new department or week: reset."""
        self.beginResetModel()
        self._take(grid)
        self.endResetModel()

    def _take(self, grid: Any) -> None:
        self.grid = grid
        self._doctors = list(grid.doctors) if grid is not None else []
        self._days = list(grid.days) if grid is not None else []
        self._periods = self._periods_of(grid) if grid is not None else ("am", "pm")
        self._cells = dict(grid.cells) if grid is not None else {}
        self._names = {d.id: d.name for d in self._doctors}

    def same_frame(self, grid: Any) -> bool:
        return (self.grid is not None and grid is not None
                and getattr(self.grid.department, "id", None) == getattr(grid.department, "id", None)
                and list(self.grid.days) == list(grid.days) and self._periods == self._periods_of(grid)
                and getattr(self.grid, "day_labels", None) == getattr(grid, "day_labels", None))

    def apply_grid(self, grid: Any) -> int:
        """Take a fresh grid of the shown week in place; returns how many cells changed."""
        if not self.same_frame(grid):
            self.set_grid(grid)
            return -1
        old_ids = [d.id for d in self._doctors]
        new_ids = [d.id for d in grid.doctors]
        if new_ids[:len(old_ids)] != old_ids:
            self.set_grid(grid)  # a doctor left or the order changed: rare, a reset is honest
            return -1
        changed = 0
        for row, doc in enumerate(grid.doctors[:len(old_ids)]):
            if doc != self._doctors[row]:
                self._doctors[row] = doc
                self._names[doc.id] = doc.name
                self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
        for key in set(self._cells) | set(grid.cells):
            if key[0] not in old_ids:
                continue
            before, after = self._cells.get(key), grid.cells.get(key)
            if before == after:
                continue
            if after is None:
                del self._cells[key]
            else:
                self._cells[key] = after
            index = self.index_of(*key)
            if index.isValid():
                self.dataChanged.emit(index, index)
                changed += 1
        self.grid = grid
        if len(new_ids) > len(old_ids):
            self.beginInsertRows(QModelIndex(), len(old_ids), len(new_ids) - 1)
            for doc in grid.doctors[len(old_ids):]:
                self._doctors.append(doc)
                self._names[doc.id] = doc.name
            self._cells = dict(grid.cells)
            self.endInsertRows()
        return changed

    # ------------------------------------------------------------ lookups
    def doctor_at(self, row: int) -> Any | None:
        return self._doctors[row] if 0 <= row < len(self._doctors) else None

    def slot_of(self, column: int) -> tuple[dt.date, str] | None:
        """(day, period) of a grid column; None for the doctor column."""
        if column < 1 or not self._days:
            return None
        d, p = divmod(column - 1, len(self._periods))
        if d >= len(self._days):
            return None
        return self._days[d], self._periods[p]

    def cell_at(self, index: QModelIndex | QPersistentModelIndex) -> Any | None:
        if not index.isValid():
            return None
        doc, where = self.doctor_at(index.row()), self.slot_of(index.column())
        if doc is None or where is None:
            return None
        return self._cells.get((doc.id, where[0], where[1]))

    def index_of(self, doctor_id: int, day: dt.date, period: str) -> QModelIndex:
        rows = [i for i, d in enumerate(self._doctors) if d.id == doctor_id]
        if not rows or day not in self._days or period not in self._periods:
            return QModelIndex()
        col = 1 + self._days.index(day) * len(self._periods) + self._periods.index(period)
        return self.index(rows[0], col)

    def index_of_session(self, session_id: int) -> QModelIndex:
        for key, cell in self._cells.items():
            if cell.session_id == session_id:
                return self.index_of(*key)
        return QModelIndex()

    def session_ids(self) -> set[int]:
        return {c.session_id for c in self._cells.values()}

    def doctor_name(self, doctor_id: Any) -> str:
        return self._names.get(doctor_id, str(doctor_id)) if isinstance(doctor_id, int) else str(doctor_id)

    # ------------------------------------------------------------ Qt interface
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._doctors)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1 + len(self._days) * len(self._periods)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        where = self.slot_of(section)
        if role == Qt.ItemDataRole.FontRole and where is not None and where[0] == hospital_today():
            font = QFont()
            font.setBold(True)  # today's columns stand out
            return font
        marks = getattr(self.grid, "day_marks", None) or {}
        if role == Qt.ItemDataRole.ToolTipRole and where is not None:  # 国庆节休息, 调休上班（按周三排班） ...
            return (getattr(self.grid, "day_labels", None) or {}).get(where[0])
        if role == Qt.ItemDataRole.ForegroundRole and where is not None and marks.get(where[0]) in MARK_COLORS:
            return QColor(MARK_COLORS[marks[where[0]]])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return self.tr("Doctor")
        if where is None:
            return None
        day, period = where
        # three short lines: 21 columns (with evening clinics) must fit a 1366-pixel screen; a holiday's
        # one-character mark (休, 班, 停, 例) after the weekday, its words in the tooltip
        mark = marks.get(day, "")
        return f"{weekday_label(day.weekday())}{mark}\n{day:%m-%d}\n{period_label(period)}"

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not self.checkIndex(index):
            return None
        doc = self._doctors[index.row()]
        if index.column() == 0:
            return self._doctor_data(doc, role)
        day, period = self.slot_of(index.column())
        cell = self._cells.get((doc.id, day, period))
        if role == self.DoctorIdRole:
            return doc.id
        if role == self.DayRole:
            return day
        if role == self.PeriodRole:
            return period
        if cell is None:
            if role == self.SortKeyRole:
                return -1
            return None
        return self._cell_data(cell, role, day)

    def _doctor_data(self, doc: Any, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{doc.name}\n{getattr(doc, 'title', '') or ''}".rstrip()
        if role in (self.SortKeyRole, self.DoctorIdRole):
            return doc.name if role == self.SortKeyRole else doc.id
        if role == Qt.ItemDataRole.ToolTipRole:
            specialty = getattr(doc, "specialty", None)
            return f"{doc.name} {getattr(doc, 'title', '')}" + (f"\n{specialty}" if specialty else "")
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _cell_data(self, cell: Any, role: int, day: dt.date | None = None):
        kind = cell_kind(cell)
        if role == Qt.ItemDataRole.DisplayRole:
            count = f"{cell.taken}/{cell.capacity}"
            more = self._supply_line(cell, past=day is not None and day < hospital_today())
            if more and kind not in ("stopped", "draft"):
                count += f"\n{more}"
            if kind == "stopped":
                return self.tr("Stopped") + f"\n{count}"
            if kind == "substituted":
                return f"{count}\n" + self.tr("Sub for {name}").format(name=self.doctor_name(cell.substitute_for))
            if kind == "draft":
                return f"{count}\n" + self.tr("Draft")
            return count
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{hm(cell.starts_at)}–{hm(cell.ends_at)}",
                     self.tr("Places taken: {taken} of {capacity}").format(taken=cell.taken, capacity=cell.capacity),
                     {"stopped": self.tr("Stopped (停诊)"), "draft": self.tr("Not published")}.get(kind, "")]
            if getattr(cell, "substitute_for", None):
                lines.append(self.tr("Substituting for {name}").format(name=self.doctor_name(cell.substitute_for)))
            return "\n".join(x for x in lines + self._supply_tip(cell) if x)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(COLORS[kind][0]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(COLORS[kind][1]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == self.SessionIdRole:
            return cell.session_id
        if role == self.SortKeyRole:
            return cell.taken
        if role == self.StatusRole:
            return cell.status
        if role == self.CellRole:
            return cell
        return None

    def _supply_line(self, cell: Any, past: bool = False) -> str:
        """'现场30% · 候补2' under the places: the desk's share while it is kept (not on a past day), the requests
        on the waitlist."""
        supply = getattr(cell, "supply", None)
        if supply is None:
            return ""
        parts = []
        if supply.pct and not supply.open and not past:
            parts.append(self.tr("Desk {pct}%").format(pct=supply.pct))
        if supply.waiting:
            parts.append(self.tr("Waitlist {n}").format(n=supply.waiting))
        return " · ".join(parts)

    def _supply_tip(self, cell: Any) -> list[str]:
        supply = getattr(cell, "supply", None)
        if supply is None:
            return []
        if not supply.pct:
            share = self.tr("Desk share (现场号): none kept") + (
                self.tr(" (this session's own setting)") if supply.own and supply.department_pct else "")
        else:
            share = self.tr("Desk share (现场号): {pct}% of each slot").format(pct=supply.pct) + (
                self.tr(" (this session's own setting)") if supply.own else self.tr(" (the department's)"))
            if supply.open:
                share += "\n" + self.tr("Its unused places are open to online requests now")
        lines = [share]
        if supply.waiting:
            lines.append(self.tr("On the waitlist (候补): {n} request(s)").format(n=supply.waiting))
        return lines
