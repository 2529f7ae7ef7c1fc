"""The reason dialog for rejecting a request or cancelling a booking: a pick-list plus free text.

The reasons are what the patient reads in WeChat, so the pick-list is in Chinese whatever
language the console speaks (it is data, not interface text). The dialog is opened with
``open()`` and reports through ``reasonChosen``; it never blocks the event loop.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.widgets import set_role

log = logging.getLogger(__name__)

MAX_REASON = 200  # services.bookings.decisions.MAX_REASON

REJECT_REASONS = (
    "该时段号源已约满，请改约其他时段",
    "医生临时停诊，请改约其他医生",
    "预约信息不完整或有误，请核实后重新预约",
    "同一天已有该科室的预约，请勿重复预约",
    "近期爽约次数较多，请到窗口现场挂号",
    "该科室不接诊此类病情，请预约相应科室",
)
CANCEL_REASONS = (
    "患者来电要求取消",
    "患者到窗口要求取消",
    "患者改约其他时段",
    "医生停诊，已电话通知患者",
    "重复预约",
)


class ReasonDialog(QDialog):
    """Pick a common reason (1-9 or the arrow keys) and/or type one; OK gives ``reasonChosen(str)``."""

    reasonChosen = Signal(str)

    def __init__(self, title: str, prompt: str, reasons: tuple[str, ...], ok_text: str,
                 parent: QWidget | None = None, back_text: str | None = None):
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        lay.addWidget(label)
        self.list = QListWidget(self)
        self.list.setObjectName("reasonList")
        for n, text in enumerate(reasons, 1):
            item = QListWidgetItem(f"{n}. {text}" if n < 10 else text)
            item.setData(Qt.ItemDataRole.UserRole, text)
            self.list.addItem(item)
        self.list.setMaximumHeight(28 * max(3, len(reasons)) + 8)
        lay.addWidget(self.list)
        lay.addWidget(QLabel(self.tr("Details or another reason (the patient reads this):"), self))
        self.text = QLineEdit(self)
        self.text.setObjectName("reasonText")
        self.text.setMaxLength(MAX_REASON)
        self.text.setPlaceholderText(self.tr("Optional when a reason is picked above"))
        lay.addWidget(self.text)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.ok.setObjectName("reasonOk")
        set_role(self.ok, "danger")
        # the way out says so ("返回"), never a bare "取消" beside "取消预约"
        self.back = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.back.setObjectName("reasonBack")
        if back_text:
            self.back.setText(back_text)
        self.back.setAutoDefault(False)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.list.itemSelectionChanged.connect(self._update)
        self.list.itemDoubleClicked.connect(lambda _item: self._submit())
        self.text.textChanged.connect(self._update)
        for n in range(1, min(len(reasons), 9) + 1):
            sc = QShortcut(QKeySequence(str(n)), self.list)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(lambda row=n - 1: self.list.setCurrentRow(row))
        self.list.setFocus()
        self._update()

    def reason(self) -> str:
        # the selection, not the current item: focusing the list makes its first row current, and
        # R then Enter must not reject with a reason nobody chose
        items = self.list.selectedItems()
        picked = items[0].data(Qt.ItemDataRole.UserRole) if items else ""
        extra = self.text.text().strip()
        if picked and extra:
            return f"{picked}（{extra}）"[:MAX_REASON]
        return picked or extra

    def pick(self, row: int) -> None:
        self.list.setCurrentRow(row)

    def _update(self, *_args) -> None:
        self.ok.setEnabled(bool(self.reason()))

    def _submit(self) -> None:
        reason = self.reason()
        if not reason:
            return
        self.accept()
        self.reasonChosen.emit(reason)
