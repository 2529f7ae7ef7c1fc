"""The main window: a left navigation (预约审核, 今日就诊, 排班, 通知, 管理), a banner for connection
trouble, a status bar with the connection state and the time of the last change seen, and a
tray icon that tells about new requests.

The live feed (console.live.LiveFeed) is started before the pages are built and put in
``ctx.live``, where the pages find it; the queue and the day list get its changes from here.
Without a feed the window polls every two seconds (same update path, no model reset).

Heads and admins may let this console send the WeChat outbox (File menu, a checkable action
remembered in the settings): a services.notify.BackgroundSender thread, stopped when the window
closes. It can be switched on only when WeChat is configured; the status bar says whether it runs.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QSystemTrayIcon, QVBoxLayout,
    QWidget,
)

from console import labels as L
from console import screenfit
from console import settings as S
from console.admin import AdminPage
from console.context import ConsoleContext
from console.daylist import DayListPage
from console.filemenu import FileActions
from console.icons import icon
from console.live import LiveFeed
from console.notifications import NotificationFailuresPage, WeChatSettingsPage
from console.queue import QueuePage
from console.rosters import RosterPage
from console.shell import Banner, ConnectionStatus, HelpDialog, SettingsDialog
from console.tasks import is_unreachable
from services import notify, queries, rules
from services.actor import AUTOAPPROVE
from services.wechat_settings import sender_state

log = logging.getLogger(__name__)

WANTED, MINIMUM = QSize(1366, 768), QSize(1024, 640)  # shrunk to the screen: see console.screenfit
POLL_MS = 2000  # without a live feed
RETRY_MS = 5000  # while the database is out of reach
AUTOAPPROVE_MS = 3000  # the demo's autoapprove toggle


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, ctx: ConsoleContext, *, demo: bool = False, live: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.demo = demo
        # Qt adds " — regdesk" (the application display name) to every window title itself
        self.setWindowTitle(self.tr("Registration desk") + (self.tr(" (demo)") if demo else ""))
        self.setWindowIcon(icon("app"))
        screenfit.place(self, WANTED, MINIMUM)  # _restore() may take a saved geometry that fits instead
        screenfit.KeepOnScreen(self)
        self.feed = self._start_feed() if live else None
        # the confirmations say whether this console sends the messages they queue (console.delivery)
        ctx.wechat_sending = lambda: self.wechat_sender is not None
        self.pages: dict[str, QWidget] = {}
        self._items: dict[str, QListWidgetItem] = {}
        # the WeChat sender of this console (heads and admins; see _sender_action)
        self.send_action: QAction | None = None
        self.send_status: QLabel | None = None
        self.wechat_sender: notify.BackgroundSender | None = None
        self._stopping: list[notify.BackgroundSender] = []  # switched off, maybe finishing a message
        self._checking_wechat = False
        self._closing = False  # no sender starts once shutdown() began

        central = QWidget(self)
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = Banner(central)
        self.banner.retry.connect(self.ping)
        outer.addWidget(self.banner)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.nav = QListWidget(central)
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(166)
        self.stack = QStackedWidget(central)
        self.stack.setObjectName("pages")
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        self.queue = QueuePage(ctx, self)
        self.daylist = DayListPage(ctx, self)
        self._add("queue", self.tr("Requests"), "queue", self.queue)
        self._add("daylist", self.tr("Day list"), "daylist", self.daylist)
        self._add("roster", self.tr("Rosters"), "roster", RosterPage(ctx, self))
        if ctx.can("notify.manage"):
            self._add("notify", self.tr("Notifications"), "bell", NotificationFailuresPage(ctx, self))
        if ctx.can("wechat.settings"):
            self._add("wechat", self.tr("WeChat"), "wechat", WeChatSettingsPage(ctx, self))
        if ctx.can("staff.manage") or ctx.can("masterdata.edit") or ctx.can("rules.edit"):
            self._add("admin", self.tr("Administration"), "admin", AdminPage(ctx, self))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        self.status = ConnectionStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        who = ctx.actor.display_name or ctx.actor.name
        self.user_label = QLabel(f"{who} · {L.role_label(ctx.actor.role)}", self)
        self.user_label.setObjectName("userLabel")
        self.statusBar().addWidget(self.user_label)

        self._menus()
        self.tray = self._tray()
        self.queue.pendingCount.connect(self._pending_count)
        self.queue.newRequests.connect(self._new_requests)
        self.queue.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.daylist.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        ctx.tasks.connectionLost.connect(self._lost)
        ctx.tasks.connectionRestored.connect(self._restored)
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.ping)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh_all)
        if live and self.feed is None:
            self._poll.start()
        self._autoapprove = QTimer(self)
        self._autoapprove.setInterval(AUTOAPPROVE_MS)
        self._autoapprove.timeout.connect(self._autoapprove_round)
        self._restore()
        self.queue.reload()  # the day list loads when first shown
        wechat_page = self.pages.get("wechat")
        if self.send_action is not None and isinstance(wechat_page, WeChatSettingsPage):
            wechat_page.saved.connect(self.check_wechat)
        self.check_wechat()

    # ---------------------------------------------------------------- building

    def _start_feed(self) -> LiveFeed | None:
        try:
            feed = LiveFeed(self.ctx.db, parent=self)
        except Exception:
            log.exception("live feed unavailable; polling instead")
            return None
        self.ctx.live = feed
        feed.changes.connect(self._changes)
        feed.reloadNeeded.connect(self.refresh_all)
        feed.stateChanged.connect(self._feed_state)
        feed.lastChangeAt.connect(lambda at: self.status.set_last_change(at))
        feed.start()
        return feed

    def _add(self, key: str, title: str, icon_name: str, page: QWidget) -> None:
        item = QListWidgetItem(icon(icon_name), title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setSizeHint(QSize(150, 44))
        self.nav.addItem(item)
        self.stack.addWidget(page)
        self.pages[key] = page
        self._items[key] = item

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.setToolTipsVisible(True)  # a disabled action says why
        self.file_actions = FileActions(self.ctx, self, self.daylist)
        self.file_actions.add_to(file_menu)
        self._sender_action(file_menu)
        settings = QAction(self.tr("&Settings…"), self)
        settings.triggered.connect(self.open_settings)
        file_menu.addAction(settings)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view = bar.addMenu(self.tr("&View"))
        for n, key in enumerate(self.pages, 1):
            act = QAction(self._items[key].text(), self)
            act.setShortcut(QKeySequence(f"Alt+{n}"))
            act.triggered.connect(lambda _=False, k=key: self.show_page(k))
            view.addAction(act)
            self.addAction(act)
        if self.demo:
            view.addSeparator()
            self.autoapprove_action = QAction(self.tr("Demo: decide requests automatically"), self)
            self.autoapprove_action.setCheckable(True)
            self.autoapprove_action.setToolTip(self.tr("Runs the hospital's rules on new requests every few seconds"))
            self.autoapprove_action.toggled.connect(self.set_autoapprove)
            view.addAction(self.autoapprove_action)
        help_menu = bar.addMenu(self.tr("&Help"))
        keys = QAction(self.tr("Keyboard shortcuts"), self)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self.show_help)
        help_menu.addAction(keys)
        self.addAction(keys)

    def _sender_action(self, menu) -> None:
        """The checkable 'send from this console' action and its status-bar label (heads and admins)."""
        if not (self.ctx.can("notify.manage") or self.ctx.can("wechat.settings")):
            return
        act = QAction(self.tr("Send WeChat notifications from this console"), self)
        act.setObjectName("sendWeChatAction")
        act.setCheckable(True)
        act.setEnabled(False)  # until check_wechat() knows WeChat is configured
        act.setToolTip(self.tr("Reading the WeChat settings…"))
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

    def _tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(icon("app"), self)
        tray.setToolTip("regdesk")
        tray.activated.connect(lambda _reason: (self.showNormal(), self.raise_(), self.activateWindow()))
        tray.show()
        return tray

    def _restore(self) -> None:
        st = self.ctx.settings
        page = st[S.LAST_PAGE] if st is not None else "queue"
        self.show_page(page if page in self.pages else "queue")
        if st is None:
            return
        screenfit.restore(self, st[S.GEOMETRY], WANTED, MINIMUM)
        state = st[S.WINDOW_STATE]
        if not state.isEmpty():
            self.restoreState(state)
        if self.demo and hasattr(self, "autoapprove_action"):
            self.autoapprove_action.setChecked(st[S.DEMO_AUTOAPPROVE])

    # ---------------------------------------------------------------- navigation and dialogs

    def show_page(self, key: str) -> None:
        if key in self._items:
            self.nav.setCurrentItem(self._items[key])

    def current_page(self) -> str:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self)
        dialog.open()

    def show_help(self) -> None:
        HelpDialog(self).open()

    # ---------------------------------------------------------------- live changes and connection

    def _changes(self, changes: list) -> None:
        self.queue.apply_changes(changes)
        self.daylist.apply_changes(changes)

    def refresh_all(self) -> None:
        """A full look at the queue and the day list (a poll, a gap in the feed, a restored connection)."""
        self.queue.reload()
        self.daylist.reload()

    def _feed_state(self, state: str) -> None:
        self.status.set_state(state)
        if state == "offline":
            self._lost(self.tr("The live feed lost the database."))
        elif state == "live" and not self.ctx.tasks.offline:
            self.banner.hide()

    def _lost(self, message: str) -> None:
        self.banner.show_offline(message)
        self.status.set_state("offline")
        if not self._retry.isActive():
            self._retry.start()

    def _restored(self) -> None:
        self._retry.stop()
        self.banner.hide()
        self.status.set_state(self.feed.state if self.feed is not None else "live")
        self.refresh_all()  # whatever happened meanwhile, applied in place

    def ping(self) -> None:
        """One cheap query: its success (through the task runner) hides the banner."""
        db = self.ctx.db
        self.banner.set_retrying()

        def done(_result, error):
            if error is not None and not is_unreachable(error):
                log.warning("connection check failed: %s", error)
        self.ctx.tasks.run_task(lambda: queries.latest_booking_id(db), done, owner=self)

    # ---------------------------------------------------------------- the WeChat sender

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
                act.setToolTip(self.tr("The WeChat settings could not be read"))
            return  # a sender already running keeps running: it rereads the settings itself
        if state != "ready":
            act.setChecked(False)  # stops a sender whose settings were removed; the preference stays
            act.setEnabled(False)
            act.setToolTip(self.tr("WeChat is not configured (AppID, AppSecret, template ID): "
                                   "fill them in on the WeChat page") if state == "not configured" else
                           self.tr("WeChat messages are sent by the job service: this PC's database "
                                   "account may not read the WeChat secret"))
            return
        act.setEnabled(True)
        act.setToolTip(self.tr("While this console is open, send the waiting WeChat messages every few seconds"))
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
                self.wechat_sender = notify.BackgroundSender(self.ctx.db, self.ctx.cfg).start()
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
            self.send_status.setText(self.tr("WeChat notices: sending") if self.wechat_sender is not None
                                     else self.tr("WeChat notices: off"))

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

    # ---------------------------------------------------------------- queue count, tray, demo

    def _pending_count(self, n: int) -> None:
        item = self._items.get("queue")
        if item is not None:
            item.setText(self.tr("Requests") + (f"  {n}" if n else ""))
        if self.tray is not None:
            self.tray.setToolTip(self.tr("regdesk: %n request(s) waiting", "", n))

    def _new_requests(self, n: int) -> None:
        if n <= 0:
            return
        self.statusBar().showMessage(self.tr("%n new request(s)", "", n), 5000)
        st = self.ctx.settings
        if self.tray is not None and (st is None or st[S.TRAY_NOTIFY]) and not self.isActiveWindow():
            self.tray.showMessage(self.tr("New booking requests"), self.tr("%n new request(s) to review", "", n),
                                  icon("app"), 5000)
        if st is not None and st[S.SOUND_NOTIFY]:
            QApplication.beep()  # the system bell: QtMultimedia is not part of PySide6-Essentials

    def set_autoapprove(self, on: bool) -> None:
        if self.ctx.settings is not None:
            self.ctx.settings[S.DEMO_AUTOAPPROVE] = on
        if on:
            self._autoapprove.start()
            self._autoapprove_round()
        else:
            self._autoapprove.stop()

    def _autoapprove_round(self) -> None:
        db = self.ctx.db

        def decide():
            # the hospital's switch (an admin's rule) wins over the demo's menu toggle
            if rules.load(db).autoapprove_enabled:
                return rules.decide_pending(db, AUTOAPPROVE, limit=50)
            return None
        self.ctx.tasks.run_task(decide, None)

    # ---------------------------------------------------------------- closing

    def save_state(self) -> None:
        st = self.ctx.settings
        if st is None:
            return
        st[S.GEOMETRY] = self.saveGeometry()
        st[S.WINDOW_STATE] = self.saveState()
        st[S.LAST_PAGE] = self.current_page() or "queue"
        for page in (self.queue, self.daylist):
            page.save_state()
        st.sync()

    def shutdown(self) -> None:
        """Stop every timer and thread this window started (the feed, the simulator, the workers)."""
        for t in (self._retry, self._poll, self._autoapprove):
            t.stop()
        if self.feed is not None:
            self.feed.stop()
        self._stop_senders()
        if self.ctx.simulator is not None:
            self.ctx.simulator.stop()
        if self.tray is not None:
            self.tray.hide()
        self.ctx.tasks.wait_for_done()
        QCoreApplication.processEvents()  # deliver the last results while the pages still exist

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        self.closed.emit()
        super().closeEvent(event)
