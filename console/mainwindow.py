"""The main window: a left navigation (预约审核, 今日就诊, 排班, 通知, 管理), a banner for connection
trouble, a status bar with the connection state and the time of the last change seen, and a
tray icon that tells about new requests.

Pages by other engineers (console.rosters, console.admin, console.notifications, console.excel)
are imported when present, so the window still opens while one of them is being written. The
live feed (console.live.LiveFeed) is started before the pages are built and put in
``ctx.extras['live']``, where the pages find it; the queue and the day list get its changes from
here. Without a feed the window polls every two seconds (same update path, no model reset).

Consoles do not decide or send in the background: the job service (`regdesk jobs`) does. The
window shows whether it runs (console.jobstatus): a status bar item for heads and admins, and a
banner for everyone when it has not run for minutes while 自动审核 is on. The demo console runs
the job service in a thread of its own (services.jobs.background, ``ctx.extras['jobs']``); its
View menu switches that runner's deciding on and off.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from console import labels as L
from console import screenfit
from console import settings as S
from console.daylist import DayListPage
from console.icons import icon
from console.jobstatus import JobsBanner, JobsMonitor, JobsStatusLabel
from console.queue import QueuePage
from console.shell import Banner, ConnectionStatus, HelpDialog, SettingsDialog
from console.tasks import is_unreachable
from console.widgets import optional
from services.bookings import queries

log = logging.getLogger(__name__)

WANTED, MINIMUM = QSize(1366, 768), QSize(1024, 640)  # shrunk to the screen: see console.screenfit
POLL_MS = 2000  # without a live feed
RETRY_MS = 5000  # while the database is out of reach


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, ctx, *, demo: bool = False, live: bool = True, parent: QWidget | None = None):
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
        self.pages: dict[str, QWidget] = {}
        self._items: dict[str, QListWidgetItem] = {}

        central = QWidget(self)
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = Banner(central)
        self.banner.retry.connect(self.ping)
        outer.addWidget(self.banner)
        self.jobs_banner = JobsBanner(central)
        outer.addWidget(self.jobs_banner)
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
        self._add_optional("roster", self.tr("Rosters"), "roster", "console.rosters", "RosterPage", True)
        self._add_optional("notify", self.tr("Notifications"), "bell", "console.notifications",
                           "NotificationFailuresPage", ctx.can("notify.manage"))
        self._add_optional("wechat", self.tr("WeChat"), "wechat", "console.notifications", "WeChatSettingsPage",
                           ctx.can("wechat.settings"))
        self._add_optional("admin", self.tr("Administration"), "admin", "console.admin", "AdminPage",
                           ctx.can("staff.manage") or ctx.can("masterdata.edit") or ctx.can("rules.edit"))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        self.status = ConnectionStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        who = ctx.actor.display_name or ctx.actor.name
        self.user_label = QLabel(f"{who} · {L.role_label(ctx.actor.role)}", self)
        self.user_label.setObjectName("userLabel")
        self.statusBar().addWidget(self.user_label)
        self.jobs_status: JobsStatusLabel | None = None
        if ctx.actor.role in ("head", "admin"):
            self.jobs_status = JobsStatusLabel(self)
            self.statusBar().addPermanentWidget(self.jobs_status)
        self.jobs_monitor = JobsMonitor(ctx, self)
        self.jobs_monitor.updated.connect(self._jobs_updated)

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
        self._restore()
        self.queue.reload()
        self.daylist.reload()
        self.jobs_monitor.start()

    # ---------------------------------------------------------------- building

    def _start_feed(self):
        LiveFeed = optional("console.live", "LiveFeed")
        if LiveFeed is None:
            return None
        try:
            feed = LiveFeed(self.ctx.db, parent=self)
        except Exception:  # noqa: BLE001 - fall back to polling
            log.exception("live feed unavailable; polling instead")
            return None
        self.ctx.extras["live"] = feed
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

    def _add_optional(self, key: str, title: str, icon_name: str, module: str, name: str, allowed: bool) -> None:
        if not allowed:
            return
        cls = optional(module, name)
        if cls is None:
            return
        try:
            page = cls(self.ctx, self)
        except Exception:  # noqa: BLE001 - the rest of the console keeps working
            log.exception("page %s could not be built", name)
            return
        self._add(key, title, icon_name, page)

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.setToolTipsVisible(True)  # a disabled action says why
        self._file_actions(file_menu)
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
        if self.demo and self.ctx.extras.get("jobs") is not None:
            view.addSeparator()
            self.autoapprove_action = QAction(self.tr("Demo: decide requests automatically"), self)
            self.autoapprove_action.setCheckable(True)
            self.autoapprove_action.setToolTip(self.tr("The demo's job service, running inside this console, "
                                                       "decides new requests by the hospital's rules"))
            self.autoapprove_action.toggled.connect(self.set_autoapprove)
            view.addAction(self.autoapprove_action)
        help_menu = bar.addMenu(self.tr("&Help"))
        keys = QAction(self.tr("Keyboard shortcuts"), self)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self.show_help)
        help_menu.addAction(keys)
        self.addAction(keys)

    def _file_actions(self, menu) -> None:
        """Excel and printing (console.excel, console.printing), when present and allowed."""
        can = self.ctx.can
        entries = [
            ("console.excel", "ExportDailyDialog", self.tr("Export the day list to Excel…"), "export.daily",
             lambda cls: cls(self.ctx, day=self.daylist.day(), department_id=self.daylist.query()[1], parent=self)),
            ("console.excel", "ExportRosterDialog", self.tr("Export the week's roster to Excel…"), "export.roster",
             lambda cls: cls(self.ctx, parent=self)),
            ("console.excel", "ImportRosterDialog", self.tr("Import a roster from Excel…"), "roster.import",
             lambda cls: cls(self.ctx, parent=self)),
        ]
        for module, name, text, permission, build in entries:
            cls = optional(module, name)
            if cls is None or not can(permission):
                continue
            act = QAction(text, self)
            act.triggered.connect(lambda _=False, c=cls, b=build: b(c).open())
            menu.addAction(act)
        printer_cls = optional("console.printing", "DayListPrinter")
        view = optional("console.printing", "day_list_view")
        if printer_cls is not None and view is not None and can("export.daily"):
            self.printer = printer_cls(self.ctx, self)
            act = QAction(self.tr("&Print the day list…"), self)
            act.setShortcut(QKeySequence("Ctrl+P"))
            act.triggered.connect(lambda: self.printer.preview(view(self.daylist)))
            menu.addAction(act)
            pdf = QAction(self.tr("Save the day list as PDF…"), self)
            pdf.triggered.connect(lambda: self.printer.ask_and_save_pdf(view(self.daylist), self.daylist.day()))
            menu.addAction(pdf)
            self.printer.guard(act, pdf)
        if menu.actions():
            menu.addSeparator()

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

    # ---------------------------------------------------------------- the job service

    def _jobs_updated(self, view) -> None:  # noqa: ANN001 - a console.jobstatus.JobsView
        self.jobs_banner.show_view(view)
        if self.jobs_status is not None:
            self.jobs_status.show_view(view)

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
        """The demo's toggle: its in-process job service decides (the hospital's 自动审核 rule still wins)."""
        if self.ctx.settings is not None:
            self.ctx.settings[S.DEMO_AUTOAPPROVE] = on
        jobs: Any = self.ctx.extras.get("jobs")
        if jobs is not None:
            jobs.set_deciding(on)

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
        for t in (self._retry, self._poll):
            t.stop()
        self.jobs_monitor.stop()
        if self.feed is not None:
            self.feed.stop()
        for key in ("simulator", "jobs"):
            worker: Any = self.ctx.extras.get(key)
            if worker is not None:
                worker.stop()
        if self.tray is not None:
            self.tray.hide()
        self.ctx.tasks.wait_for_done()
        QCoreApplication.processEvents()  # deliver the last results while the pages still exist

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.save_state()
        self.shutdown()
        self.closed.emit()
        super().closeEvent(event)
