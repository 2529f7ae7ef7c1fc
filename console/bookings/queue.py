"""预约审核: the queue of pending requests, oldest first, decided with the keyboard.

Shortcuts (while the table has the focus, so typing in the search box is never taken):
A or Ctrl+Enter approve the selected requests, R reject (with a reason), J/K or Down/Up next
and previous, Space mark/unmark the current row (then A or R act on the marked rows, and only on
them), Esc clear the marks, Ctrl+F or / search, F5 reload. Nothing is chosen for the clerk: an
action with no row selected does nothing but say so.

Each request shows its verdict under the hospital's rules (services.bookings.rules.verdict, column 规则)
before the clerk decides. Approving a request the rules refuse explains why and offers the
override (a reason, audited) only to who holds ``booking.override``; a clerk may reject it with
the rule's own words instead.

A decision is shown as done only when the database said so: the row is greyed while the
call is out, leaves the queue on success, and stays (with a message) when the call failed.
When a colleague decided first, the service raises Conflict: the message bar says so and the
row is refreshed from the database (it leaves the queue), no dialog, no traceback.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.bookings.decisions import split
from console.bookings.newbelow import NewBelowButton
from console.bookings.page import BookingPage
from console.bookings.qdetail import DetailPanel
from console.bookings.queuemodel import FirstRead, QueueModel, is_waiting, queue_scope, read_queue
from console.bookings.reasons import REJECT_REASONS, ReasonDialog
from console.common import settings as S
from console.common.booktable import BookingTable
from console.common.tasks import is_unreachable, user_message
from console.common.widgets import MessageBar, SearchBox, after_paint, open_dialog
from services.bookings import decisions, queries
from services.sync.changes import Changes

log = logging.getLogger(__name__)

__all__ = ["QueueModel", "QueuePage"]


class QueuePage(BookingPage):
    pendingCount = Signal(int)
    newRequests = Signal(int)
    statusMessage = Signal(str)
    firstLoaded = Signal()  # the first read is painted (or failed): what the window deferred may start now

    def __init__(self, ctx, parent: QWidget | None = None, first_read: FirstRead | None = None):
        """``first_read``: the queue's first read, started when the log-in was accepted (console.app), so
        that the rows do not wait for the window to be built; the first ``reload()`` takes it over."""
        super().__init__(parent)
        self.setObjectName("queuePage")
        self.ctx = ctx
        self._first_read = first_read
        self._wants_focus = True  # the list takes the keyboard at start-up (BookingPage.take_keyboard)
        self.dialog: QDialog | None = None  # the dialog open now (widgets.open_dialog)
        self.model = QueueModel(self)
        self.loaded = False
        self._first_done = False
        self._loading = False
        self._reload_again = False
        can_decide = ctx.can("booking.decide")

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 8)
        bar = QHBoxLayout()
        title = QLabel(self.tr("Requests to review"), self)
        title.setObjectName("pageTitle")
        bar.addWidget(title)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        self.search_box = SearchBox(self)
        self.search_box.setPlaceholderText(self.tr("Search name, phone, doctor… (Ctrl+F)"))
        self.search_box.setMinimumWidth(240)
        bar.addWidget(self.search_box)
        # the waitlist (候补) apart from the requests that need a decision
        self.view_box = QComboBox(self)
        self.view_box.setObjectName("queueView")
        for key, text in (("all", self.tr("All requests")), ("decide", self.tr("To decide")),
                          ("waiting", self.tr("Waitlist"))):
            self.view_box.addItem(text, key)
        self.view_box.setToolTip(self.tr("Requests on the waitlist wait for a freed place; the job service "
                                         "confirms them in turn"))
        self.view_box.currentIndexChanged.connect(self._view_changed)
        bar.addWidget(self.view_box)
        self.approve_button = QPushButton(self.tr("Approve (A)"), self)
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setProperty("role", "primary")
        self.approve_button.setToolTip(self.tr("Approve the selected requests (A or Ctrl+Enter)"))
        self.reject_button = QPushButton(self.tr("Reject… (R)"), self)
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.setProperty("role", "danger")
        self.reject_button.setToolTip(self.tr("Reject the selected requests with a reason (R)"))
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setToolTip(self.tr("Reload the queue from the database (F5)"))
        for b in (self.approve_button, self.reject_button):
            b.setVisible(can_decide)
            bar.addWidget(b)
        bar.addWidget(self.refresh_button)
        outer.addLayout(bar)
        self.messages = MessageBar(self)
        outer.addWidget(self.messages)

        self.table = BookingTable(self.model, self, sort_column=0)
        # new requests arrive at the bottom: when they are out of sight, this says so (and takes the clerk there)
        self.new_below = NewBelowButton(self.table, self)
        self.detail = DetailPanel(ctx, self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([950, 240])
        outer.addWidget(self.splitter, 1)
        outer.addWidget(self.new_below, 0, Qt.AlignmentFlag.AlignLeft)
        self.empty_label = QLabel(self.tr("No requests waiting. New ones appear here by themselves."), self)
        self.empty_label.setObjectName("emptyLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.empty_label)

        self.approve_button.clicked.connect(self.approve_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.refresh_button.clicked.connect(self.reload)
        self.search_box.textChanged.connect(self.table.search)
        self.search_box.leave.connect(self._leave_search)
        self.table.targetsChanged.connect(self._selection_changed)
        for sig in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset, self.model.marksChanged):
            sig.connect(self._count_changed)
        self.model.rowsArrived.connect(self._arrived)
        ctx.changes.subscribe(self, self.apply_changes)  # what others change (console.common.changes)
        # the clock moves the rules' verdicts (a slot's cut-off passes) and the 申请时间 waits: read the
        # queue again every minute (applied in place, the selection kept) and repaint
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(60_000)
        self._clock_timer.timeout.connect(self._minute_passed)
        self._clock_timer.start()
        self._shortcuts(can_decide)
        self._restore()
        self._selection_changed()
        self._count_changed()

    # ---------------------------------------------------------------- set-up

    def _shortcuts(self, can_decide: bool) -> None:
        if can_decide:
            self.shortcut("A", self.approve_selected, on_table=True)
            self.shortcut("R", self.reject_selected, on_table=True)
            self.shortcut("Ctrl+Return|Ctrl+Enter", self.approve_selected, on_table=False)
        self.common_shortcuts()

    def _restore(self) -> None:
        st = self.ctx.settings
        if st is None:
            return
        self.table.restore_layout(st[S.QUEUE_HEADER], st[S.QUEUE_HEADER_COLUMNS])
        split = st[S.QUEUE_SPLITTER]
        if not split.isEmpty():
            self.splitter.restoreState(split)
        text = st[S.QUEUE_SEARCH]
        if text:
            self.search_box.setText(text)
            self.table.search(text, now=True)

    def save_state(self) -> None:
        st = self.ctx.settings
        if st is None:
            return
        st[S.QUEUE_HEADER] = self.table.header_state()
        st[S.QUEUE_HEADER_COLUMNS] = self.table.layout_keys()
        st[S.QUEUE_SPLITTER] = self.splitter.saveState()
        st[S.QUEUE_SEARCH] = self.search_box.text()

    def _count_changed(self, *_args) -> None:
        n = self.model.rowCount()
        on_list = sum(1 for r in self.model.rows if is_waiting(r))  # 候补: no decision of the clerk's
        decide = n - on_list
        text = self.tr("%n waiting", "", decide) if decide else ""
        if on_list:
            text += (" · " if text else "") + self.tr("%n on the waitlist", "", on_list)
        marked = len(self.model.marked)
        if marked:
            text += " · " + self.tr("%n marked", "", marked)
            hidden = self.table.hidden_marks()
            if hidden:
                text += " " + self.tr("(%n hidden by the search)", "", hidden)
        self.count_label.setText(text)
        self.empty_label.setVisible(self.loaded and n == 0)
        self.pendingCount.emit(decide)

    def _selection_changed(self, *_args) -> None:
        ids = self.table.target_ids()
        busy = bool(ids) and all(i in self.model.busy for i in ids)
        self.approve_button.setEnabled(bool(ids) and not busy)
        self.reject_button.setEnabled(bool(ids) and not busy)
        if self.model.marked:
            self.approve_button.setText(self.tr("Approve %n marked (A)", "", len(ids)))
            self.reject_button.setText(self.tr("Reject %n marked… (R)", "", len(ids)))
        elif len(ids) > 1:
            self.approve_button.setText(self.tr("Approve %n (A)", "", len(ids)))
            self.reject_button.setText(self.tr("Reject… (R)"))
        else:
            self.approve_button.setText(self.tr("Approve (A)"))
            self.reject_button.setText(self.tr("Reject… (R)"))
        self.detail.show_row(self.table.current_row())
        self._count_changed()

    def _minute_passed(self) -> None:
        if self.loaded and self.isVisible():
            self.reload()
        self.table.viewport().update()

    def _view_changed(self, *_args) -> None:
        self.model.view = self.view_box.currentData()
        self.loaded = False  # a new query: set_rows with the view's rows
        self.reload()

    def _arrived(self, ids: list[int]) -> None:
        if self.loaded:
            self.newRequests.emit(len(ids))
            self.new_below.arrived(ids)

    # ---------------------------------------------------------------- loading and live changes

    def _scope(self) -> list[int] | None:
        return queue_scope(self.ctx.actor)

    def reload(self) -> None:
        """The whole queue again: a new query the first time, then applied in place (no reset)."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        db, scope = self.ctx.db, self._scope()
        ticket = self.model.ticket()
        first, self._first_read = self._first_read, None
        if first is not None and self.model.view == "all":
            first(lambda res, err: self._loaded(ticket, res, err), self, self.table.viewport())
            return
        self.ctx.tasks.run_task(lambda: read_queue(db, scope), lambda res, err: self._loaded(ticket, res, err),
                                owner=self)

    def _loaded(self, ticket: int, result, error) -> None:
        self._loading = False
        first = not self._first_done
        self._first_done = True
        if error is not None:
            if not is_unreachable(error):
                self.messages.show_message(user_message(error), "error")
        else:
            rows, keys = result
            if not self.loaded:
                self.model.set_rows(rows, keys, checked=self.model.view == "all")
                self.loaded = True
                self._count_changed()
                if self._wants_focus:  # the first rows are in: J/K, Space and A work on them at once
                    self._wants_focus = False
                    self.take_keyboard(current_row=True)
            else:
                self.model.sync(rows, since=ticket)
        if first:  # once its rows are on the screen
            after_paint(self.table.viewport(), self.firstLoaded.emit)
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._wants_focus:  # shown at start-up: keys go to the list while its rows load, not the navigation
            self.take_keyboard()

    def apply_changes(self, changes: Changes) -> None:
        """What changed (services.sync.changes.Changes): refresh just the rows it touches; a full look
        again when nobody can tell."""
        if changes.everything:
            self.reload()
        else:
            self.refresh_ids(changes.touched_bookings(self.model.rows))

    def refresh_ids(self, ids) -> None:
        ids = set(ids)
        if not ids or not self.loaded:
            return
        db = self.ctx.db
        ticket = self.model.ticket()
        self.ctx.tasks.run_task(lambda: queries.queue_rows(db, ids),
                                lambda res, err: self._refreshed(ticket, ids, res, err), owner=self)

    def _refreshed(self, ticket: int, ids: set[int], rows, error) -> None:
        if error is not None:
            if not is_unreachable(error):
                self.messages.show_message(user_message(error), "error")
            return
        scope = self._scope()
        if scope:
            rows = [r for r in rows if r.department_id in scope]
        found = {r.booking_id for r in rows}
        self.model.apply(rows, gone_ids=[i for i in ids if i not in found], since=ticket)

    # ---------------------------------------------------------------- decisions

    def _targets(self) -> list[int]:
        ids = [i for i in self.table.target_ids() if i not in self.model.busy]
        if not ids:
            self.messages.show_message(self.tr("Nothing is selected: choose a request first (J/K or the arrows; "
                                               "Space marks several)."), "warning", seconds=6)
        return ids

    def _rows(self, ids: list[int]) -> list:
        return [self.model.row_at(self.model.index_of(i)) for i in ids]

    def confirm(self, text: str) -> bool:
        """A yes/no question (tests patch QMessageBox.question)."""
        answer = QMessageBox.question(self, self.tr("Please confirm"), text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def _to_decide(self) -> tuple[list[int], list]:
        """The chosen requests' ids and rows, when this clerk may decide (else nothing)."""
        ids = self._targets() if self.ctx.can("booking.decide") else []
        return ids, (self._rows(ids) if ids else [])

    def approve_selected(self) -> None:
        ids, rows = self._to_decide()
        if not ids:
            return
        blocked = [r for r in rows if r.rule]
        allowed = [r.booking_id for r in rows if not r.rule]
        db, actor = self.ctx.db, self.ctx.actor
        if len(rows) == 1 and blocked:
            self._offer_override(blocked[0])
            return
        if len(ids) > 1:
            text = self.tr("Approve %n request(s)? Each patient is notified.", "", len(allowed)) + "\n" + \
                "\n".join(f"#{r.booking_id} {r.patient_name} · {r.department_name} {r.doctor_name}"
                          for r in rows if not r.rule)
            if blocked:
                text += "\n\n" + self.tr("Not approved, the rules refuse them:") + "\n" + "\n".join(
                    f"#{r.booking_id} {r.patient_name}: {r.rule_reason}" for r in blocked)
            if not allowed or not self.confirm(text):
                if not allowed:
                    self.messages.show_message(" ".join(f"#{r.booking_id} {r.patient_name}: {r.rule_reason}"
                                                        for r in blocked), "warning", seconds=0)
                return
        self.model.set_marked(ids, False)
        self._decide(allowed, lambda ids: decisions.approve_many(db, actor, ids), "approve")
        if blocked:
            self.messages.show_message(self.tr("Not approved, the rules refuse them:") + " " + " ".join(
                f"#{r.booking_id} {r.patient_name}: {r.rule_reason}" for r in blocked), "warning", seconds=0)

    def _offer_override(self, row) -> None:
        """A request the rules refuse: say why; a head or admin may approve it anyway, with a reason."""
        from console.bookings.ruledialog import RuleDialog
        can = self.ctx.can("booking.override", row.department_id)
        dialog = RuleDialog(row, can, self)
        db, actor = self.ctx.db, self.ctx.actor
        dialog.overrideChosen.connect(lambda reason: self._decide(
            [row.booking_id], lambda ids: decisions.each(ids, lambda i: decisions.approve(db, actor, i, override=reason)),
            "approve"))
        dialog.rejectChosen.connect(lambda: self._decide(
            [row.booking_id], lambda ids: decisions.each(ids, lambda i: decisions.reject(db, actor, i, row.rule_reason)),
            "reject"))
        open_dialog(self, dialog)

    def reject_selected(self) -> None:
        ids, rows = self._to_decide()
        if not ids:
            return
        who = "\n".join(f"#{r.booking_id} {r.patient_name} · {r.department_name} {r.doctor_name} "
                        f"{r.day:%m-%d} {r.starts_at:%H:%M}" for r in rows[:8])
        if len(rows) > 8:
            who += "\n" + self.tr("… and %n more", "", len(rows) - 8)
        dialog = ReasonDialog(self.tr("Reject requests"),
                              self.tr("Reject %n request(s):", "", len(ids)) + "\n" + who + "\n\n"
                              + self.tr("Choose the reason the patient will read:"),
                              REJECT_REASONS, self.tr("Reject %n request(s)", "", len(ids)), self,
                              back_text=self.tr("Back"))
        db, actor = self.ctx.db, self.ctx.actor
        dialog.reasonChosen.connect(lambda reason: (self.model.set_marked(ids, False), self._decide(
            ids, lambda ids: decisions.each(ids, lambda i: decisions.reject(db, actor, i, reason)), "reject")))
        open_dialog(self, dialog)

    def _decide(self, ids: list[int], decide: Callable[[list[int]], list[tuple[int, object]]], verb: str) -> None:
        """``decide(ids)`` in a worker (services.bookings.decisions.each or approve_many: one transaction a booking)."""
        ids = [i for i in ids if i not in self.model.busy]
        if not ids:
            return
        self.model.set_busy(ids, True)
        self._selection_changed()
        # the next row is selected now, so the clerk can go on while the database works
        self.table.select_after(ids, self.model.busy)
        self.ctx.tasks.run_task(lambda: decide(ids), lambda res, err: self._decided(ids, verb, res, err),
                                owner=self)

    def _decided(self, ids: list[int], verb: str, results, error) -> None:
        done: list[tuple[int, object]] = []
        if error is not None:
            done = list(getattr(error, "done", []))
        else:
            done = list(results)
        self.model.set_busy(ids, False)
        ok, refused = split(done)
        full = [i for i, r in done if not isinstance(r, str) and getattr(r, "status", "") == "full"]
        self.model.remove_ids(ok)  # the database said yes: they are no longer pending
        notes = []
        if ok:
            if verb == "approve":
                notes.append(self.tr("Approved %n request(s).", "", len(ok) - len(full)) if len(ok) > len(full) else "")
                if full:
                    notes.append(self.tr("%n had no place left and were marked full.", "", len(full)))
            else:
                notes.append(self.tr("Rejected %n request(s).", "", len(ok)))
        for i, msg in refused:
            notes.append(f"#{i}: {msg}")
        kind = "warning" if refused or full else "info"
        if error is not None:
            left = len(ids) - len(done)
            notes.append(self.tr("Not saved: %n request(s) — the database could not be reached. "
                                 "They stay in the queue; try again when the connection is back.", "", left)
                         if is_unreachable(error) else user_message(error))
            kind = "error"
        text = " ".join(n for n in notes if n)
        if text:
            self.messages.show_message(text, kind, seconds=0 if kind == "error" else 10)
            self.statusMessage.emit(text)
        # what the database did, told to every page at once; here, the neighbours in the same slots and
        # the refused rows (decided by a colleague, a stopped clinic...) come back fresh from the database
        made = Changes.merged(r.changes for _i, r in done if not isinstance(r, str))
        self.ctx.changes.publish(made, self)
        asked = set(ids)
        stale = Changes(bookings={i for i, _ in refused}, slots={r.slot_id for r in self.model.rows if r.booking_id in asked})
        self.refresh_ids((made | stale).touched_bookings(self.model.rows) - set(ok))
        self._selection_changed()
