"""加号: add places to a session (its last slot) or to one of its slots, with the reason (services.rosters.extra_places).
Opened from the roster grid and the day list (``offer``); the service checks who may (heads, admins, clerks when the
hospital allows)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from console.common.pagekit import call
from console.common.widgets import open_dialog
from console.rosters.dialogs import OneSessionDialog, fit_height
from console.rosters.grid import hm
from services import limits
from services.rosters import extra_places, templates


class ExtraPlacesDialog(OneSessionDialog):
    def __init__(self, ctx, session: Any, slots: Sequence[Any], parent: QWidget | None = None):
        super().__init__(ctx, session, "extraDialog", parent)
        self.ok_button.setText(self.tr("Add places"))
        self.setWindowTitle(self.tr("Extra places (加号)"))
        self.where = QComboBox(self)
        self.where.setObjectName("extraWhere")
        self.where.addItem(self.tr("The session (its last slot)"), None)
        for s in slots:
            self.where.addItem(self.tr("{start}–{end}: {taken} of {capacity} taken").format(
                start=hm(s.starts_at), end=hm(s.ends_at), taken=s.taken, capacity=s.capacity), s.id)
        self.places = QSpinBox(self)
        self.places.setObjectName("extraPlaces")
        self.places.setRange(limits.PLACES.lo, limits.PLACES.hi)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("extraReason")
        self.reason.setPlaceholderText(self.tr("e.g. the doctor agreed to see more patients"))
        form = QFormLayout()
        form.addRow(self.tr("Where"), self.errors.field("slot_id", self.where))
        form.addRow(self.tr("Places"), self.errors.field("places", self.places))
        form.addRow(self.tr("Reason"), self.errors.field("reason", self.reason))
        self.form_area.addWidget(self.title)
        self.form_area.addLayout(form)
        fit_height(self, 440)

    def prepare(self):
        db, actor, sid = self.ctx.db, self.ctx.actor, self.session.id
        slot, places, reason = self.where.currentData(), self.places.value(), self.reason.text()
        if slot is None:
            return lambda: extra_places.add_places(db, actor, places, reason, session_id=sid)
        return lambda: extra_places.add_places(db, actor, places, reason, slot_id=slot)

    def summary(self, result: Any) -> str:
        """What was done, for the status line of the screen that opened the dialog."""
        return self.tr("{n} place(s) added: the slot now has {capacity}.").format(n=result.added,
                                                                                 capacity=result.capacity)


def offer(ctx, owner: QWidget, session_id: int, done: Callable[[ExtraPlacesDialog, Any], None],
          slot_id: int | None = None) -> None:
    """Read the session and its slots, then open the dialog as ``owner.dialog`` with ``slot_id`` chosen (None: the
    session); ``done(dialog, result)`` once places were added."""
    db = ctx.db

    def opened(found: tuple[Any, list[Any]]) -> None:
        dialog = ExtraPlacesDialog(ctx, *found, parent=owner)
        dialog.where.setCurrentIndex(max(0, dialog.where.findData(slot_id)))
        dialog.done_ok.connect(lambda result: done(dialog, result))
        open_dialog(owner, dialog)
    call(ctx, owner, lambda: (templates.get_session(db, session_id), templates.list_slots(db, session_id)), opened)
