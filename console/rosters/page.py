"""Rosters (排班): the week grid of a department and the head's actions on it.

``RosterPage(ctx)`` shows one department's week (doctors down, days x periods across, places
taken/total in each cell; stopped sessions red, substituted ones amber, drafts grey) with week
navigation and a department picker (a head sees their own departments only). Actions: a doctor's
weekly templates, publish a range, change a session, stop a session (停诊) after a confirmation
that says how many patients will be told, and substitute a doctor (替诊).

What changed (``ctx.changes``, console.common.changes: the live feed's batches and other pages'
results) reaches ``apply_changes``; a change in a shown session (or a new one) re-reads the week
in the background and the model updates the changed cells in place (``dataChanged``), so the
selection and the scroll position stay. What this page's dialogs did is published there too.
All database work runs through ``ctx.tasks``; the buttons a role may not use are hidden, and the
services refuse them anyway.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console.common.pagekit import call, show_error
from console.common.widgets import MessageBar, calendar_popup, open_dialog
from console.notifications.delivery import delivery_text
from console.rosters.dialogs import PublishDialog, SessionDialog, StopDialog, SubstituteDialog, pydate, qdate
from console.rosters.grid import COLORS, CellDelegate, RosterGridModel
from console.rosters.templates import TemplatesDialog
from services.clock import hospital_today
from services.notify import outbox
from services.rosters import masterdata, templates, week
from services.sync.changes import Changes

log = logging.getLogger(__name__)

def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class RosterPage(QWidget):
    """One department's week. ``loaded`` is emitted whenever a grid has been shown."""

    loaded = Signal()

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rosterPage")
        self.ctx = ctx
        self.monday = monday_of(hospital_today())
        self.departments: list[Any] = []
        self.dialog: QDialog | None = None  # the dialog open now (widgets.open_dialog)
        self._loading: tuple | None = None  # (department id, monday) being read
        self._again = False  # a change arrived while reading: read once more afterwards

        self.model = RosterGridModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("rosterGrid")
        self.view.setModel(self.model)
        self.view.setItemDelegate(CellDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(46)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(50)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.selectionModel().currentChanged.connect(lambda *_: self.update_actions())
        self.model.modelReset.connect(self._fit_columns)

        self._build_top_bar()
        self._build_actions()
        self.status = QLabel(self)
        self.status.setObjectName("rosterStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self.top)
        layout.addWidget(self.toolbar)
        self.messages = MessageBar(self)  # what failed (console.common.pagekit.show_error)
        layout.addWidget(self.messages)
        layout.addWidget(self.view, 1)
        layout.addLayout(self._legend())
        layout.addWidget(self.status)

        ctx.changes.subscribe(self, self.apply_changes)
        self.update_actions()
        self._show_week_label()
        self.load_departments()

    # ------------------------------------------------------------ building
    def _build_top_bar(self) -> None:
        self.department = QComboBox(self)
        self.department.setObjectName("rosterDepartment")
        self.department.setMinimumWidth(160)
        self.department.currentIndexChanged.connect(lambda _i: self.reload())
        self.prev_button = QPushButton(self.tr("◀ Previous week"), self)
        self.prev_button.setObjectName("rosterPrevWeek")
        self.prev_button.setShortcut(QKeySequence(Qt.Modifier.ALT | Qt.Key.Key_Left))
        self.prev_button.clicked.connect(lambda: self.set_week(self.monday - dt.timedelta(days=7)))
        self.this_button = QPushButton(self.tr("This week"), self)
        self.this_button.setObjectName("rosterThisWeek")
        self.this_button.clicked.connect(lambda: self.set_week(hospital_today()))
        self.next_button = QPushButton(self.tr("Next week ▶"), self)
        self.next_button.setObjectName("rosterNextWeek")
        self.next_button.setShortcut(QKeySequence(Qt.Modifier.ALT | Qt.Key.Key_Right))
        self.next_button.clicked.connect(lambda: self.set_week(self.monday + dt.timedelta(days=7)))
        self.date = QDateEdit(qdate(self.monday), self)
        self.date.setObjectName("rosterDate")
        calendar_popup(self.date)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.dateChanged.connect(lambda q: self.set_week(pydate(q)))
        self.week_label = QLabel(self)
        self.week_label.setObjectName("rosterWeekLabel")
        self.top = QHBoxLayout()
        self.top.addWidget(QLabel(self.tr("Department"), self))
        self.top.addWidget(self.department)
        self.top.addSpacing(16)
        for w in (self.prev_button, self.this_button, self.next_button, self.date):
            self.top.addWidget(w)
        self.top.addSpacing(12)
        self.top.addWidget(self.week_label, 1)

    def _action(self, name: str, text: str, slot, shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        self.toolbar.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("rosterToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.templates_action = self._action("rosterTemplates", self.tr("Doctor's templates…"), self.edit_templates)
        self.publish_action = self._action("rosterPublish", self.tr("Publish…"), self.publish)
        self.toolbar.addSeparator()
        self.change_action = self._action("rosterChange", self.tr("Change session…"), self.change_session,
                                          "Ctrl+E")
        self.substitute_action = self._action("rosterSubstitute", self.tr("Substitute…"), self.substitute)
        self.stop_action = self._action("rosterStop", self.tr("Stop session (停诊)…"), self.stop_session)
        self.extra_action = self._action("rosterExtra", self.tr("Extra places (加号)…"), self.add_places)
        self.toolbar.addSeparator()
        self.refresh_action = self._action("rosterRefresh", self.tr("Refresh"), self.refresh)
        # what a role may never do is not shown at all; the department check comes in update_actions
        can = self.ctx.can
        self.templates_action.setVisible(can("roster.edit"))
        self.change_action.setVisible(can("roster.edit"))
        self.publish_action.setVisible(can("roster.publish"))
        self.stop_action.setVisible(can("session.stop"))
        self.substitute_action.setVisible(can("session.substitute"))
        self.extra_action.setVisible(can("session.extra"))

    def _legend(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for kind, text in (("published", self.tr("Published")), ("full", self.tr("Full")),
                           ("substituted", self.tr("Substitute")), ("stopped", self.tr("Stopped")),
                           ("draft", self.tr("Not published"))):
            label = QLabel(text, self)
            bg, fg = COLORS[kind]
            label.setStyleSheet(f"background: {bg}; color: {fg}; padding: 2px 8px; border-radius: 3px;")
            row.addWidget(label)
        hint = QLabel(self.tr("Cells show places taken / places in all, the desk's share and the waitlist. "
                              "Days: 休 off, 班 worked (调休), 停 closed, 例 exception."), self)
        hint.setToolTip(self.tr("Double-click a session to change it."))
        hint.setStyleSheet("color: #5f6368;")
        row.addSpacing(12)
        row.addWidget(hint, 1)
        return row

    # ------------------------------------------------------------ loading
    def department_id(self) -> int | None:
        return self.department.currentData()

    def load_departments(self) -> None:
        db = self.ctx.db
        call(self.ctx, self, lambda: masterdata.list_departments(db), self._departments_loaded)

    def _departments_loaded(self, deps: list[Any]) -> None:
        actor = self.ctx.actor
        # a head (or a clerk with a scope) sees their departments only; an admin sees all
        if actor.role != "admin" and actor.department_ids:
            deps = [d for d in deps if d.id in actor.department_ids]
        self.departments = deps
        current = self.department_id()
        self.department.blockSignals(True)
        self.department.clear()
        for d in deps:
            self.department.addItem(d.name, d.id)
        self.department.setCurrentIndex(max(0, self.department.findData(current)))
        self.department.blockSignals(False)
        if not deps:
            self.status.setText(self.tr("No department to show."))
        self.reload()

    def set_department(self, department_id: int) -> None:
        index = self.department.findData(department_id)
        if index >= 0:
            self.department.setCurrentIndex(index)

    def set_week(self, day: dt.date) -> None:
        monday = monday_of(day)
        if self.date.date() != qdate(day):
            self.date.blockSignals(True)
            self.date.setDate(qdate(day))
            self.date.blockSignals(False)
        if monday == self.monday:
            return
        self.monday = monday
        self._show_week_label()
        self.reload()

    def _show_week_label(self) -> None:
        sunday = self.monday + dt.timedelta(days=6)
        year, week, _ = self.monday.isocalendar()
        self.week_label.setText(self.tr("Week {week} of {year}: {start} – {end}").format(
            week=week, year=year, start=f"{self.monday:%Y-%m-%d}", end=f"{sunday:%m-%d}"))

    def reload(self) -> None:
        """Read the shown department and week (a new query: the model is reset when it arrives)."""
        self._read(in_place=False)

    def refresh(self) -> None:
        """Read the shown week again and update the changed cells in place."""
        self._read(in_place=True)

    def _read(self, in_place: bool) -> None:
        dep_id = self.department_id()
        if dep_id is None:
            self.model.set_grid(None)
            self.update_actions()
            return
        key = (dep_id, self.monday)
        if in_place and self._loading == key:
            self._again = True  # coalesce a burst of live changes into one more read
            return
        self._loading = key
        self._again = False
        db, monday = self.ctx.db, self.monday
        call(self.ctx, self, lambda: week.week_grid(db, dep_id, monday),
             lambda grid: self._grid_loaded(key, grid, in_place), lambda e: self._grid_failed(key, e))

    def _grid_loaded(self, key: tuple, grid: Any, in_place: bool) -> None:
        if key != (self.department_id(), self.monday):
            return  # the user moved on; the newer read will arrive
        self._loading = None
        if in_place and self.model.same_frame(grid):
            self.model.apply_grid(grid)
        else:
            self.model.set_grid(grid)
        if not grid.doctors:
            self.status.setText(self.tr("No doctor in this department has sessions or templates."))
        self.update_actions()
        self.loaded.emit()
        if self._again:
            self.refresh()

    def _grid_failed(self, key: tuple, error: BaseException) -> None:
        if key == self._loading:
            self._loading = None
        show_error(self, error)

    def apply_changes(self, changes: Changes) -> None:
        """What changed: re-read the week when it may touch it (then update in place)."""
        if changes.touches_sessions(self.model.session_ids()):
            self.refresh()

    def _fit_columns(self) -> None:
        header = self.view.horizontalHeader()
        if self.model.columnCount() > 0:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(0, 104)

    # ------------------------------------------------------------ selection and actions
    def current_cell(self) -> Any | None:
        return self.model.cell_at(self.view.currentIndex())

    def current_doctor(self) -> Any | None:
        index = self.view.currentIndex()
        return self.model.doctor_at(index.row()) if index.isValid() else None

    def select_session(self, session_id: int) -> bool:
        index = self.model.index_of_session(session_id)
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
        return index.isValid()

    def update_actions(self) -> None:
        dep, cell, doctor = self.department_id(), self.current_cell(), self.current_doctor()
        can = self.ctx.can
        live = cell is not None and cell.status != "stopped"
        # what is not possible now is disabled (and looks it), with the reason as its tooltip
        if cell is None:
            why_not = self.tr("Select a session in the grid first")
        else:
            why_not = self.tr("This session is stopped (停诊): it cannot be changed")
        for action, permission, possible, reason in (
                (self.templates_action, "roster.edit", doctor is not None, self.tr("Select a doctor's row first")),
                (self.publish_action, "roster.publish", dep is not None, self.tr("Choose a department first")),
                (self.change_action, "roster.edit", live, why_not),
                (self.stop_action, "session.stop", live, why_not),
                (self.substitute_action, "session.substitute", live, why_not),
                (self.extra_action, "session.extra", live, why_not)):
            allowed = can(permission, dep)
            action.setEnabled(possible and allowed)
            action.setToolTip(action.text() if possible and allowed else
                              reason if allowed else self.tr("Not in the departments you are responsible for"))

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        for a in (self.change_action, self.extra_action, self.substitute_action, self.stop_action, None,
                  self.templates_action):
            if a is None:
                menu.addSeparator()
            elif a.isVisible():
                menu.addAction(a)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() == 0 and self.templates_action.isEnabled():
            self.edit_templates()
        elif self.change_action.isEnabled():
            self.change_session()

    def _open(self, dialog) -> None:
        open_dialog(self, dialog)

    def edit_templates(self) -> None:
        doctor = self.current_doctor()
        if doctor is None or not self.templates_action.isEnabled():
            return
        dialog = TemplatesDialog(self.ctx, doctor, self)
        self._open(dialog)

    def publish(self) -> None:
        dep = next((d for d in self.departments if d.id == self.department_id()), None)
        if dep is None or not self.publish_action.isEnabled():
            return
        dialog = PublishDialog(self.ctx, dep, self.monday, self.monday + dt.timedelta(days=6), self)
        dialog.done_ok.connect(lambda s: self._done("", s))
        self._open(dialog)

    def change_session(self) -> None:
        cell = self.current_cell()
        if cell is None or not self.change_action.isEnabled():
            return
        dialog = SessionDialog(self.ctx, cell.session_id, self)
        dialog.done_ok.connect(lambda s: self._done(
            self.tr("Session changed; {n} WeChat message(s) queued.").format(n=s.notified) if s.notified
            else self.tr("Session changed."), s))
        self._open(dialog)

    def stop_session(self) -> None:
        """Ask the database how many patients a stop would tell, then confirm with that number."""
        cell = self.current_cell()
        if cell is None or not self.stop_action.isEnabled():
            return
        db, sid, cfg = self.ctx.db, cell.session_id, self.ctx.cfg
        call(self.ctx, self, lambda: (templates.get_session(db, sid), templates.affected_count(db, sid),
                                      outbox.outbox_state(db, cfg)), self._confirm_stop)

    def _confirm_stop(self, found: tuple[Any, int, Any]) -> None:
        session, affected, state = found
        dialog = StopDialog(self.ctx, session, affected, self, delivery_text(state))
        dialog.done_ok.connect(lambda s: self._done(
            self.tr("Session stopped: {bookings} bookings stopped, {notified} WeChat messages queued.")
            .format(bookings=s.bookings_stopped, notified=s.notified), s))
        self._open(dialog)

    def substitute(self) -> None:
        cell = self.current_cell()
        if cell is None or not self.substitute_action.isEnabled():
            return
        db, sid, dep, cfg = self.ctx.db, cell.session_id, self.department_id(), self.ctx.cfg
        call(self.ctx, self, lambda: (templates.get_session(db, sid), masterdata.list_doctors(db, department_id=dep),
                                      templates.notice_count(db, sid), outbox.outbox_state(db, cfg)),
             self._choose_substitute)

    def _choose_substitute(self, found: tuple[Any, list[Any], int, Any]) -> None:
        session, doctors, told, state = found
        dialog = SubstituteDialog(self.ctx, session, doctors, self, told=told,
                                  delivery=delivery_text(state) if told else "")
        dialog.done_ok.connect(lambda s: self._done(
            self.tr("{doctor} now takes the session; {n} WeChat message(s) queued.").format(
                doctor=s.doctor_name, n=s.notified), s))
        self._open(dialog)

    def add_places(self) -> None:
        """加号 (console/rosters/extra_dialog.py): the session and its slots first, then the dialog."""
        cell = self.current_cell()
        if cell is None or not self.extra_action.isEnabled():
            return
        from console.rosters.extra_dialog import offer
        offer(self.ctx, self, cell.session_id, lambda dialog, e: self._done(dialog.summary(e), e))

    def _done(self, text: str, result: Any) -> None:
        """A dialog's change is saved: say so (``text``), tell the other pages, show the week as it is now."""
        if text:
            self.status.setText(text)
        self.ctx.changes.publish(result.changes, self)
        self.refresh()
