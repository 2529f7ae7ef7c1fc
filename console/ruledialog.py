"""A request the hospital's rules refuse: why, and what may be done about it.

Approving such a request (A on a row whose 规则 column is not 可通过) opens this dialog instead of
approving: it names the patient and quotes the rule's own words (services.bookings.rules.verdict). A holder
of ``booking.override`` (heads, admins) may approve it anyway with a reason, which is audited with
the rule; anyone may reject it with the rule's words as the reason the patient reads. A stopped,
unpublished or finished session is a fact, not a rule: nobody overrides it. Esc or 返回 changes
nothing. No button is the default: Enter neither approves past a rule nor throws a typed reason
away; the override is pressed on purpose (a click, or Tab then Space).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from console import labels as L
from console.widgets import set_role
from services.bookings.rules import OVERRIDABLE

log = logging.getLogger(__name__)


class RuleDialog(QDialog):
    overrideChosen = Signal(str)  # the reason for approving past the rule
    rejectChosen = Signal()

    def __init__(self, row, can_override: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ruleDialog")
        self.setWindowTitle(self.tr("The booking rules refuse this request"))
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        who = (f"#{row.booking_id} {row.patient_name} {L.sex_age(row.gender, row.age)} · {row.department_name} "
               f"{row.doctor_name} · {L.fmt_day(row.day)} {L.fmt_span(row.starts_at, row.ends_at)}")
        head = QLabel(who, self)
        head.setObjectName("ruleWho")
        head.setWordWrap(True)
        lay.addWidget(head)
        why = QLabel(self.tr("Not approved: %1").replace("%1", row.rule_reason or ""), self)
        why.setObjectName("ruleReason")
        why.setWordWrap(True)
        why.setStyleSheet("color: #b3261e; font-weight: bold;")
        lay.addWidget(why)
        overridable = row.rule in OVERRIDABLE
        self.reason = QLineEdit(self)
        self.reason.setObjectName("overrideReason")
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText(self.tr("Why this request is approved anyway (recorded)"))
        if overridable and can_override:
            lay.addWidget(QLabel(self.tr("You may approve it anyway. The reason is recorded with the rule:"), self))
            lay.addWidget(self.reason)
        else:
            self.reason.hide()
            note = (self.tr("Only a department head or an administrator may approve it past this rule.")
                    if overridable else self.tr("Nobody can approve a request for this session."))
            hint = QLabel(note + " " + self.tr("You may reject it; the patient then reads the rule's words."), self)
            hint.setWordWrap(True)
            lay.addWidget(hint)
        self.buttons = QDialogButtonBox(self)
        self.reject_button = QPushButton(self.tr("Reject with this reason"), self)
        self.reject_button.setObjectName("ruleReject")
        set_role(self.reject_button, "danger")
        self.override_button = QPushButton(self.tr("Approve anyway"), self)
        self.override_button.setObjectName("ruleOverride")
        self.back = QPushButton(self.tr("Back"), self)
        self.back.setObjectName("ruleBack")
        for b in (self.reject_button, self.override_button, self.back):
            b.setAutoDefault(False)  # Enter presses nothing here: see the module docstring
        self.buttons.addButton(self.reject_button, QDialogButtonBox.ButtonRole.ActionRole)
        # ActionRole, not AcceptRole: a button box makes its first accept button the default when shown
        self.buttons.addButton(self.override_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.back, QDialogButtonBox.ButtonRole.RejectRole)
        self.override_button.setVisible(overridable and can_override)
        lay.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update)
        self.override_button.clicked.connect(self._override)
        self.reject_button.clicked.connect(self._reject_request)
        self.back.clicked.connect(self.reject)
        self._update()
        (self.reason if self.reason.isVisibleTo(self) else self.back).setFocus()

    def _update(self, *_args) -> None:
        self.override_button.setEnabled(bool(self.reason.text().strip()))

    def _override(self) -> None:
        reason = self.reason.text().strip()
        if reason:
            self.accept()
            self.overrideChosen.emit(reason)

    def _reject_request(self) -> None:
        self.accept()
        self.rejectChosen.emit()
