"""The desk's share of each slot (号源池, 现场号) as the console edits it (services.rosters.shares.set_share, as
`regdesk rules share` does): a department's in the administration page's 现场号 tab (``ShareDialog``), a session's
own, overriding its department's, in the session dialog (``ShareField`` there too).

The field is a check box (keep a share / this session's own) and a percentage; the service checks the number
(0-100) and its refusal is shown under the field, nothing changed."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from console.common.pagekit import TaskDialog
from services.rosters import shares


def share_text(pct: int | None) -> str:
    """'30%', or 'none kept'."""
    return f"{pct}%" if pct else QCoreApplication.translate("ShareField", "None kept")


class ShareField(QWidget):
    """Keep a share or not (a department; for a session: its own, else its department's), and how much."""

    def __init__(self, check_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shareField")
        self.check = QCheckBox(check_text, self)
        self.check.setObjectName("shareOwn")
        self.pct = QSpinBox(self)
        self.pct.setObjectName("sharePct")
        self.pct.setRange(0, 999)  # the service says what is allowed (0-100), by the field
        self.pct.setSuffix(" %")
        self.pct.setMinimumWidth(90)
        self.note = QLabel(self)  # what applies when the box is not ticked
        self.note.setObjectName("shareNote")
        self.note.setStyleSheet("color: #5f6368;")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.check)
        row.addWidget(self.pct)
        row.addWidget(self.note, 1)
        self.check.toggled.connect(self.pct.setEnabled)
        self.pct.setEnabled(False)

    def set_value(self, pct: int | None, inherited: str = "") -> None:
        self.check.setChecked(pct is not None)
        self.pct.setValue(pct or 0)
        self.pct.setEnabled(pct is not None)
        self.note.setText(inherited)

    def value(self) -> int | None:
        return self.pct.value() if self.check.isChecked() else None


class ShareDialog(TaskDialog):
    """A department's desk share (admins)."""

    def __init__(self, ctx, department: Any, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("shareDialog")
        self.department = department
        self.setWindowTitle(self.tr("Desk share of {name}").format(name=department.name))
        explain = QLabel(self.tr("The share of each slot's places kept for walk-ins at the desk (现场号). Online "
                                 "requests take only the rest until the cut-off in the booking rules; a session "
                                 "may keep its own share (the session dialog)."), self)
        explain.setWordWrap(True)
        self.field = ShareField(self.tr("Keep places for the desk"), self)
        self.field.set_value(department.pct)
        self.form_area.addWidget(explain)
        self.form_area.addLayout(self.errors.field("pct", self.field, self.field.pct, self.field.check))
        self.resize(460, self.sizeHint().height())

    def prepare(self):
        db, actor, dep, pct = self.ctx.db, self.ctx.actor, self.department.id, self.field.value()
        return lambda: shares.set_share(db, actor, pct, department_id=dep)
