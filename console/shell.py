"""Parts of the main window: the connection banner, the status-bar connection state, the settings
dialog and the keyboard help. Kept apart so console/mainwindow.py stays about the window itself.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.common import i18n, settings as S
from console.common.i18n import LANGUAGES
from console.common.widgets import Bar

log = logging.getLogger(__name__)


class Banner(Bar):
    """'The database cannot be reached' across the top of the window, with a retry button."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("banner", "bannerText", (16, 8, 12, 8), parent)
        self.button = QPushButton(self.tr("Retry now"), self)
        self.button.setObjectName("bannerRetry")
        self.button.clicked.connect(self.retry)
        self.row.addWidget(self.button)
        self.detail = ""
        self.hide()

    def show_offline(self, detail: str = "") -> None:
        self.detail = detail
        self.label.setText(self.tr("The database cannot be reached. Nothing you do is lost: decisions that did "
                                   "not reach the database stay in the lists. Retrying every few seconds…"))
        self.label.setToolTip(detail)
        self.button.setEnabled(True)
        self.show()

    def set_retrying(self) -> None:
        if self.isVisible():
            self.button.setEnabled(False)
            self.button.setText(self.tr("Retrying…"))

    def hideEvent(self, event) -> None:
        self.button.setEnabled(True)
        self.button.setText(self.tr("Retry now"))
        super().hideEvent(event)

class ConnectionStatus(QWidget):
    """The status bar's right end: live / catching up / offline, and when the last change was seen."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 8, 0)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("connectionState")
        self.last_label = QLabel(self)
        self.last_label.setObjectName("lastChange")
        lay.addWidget(self.last_label)
        lay.addWidget(self.state_label)
        self.state = ""
        self.set_state("connecting")
        self.last_label.setText(self.tr("No changes seen yet"))

    def set_state(self, state: str) -> None:
        self.state = state
        text = {"live": self.tr("● Connected"), "catching_up": self.tr("● Catching up…"),
                "offline": self.tr("● Offline"), "connecting": self.tr("● Connecting…")}.get(state, state)
        self.state_label.setText(text)
        self.state_label.setProperty("state", state)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)

    def set_last_change(self, at: dt.datetime | None) -> None:
        if at is None:
            return
        self.last_label.setText(self.tr("Last change %1").replace("%1", f"{at:%H:%M:%S}"))


class SettingsDialog(QDialog):
    """Language (English/中文, used from the next start), tray notifications and the sound for new requests."""

    def __init__(self, settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.settings = settings
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.language = QComboBox(self)
        self.language.setObjectName("languageCombo")
        # two plain choices: the old "automatic" meant Chinese anyway, and said it confusingly
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.tray = QCheckBox(self.tr("Tell me about new requests when the window is in the background"), self)
        form.addRow(self.tr("Interface language"), self.language)
        form.addRow("", self.tray)
        self.sound = QCheckBox(self.tr("Play a sound when new requests arrive"), self)
        self.sound.setObjectName("soundCheck")
        form.addRow("", self.sound)
        lay.addLayout(form)
        self.note = QLabel(self.tr("A change of language takes effect when regdesk is next started."), self)
        self.note.setObjectName("settingsNote")
        lay.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        if settings is not None:
            i = self.language.findData(i18n.choose_language(settings[S.LANGUAGE]))  # 'system' shows as 中文
            self.language.setCurrentIndex(max(0, i))
            self.tray.setChecked(settings[S.TRAY_NOTIFY])
            self.sound.setChecked(settings[S.SOUND_NOTIFY])

    def _save(self) -> None:
        if self.settings is not None:
            self.settings[S.LANGUAGE] = self.language.currentData()
            self.settings[S.TRAY_NOTIFY] = self.tray.isChecked()
            self.settings[S.SOUND_NOTIFY] = self.sound.isChecked()
            self.settings.sync()
        self.accept()


class HelpDialog(QDialog):
    """Every shortcut of the queue and the day list, in one table."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 600)
        rows = [
            (self.tr("Requests"), "A  /  Ctrl+Enter",
             self.tr("Approve the chosen requests (the marked ones if any are marked; nothing if none is chosen)")),
            (self.tr("Requests"), "R", self.tr("Reject with a reason (1–9 pick a common reason)")),
            (self.tr("Requests"), "J / K,  ↓ / ↑", self.tr("Next / previous request")),
            (self.tr("Requests"), "Space", self.tr("Mark or unmark the current request; moving keeps the marks")),
            (self.tr("Requests"), "Esc", self.tr("Clear the marks")),
            (self.tr("Requests"), self.tr("Rules column"),
             self.tr("What the booking rules say; approving a refused request explains why (heads and admins "
                     "may approve it anyway, with a reason)")),
            (self.tr("Day list"), "C  /  Ctrl+Enter", self.tr("Check in (on the clinic's own day only)")),
            (self.tr("Day list"), "N", self.tr("Mark as no-show (asks first; Enter marks, Esc goes back)")),
            (self.tr("Day list"), "Ctrl+Z",
             self.tr("Undo the check-in or no-show just done (or of the chosen rows; "
                     "later days: a head, with a reason)")),
            (self.tr("Day list"), "Space", self.tr("Mark or unmark the current row (check in several)")),
            (self.tr("Day list"), "Ctrl+Delete", self.tr("Cancel for the patient (with a reason)")),
            (self.tr("Day list"), "Ctrl+N", self.tr("Walk-in booking")),
            (self.tr("Day list"), "Alt+← / Alt+→", self.tr("Previous / next day")),
            (self.tr("Everywhere"), "Ctrl+F  /  /",
             self.tr("Search (Esc clears; Enter goes to the list and chooses the first result if none is chosen)")),
            (self.tr("Everywhere"), "F5", self.tr("Reload from the database")),
            (self.tr("Everywhere"), "Alt+1 … Alt+6", self.tr("Switch page")),
            (self.tr("Everywhere"), "F1", self.tr("This help")),
        ]
        table = QTableWidget(len(rows), 3, self)
        table.setObjectName("shortcutTable")
        table.setHorizontalHeaderLabels([self.tr("Where"), self.tr("Keys"), self.tr("What")])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                table.setItem(r, c, QTableWidgetItem(v))
        table.resizeColumnToContents(0)
        table.resizeColumnToContents(1)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(True)  # the longer explanations wrap in the last column instead of running off
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table = table
        lay = QVBoxLayout(self)
        lay.addWidget(table)
        note = QLabel(self.tr("Letter keys work while the list has the focus, so typing in the search box "
                              "is never taken for a command."), self)
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # row heights for the wrapped explanations, once the last column has its final width
        QTimer.singleShot(0, self.table.resizeRowsToContents)
