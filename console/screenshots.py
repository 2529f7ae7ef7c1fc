"""Screenshots of the console as its users see it: real framed windows on a 1366x768 screen.

    python -m console.screenshots docs/screenshots [--lang zh_CN|en] [--display :N]

Starts its own X server (Xvfb, 1366x768, the desk PCs' screen) and window manager (openbox), so
every window has its title bar and frame and is placed by the window manager as on a desk PC;
creates a fresh demo database in a temporary folder (services.demo.hospital.prepare); opens the console
on it as the demo clerk, then as the administrator, on the demo's busiest department among
those with evening clinics (the widest roster); drives it through Qt to each main screen and
dialog; and saves the whole screen of each with ImageMagick's ``import -window root``.
Needs Xvfb, openbox and imagemagick (``make sysdeps``). Everything it starts it stops again,
also when it fails; run it as often as needed (``make screenshots``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from services.clock import hospital_today

log = logging.getLogger(__name__)

SIZE = (1366, 768)
TOOLS = ("Xvfb", "openbox", "import", "xprop")


# ---------------------------------------------------------------- the X server and window manager

class Display:
    """Xvfb and openbox on a display of our own; DISPLAY points at it while in use."""

    def __init__(self, number: int | None = None):
        self.number = number
        self.procs: list[subprocess.Popen] = []
        self.saved_env: dict[str, str | None] = {}

    @staticmethod
    def _free_number(start: int = 90) -> int:
        for n in range(start, start + 100):
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
                return n
        raise RuntimeError("no free X display number between :90 and :189")

    def _wait(self, ok, what: str, timeout: float = 15.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ok():
                return
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"{what}: a process ended early (exit {[p.poll() for p in self.procs]})")
            time.sleep(0.05)
        raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")

    def __enter__(self) -> Display:
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise RuntimeError(f"missing: {', '.join(missing)} (make sysdeps installs xvfb, openbox, imagemagick)")
        n = self.number if self.number is not None else self._free_number()
        self.name = f":{n}"
        env = dict(os.environ, DISPLAY=self.name)
        try:
            self.procs.append(subprocess.Popen(["Xvfb", self.name, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
                                                "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
            self._wait(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), f"Xvfb {self.name}")
            self.procs.append(subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))

            def wm_ready() -> bool:
                out = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env, capture_output=True,
                                     text=True)
                return "window id" in out.stdout
            self._wait(wm_ready, "openbox")
        except BaseException:  # what did start is stopped: no X server left running behind a failed start
            self.__exit__()
            raise
        for key, value in (("DISPLAY", self.name), ("QT_QPA_PLATFORM", "xcb")):
            self.saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        return self

    def __exit__(self, *_exc) -> None:
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for p in reversed(self.procs):  # the window manager first, then the server
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# ---------------------------------------------------------------- taking the pictures

class Shooter:
    """Waits for the console to settle and saves the whole screen, frames and all."""

    def __init__(self, app, tasks, out: Path):
        self.app, self.tasks, self.out = app, tasks, out
        self.written: list[Path] = []

    def settle(self, until=None, timeout: float = 20.0, extra: float = 0.4) -> None:
        """Run the event loop until ``until()`` holds and the workers are idle, then a moment more
        (the window manager maps and frames windows asynchronously)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.app.processEvents()
            if (until is None or until()) and self.tasks.idle:
                break
            time.sleep(0.02)
        else:
            log.warning("gave up waiting after %.0f s; taking the picture as it is", timeout)
        stop = time.monotonic() + extra
        while time.monotonic() < stop:
            self.app.processEvents()
            time.sleep(0.02)

    def shot(self, name: str, front=None, until=None) -> None:
        if front is not None:
            front.raise_()
            front.activateWindow()
        self.settle(until)
        path = self.out / f"{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], check=True)
        self.written.append(path)
        log.info("wrote %s", path)


def newest(app, cls):
    """The visible top-level window of ``cls`` opened last (a dialog a page opened with open())."""
    found = [w for w in app.topLevelWidgets() if isinstance(w, cls) and w.isVisible()]
    return found[-1] if found else None


def busiest_evening_department(db) -> tuple[int, dt.date]:
    """The department with evening clinics that has the most bookings this week and next, and the
    Monday of its busier week (the roster screenshots show the widest grid)."""
    from services.rosters import templates
    today = hospital_today()
    load: Counter = Counter()
    evening: set[int] = set()
    weeks: Counter = Counter()
    for i in range(-today.weekday(), 14 - today.weekday()):
        day = today + dt.timedelta(days=i)
        for s in templates.sessions_for(db, day):
            load[s.department_id] += s.taken + s.pending
            weeks[(s.department_id, day - dt.timedelta(days=day.weekday()))] += s.taken + s.pending
            if s.period == "evening":
                evening.add(s.department_id)
    candidates = [d for d in load if d in evening] or list(load)
    dep = max(candidates, key=lambda d: load[d])
    monday = max((m for d, m in weeks if d == dep), key=lambda m: weeks[(dep, m)])
    return dep, monday


# ---------------------------------------------------------------- the screens

def clerk_screens(shoot: Shooter, window, dep: int) -> None:
    from console.shell import SettingsDialog
    app = shoot.app
    shoot.settle(lambda: window.queue.loaded and window.daylist.model.query is not None)
    window.queue.table.select_row(2)
    window.queue.table.setFocus()
    shoot.shot("queue", window, extra_wait(shoot))

    window.queue.reject_selected()
    dialog = window.queue.dialog
    dialog.pick(0)
    shoot.shot("reject", dialog)
    dialog.reject()

    window.show_page("daylist")
    page = window.daylist
    shoot.settle(lambda: page.department.count() > 1)
    page.department.setCurrentIndex(max(0, page.department.findData(dep)))
    page.department.activated.emit(page.department.currentIndex())  # as the clerk's choice does: a new query
    shoot.settle(lambda: page.model.rowCount() > 0 and page.model.query[1] == dep)
    page.table.select_row(3)
    page.table.setFocus()
    shoot.shot("daylist", window)
    printout(shoot, window, page)

    page.open_walkin()
    walkin = page.dialog
    tomorrow = hospital_today() + dt.timedelta(days=1)  # times still free whatever the hour of the shot
    walkin.date.setDate(tomorrow)
    shoot.settle(lambda: walkin.day() == tomorrow and (walkin.slots.count() > 0 or walkin.sessions.count() > 0))
    if walkin.sessions.count() and walkin.sessions.currentRow() < 0:
        walkin.sessions.setCurrentRow(0)
        shoot.settle(lambda: walkin.slots.count() > 0)
    walkin.who.search.setText("王")
    shoot.settle(lambda: walkin.who.results.count() > 0)
    walkin.who.results.setCurrentRow(0)
    shoot.shot("walkin", walkin)
    # a new patient whose phone number is wrong: the service's words under that input
    walkin.who.new_button.click()
    walkin.who.new_name.setText("王小明")
    walkin.who.new_phone.setText("138123")
    walkin.submit()
    shoot.shot("walkin-error", walkin, until=lambda: walkin.errors.shown() == "phone")
    walkin.reject()

    window.open_settings()
    settings = newest(app, SettingsDialog)
    shoot.shot("settings", settings)
    settings.reject()

    window.show_page("queue")
    window.connection.lost("database unreachable: connection refused")
    shoot.shot("offline", window)


def printout(shoot: Shooter, window, page) -> None:
    """The print preview of the day list as searched: the rows shown, a title saying what was left out."""
    from console.bookings.printing import day_list_view
    printer = window.file_actions.printer()
    opened: list = []
    printer.previewOpened.connect(opened.append)
    page.search_box.setText("138")  # phone numbers beginning 138
    printer.preview(day_list_view(page))
    shoot.settle(lambda: bool(opened))
    if opened:
        shoot.shot("print", opened[0])
        opened[0].close()
    page.search_box.clear()


def extra_wait(shoot: Shooter):
    """The queue's detail panel reads the patient's history a moment after the row is chosen."""
    start = time.monotonic()
    return lambda: time.monotonic() - start > 0.8


def admin_screens(shoot: Shooter, window, dep: int, monday: dt.date, workbook: Path) -> None:
    from console.rosters.excel import ExportDailyDialog, ImportRosterDialog
    from services.rosters import shares
    shoot.settle(lambda: window.queue.loaded)
    # the department keeps 30% of each slot for the desk (号源池), as the 现场号 tab below sets it
    shares.set_share(window.ctx.db, window.ctx.actor, 30, department_id=dep)
    window.show_page("roster")
    roster = window.page("roster")
    shoot.settle(lambda: roster.department.count() > 0)
    roster.set_department(dep)
    roster.set_week(monday)
    shoot.settle(lambda: roster.model.rowCount() > 0)
    # an evening session with bookings: the widest grid and a stop dialog with patients to tell
    busiest = max(((key, c) for key, c in roster.model.grid.cells.items() if c.status == "published"),
                  key=lambda kc: (kc[0][2] == "evening", kc[1].taken), default=None)
    if busiest is not None:
        roster.select_session(busiest[1].session_id)
    roster.view.setFocus()
    shoot.shot("roster", window)
    for name, open_it in (("stop", roster.stop_session), ("substitute", roster.substitute),
                          ("session", roster.change_session), ("templates", roster.edit_templates),
                          ("extra", roster.add_places)):
        roster.dialog = None
        open_it()
        shoot.settle(lambda: roster.dialog is not None and roster.dialog.isVisible())
        shoot.shot(name, roster.dialog, until=lambda: getattr(roster.dialog, "session", True) is not None)
        roster.dialog.reject()

    supply_daylist(shoot, window, dep)
    export = ExportDailyDialog(window.ctx, day=hospital_today(), department_id=dep, parent=window)
    export.open()
    shoot.shot("export", export)
    export.reject()
    imported = ImportRosterDialog(window.ctx, path=workbook, parent=window)
    imported.open()
    shoot.shot("import", imported)
    imported.reject()

    for key in ("notify", "wechat"):
        if key in window.nav_items:
            window.show_page(key)
            shoot.shot({"notify": "notifications"}.get(key, key), window)
    if "admin" in window.nav_items:
        window.show_page("admin")
        admin = window.page("admin")
        for name in ("departments", "doctors", "staff", "rules", "shares", "holidays", "jobs"):
            admin.tabs.setCurrentWidget(getattr(admin, name))
            shoot.shot(f"admin-{name}", window)
        admin.tabs.setCurrentWidget(admin.shares)
        admin.shares.select(dep)
        admin.shares.edit()
        shoot.shot("share", admin.shares.dialog)
        admin.shares.dialog.reject()


def supply_daylist(shoot: Shooter, window, dep: int) -> None:
    """The day list of tomorrow (the desk's share still kept) and its 加号 dialog for the chosen row's slot."""
    window.show_page("daylist")
    page = window.daylist
    shoot.settle(lambda: page.department.count() > 1)
    page.department.setCurrentIndex(max(0, page.department.findData(dep)))
    page.department.activated.emit(page.department.currentIndex())
    page.set_day(hospital_today() + dt.timedelta(days=1))
    shoot.settle(lambda: page.model.rowCount() > 0 and page.model.query[0] == hospital_today() + dt.timedelta(days=1))
    page.table.select_row(2)
    page.table.setFocus()
    shoot.shot("daylist-supply", window, until=lambda: page.extra_button.isVisible())
    page.add_places_selected()
    shoot.settle(lambda: page.dialog is not None and page.dialog.isVisible())
    if page.dialog is not None:
        shoot.shot("daylist-extra", page.dialog)
        page.dialog.reject()
    window.show_page("roster")


def render(out: Path, lang: str | None = None) -> list[Path]:
    """Every screen into ``out`` (DISPLAY must be an X server with a window manager, 1366x768)."""
    tmp = Path(tempfile.mkdtemp(prefix="regdesk-shots-"))
    os.environ["REGDESK_DATA_DIR"] = str(tmp / "data")
    os.environ["REGDESK_CONFIG"] = str(tmp / "config.toml")
    from console.app import make_app
    from console.common import settings as S
    from console.common.context import ConsoleContext
    from console.common.tasks import TaskRunner
    from console.login import LoginDialog
    from console.mainwindow import MainWindow
    from services import config as config_mod
    from services.demo import hospital
    from services.excel import exports
    from services.rosters.layout import week_label
    from services.staff import auth

    def settings(name: str):
        st = S.Settings(tmp / f"{name}.ini")
        if lang:
            st[S.LANGUAGE] = lang
        return st
    app = make_app(settings("clerk"))
    url = "sqlite:///" + str(tmp / "demo.db")
    db, clerk = hospital.prepare(url)
    tasks = TaskRunner()
    out.mkdir(parents=True, exist_ok=True)
    shoot = Shooter(app, tasks, out)
    cfg = config_mod.Config(url, config_mod.WeChatSettings())
    windows: list = []
    # the hospital's job service runs, as in a working hospital (not deciding: the queue keeps its requests)
    from services.jobs.background import BackgroundJobs
    jobs = BackgroundJobs(url, cfg, deciding=False).start()
    try:
        dep, monday = busiest_evening_department(db)
        login = LoginDialog(lambda: db, db.url, tasks, None)
        login.username.setText("clerk")
        login.show()
        shoot.shot("login", login)
        login.close()

        window = MainWindow(ConsoleContext(db=db, actor=clerk, tasks=tasks, cfg=cfg, settings=settings("clerk")),
                            demo=True)
        windows.append(window)
        window.show()
        clerk_screens(shoot, window, dep)
        window.close()
        shoot.settle()

        admin_actor = auth.actor_for(db, "admin")
        workbook = tmp / "roster.xlsx"
        exports.export_roster(db, admin_actor, week_label(monday), workbook)
        window = MainWindow(ConsoleContext(db=db, actor=admin_actor, tasks=tasks, cfg=cfg,
                                           settings=settings("admin")))
        windows.append(window)
        window.show()
        admin_screens(shoot, window, dep, monday, workbook)
        window.close()
        shoot.settle()
    finally:
        for w in windows:
            w.close()  # stops its live feed and workers, also after a failure
        jobs.stop()
        tasks.wait_for_done()
        db.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    return shoot.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--lang", choices=("zh_CN", "en"), default=None, help="default: the console's default")
    parser.add_argument("--display", default=None, help="X display number to start Xvfb on, e.g. :12 "
                        "(default: the first free one from :90)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)  # our own progress; the demo's seeding stays quiet
    started = time.monotonic()
    number = int(args.display.lstrip(":")) if args.display else None
    try:
        with Display(number):
            files = render(args.out, args.lang)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    print(f"{len(files)} screenshots in {args.out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
