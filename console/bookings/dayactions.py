"""The day list's actions on patients: check in (C), no-show (N), undo either, cancel for the patient.

A mixin of DayListPage (which provides the table, model, messages, context and ``day()``), kept
apart so each file has one job. The rules a desk needs:

- an action takes the rows the clerk sees chosen (BookingTable.target_ids: marked, else selected);
- check-in only on the clinic's own day (the services refuse it on any other day too); on another
  day the button is off and a note beside it says why;
- N asks first, naming the patients, and says that a no-show counts toward the blacklist
  (Enter marks, Esc goes back);
- after C or N an undo bar names the patients with a 撤销 button (Ctrl+Z): a mis-keyed C or N is one
  key away from undone, the same day; later a head or an admin undoes it, with a reason
  (services.bookings.attendance);
- 加号 adds places to the chosen row's slot, in the roster grid's dialog (console.rosters.extra_dialog), for
  whoever may (services.rosters.extra_places.right, read once: the button is hidden from the others).
"""
from __future__ import annotations

import datetime as dt
import logging

import shiboken6
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from console.bookings.decisions import split
from console.bookings.reasons import CANCEL_REASONS, ReasonDialog
from console.common import labels as L
from console.common.tasks import is_unreachable, user_message
from console.common.widgets import Bar, open_dialog
from services.bookings import attendance, decisions
from services.clock import hospital_today, local_now
from services.rosters import extra_places
from services.sync.changes import Changes

log = logging.getLogger(__name__)

UNDO_SECONDS = 60  # how long the undo bar stays (the 撤销… button undoes later, and a head after that day)
UNDO_REASONS = ("患者当天已到诊，误标爽约", "误点签到，患者未到", "患者迟到后已就诊")


class UndoBar(Bar):
    """“已签到：张三 #123 [撤销签到 (Ctrl+Z)]”: the last check-ins or no-shows, one button from undone."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("undoBar", "undoText", (10, 2, 4, 2), parent)
        self.button = QPushButton(self)
        self.button.setObjectName("undoButton")
        self.button.setAutoDefault(False)
        self.row.addWidget(self.button)
        self.ids: list[int] = []
        self.status = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def offer(self, text: str, button: str, ids: list[int], status: str) -> None:
        self.ids, self.status = list(ids), status
        self.label.setText(text)
        self.button.setText(button)
        self.button.setEnabled(True)
        self.show()
        self._timer.start(UNDO_SECONDS * 1000)


def patients_text(rows, limit: int = 6) -> str:
    """'张三 #12 08:00 王医生、李四 #13 …' naming who an action is about."""
    parts = [f"{r.patient_name} #{r.booking_id} {L.fmt_time(r.starts_at)} {r.doctor_name}" for r in rows[:limit]]
    more = f" …(+{len(rows) - limit})" if len(rows) > limit else ""
    return "、".join(parts) + more


class DayActions:
    """Mixed into DayListPage."""

    def is_today(self) -> bool:
        return self.day() == hospital_today()

    def _rows_of(self, ids) -> list:
        return [self.model.row_at(i) for i in (self.model.index_of(b) for b in ids) if i >= 0]

    def _selection_changed(self, *_args) -> None:
        rows = self._rows_of(self.table.target_ids())
        free = [r for r in rows if r.booking_id not in self.model.busy]
        today = self.is_today()
        self.checkin_button.setEnabled(today and any(r.status == "confirmed" for r in free))
        self.noshow_button.setEnabled(any(r.status == "confirmed" for r in free))
        self.cancel_button.setEnabled(any(r.status in ("pending", "confirmed") for r in free))
        undoable = [r for r in free if r.status in ("checked_in", "no_show")]
        self.undo_button.setEnabled(bool(undoable) and (today or self.ctx.can("booking.correct")))
        self.day_note.setVisible(not today and self.ctx.can("booking.checkin"))
        self._extra_possible(rows)

    def _targets(self, statuses: tuple[str, ...]) -> list[int]:
        ids = self.table.target_ids()
        if not ids:
            self.messages.show_message(QCoreApplication.translate("DayActions", "Nothing is selected: choose a patient first (J/K or the arrows)."),
                                       "warning", seconds=6)
        out = [r.booking_id for r in self._rows_of(ids) if r.status in statuses and r.booking_id not in self.model.busy]
        if ids and not out:
            self.messages.show_message(QCoreApplication.translate("DayActions", "The chosen booking(s) cannot take this action: see their status."),
                                       "warning", seconds=6)
        return out

    # ---------------------------------------------------------------- check in, no-show

    def check_in_selected(self) -> None:
        if not self.is_today():
            self.messages.show_message(self.day_note_text(), "warning", seconds=8)
            return
        ids = self._targets(("confirmed",))
        db, actor = self.ctx.db, self.ctx.actor
        names = patients_text(self._rows_of(ids))
        self._run(ids, lambda i: decisions.check_in(db, actor, i), QCoreApplication.translate("DayActions", "Checked in %n patient(s)."),
                  undo=(QCoreApplication.translate("DayActions", "Checked in: %1").replace("%1", names), QCoreApplication.translate("DayActions", "Undo check-in (Ctrl+Z)"),
                        "checked_in"))

    def no_show_selected(self) -> None:
        ids = self._targets(("confirmed",))
        if not ids:
            return
        rows = self._rows_of(ids)
        box = QMessageBox(QMessageBox.Icon.Question, QCoreApplication.translate("DayActions", "Mark as no-show"),
                          QCoreApplication.translate("DayActions", "Mark %n patient(s) as not come?", "", len(ids)) + "\n" + patients_text(rows)
                          + "\n\n" + QCoreApplication.translate("DayActions", "A no-show counts toward the patient's no-show limit (online "
                                             "booking is suspended when it is reached). It can be undone today."),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("noShowBox")
        mark = box.addButton(QCoreApplication.translate("DayActions", "Mark no-show"), QMessageBox.ButtonRole.AcceptRole)
        mark.setObjectName("noShowYes")
        back = box.addButton(QCoreApplication.translate("DayActions", "Back"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(mark)
        box.setEscapeButton(back)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        db, actor = self.ctx.db, self.ctx.actor

        def answered() -> None:
            if box.clickedButton() is mark:
                self._run(ids, lambda i: decisions.mark_no_show(db, actor, i),
                          QCoreApplication.translate("DayActions", "Marked %n booking(s) as no-show."),
                          undo=(QCoreApplication.translate("DayActions", "No-show: %1").replace("%1", patients_text(rows)),
                                QCoreApplication.translate("DayActions", "Undo no-show (Ctrl+Z)"), "no_show"))
        box.finished.connect(lambda _r: answered())
        open_dialog(self, box)

    # ---------------------------------------------------------------- undo

    def undo_last(self) -> None:
        """Ctrl+Z / the undo bar's button: undo exactly the check-ins or no-shows the bar names."""
        bar = self.undo_bar
        if not bar.isVisible() or not bar.ids:
            return
        ids, status = bar.ids, bar.status
        bar.hide()
        self._undo(ids, status, None)

    def undo_selected(self) -> None:
        """撤销签到/爽约… on the chosen rows: at once on the clinic's day, with a reason (a head's) later."""
        ids = self._targets(("checked_in", "no_show"))
        if not ids:
            return
        rows = self._rows_of(ids)
        if self.is_today():
            for status in ("checked_in", "no_show"):
                group = [r.booking_id for r in rows if r.status == status]
                if group:
                    self._undo(group, status, None)
            return
        dialog = ReasonDialog(QCoreApplication.translate("DayActions", "Undo check-in or no-show"),
                              QCoreApplication.translate("DayActions", "Correct %n booking(s) of a past day:", "", len(ids)) + "\n"
                              + patients_text(rows) + "\n\n" + QCoreApplication.translate("DayActions", "The reason is recorded:"),
                              UNDO_REASONS, QCoreApplication.translate("DayActions", "Undo"), self, back_text=QCoreApplication.translate("DayActions", "Back"))
        dialog.reasonChosen.connect(lambda reason: [
            self._undo([r.booking_id for r in rows if r.status == s], s, reason)
            for s in ("checked_in", "no_show") if any(r.status == s for r in rows)])
        open_dialog(self, dialog)

    def _undo(self, ids: list[int], status: str, reason: str | None) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        undo = attendance.undo_check_in if status == "checked_in" else attendance.undo_no_show
        done = QCoreApplication.translate("DayActions", "Check-in undone for %n patient(s).") if status == "checked_in" else \
            QCoreApplication.translate("DayActions", "No-show undone for %n patient(s).")
        self._run(ids, lambda i: undo(db, actor, i, reason), done)

    # ---------------------------------------------------------------- cancel for the patient

    def cancel_selected(self) -> None:
        ids = self._targets(("pending", "confirmed"))
        if not ids:
            return
        rows = self._rows_of(ids)
        dialog = ReasonDialog(QCoreApplication.translate("DayActions", "Cancel bookings"),
                              QCoreApplication.translate("DayActions", "Cancel %n booking(s) for the patient:", "", len(ids)) + "\n"
                              + patients_text(rows) + "\n\n" + QCoreApplication.translate("DayActions", "The patient is told the reason:"),
                              CANCEL_REASONS, QCoreApplication.translate("DayActions", "Cancel the booking(s)"), self, back_text=QCoreApplication.translate("DayActions", "Back"))
        db, actor = self.ctx.db, self.ctx.actor
        dialog.reasonChosen.connect(lambda reason: self._run(
            ids, lambda i: decisions.cancel(db, actor, i, reason), QCoreApplication.translate("DayActions", "Cancelled %n booking(s).")))
        open_dialog(self, dialog)

    # ---------------------------------------------------------------- 加号 (extra places)

    extra_right = None  # services.rosters.extra_places.Right, once read
    _extra_asked = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._extra_asked:  # when first shown: a hidden day list reads nothing at start-up
            self._extra_asked = True
            self.read_extra_right()

    def read_extra_right(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.tasks.run_task(lambda: extra_places.right(db, actor), self._extra_right_read, owner=self)

    def _extra_right_read(self, right, error) -> None:
        if error is not None:
            log.warning("who may add places not read: %s", error)  # the button stays hidden
            return
        self.extra_right = right
        self.extra_button.setVisible(right.allows())
        self._selection_changed()

    def _extra_possible(self, rows) -> None:
        """The button on for one slot chosen whose session may still take places; else off, saying why."""
        slots = {r.slot_id for r in rows}
        row = rows[0] if len(slots) == 1 else None
        why = None
        if row is None:
            why = QCoreApplication.translate("DayActions", "Choose a patient of the slot first")
        elif self.extra_right is None or not self.extra_right.allows(row.department_id):
            why = QCoreApplication.translate("DayActions", "Not in the departments you are responsible for")
        elif row.session_status != "published" or local_now() >= dt.datetime.combine(row.day, row.ends_at):
            why = QCoreApplication.translate("DayActions", "This slot's session is stopped or over")
        self.extra_button.setEnabled(why is None)
        self.extra_button.setToolTip(why or QCoreApplication.translate(
            "DayActions", "Add places to the chosen patient's slot, with a reason (加号)"))

    def add_places_selected(self) -> None:
        rows = self._rows_of(self.table.target_ids())
        if not rows or not self.extra_button.isEnabled():
            return
        row = rows[0]
        from console.rosters.extra_dialog import offer

        def done(dialog, result) -> None:
            self.messages.show_message(dialog.summary(result), "info")
            self.ctx.changes.publish(result.changes, self)
            self.refresh_ids({r.booking_id for r in self.model.rows if r.slot_id == result.slot_id},
                             then=self._selection_changed)
        offer(self.ctx, self, row.session_id, done, slot_id=row.slot_id)

    # ---------------------------------------------------------------- running them

    def _run(self, ids: list[int], action, done_text: str, undo: tuple[str, str, str] | None = None) -> None:
        if not ids:
            return
        self.model.set_busy(ids, True)
        self.model.set_marked(ids, False)
        self._selection_changed()
        self.ctx.tasks.run_task(lambda: decisions.each(ids, action),
                                lambda res, err: self._ran(ids, done_text, res, err, undo), owner=self)

    def _ran(self, ids: list[int], done_text: str, results, error, undo=None) -> None:
        if not shiboken6.isValid(self):
            return
        done = list(getattr(error, "done", [])) if error is not None else list(results)
        self.model.set_busy(ids, False)
        ok, refused = split(done)
        # what the database said, shown at once; places left follow with the refresh below
        settled = []
        for i, result in done:
            at = self.model.index_of(i)
            if not isinstance(result, str) and at >= 0:
                settled.append(self.model.row_at(at)._replace(status=result.status, reason=result.reason))
        self.model.settle(settled)
        notes = [done_text.replace("%n", str(len(ok)))] if ok else []
        notes += [f"#{i}: {msg}" for i, msg in refused]
        kind = "warning" if refused else "info"
        if error is not None:
            notes.append(QCoreApplication.translate("DayActions", "Not saved: %n booking(s) — the database could not be reached.", "",
                                 len(ids) - len(done)) if is_unreachable(error) else user_message(error))
            kind = "error"
        if undo is not None and ok and not refused and error is None:
            text, button, status = undo
            self.undo_bar.offer(text, button, ok, status)
            self.statusMessage.emit(" ".join(notes))
        elif notes:
            text = " ".join(notes)
            self.messages.show_message(text, kind, seconds=0 if kind == "error" else 8)
            self.statusMessage.emit(text)
        # what the database did, told to every page at once; here the rows (and their neighbours' places
        # left) as the database has them now
        made = Changes.merged(r.changes for _i, r in done if not isinstance(r, str))
        self.ctx.changes.publish(made, self)
        asked = set(ids)
        mine = Changes(bookings=asked, slots={r.slot_id for r in self.model.rows if r.booking_id in asked})
        self.apply_changes(made | mine, then=self._selection_changed)
