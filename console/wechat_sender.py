"""This console's own WeChat sender (heads and admins): a checkable File-menu action remembered in the
settings starts a services.notify.delivery.BackgroundSender thread, stopped when the window closes. It can be
switched on only when WeChat is configured; the status bar says whether it runs.

Mixed into console.mainwindow.MainWindow; the methods are the main window's as they were (the job
service takes this over: the `jobs` branch deletes this module).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from console.common import settings as S
from console.common.tasks import is_unreachable
from services.notify import delivery
from services.notify.wechat_settings import sender_state

log = logging.getLogger(__name__)


class WeChatSenderControl:
    """Mixed into MainWindow (a QMainWindow with ``ctx``)."""

    def _init_sender(self) -> None:
        # the confirmations say whether this console sends the messages they queue (console.notifications.delivery)
        self.ctx.wechat_sending = lambda: self.wechat_sender is not None
        # the WeChat sender of this console (heads and admins; see _sender_action)
        self.send_action: QAction | None = None
        self.send_status: QLabel | None = None
        self.wechat_sender: delivery.BackgroundSender | None = None
        self._stopping: list[delivery.BackgroundSender] = []  # switched off, maybe finishing a message
        self._checking_wechat = False
        self._closing = False  # no sender starts once shutdown() began

    def _sender_action(self, menu) -> None:
        """The checkable 'send from this console' action and its status-bar label (heads and admins)."""
        if not (self.ctx.can("notify.manage") or self.ctx.can("wechat.settings")):
            return
        act = QAction(QCoreApplication.translate("WeChatSenderControl", "Send WeChat notifications from this console"), self)
        act.setObjectName("sendWeChatAction")
        act.setCheckable(True)
        act.setEnabled(False)  # until check_wechat() knows WeChat is configured
        act.setToolTip(QCoreApplication.translate("WeChatSenderControl", "Reading the WeChat settings…"))
        act.toggled.connect(self.set_sending)
        # triggered: the user's choice only (a programmatic setChecked does not change the preference)
        act.triggered.connect(self._sending_chosen)
        menu.addAction(act)
        menu.addSeparator()
        menu.aboutToShow.connect(self.check_wechat)  # settings edited elsewhere: current when looked at
        self.send_action = act
        self.send_status = QLabel(self)
        self.send_status.setObjectName("sendStatus")
        self.statusBar().addPermanentWidget(self.send_status)
        self._show_sending()

    def check_wechat(self) -> None:
        """Whether this console can send WeChat messages (a database read, off the GUI thread):
        enables the sender action."""
        if self.send_action is None or self._checking_wechat:
            return
        self._checking_wechat = True
        db, cfg = self.ctx.db, self.ctx.cfg
        self.ctx.tasks.run_task(lambda: sender_state(db, cfg), self._wechat_checked)

    def _wechat_checked(self, state, error) -> None:
        self._checking_wechat = False
        act = self.send_action
        if error is not None:
            if not is_unreachable(error):
                log.warning("WeChat settings not read: %s", error)
            if not act.isChecked():
                act.setToolTip(QCoreApplication.translate("WeChatSenderControl", "The WeChat settings could not be read"))
            return  # a sender already running keeps running: it rereads the settings itself
        if state != "ready":
            act.setChecked(False)  # stops a sender whose settings were removed; the preference stays
            act.setEnabled(False)
            act.setToolTip(QCoreApplication.translate("WeChatSenderControl", "WeChat is not configured (AppID, AppSecret, template ID): "
                                   "fill them in on the WeChat page") if state == "not configured" else
                           QCoreApplication.translate("WeChatSenderControl", "WeChat messages are sent by the job service: this PC's database "
                                   "account may not read the WeChat secret"))
            return
        act.setEnabled(True)
        act.setToolTip(QCoreApplication.translate("WeChatSenderControl", "While this console is open, send the waiting WeChat messages every few seconds"))
        st = self.ctx.settings
        if st is not None and st[S.NOTIFY_SEND] and not act.isChecked():
            act.setChecked(True)

    def _sending_chosen(self, on: bool) -> None:
        if self.ctx.settings is not None:
            self.ctx.settings[S.NOTIFY_SEND] = on

    def set_sending(self, on: bool) -> None:
        """Start or stop this console's sender (the action's toggled signal)."""
        if on and not self._closing:
            if self.wechat_sender is None:
                self.wechat_sender = delivery.BackgroundSender(self.ctx.db, self.ctx.cfg).start()
                log.info("sending WeChat notifications from this console")
        elif not on and self.wechat_sender is not None:
            # never wait in the GUI thread: the loop ends after the message in hand; closing waits for it
            self.wechat_sender.stop(wait=0)
            self._stopping.append(self.wechat_sender)
            self.wechat_sender = None
            log.info("stopped sending WeChat notifications from this console")
        self._stopping = [s for s in self._stopping if s.running]
        self._show_sending()

    def _show_sending(self) -> None:
        if self.send_status is not None:
            self.send_status.setText(QCoreApplication.translate("WeChatSenderControl", "WeChat notices: sending") if self.wechat_sender is not None
                                     else QCoreApplication.translate("WeChatSenderControl", "WeChat notices: off"))

    def _stop_senders(self) -> None:
        self._closing = True
        senders = self._stopping + ([self.wechat_sender] if self.wechat_sender is not None else [])
        self.wechat_sender, self._stopping = None, []
        for s in senders:
            s.stop(wait=0)  # all asked at once, then waited for
        for s in senders:
            if not s.stop(wait=15.0):
                log.warning("the WeChat sender did not stop within 15 s")
        self._show_sending()
