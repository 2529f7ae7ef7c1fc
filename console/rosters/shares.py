"""The kept shares of each slot (号源池: 现场号 for the desk, 转诊号 for referrals, 复诊号 for follow-ups) as the
console edits them (services.rosters.shares.set_shares, as `regdesk rules share` does): a department's in the
administration page's 号源池 tab (``ShareDialog``), a session's own, overriding its department's, in the session
dialog (``ShareFields`` there too).

Each share's field is a check box (keep a share / this session's own) and a percentage; the service checks the
numbers (0-100 each, at most 100 together) and its refusal is shown under the fields, nothing changed."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from console.common.pagekit import TaskDialog
from services.rosters import shares


def share_text(pct: int | None) -> str:
    """'30%', or 'none kept'."""
    return f"{pct}%" if pct else QCoreApplication.translate("ShareField", "None kept")


def kind_names() -> dict[str, str]:
    """kind -> its name on screen (services.rosters.shares.KINDS)."""
    return {"desk": QCoreApplication.translate("ShareField", "Desk (现场号)"),
            "referral": QCoreApplication.translate("ShareField", "Referrals (转诊号)"),
            "followup": QCoreApplication.translate("ShareField", "Follow-ups (复诊号)")}


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


class ShareFields(QWidget):
    """The three kept shares, one ShareField a row under its name: ``fields`` kind -> ShareField. ``add_to`` puts
    it in a form with the service's refusals by it: a number out of range under its own row ('pct:<kind>'),
    the total over 100 % under all three ('pct')."""

    def __init__(self, check_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shareFields")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(1, 1)
        self.fields: dict[str, ShareField] = {}
        for row, (kind, name) in enumerate(kind_names().items()):
            field = ShareField(check_text, self)
            field.setObjectName(f"share_{kind}")
            self.grid.addWidget(QLabel(name, self), 2 * row, 0)
            self.grid.addWidget(field, 2 * row, 1)
            self.fields[kind] = field

    def add_to(self, errors) -> QVBoxLayout:
        """The fields with their error lines (see the class); put the returned layout in the form."""
        inputs = [w for f in self.fields.values() for w in (f.pct, f.check)]
        for row, (kind, field) in enumerate(self.fields.items()):
            self.grid.addWidget(errors.add_line(f"pct:{kind}", field.pct, field.check), 2 * row + 1, 1)
            errors.cleared_by(f"pct:{kind}", *inputs)
        return errors.field("pct", self, self, *inputs)

    def set_values(self, pcts: dict[str, int | None], notes: dict[str, str] | None = None) -> None:
        for kind, field in self.fields.items():
            field.set_value(pcts.get(kind), (notes or {}).get(kind, ""))

    def values(self) -> dict[str, int | None]:
        return {kind: field.value() for kind, field in self.fields.items()}


class ShareDialog(TaskDialog):
    """A department's kept shares (admins)."""

    def __init__(self, ctx, department: Any, parent: QWidget | None = None):
        super().__init__(ctx, parent, name="shareDialog")
        self.department = department
        self.setWindowTitle(self.tr("Kept shares of {name}").format(name=department.name))
        explain = QLabel(self.tr("The share of each slot's places kept for walk-ins at the desk (现场号), for "
                                 "referrals (转诊/医联体) and for follow-ups (复诊); together at most 100 %. Online "
                                 "requests take only the rest until each share's cut-off in the booking rules; a "
                                 "session may keep its own shares (the session dialog)."), self)
        explain.setWordWrap(True)
        self.fields = ShareFields(self.tr("Keep"), self)
        self.fields.set_values(department.pcts)
        self.form_area.addWidget(explain)
        self.form_area.addLayout(self.fields.add_to(self.errors))
        self.resize(520, self.sizeHint().height())

    def prepare(self):
        db, actor, dep = self.ctx.db, self.ctx.actor, self.department.id
        changed = {k: v for k, v in self.fields.values().items() if v != self.department.pcts[k]}
        return lambda: shares.set_shares(db, actor, changed, department_id=dep)
