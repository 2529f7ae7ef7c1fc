"""今日就诊: the bookings of one clinic day, by department and doctor; check-in, no-show, cancel, walk-in.

A day, department or doctor chosen is a new query (the model resets once); everything after
that - the live feed, a walk-in, a colleague's check-in - is applied row by row in place.
Shortcuts while the list has the focus: C or Ctrl+Enter check in (on the clinic's own day only),
N no-show (asks first), Ctrl+Z undo the check-in or no-show just done (or of the chosen rows),
Ctrl+Delete cancel for the patient, Ctrl+N walk-in, Space mark several, Alt+Left/Right
previous/next day, Ctrl+F or / search, F5 reload. The actions live in console.bookings.dayactions.

The 通知 column (the newest WeChat notification of each booking) comes with the rows. The live
feed reports booking changes only, and a sender marking a message sent changes no booking, so
while the page is shown it reads the day's notification states again every NOTIFY_POLL_MS (one
grouped query in the task runner) and signals just the cells that changed.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.bookings.dayactions import DayActions, UndoBar
from console.bookings.daymodel import STATUS_FILTERS, DayListModel
from console.bookings.daypickers import DayPickers
from console.bookings.page import BookingPage
from console.common import labels as L, settings as S
from console.common.booktable import BookingTable
from console.common.tasks import is_unreachable, user_message
from console.common.widgets import MessageBar, SearchBox, calendar_popup, open_dialog
from services.bookings import queries
from services.clock import hospital_today
from services.sync.changes import Changes

log = logging.getLogger(__name__)

NOTIFY_POLL_MS = 12_000  # how stale a 通知 cell may get; the query is one grouped SELECT for the day

__all__ = ["DayListModel", "DayListPage"]


class DayListPage(DayActions, DayPickers, BookingPage):
    statusMessage = Signal(str)
    loadedRows = Signal(int)
    notifyStatesRead = Signal(int)  # a poll of the notification states was applied: how many rows changed

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dayListPage")
        self.ctx = ctx
        self.dialog: QDialog | None = None  # the dialog open now (widgets.open_dialog)
        self.model = DayListModel(self)
        self._loading: tuple | None = None
        self._want: tuple | None = None
        # nothing is read before the page is first shown (or prepare()d): a hidden day list costs nothing at
        # start-up; shown, its big day is read at once (with the saved department, which the picker holds
        # as "…" until the departments are read beside it) and once
        self._departments_asked = False
        self._waiting_first_load = True
        self._departments: list = []
        self._doctors: list = []
        st = ctx.settings

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 8)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        top.addWidget(self.title)
        self.prev_day = QToolButton(self)
        self.prev_day.setText("‹")
        self.prev_day.setToolTip(self.tr("Previous day (Alt+Left)"))
        self.date = QDateEdit(hospital_today(), self)
        self.date.setObjectName("dayDate")
        calendar_popup(self.date)
        self.date.setDisplayFormat("yyyy-MM-dd ddd")
        self.next_day = QToolButton(self)
        self.next_day.setText("›")
        self.next_day.setToolTip(self.tr("Next day (Alt+Right)"))
        self.today_button = QPushButton(self.tr("Today"), self)
        for w in (self.prev_day, self.date, self.next_day, self.today_button):
            top.addWidget(w)
        self.department = QComboBox(self)
        self.department.setObjectName("dayDepartment")
        self.department.setMinimumWidth(110)
        self.doctor = QComboBox(self)
        self.doctor.setObjectName("dayDoctor")
        self.doctor.setMinimumWidth(110)
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("dayStatus")
        for key, (label, _statuses) in STATUS_FILTERS.items():
            self.status_filter.addItem(self.tr(label), key)
        for w in (self.department, self.doctor, self.status_filter):
            top.addWidget(w)
        top.addStretch(1)
        self.search_box = SearchBox(self)
        self.search_box.setPlaceholderText(self.tr("Search name, phone, No.… (Ctrl+F)"))
        self.search_box.setMinimumWidth(230)
        top.addWidget(self.search_box)
        outer.addLayout(top)

        actions = QHBoxLayout()
        self.checkin_button = QPushButton(self.tr("Check in (C)"), self)
        self.checkin_button.setObjectName("checkinButton")
        self.checkin_button.setProperty("role", "primary")
        self.noshow_button = QPushButton(self.tr("No-show (N)"), self)
        self.noshow_button.setObjectName("noshowButton")
        self.cancel_button = QPushButton(self.tr("Cancel booking…"), self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setProperty("role", "danger")
        self.cancel_button.setToolTip(self.tr("Cancel for the patient, with a reason (Ctrl+Delete)"))
        self.undo_button = QPushButton(self.tr("Undo check-in/no-show…"), self)
        self.undo_button.setObjectName("undoAttendanceButton")
        self.undo_button.setToolTip(self.tr("Undo the check-in or no-show of the chosen rows (Ctrl+Z); "
                                            "after the clinic day a department head or an admin, with a reason"))
        self.walkin_button = QPushButton(self.tr("Walk-in… (Ctrl+N)"), self)
        self.walkin_button.setObjectName("walkinButton")
        self.extra_button = QPushButton(self.tr("Extra places (加号)…"), self)
        self.extra_button.setObjectName("extraPlacesButton")
        self.extra_button.hide()  # until who may add places is read (DayActions.read_extra_right)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setToolTip(self.tr("Reload from the database (F5)"))
        can = ctx.can
        self.checkin_button.setVisible(can("booking.checkin"))
        self.noshow_button.setVisible(can("booking.checkin"))
        self.undo_button.setVisible(can("booking.checkin"))
        self.cancel_button.setVisible(can("booking.cancel"))
        self.walkin_button.setVisible(can("booking.walkin"))
        for b in (self.checkin_button, self.noshow_button, self.undo_button, self.cancel_button, self.walkin_button,
                  self.extra_button):
            actions.addWidget(b)
        # why check-in is off: shown, not hidden in a tooltip
        self.day_note = QLabel(self)
        self.day_note.setObjectName("dayNote")
        self.day_note.setStyleSheet("color: #8a5a00;")
        self.day_note.hide()
        actions.addWidget(self.day_note)
        actions.addStretch(1)
        self.summary = QLabel(self)
        self.summary.setObjectName("daySummary")
        actions.addWidget(self.summary)
        actions.addWidget(self.refresh_button)
        outer.addLayout(actions)
        self.messages = MessageBar(self)
        outer.addWidget(self.messages)
        self.undo_bar = UndoBar(self)
        outer.addWidget(self.undo_bar)
        self.table = BookingTable(self.model, self, sort_column=0)
        outer.addWidget(self.table, 1)

        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(150)  # many row changes at once: count once
        self._summary_timer.timeout.connect(self._update_summary)
        for sig in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset, self.model.dataChanged):
            sig.connect(lambda *_: self._summary_timer.start())
        # runs while the page is shown (showEvent/hideEvent), so a hidden page or a closed window asks nothing
        self._notify_timer = QTimer(self)
        self._notify_timer.setInterval(NOTIFY_POLL_MS)
        self._notify_timer.timeout.connect(self.refresh_notify_states)
        self._notify_polling = False

        if st is not None:
            self.table.restore_layout(st[S.DAY_HEADER], st[S.DAY_HEADER_COLUMNS])
            i = self.status_filter.findData(st[S.DAY_STATUS])
            self.status_filter.setCurrentIndex(max(0, i))
            self._wanted_department, self._wanted_doctor = st[S.DAY_DEPARTMENT] or None, st[S.DAY_DOCTOR] or None
        else:
            self.status_filter.setCurrentIndex(1)
            self._wanted_department = self._wanted_doctor = None
        self._apply_status_filter()
        self.department.addItem("…" if self._wanted_department else self.tr("All departments"), self._wanted_department or 0)
        self.doctor.addItem("…" if self._wanted_doctor else self.tr("All doctors"), self._wanted_doctor or 0)

        self.prev_day.clicked.connect(lambda: self.shift_day(-1))
        self.next_day.clicked.connect(lambda: self.shift_day(1))
        self.today_button.clicked.connect(lambda: self.set_day(hospital_today()))
        self.date.dateChanged.connect(lambda _d: self.reload(new_query=True))
        self.date.dateChanged.connect(lambda _d: self._day_shown())
        self.department.activated.connect(self._department_chosen)
        self.doctor.activated.connect(lambda _i: self.reload(new_query=True))
        self.status_filter.currentIndexChanged.connect(lambda _i: self._apply_status_filter())
        self.search_box.textChanged.connect(self.table.search)
        self.search_box.leave.connect(self._leave_search)
        self.checkin_button.clicked.connect(self.check_in_selected)
        self.noshow_button.clicked.connect(self.no_show_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.undo_button.clicked.connect(self.undo_selected)
        self.undo_bar.button.clicked.connect(self.undo_last)
        self.walkin_button.clicked.connect(self.open_walkin)
        self.extra_button.clicked.connect(self.add_places_selected)
        self.refresh_button.clicked.connect(self.reload)
        self.table.targetsChanged.connect(self._selection_changed)
        ctx.changes.subscribe(self, self.apply_changes)  # what others change (console.common.changes)
        self._shortcuts()
        self._day_shown()

    # ---------------------------------------------------------------- set-up

    def _shortcuts(self) -> None:
        if self.ctx.can("booking.checkin"):
            self.shortcut("C", self.check_in_selected, on_table=True)
            self.shortcut("N", self.no_show_selected, on_table=True)
            self.shortcut("Ctrl+Return|Ctrl+Enter", self.check_in_selected, on_table=False)
            self.shortcut("Ctrl+Z", self._undo_key, on_table=False)
        if self.ctx.can("booking.cancel"):
            self.shortcut("Ctrl+Delete", self.cancel_selected, on_table=False)
        if self.ctx.can("booking.walkin"):
            self.shortcut("Ctrl+N", self.open_walkin, on_table=False)
        self.common_shortcuts()
        self.shortcut("Alt+Left", lambda: self.shift_day(-1), on_table=False)
        self.shortcut("Alt+Right", lambda: self.shift_day(1), on_table=False)

    def save_state(self) -> None:
        st = self.ctx.settings
        if st is None:
            return
        st[S.DAY_HEADER] = self.table.header_state()
        st[S.DAY_HEADER_COLUMNS] = self.table.layout_keys()
        st[S.DAY_DEPARTMENT] = self.department.currentData() or 0
        st[S.DAY_DOCTOR] = self.doctor.currentData() or 0
        st[S.DAY_STATUS] = self.status_filter.currentData()

    def _undo_key(self) -> None:
        """Ctrl+Z: the check-ins or no-shows the undo bar names, else those of the chosen rows."""
        if self.undo_bar.isVisible():
            self.undo_last()
        else:
            self.undo_selected()

    def _day_shown(self) -> None:
        """The heading says the day shown (今日就诊 only for today); off today, why check-in is off."""
        day = self.day()
        if day == hospital_today():
            self.title.setText(self.tr("Today's patients"))
        else:
            self.title.setText(self.tr("Patients of %1").replace("%1", f"{day:%m-%d} {L.weekday(day)}"))
        self.day_note.setText(self.tr("Check-in: on the clinic's day only"))
        self.day_note.setToolTip(self.day_note_text())
        self.checkin_button.setToolTip(self.tr("Check in the chosen patients (C or Ctrl+Enter); "
                                               "only on the clinic's own day"))
        self.undo_bar.hide()
        self._selection_changed()

    def day_note_text(self) -> str:
        return self.tr("Check-in only on the clinic's own day: this is the list of %1.").replace(
            "%1", f"{self.day():%Y-%m-%d}")

    def shift_day(self, days: int) -> None:
        self.date.setDate(self.date.date().addDays(days))

    def day(self) -> dt.date:
        return self.date.date().toPython()

    def set_day(self, day: dt.date) -> None:
        self.date.setDate(QDate(day.year, day.month, day.day))

    def query(self) -> tuple[dt.date, int | None, int | None]:
        return self.day(), self.department.currentData() or None, self.doctor.currentData() or None

    def _apply_status_filter(self) -> None:
        statuses = STATUS_FILTERS.get(self.status_filter.currentData(), ("", None))[1]
        self.table.proxy.set_predicate(None if statuses is None else (lambda r, s=frozenset(statuses): r.status in s))

    # ---------------------------------------------------------------- loading

    def reload(self, new_query: bool = False) -> None:
        """Load the chosen day. The same query again is applied in place (no reset). Nothing before the
        page was first shown (then it loads once)."""
        if self._waiting_first_load:
            if not self.isVisible():
                return
            self._waiting_first_load = False
            new_query = True
        q = self.query()
        if self._loading is not None:
            self._want = q  # one load at a time; the newest wish wins
            return
        self._loading = q
        day, dep, doc = q
        db = self.ctx.db
        fresh = new_query or q != self.model.query
        ticket = self.model.ticket()

        # the rows only: their search strings are made when the clerk first searches (RowTableModel.keys)
        self.ctx.tasks.run_task(lambda: queries.day_list(db, day, department_id=dep, doctor_id=doc),
                                lambda res, err: self._loaded(q, fresh, ticket, res, err), owner=self,
                                shown_in=self.table.viewport())

    def _loaded(self, q, fresh: bool, ticket: int, result, error) -> None:
        self._loading = None
        want, self._want = self._want, None
        if error is not None:
            if not is_unreachable(error):
                self.messages.show_message(user_message(error), "error")
        elif q == self.query():
            if fresh or q != self.model.query:
                self.model.query = q
                self.model.loaded_at = ticket
                self.model.set_rows(result, checked=True)
            else:
                self.model.sync(result, since=ticket)
            self.loadedRows.emit(self.model.rowCount())
        if want is not None or q != self.query():
            self.reload()

    def apply_changes(self, changes: Changes, then=None) -> None:
        """What changed (console.common.changes): the changed bookings (new here, maybe) and their neighbours
        in the same slots and sessions looked up again, for places left and doctors; all when nobody can tell."""
        if changes.everything:
            return self.reload()
        self.refresh_ids(changes.touched_bookings(self.model.rows), then=then)

    def refresh_ids(self, ids, then=None) -> None:
        """Look these bookings up again and apply them in place; ``then()`` afterwards (also on failure)."""
        ids = set(ids)
        if not ids or self.model.query is None:
            if then is not None:
                then()
            return
        db = self.ctx.db
        ticket = self.model.ticket()

        def done(rows, error):
            if error is not None:
                if not is_unreachable(error):
                    self.messages.show_message(user_message(error), "error")
                if then is not None:
                    then()
                return
            found = {r.booking_id for r in rows}
            self.model.apply(rows, gone_ids=[i for i in ids if i not in found], since=ticket)
            if then is not None:
                then()
        self.ctx.tasks.run_task(lambda: queries.booking_rows(db, ids), done, owner=self)

    # ---------------------------------------------------------------- notification states

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._waiting_first_load:
            self.reload()
        self.prepare()
        if not self._notify_timer.isActive():
            self._notify_timer.start()
            self.refresh_notify_states()  # they may have moved on while another page was shown

    def hideEvent(self, event) -> None:
        self._notify_timer.stop()
        super().hideEvent(event)

    def refresh_notify_states(self) -> None:
        """Read the notification states of the day shown and update the cells that changed."""
        q = self.model.query
        if q is None or self._loading is not None or self._notify_polling:
            return  # a load brings the states with it; one poll at a time
        self._notify_polling = True
        day, dep, doc = q
        db = self.ctx.db
        ticket = self.model.ticket()

        def done(states, error) -> None:
            self._notify_polling = False
            if error is not None:
                if not is_unreachable(error):  # the banner tells about the connection; this is a side show
                    log.warning("notification states not read: %s", error)
                return
            if q == self.model.query:
                self.notifyStatesRead.emit(self.model.set_notify_states(states, ticket))
        self.ctx.tasks.run_task(lambda: queries.notification_states(db, day, department_id=dep, doctor_id=doc),
                                done, owner=self)

    def _update_summary(self) -> None:
        counts: dict[str, int] = {}
        for r in self.model.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        active = sum(counts.get(s, 0) for s in ("confirmed", "checked_in", "no_show"))
        text = self.tr("%1 booked · %2 checked in · %3 to come · %4 no-show · %5 pending")
        for n, value in enumerate((active, counts.get("checked_in", 0), counts.get("confirmed", 0),
                                   counts.get("no_show", 0), counts.get("pending", 0)), 1):
            text = text.replace(f"%{n}", str(value))
        self.summary.setText(text)

    # ---------------------------------------------------------------- walk-in (the other actions: console.bookings.dayactions)

    def open_walkin(self) -> None:
        if not self.ctx.can("booking.walkin"):
            return
        from console.bookings.walkin import WalkInDialog
        dialog = WalkInDialog(self.ctx, self.day(), self.department.currentData() or None, self)
        dialog.booked.connect(self._walked_in)
        open_dialog(self, dialog)

    def _walked_in(self, result) -> None:
        self.messages.show_message(self.tr("Walk-in booked: No. %1.").replace("%1", str(result.id)), "info")
        self.ctx.changes.publish(result.changes, self)
        self.apply_changes(result.changes, then=lambda: self.table.select_id(result.id))
