"""News of new requests: the count by the queue's navigation entry and in the tray's tooltip, a line in
the status bar, a tray message when the window is not active (setting), the system bell (setting)."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QListWidgetItem, QMainWindow, QSystemTrayIcon

from console.common import settings as S
from console.common.context import ConsoleContext, WindowPart
from console.common.icons import icon


class RequestNotices(WindowPart):
    def __init__(self, ctx: ConsoleContext, window: QMainWindow, queue_item: QListWidgetItem):
        super().__init__(ctx, window)
        self.queue_item = queue_item
        self.tray = self._tray()

    def _tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        w = self.window
        tray = QSystemTrayIcon(icon("app"), w)
        tray.setToolTip("regdesk")
        tray.activated.connect(lambda _reason: (w.showNormal(), w.raise_(), w.activateWindow()))
        tray.show()
        return tray

    def pending_count(self, n: int) -> None:
        self.queue_item.setText(self.tr("Requests") + (f"  {n}" if n else ""))
        if self.tray is not None:
            self.tray.setToolTip(self.tr("regdesk: %n request(s) waiting", "", n))

    def new_requests(self, n: int) -> None:
        if n <= 0:
            return
        self.window.statusBar().showMessage(self.tr("%n new request(s)", "", n), 5000)
        st = self.ctx.settings
        if self.tray is not None and (st is None or st[S.TRAY_NOTIFY]) and not self.window.isActiveWindow():
            self.tray.showMessage(self.tr("New booking requests"), self.tr("%n new request(s) to review", "", n),
                                  icon("app"), 5000)
        if st is not None and st[S.SOUND_NOTIFY]:
            QApplication.beep()  # the system bell: QtMultimedia is not part of PySide6-Essentials

    def hide(self) -> None:
        if self.tray is not None:
            self.tray.hide()
