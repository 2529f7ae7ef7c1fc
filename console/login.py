"""The log-in dialog: staff username and password, checked by services.staff.auth.login off the GUI thread.

A wrong password, an unknown user and a name that must wait all come back as AuthError with
the service's own message (in Chinese; from the fifth failure in a row on this PC it says until
when to wait, the same for known and unknown names). The dialog never says which of username or
password was wrong: that answer stands under both, both outlined, and goes as soon as either is
edited (console.common.forms); an empty input is named by its own field; the database out of reach is
said under the form.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.common import settings as S
from console.common.forms import FieldErrors
from console.common.tasks import TaskRunner, is_unreachable, user_message
from console.common.widgets import primary_ok, text_label
from services.errors import AuthError

if TYPE_CHECKING:  # SQLAlchemy and the models load on a worker, while the dialog is on the screen
    from services.db import Database
    from services.staff.actor import Actor

log = logging.getLogger(__name__)


class LoginDialog(QDialog):
    loggedIn = Signal(object)  # Actor

    def __init__(self, database: Callable[[], Database], url: str, tasks: TaskRunner, settings=None,
                 parent: QWidget | None = None, icon: QIcon | None = None):
        """``database()`` is called on a worker when the clerk logs in: it may wait for the database
        being opened in the background (console.app.Opening); ``url`` is shown without its password."""
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.database, self.tasks, self.settings = database, tasks, settings
        self.actor: Actor | None = None
        self.busy = False
        self.setWindowTitle(self.tr("Log in"))  # shown as "登录 — regdesk"
        if icon is not None:
            self.setWindowIcon(icon)
        self.setMinimumWidth(380)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        title = QLabel(self.tr("Registration desk"), self)
        title.setObjectName("loginTitle")
        lay.addWidget(title)
        sub = QLabel(self.tr("Log in with your staff account."), self)
        sub.setObjectName("loginSubtitle")
        lay.addWidget(sub)
        form = QFormLayout()
        form.setContentsMargins(0, 12, 0, 4)
        self.username = QLineEdit(self)
        self.username.setObjectName("loginUsername")
        self.username.setMaxLength(32)
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(128)
        self.error = text_label(self, "loginError")
        self.error.hide()
        self.errors = FieldErrors(self.error, self)
        form.addRow(self.tr("Username"), self.errors.field("username", self.username))
        form.addRow(self.tr("Password"), self.errors.field("password", self.password))
        self.errors.share("credentials", "password", self.username, self.password)  # the pair, not which
        lay.addLayout(form)
        lay.addWidget(self.error)
        where = text_label(self, "loginDatabase", self.tr("Database: %1").replace("%1", url), selectable=True)
        lay.addWidget(where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = primary_ok(self.buttons, "loginOk", self.tr("Log in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        last = settings[S.LAST_USER] if settings is not None else ""
        self.username.setText(last)
        (self.password if last else self.username).setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        username, password = self.username.text().strip(), self.password.text()
        if not username:
            self.errors.show(self.tr("Enter your username."), "username")
            return
        if not password:
            self.errors.show(self.tr("Enter your password."), "password")
            return
        self.busy = True
        self.ok.setEnabled(False)
        self.ok.setText(self.tr("Checking…"))
        self.errors.clear()
        database = self.database

        def check() -> Actor:  # worker
            from services.staff import auth
            return auth.login(database(), username, password)
        self.tasks.run_task(check, self._checked)

    def _checked(self, actor, error) -> None:
        self.busy = False
        self.ok.setEnabled(True)
        self.ok.setText(self.tr("Log in"))
        if error is not None:
            self.password.clear()
            if is_unreachable(error):
                self.errors.show(self.tr("The database cannot be reached. Check the network and try again.")
                                 + "\n" + user_message(error))
            else:  # wrong user or password, a locked account: one answer for both fields
                self.errors.show(error, "credentials" if isinstance(error, AuthError) else None)
            self.password.setFocus()
            return
        self.actor = actor
        if self.settings is not None:
            self.settings[S.LAST_USER] = actor.name
        log.info("logged in as %s (%s)", actor.name, actor.role)
        self.loggedIn.emit(actor)
        self.accept()
