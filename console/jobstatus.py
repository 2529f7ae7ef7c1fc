"""Whether the job service runs (`regdesk jobs`, services/jobs): what the console shows of it.

Consoles do not decide or send in the background; the job service does. Its processes write a
heartbeat (services.jobs.heartbeat); this module reads it every JOBS_POLL_MS off the GUI thread, and
in the demo, whose job service runs in a thread of the console (``ctx.jobs``), again right after each
of that service's rounds, so that the window never says it has not run once it has:

- ``JobsMonitor``: the reading, shared by the widgets below (``updated`` carries a ``JobsView``);
- ``JobsStatusLabel``: the status bar item heads and admins see (running or not, its last round);
- ``JobsBanner``: across the window when the job service has not run for heartbeat.LATE while the
  hospital's 自动审核 is on (requests then wait for a clerk): everyone sees it, so clerks decide by hand;
- ``JobsTab``: the administration page's 后台服务 tab, one row per process with its jobs and last error.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from console.common.pagekit import RecordModel, call, fit_columns
from console.common.tablemodel import Column
from console.common.widgets import text_label
from services import clock
from services.jobs import heartbeat

log = logging.getLogger(__name__)

JOBS_POLL_MS = 30_000
ROUND_WATCH_MS = 250  # how often the demo's in-process job service is asked whether it did a round (no query)


@dataclass(frozen=True)
class JobsView:
    status: heartbeat.JobsStatus
    autoapprove_on: bool
    now: dt.datetime  # the hospital's wall clock when read

    @property
    def late(self) -> bool:
        return self.status.late(self.now)

    @property
    def late_minutes(self) -> int | None:
        last = self.status.last_round_at
        return None if last is None else max(0, int((self.now - last).total_seconds() // 60))


def read_view(db) -> JobsView:
    """Worker side (the rules, and the decisions under them, are imported here: not before the window)."""
    from services.bookings import rules
    return JobsView(heartbeat.status(db), rules.load(db).autoapprove_enabled, clock.local_now())


def job_label(name: str) -> str:
    labels = {
        "decide": QCoreApplication.translate("Jobs", "deciding requests"),
        "send": QCoreApplication.translate("Jobs", "sending WeChat messages"),
        "noshow": QCoreApplication.translate("Jobs", "marking no-shows"),
        "reminders": QCoreApplication.translate("Jobs", "reminders"),
        "prune": QCoreApplication.translate("Jobs", "pruning the change log"),
    }
    return labels.get(name, name)


def _when(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return "—"
    return f"{moment:%H:%M:%S}" if moment.date() == now.date() else f"{moment:%m-%d %H:%M}"


def summary_text(view: JobsView) -> str:
    """One line: does the job service run, and when did it last complete a round."""
    last = view.status.last_round_at
    if view.status.running:
        return QCoreApplication.translate("Jobs", "Job service: running, last round {time}").format(
            time=_when(last, view.now))
    if last is None and not view.status.runners:
        return QCoreApplication.translate("Jobs", "Job service: has never run")
    seen = max((r.beat_at for r in view.status.runners), default=None)
    return QCoreApplication.translate("Jobs", "Job service: not running (last seen {time})").format(
        time=_when(seen, view.now))


def runner_lines(view: JobsView) -> list[str]:
    out = []
    for r in view.status.runners:
        acting = "、".join(job_label(j) for j in r.acting) or QCoreApplication.translate("Jobs", "standing by")
        state = (QCoreApplication.translate("Jobs", "running") if r.fresh else
                 QCoreApplication.translate("Jobs", "stopped") if r.stopped_at is not None else
                 QCoreApplication.translate("Jobs", "silent"))
        out.append(f"{r.host} (pid {r.pid}, {r.version}): {state}; {acting}")
    return out


class JobsMonitor(QObject):
    """Reads the heartbeat now, every JOBS_POLL_MS and after each round of the console's own job service
    (the demo's ``ctx.jobs``); ``updated`` with each JobsView."""

    updated = Signal(object)

    def __init__(self, ctx, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.latest: JobsView | None = None
        self._busy = False
        self._again = False  # asked again while a reading was under way: it may predate what changed
        self._rounds = 0  # the rounds of ctx.jobs the latest reading was asked after
        self.timer = QTimer(self)
        self.timer.setInterval(JOBS_POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.round_watch = QTimer(self)
        self.round_watch.setInterval(ROUND_WATCH_MS)
        self.round_watch.timeout.connect(self._round_done)

    def start(self) -> None:
        self.timer.start()
        if self.ctx.jobs is not None:
            self.round_watch.start()
        self.refresh()

    def stop(self) -> None:
        self.timer.stop()
        self.round_watch.stop()

    def _round_done(self) -> None:
        """The in-process job service finished a round since the last look (its heartbeat is written
        before the round counts): read it now rather than at the next poll."""
        jobs = self.ctx.jobs
        rounds = jobs.runner.rounds if jobs is not None else 0
        if rounds != self._rounds:
            self._rounds = rounds
            self.refresh()

    def refresh(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        db = self.ctx.db
        self.ctx.tasks.run_task(lambda: read_view(db), self._read, owner=self)

    def _read(self, view: Any, error: BaseException | None) -> None:
        self._busy = False
        if error is not None:  # the database away: the connection banner says so already
            log.info("job service heartbeat not read: %s", error)
        else:
            self.latest = view
            self.updated.emit(view)
        if self._again:
            self._again = False
            self.refresh()


class JobsStatusLabel(QLabel):
    """The status bar item: 后台服务 running or not (heads and admins)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jobsStatus")

    def show_view(self, view: JobsView) -> None:
        self.setText(summary_text(view))
        self.setStyleSheet("" if view.status.running else "color: #b3261e;")
        self.setToolTip("\n".join(runner_lines(view)) or summary_text(view))


class JobsBanner(QWidget):
    """'Nothing decides the requests': the job service silent for heartbeat.LATE while 自动审核 is on."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jobsBanner")
        self.setStyleSheet("#jobsBanner { background: #fff4e5; border-bottom: 1px solid #f0c36d; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 6, 12, 6)
        self.label = text_label(self, "jobsBannerText")
        lay.addWidget(self.label, 1)
        self.hide()

    def show_view(self, view: JobsView) -> None:
        if not (view.autoapprove_on and view.late):
            self.hide()
            return
        minutes = view.late_minutes
        if minutes is None:
            head = self.tr("The job service (regdesk jobs) has never run on this database.")
        else:
            head = self.tr("The job service (regdesk jobs) has not run for %n minute(s).", "", minutes)
        self.label.setText(head + " " + self.tr(
            "Automatic approval is on, but nothing decides the requests or sends WeChat messages now: "
            "decide requests by hand and ask the administrator to start the job service."))
        self.show()


class JobsTab(QWidget):
    """Administration → 后台服务: every job service process the database has heard of."""

    loaded = Signal()

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("jobsTab")
        self.ctx = ctx
        self.view_data: JobsView | None = None
        self.summary = text_label(self, "jobsSummary")
        explain = QLabel(self.tr(
            "The job service decides requests by the rules, sends WeChat messages, marks no-shows, queues "
            "reminders and prunes the change log. Consoles do none of this: start it on one machine "
            "(regdesk jobs, see the deployment guide); a second one on another machine waits and takes "
            "over within a minute if the first stops."), self)
        explain.setWordWrap(True)
        explain.setStyleSheet("color: #5f6368;")
        self.model = RecordModel([
            Column("host", self.tr("Host"), lambda r: r.host),
            Column("pid", self.tr("Process"), lambda r: str(r.pid), sort=lambda r: r.pid),
            Column("version", self.tr("Version"), lambda r: r.version),
            Column("state", self.tr("State"), self._state),
            Column("acting", self.tr("Acts for"), lambda r: "、".join(job_label(j) for j in r.acting) or "—"),
            Column("last_round", self.tr("Last round"), lambda r: self._when(r.last_round_at),
                   sort=lambda r: r.last_round_at or dt.datetime.min),
            Column("last_error", self.tr("Last error"), lambda r: (f"{self._when(r.last_error_at)} {r.last_error}"
                                                     if r.last_error else "—")),
        ], self, inactive=lambda r: not r.fresh)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        fit_columns(self.table)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setObjectName("jobsRefresh")
        self.refresh_button.clicked.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(explain)
        lay.addWidget(self.table, 1)

    def title(self) -> str:
        return self.tr("Job service")

    def _when(self, moment: dt.datetime | None) -> str:
        return _when(moment, self.view_data.now if self.view_data else clock.local_now())

    def _state(self, r: heartbeat.RunnerInfo) -> str:
        if r.fresh:
            return self.tr("running")
        if r.stopped_at is not None:
            return self.tr("stopped {time}").format(time=self._when(r.stopped_at))
        return self.tr("silent since {time}").format(time=self._when(r.beat_at))

    def showEvent(self, event) -> None:
        self.reload()
        super().showEvent(event)

    def reload(self) -> None:
        db = self.ctx.db
        call(self.ctx, self, lambda: read_view(db), self.show_view)

    def show_view(self, view: JobsView) -> None:
        self.view_data = view
        self.summary.setText(summary_text(view))
        self.model.set_rows(list(view.status.runners))
        self.loaded.emit()
