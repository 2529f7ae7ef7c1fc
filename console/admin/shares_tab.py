"""The administration page's 现场号 tab: each department's desk share (号源池), set in console.rosters.shares's
dialog (services.rosters.shares.set_share checks the permission and the number, and audits it)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.admin.tabs import ListTab
from console.common.tablemodel import Column
from console.rosters.shares import ShareDialog, share_text
from services.rosters import shares


class SharesTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "sharesTab", parent)
        self.edit_button = self.add_button("editShare", self.tr("Set desk share…"), self.edit)
        hint = QLabel(self.tr("A session may keep its own share: change it in the roster's session dialog."), self)
        hint.setStyleSheet("color: #5f6368;")
        self.buttons.addWidget(hint)
        self.buttons.addStretch(1)
        self.update_buttons()

    def columns(self) -> list[Column]:
        return [Column("code", self.tr("Code"), lambda d: d.code), Column("name", self.tr("Name"), lambda d: d.name),
                Column("share", self.tr("Desk share (现场号)"), lambda d: share_text(d.pct), sort=lambda d: d.pct or 0,
                       align=Qt.AlignmentFlag.AlignCenter),
                Column("status", self.tr("Status"), self.active_text)]

    def loader(self):
        db = self.ctx.db
        return lambda: shares.department_shares(db)

    def edit(self) -> None:
        dep = self.selected()
        if dep is not None:
            self.open_dialog(ShareDialog(self.ctx, dep, self))
