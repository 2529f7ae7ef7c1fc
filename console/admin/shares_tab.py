"""The administration page's 号源池 tab: each department's kept shares (desk 现场号, referrals 转诊号, follow-ups
复诊号), set in console.rosters.shares's dialog (services.rosters.shares.set_shares checks the permission and the
numbers, and audits it)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.admin.tabs import ListTab
from console.common.tablemodel import Column
from console.rosters.shares import ShareDialog, kind_names, share_text
from services.rosters import share_view


class SharesTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "sharesTab", parent)
        self.edit_button = self.add_button("editShare", self.tr("Set kept shares…"), self.edit)
        hint = QLabel(self.tr("A session may keep its own shares: change them in the roster's session dialog."), self)
        hint.setStyleSheet("color: #5f6368;")
        self.buttons.addWidget(hint)
        self.buttons.addStretch(1)
        self.update_buttons()

    def columns(self) -> list[Column]:
        kept = [Column(kind, name, lambda d, k=kind: share_text(d.pcts[k]), sort=lambda d, k=kind: d.pcts[k] or 0,
                       align=Qt.AlignmentFlag.AlignCenter) for kind, name in kind_names().items()]
        return [Column("code", self.tr("Code"), lambda d: d.code), Column("name", self.tr("Name"), lambda d: d.name),
                *kept, Column("status", self.tr("Status"), self.active_text)]

    def loader(self):
        db = self.ctx.db
        return lambda: share_view.department_shares(db)

    def edit(self) -> None:
        dep = self.selected()
        if dep is not None:
            self.open_dialog(ShareDialog(self.ctx, dep, self))
