"""The main window, a composition root: a left navigation (预约审核, 今日就诊, 排班, 通知, 管理) over the
pages, a banner and status bar for the connection (console.connection), the menus (console.menus), news
of new requests (console.notices), whether the job service runs (console.jobstatus) and the demo's
automatic decisions (console.autoapprove).

The live feed is started before the pages are built and publishes on ``ctx.changes``, to which every
page subscribes itself (console.common.changes). The queue's load starts first, and the job service's
heartbeat and the day list's pickers are read once its rows are in; the roster, notification and
administration pages are imported and built when first shown (console.pages, console.navigation); the
day list is built at once (the File menu acts on it) and reads its day when first shown. Without a feed the window polls every two
seconds (same update path, no model reset).

Consoles do not decide or send in the background: the job service (`regdesk jobs`, in the demo a
thread: ``ctx.jobs``) does; console.jobstatus shows whether it runs.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from console.autoapprove import DemoAutoApprove
from console.bookings.daylist import DayListPage
from console.bookings.queue import QueuePage
from console.bookings.queuemodel import FirstRead
from console.common import labels as L, screenfit, settings as S
from console.common.context import ConsoleContext
from console.common.icons import icon
from console.connection import ConnectionWatch
from console.jobstatus import JobsBanner, JobsMonitor, JobsStatusLabel
from console.menus import MainMenus
from console.navigation import Navigation
from console.notices import RequestNotices
from console.pages import admin_page, notifications_page, roster_page, wechat_page
from console.shell import Banner, ConnectionStatus, HelpDialog, SettingsDialog

WANTED, MINIMUM = QSize(1366, 768), QSize(1024, 640)  # shrunk to the screen: see console.common.screenfit


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, ctx: ConsoleContext, *, demo: bool = False, live: bool = True, parent: QWidget | None = None,
                 queue_read: FirstRead | None = None):
        """``queue_read``: the queue's first read, already under way (console.app starts it at the log-in)."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.demo = demo
        self._shut = False
        # Qt adds " — regdesk" (the application display name) to every window title itself
        self.setWindowTitle(self.tr("Registration desk") + (self.tr(" (demo)") if demo else ""))
        self.setWindowIcon(icon("app"))
        screenfit.place(self, WANTED, MINIMUM)  # _restore() may take a saved geometry that fits instead
        screenfit.KeepOnScreen(self)
        central = QWidget(self)
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = Banner(central)
        outer.addWidget(self.banner)
        self.jobs_banner = JobsBanner(central)
        outer.addWidget(self.jobs_banner)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.navigation = Navigation(central)  # the pages: see console.navigation
        self.nav, self.stack = self.navigation.nav, self.navigation.stack
        self.pages, self.nav_items, self.page = self.navigation.pages, self.navigation.items, self.navigation.page
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.status = ConnectionStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        self.connection = ConnectionWatch(ctx, self.banner, self.status, self)
        self.feed = self.connection.start(live)  # before the pages, which follow ctx.changes

        self.queue = QueuePage(ctx, self, first_read=queue_read)
        self.daylist = DayListPage(ctx, self)
        self.navigation.add("queue", self.tr("Requests"), "queue", self.queue)
        self.navigation.add("daylist", self.tr("Day list"), "daylist", self.daylist)
        self.navigation.add_later("roster", self.tr("Rosters"), "roster", lambda: roster_page(ctx, self))
        if ctx.can("notify.manage"):
            self.navigation.add_later("notify", self.tr("Notifications"), "bell", lambda: notifications_page(ctx, self))
        if ctx.can("wechat.settings"):
            self.navigation.add_later("wechat", self.tr("WeChat"), "wechat", lambda: wechat_page(ctx, self))
        if ctx.can("staff.manage") or ctx.can("masterdata.edit") or ctx.can("rules.edit"):
            self.navigation.add_later("admin", self.tr("Administration"), "admin", lambda: admin_page(ctx, self))
        who = ctx.actor.display_name or ctx.actor.name
        self.user_label = QLabel(f"{who} · {L.role_label(ctx.actor.role)}", self)
        self.user_label.setObjectName("userLabel")
        self.statusBar().addWidget(self.user_label)
        self.jobs_status = JobsStatusLabel(self) if ctx.actor.role in ("head", "admin") else None
        if self.jobs_status is not None:
            self.statusBar().addPermanentWidget(self.jobs_status)
        self.jobs_monitor = JobsMonitor(ctx, self)
        self.jobs_monitor.updated.connect(self._jobs_updated)

        self.autoapprove = DemoAutoApprove(ctx, self)
        self.menus = MainMenus(self)
        self.file_actions = self.menus.file_actions
        self.notices = RequestNotices(ctx, self, self.nav_items["queue"])
        self.queue.pendingCount.connect(self.notices.pending_count)
        self.queue.newRequests.connect(self.notices.new_requests)
        self.queue.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.daylist.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        # the queue's read first: what competes with it for the worker threads and the interpreter waits
        # for its rows (the job service's heartbeat, the day list's pickers), the other pages for their first show
        self.queue.firstLoaded.connect(self._after_first_rows)
        self.queue.reload()
        self._restore()

    def _after_first_rows(self) -> None:
        if self._shut:  # closed before the queue's rows were shown
            return
        self.jobs_monitor.start()
        self.daylist.prepare()

    def _restore(self) -> None:
        st = self.ctx.settings
        page = st[S.LAST_PAGE] if st is not None else "queue"
        self.show_page(page if page in self.nav_items else "queue")
        if st is None:
            return
        screenfit.restore(self, st[S.GEOMETRY], WANTED, MINIMUM)
        state = st[S.WINDOW_STATE]
        if not state.isEmpty():
            self.restoreState(state)
        if self.menus.autoapprove_action is not None:
            self.menus.autoapprove_action.setChecked(st[S.DEMO_AUTOAPPROVE])

    def show_page(self, key: str) -> None:
        self.navigation.show(key)

    def current_page(self) -> str:
        return self.navigation.current()

    def open_settings(self) -> None:
        SettingsDialog(self.ctx.settings, self).open()

    def show_help(self) -> None:
        HelpDialog(self).open()

    def _jobs_updated(self, view) -> None:
        """A new reading of the job service's heartbeat (a console.jobstatus.JobsView)."""
        self.jobs_banner.show_view(view)
        if self.jobs_status is not None:
            self.jobs_status.show_view(view)

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
        """Stop every timer and thread this window started (the feed, the simulator, the job service, the workers)."""
        self._shut = True
        self.connection.stop()
        self.jobs_monitor.stop()
        for worker in (self.ctx.simulator, self.ctx.jobs):
            if worker is not None:
                worker.stop()
        self.notices.hide()
        self.ctx.tasks.wait_for_done()
        QCoreApplication.processEvents()  # deliver the last results while the pages still exist

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        self.closed.emit()
        super().closeEvent(event)
