"""Starting the console: the application, its language and style, the database, the log-in, the window.

``run_console(cfg, demo, db_given)`` is called by main.py when no command is given.

The database is opened off the GUI thread while the log-in dialog is already on the screen (``Opening``:
SQLAlchemy, the models and the schema check load on a worker; the clerk's log-in waits for them). When
it cannot be opened, a small start-up dialog says why, with Retry, then the log-in comes back:
- the embedded default database (an SQLite file in the data folder, no --db given) is created or
  upgraded on the spot: nobody else uses it;
- any other database must already have this program's schema; an older or newer one gets a
  clear dialog (upgrade with `regdesk db upgrade`, or install the newer regdesk);
- an unreachable database gets a dialog with Retry.
``--demo`` opens (and on first use creates and seeds) demo.db in the data folder, starts the
simulated mini-program and the job service (services.jobs.background) in the background and logs
in as the demo clerk.
"""
from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from console.common import i18n, settings as S
from console.common.context import ConsoleContext
from console.common.icons import icon
from console.common.tasks import (
    NextFunc,
    TaskRunner,
    is_unreachable,
    pause_collector,
    resume_collector_after_paint,
    user_message,
)
from console.common.widgets import text_label
from console.login import LoginDialog
from services import config as config_mod
from services.config import Config
from services.errors import SchemaError

if TYPE_CHECKING:  # imported on the worker that opens the database, not before the log-in dialog
    from services.db import Database

log = logging.getLogger(__name__)

STYLE = i18n.RESOURCES / "style.qss"
FONT_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
                 "WenQuanYi Micro Hei", "Sans Serif"]


def make_app(settings: S.Settings | None = None, argv: list[str] | None = None) -> QApplication:
    """The QApplication with regdesk's name, language, font and style (reused when one exists)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("regdesk")
    app.setOrganizationName("regdesk")
    app.setApplicationDisplayName("regdesk")
    app.setWindowIcon(icon("app"))
    lang = i18n.choose_language(settings[S.LANGUAGE] if settings is not None else "system")
    i18n.install(app, lang)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    if STYLE.exists():
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    return app


def _embedded_default(cfg: Config, db_given: bool) -> bool:
    return not db_given and cfg.database_url == config_mod.default_database_url()


def open_database(url: str, *, create: bool) -> Database:
    """Worker side: a Database whose schema fits this program (created/upgraded when ``create``)."""
    from services import migrate
    return migrate.open_fitting(url, create=create)


def _import_main_window() -> None:
    """Worker side: import the main window and its pages (about 0.3 s of imports) while the log-in
    dialog waits for the password, so that the queue shows sooner once the clerk is in."""
    import console.mainwindow  # noqa: F401


def _read_queue(db: Database, actor) -> tuple:
    """Worker side: the queue's first read (console.bookings.queuemodel.read_queue)."""
    from console.bookings.queuemodel import queue_scope, read_queue
    return read_queue(db, queue_scope(actor))


class Prefetch:
    """A read started on a worker before the page that shows it exists (the queue's, as soon as the log-in
    is accepted, while the main window is built): ``then(next_func, owner, shown_in)`` hands its result
    over once, at once if it is there, else when it arrives; dropped if ``owner`` (a widget) was deleted
    meanwhile. As for any big read (TaskRunner.run_task's ``shown_in``), the garbage collector is held
    off from the start until ``shown_in`` has painted the rows."""

    def __init__(self, tasks: TaskRunner, func: Callable[[], Any]):
        self._result: tuple | None = None
        self._next: NextFunc | None = None
        pause_collector()
        tasks.run_task(func, self._arrived)

    def _arrived(self, result: Any, error: BaseException | None) -> None:
        if self._next is None:
            self._result = (result, error)
        else:
            self._next(result, error)

    def then(self, next_func: NextFunc, owner: QObject, shown_in: QWidget | None = None) -> None:
        def deliver(result: Any, error: BaseException | None) -> None:
            try:
                if shiboken6.isValid(owner):
                    next_func(result, error)
            finally:
                resume_collector_after_paint(shown_in)
        if self._result is None:
            self._next = deliver
        else:
            deliver(*self._result)
            self._result = None


def _zoned(opened: tuple) -> tuple:
    """Worker side: the demo's (db, actor), with the hospital's clock read from the database."""
    from services import clock
    clock.load_zone(opened[0])
    return opened


class Opening(QObject):
    """The database being opened on a worker while the log-in dialog is on the screen. ``wait()`` (on a
    worker: the log-in's check) returns it once open or raises why it could not be; ``failed`` is
    emitted on the GUI thread when it could not."""
    failed = Signal()

    def __init__(self, tasks: TaskRunner, work: Callable[[], Database]):
        super().__init__()
        self.db: Database | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._work = work
        tasks.run_task(self._open, lambda _db, error: error is not None and self.failed.emit())

    def _open(self) -> Database:  # worker
        try:
            self.db = self._work()
            return self.db
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self._done.set()

    def wait(self) -> Database:
        self._done.wait()
        if self.db is None:
            raise self.error or RuntimeError("the database was not opened")
        return self.db


REOPEN = 2  # the log-in dialog's result when the database could not be opened behind it


class StartupDialog(QDialog):
    """'Connecting…' while ``work`` runs in the background; on failure the reason, Retry and Quit."""

    def __init__(self, tasks: TaskRunner, work: Callable[[], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startupDialog")
        self.setWindowTitle("regdesk")
        self.setMinimumWidth(440)
        self.tasks, self.work = tasks, work
        self.result_value: Any = None
        self.error: BaseException | None = None
        lay = QVBoxLayout(self)
        self.label = text_label(self, "startupText", selectable=True)
        lay.addWidget(self.label)
        self.buttons = QDialogButtonBox(self)
        self.retry = self.buttons.addButton(self.tr("Retry"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.retry.setObjectName("startupRetry")
        self.quit = self.buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        self.retry.clicked.connect(self.start)
        self.quit.clicked.connect(self.reject)
        lay.addWidget(self.buttons)
        self.start()

    def start(self) -> None:
        self.label.setText(self.tr("Connecting to the database…"))
        self.retry.setEnabled(False)
        self.tasks.run_task(self.work, self._done)

    def _done(self, result: Any, error: BaseException | None) -> None:
        if error is None:
            self.result_value = result
            self.accept()
            return
        self.error = error
        self.retry.setEnabled(True)
        self.label.setText(self.explain(error))
        self.show()

    def explain(self, error: BaseException) -> str:
        detail = user_message(error)
        if isinstance(error, SchemaError):
            if "newer" in str(error):
                head = self.tr("This database was set up by a newer version of regdesk. "
                               "Install the newer regdesk on this PC.")
            else:
                head = self.tr("This database needs an upgrade before regdesk can use it. "
                               "Ask the administrator to run: regdesk db upgrade")
            self.retry.setEnabled(True)
            return f"{head}\n\n{detail}"
        if is_unreachable(error):
            return self.tr("The database cannot be reached. Check the network or the database server, "
                           "then press Retry.") + f"\n\n{detail}"
        return self.tr("The database cannot be opened.") + f"\n\n{detail}"


def _start(dialog: StartupDialog) -> Any:
    """The dialog's result once the background work succeeded; None when the clerk quit."""
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.result_value
    return None


def run_console(cfg: Config, demo: bool, db_given: bool) -> int:
    settings = S.Settings()
    app = make_app(settings)
    tasks = TaskRunner()
    sim = jobs = None
    if demo:
        from services.demo import hospital as demo_mod
        url = cfg.database_url if db_given else config_mod.demo_database_url()
        opened = _start(StartupDialog(tasks, lambda: _zoned(demo_mod.prepare(url))))
        if opened is None:
            return 1
        db, actor = opened
        from services.demo.simulate import Simulator
        from services.jobs.background import BackgroundJobs
        sim = Simulator(url)
        sim.start()
        # the demo's job service, in a thread of this console (a hospital runs `regdesk jobs` instead):
        # it decides while the View menu's toggle is on (console.autoapprove), and sends, marks, reminds, prunes
        jobs = BackgroundJobs(url, cfg, deciding=settings[S.DEMO_AUTOAPPROVE]).start()
    else:
        create = _embedded_default(cfg, db_given)

        def work() -> Database:
            return open_database(cfg.database_url, create=create)
        opening = Opening(tasks, work)  # first: the worker imports and opens while the dialog is built
        url = config_mod.shown_url(cfg.database_url)
        login = LoginDialog(opening.wait, url, tasks, settings, icon=icon("app"))
        opening.failed.connect(lambda: login.done(REOPEN))
        tasks.run_task(_import_main_window)  # while the clerk types the password
        answer = login.exec()
        if answer == REOPEN:  # why it could not be opened, with Retry; then the log-in again
            tasks.wait_for_done()
            db = _start(StartupDialog(tasks, work))
            if db is None:
                return 1
            opened = db
            login = LoginDialog(lambda: opened, url, tasks, settings, icon=icon("app"))
            answer = login.exec()
        else:
            if answer != QDialog.DialogCode.Accepted:
                tasks.wait_for_done()  # the database may still be opening: disposed below
            db = opening.db  # accepted: the log-in's check had it open
        if answer != QDialog.DialogCode.Accepted or login.actor is None:
            tasks.wait_for_done()
            if db is not None:
                db.dispose()
            return 0
        actor = login.actor
    # What is loaded now (Qt, SQLAlchemy, the models, the pages' modules) lives as long as the console:
    # out of the collector's sight, so that the collections a big load sets off (a day of 30,000
    # bookings) do not walk it again and again (benchmarks/startup.py: a full one took 130-290 ms)
    gc.freeze()
    queue_read = Prefetch(tasks, lambda: _read_queue(db, actor))  # first: the rows need not wait for the window
    from console.mainwindow import MainWindow
    ctx = ConsoleContext(db=db, actor=actor, tasks=tasks, cfg=cfg, settings=settings, simulator=sim, jobs=jobs)
    window = MainWindow(ctx, demo=demo, queue_read=queue_read.then)
    window.show()
    restore = _close_on_ctrl_c(window)
    try:
        code = app.exec()
    finally:
        restore()
        window.shutdown()  # idempotent: closeEvent did it already unless the loop ended otherwise
        settings.sync()
        db.dispose()
        gc.unfreeze()  # the process may go on (a test run): its objects are the collector's again
    return int(code)


def _close_on_ctrl_c(window) -> Callable[[], None]:
    """Ctrl+C in the terminal (`make run`) closes the window cleanly instead of raising
    KeyboardInterrupt inside whatever slot runs next. Qt's loop does not run Python code on its
    own, so a timer wakes the interpreter now and then to notice the signal."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, lambda *_args: window.close())
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(300)

    def restore() -> None:
        wake.stop()
        signal.signal(signal.SIGINT, previous)
    return restore
