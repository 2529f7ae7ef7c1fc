"""WeChat notifications in the console: the failures page (发送失败) and the WeChat settings page (微信设置).

``NotificationFailuresPage(ctx)`` lists the messages WeChat refused or that ran out of
attempts, with WeChat's reason, and sends the selected ones again (heads and admins).
``WeChatSettingsPage(ctx)`` edits the settings an admin may keep in the database and sends a
test message. Every service call runs off the GUI thread (console.common.pagekit.call); the
services check the permissions themselves.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.common.collation import CollatingProxy
from console.common.forms import FieldErrors
from console.common.pagekit import RecordModel, call, error_label, fit_columns, record_view, show_error
from console.common.tablemodel import SORT_ROLE, Column
from console.common.tasks import user_message
from console.common.widgets import MessageBar
from services.notify import delivery
from services.notify.wechat_settings import (
    LANGS,
    SOURCE_LABELS,
    STATES,
    VALUE_KEYS,
    describe_wechat_settings,
    save_wechat_settings,
)

log = logging.getLogger(__name__)

REFRESH_MS = 30_000  # failures appear from other workers; the page looks again while shown


class NotificationFailuresPage(QWidget):
    """Failed and unsubscribed notifications with their reason; 重发 puts the selected back in the queue."""

    loaded = Signal()
    retried = Signal(list)  # ids sent back to the queue

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notificationFailuresPage")
        self.ctx = ctx
        self.model = RecordModel(self.columns(), self)
        self.proxy = CollatingProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.view = record_view(self, self.proxy, Qt.SortOrder.DescendingOrder, many=True)
        self.view.setObjectName("failuresView")
        self.view.setWordWrap(False)
        fit_columns(self.view)  # dates and times whole; the reason takes the rest
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.retry_button = QPushButton(self.tr("Send again"), self)
        self.retry_button.setObjectName("retryNotifications")
        self.retry_button.setToolTip(self.tr("Queue the selected messages for another attempt"))
        self.retry_button.clicked.connect(self.retry_selected)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setObjectName("refreshFailures")
        self.refresh_button.clicked.connect(self.reload)
        self.status = QLabel(self)
        self.status.setObjectName("failuresStatus")
        self.messages = MessageBar(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.messages)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.busy = False
        self.update_buttons()
        self.reload()

    def columns(self) -> list[Column]:
        return [
            Column("queued_at", self.tr("Queued at"), lambda r: f"{r.created_at:%m-%d %H:%M}", sort=lambda r: r.id),
            Column("patient", self.tr("Patient"), lambda r: r.patient_name),
            Column("department", self.tr("Department"), lambda r: r.department),
            Column("visit", self.tr("Visit"), lambda r: r.visit),
            Column("message", self.tr("Message"), lambda r: r.kind_label),
            Column("state", self.tr("State"), lambda r: r.state_label),
            Column("attempts", self.tr("Attempts"), lambda r: r.attempts, sort=lambda r: r.attempts,
                   align=Qt.AlignmentFlag.AlignRight),
            Column("reason", self.tr("Reason"), lambda r: r.reason),
        ]

    def _tick(self) -> None:
        if self.isVisible() and not self.busy and self.ctx.tasks.idle:
            self.reload()

    def reload(self) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        keep = [r.id for r in self.selected()]
        call(self.ctx, self, lambda: delivery.list_failures(db, actor), lambda rows: self._loaded(rows, keep))

    def _loaded(self, rows: Any, keep: list[int]) -> None:
        self.model.set_rows(rows)
        for rid in keep:
            row = self.model.index_of(rid)
            if row >= 0:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                self.view.selectionModel().select(
                    index, self.view.selectionModel().SelectionFlag.Select
                    | self.view.selectionModel().SelectionFlag.Rows)
        self.status.setText(self.tr("{n} message(s) not delivered").format(n=len(rows)))
        self.update_buttons()
        self.loaded.emit()

    def selected(self) -> list:
        rows = [self.model.row_at(self.proxy.mapToSource(i).row())
                for i in self.view.selectionModel().selectedRows()]
        return [r for r in rows if r is not None]

    def update_buttons(self) -> None:
        self.retry_button.setEnabled(bool(self.selected()) and not self.busy
                                     and self.ctx.can("notify.manage"))

    def retry_selected(self) -> None:
        ids = [r.id for r in self.selected()]
        if not ids or self.busy:
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.busy = True
        self.messages.hide()
        self.update_buttons()

        def work() -> tuple[list[int], list[str]]:
            done, problems = [], []
            for nid in ids:  # one by one: one already retried elsewhere must not stop the others
                try:
                    delivery.retry(db, actor, nid)
                    done.append(nid)
                except Exception as exc:
                    problems.append(user_message(exc))
            return done, problems

        call(self.ctx, self, work, self._retried, self._failed)

    def _retried(self, result: tuple[list[int], list[str]]) -> None:
        done, problems = result
        self.busy = False
        if problems:
            show_error(self, "\n".join(dict.fromkeys(problems)))
        if done:
            self.retried.emit(done)
        self.reload()

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        show_error(self, error)
        self.update_buttons()


def _map_text(field_map: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in field_map.items())


class WeChatSettingsPage(QWidget):
    """AppID, secret, template, page and field map, stored in the database; and a test message.

    A value set by the environment or the config file wins over the database, so its field is
    read-only here with a note saying where it comes from. The AppSecret is never shown back once
    saved (the page does not even read it): it says whether one is set, and Replace opens an empty
    field for a new one.
    """

    loaded = Signal()
    saved = Signal()
    testDone = Signal(bool, str)  # ok, message

    TEXT_FIELDS = ("appid", "secret", "template_id", "api_base", "page")

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wechatSettingsPage")
        self.ctx = ctx
        self.view: Any = None  # services.notify.wechat_settings.SettingsView once loaded
        labels = {"appid": self.tr("AppID"), "secret": self.tr("AppSecret"), "template_id": self.tr("Template ID"),
                  "api_base": self.tr("API address"), "page": self.tr("Page opened by the message"),
                  "miniprogram_state": self.tr("Mini-program version"), "lang": self.tr("Language"),
                  "field_map": self.tr("Field map")}
        self.fields: dict[str, QWidget] = {}
        self.notes: dict[str, QLabel] = {}
        self.error = error_label(self)  # errors about no setting (permission, database)
        self.errors = FieldErrors(self.error, self)  # a setting refused: on the line under it
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for n, name in enumerate(labels):
            row = 2 * n
            if name in self.TEXT_FIELDS:
                widget: QWidget = QLineEdit(self)
            elif name == "field_map":
                widget = QPlainTextEdit(self)
                widget.setTabChangesFocus(True)
                widget.setFixedHeight(120)
            else:
                widget = QComboBox(self)
                for value, label in (self.state_labels() if name == "miniprogram_state" else self.lang_labels()):
                    widget.addItem(label, value)
            widget.setObjectName(f"wechat_{name}")
            note = QLabel(self)
            note.setStyleSheet("color: #5f6368;")
            note.setWordWrap(True)
            grid.addWidget(QLabel(labels[name], self), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self._secret_box(widget) if name == "secret" else widget, row, 1)
            grid.addWidget(note, row, 2, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self.errors.add_line(name, widget), row + 1, 1, 1, 2)
            grid.setRowMinimumHeight(row + 1, 4)
            self.fields[name], self.notes[name] = widget, note
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 1)
        keys = QLabel(self.tr("One line per template field: field = value. Values: ")
                      + "，".join(f"{k}（{v}）" for k, v in VALUE_KEYS.items()), self)
        keys.setWordWrap(True)
        keys.setStyleSheet("color: #5f6368;")
        self.status = QLabel(self)
        self.status.setObjectName("wechatStatus")
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("saveWechat")
        self.save_button.clicked.connect(self.save)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.status, 1)

        test_box = QGroupBox(self.tr("Test message"), self)
        self.test_openid = QLineEdit(test_box)
        self.test_openid.setObjectName("testOpenid")
        self.test_openid.setPlaceholderText(self.tr("openid of the WeChat user who receives the test"))
        self.test_button = QPushButton(self.tr("Send a test message"), test_box)
        self.test_button.setObjectName("sendTestMessage")
        self.test_button.clicked.connect(self.send_test)
        self.test_result = QLabel(test_box)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_errors = FieldErrors(self.test_result, self)
        tl = QGridLayout(test_box)
        tl.addWidget(self.test_openid, 0, 0)
        tl.addWidget(self.test_button, 0, 1)
        tl.addWidget(self.test_errors.add_line("openid", self.test_openid), 1, 0, 1, 2)
        tl.addWidget(self.test_result, 2, 0, 1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(keys)
        layout.addWidget(self.error)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(test_box)
        layout.addStretch(1)
        self.setEnabled(False)  # until the settings are loaded
        self.reload()

    def state_labels(self) -> list[tuple[str, str]]:
        """The mini-program versions WeChat knows (``miniprogram_state``), in words."""
        words = {"formal": self.tr("Released version (formal)"), "trial": self.tr("Trial version (trial)"),
                 "developer": self.tr("Developer version (developer)")}
        return [(v, words[v]) for v in ("formal", "trial", "developer") if v in STATES]

    def lang_labels(self) -> list[tuple[str, str]]:
        """The languages of the mini-program page the message opens (``lang``), in words."""
        words = {"zh_CN": self.tr("Simplified Chinese"), "en_US": self.tr("English"),
                 "zh_HK": self.tr("Traditional Chinese (Hong Kong)"), "zh_TW": self.tr("Traditional Chinese (Taiwan)")}
        return [(v, words[v]) for v in LANGS]

    def _secret_box(self, edit: QLineEdit) -> QWidget:
        """'Set' or 'Not set', a Replace button, and the (hidden) field for a new secret."""
        box = QWidget(self)
        edit.setParent(box)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(self.tr("the new AppSecret"))
        edit.hide()
        self.secret_state = QLabel(box)
        self.secret_state.setObjectName("wechatSecretState")
        self.replace_secret = QPushButton(self.tr("Replace…"), box)
        self.replace_secret.setObjectName("replaceSecret")
        self.replace_secret.clicked.connect(self._toggle_secret)
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.secret_state)
        lay.addWidget(edit, 1)
        lay.addWidget(self.replace_secret)
        lay.addStretch(0)
        return box

    def _toggle_secret(self) -> None:
        edit = self.fields["secret"]
        opening = edit.isHidden()
        edit.clear()
        edit.setVisible(opening)
        self.replace_secret.setText(self.tr("Keep the saved one") if opening else self.tr("Replace…"))
        if opening:
            edit.setFocus()

    def _show_secret(self, is_set: bool, editable: bool) -> None:
        edit = self.fields["secret"]
        edit.clear()
        edit.hide()
        self.secret_state.setText(self.tr("Set") if is_set else self.tr("Not set"))
        self.replace_secret.setText(self.tr("Replace…"))
        self.replace_secret.setVisible(editable)

    # ------------------------------------------------------------ load / show

    def reload(self) -> None:
        db, cfg = self.ctx.db, self.ctx.cfg
        call(self.ctx, self, lambda: describe_wechat_settings(db, cfg), self._loaded)

    def _loaded(self, view: Any) -> None:
        self.view = view
        s = view.settings
        may_edit = self.ctx.can("wechat.settings")
        for name, widget in self.fields.items():
            value = getattr(s, name)
            if isinstance(widget, QLineEdit):
                if name == "secret":
                    self._show_secret(view.secret_set, may_edit and view.editable(name))
                else:
                    widget.setText(value)
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(_map_text(value))
            else:
                widget.setCurrentIndex(max(0, widget.findData(value)))
            editable = may_edit and view.editable(name)
            if isinstance(widget, (QLineEdit, QPlainTextEdit)):
                widget.setReadOnly(not editable)
            else:
                widget.setEnabled(editable)
            source = view.sources.get(name, "default")
            self.notes[name].setText(
                self.tr("from {source}; change it there").format(source=SOURCE_LABELS[source])
                if not view.editable(name) else "")
        self.save_button.setEnabled(may_edit)
        self.test_button.setEnabled(may_edit)
        self.setEnabled(True)
        self.loaded.emit()

    # ------------------------------------------------------------ save

    def changes(self) -> dict[str, Any] | None:
        """The edited values the database may take (None after an input error, shown inline)."""
        if self.view is None:
            return {}
        s, out = self.view.settings, {}
        for name, widget in self.fields.items():
            if not self.view.editable(name):
                continue
            if isinstance(widget, QLineEdit):
                value = widget.text().strip()
                if name == "secret":
                    if value:
                        out[name] = value
                elif value != getattr(s, name):
                    out[name] = value
            elif isinstance(widget, QPlainTextEdit):
                parsed = {}
                for line in widget.toPlainText().splitlines():
                    if not line.strip():
                        continue
                    field, sep, key = line.partition("=")
                    if not sep:
                        self.errors.show(self.tr("Field map line without '=': {line}").format(line=line.strip()),
                                         "field_map")
                        return None
                    parsed[field.strip()] = key.strip()
                if parsed != s.field_map:
                    out[name] = parsed
            elif widget.currentData() != getattr(s, name):
                out[name] = widget.currentData()
        return out

    def save(self) -> None:
        self.errors.clear()
        changes = self.changes()
        if changes is None:
            return
        if not changes:
            self.status.setText(self.tr("Nothing changed."))
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.save_button.setEnabled(False)
        call(self.ctx, self, lambda: save_wechat_settings(db, actor, **changes), self._saved, self._save_failed)

    def _saved(self, _result: Any) -> None:
        self.save_button.setEnabled(True)
        self.status.setText(self.tr("WeChat settings saved."))
        self.saved.emit()
        self.reload()

    def _save_failed(self, error: BaseException) -> None:
        # what was typed stays so the admin can correct it; nothing was stored
        self.save_button.setEnabled(True)
        self.status.clear()
        self.errors.show(error)  # by the setting refused, or in the banner

    # ------------------------------------------------------------ test message

    def send_test(self) -> None:
        openid = self.test_openid.text().strip()
        db, actor, cfg = self.ctx.db, self.ctx.actor, self.ctx.cfg
        self.test_button.setEnabled(False)
        self.test_errors.clear()
        self.test_result.setStyleSheet("")
        self.test_result.setText(self.tr("Sending…"))
        self.test_result.show()
        call(self.ctx, self, lambda: delivery.send_test(db, actor, openid, cfg=cfg),
             lambda _r: self._tested(None, self.tr("Test message sent. Check the phone of that WeChat user.")),
             lambda e: self._tested(e, user_message(e)))

    def _tested(self, error: BaseException | None, message: str) -> None:
        self.test_button.setEnabled(self.ctx.can("wechat.settings"))
        if error is None:
            self.test_result.setText(message)
        else:
            self.test_result.setStyleSheet("color: #b3261e;")
            self.test_errors.show(error)  # a wrong openid under it; WeChat's refusal below the box
        self.testDone.emit(error is None, message)
