"""Render the console's main screens with demo data to PNG files (for the README).

    QT_QPA_PLATFORM=offscreen python -m console.screenshots docs/screenshots [--lang zh_CN|en]

A fresh demo database is created in a temporary folder (services.demo.prepare), the window is
built at 1366x768 - the smallest screen the desk PCs have - and each screen is grabbed once its
data has loaded. Dialogs are drawn over the dimmed window, as a clerk sees them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

SIZE = (1366, 768)


def _settle(app, until=None, timeout: float = 20.0, extra: float = 0.3) -> None:
    """Run the event loop until ``until()`` holds (and the workers are idle), then a moment more."""
    tasks = getattr(app, "_regdesk_tasks", None)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if (until is None or until()) and (tasks is None or tasks.idle):
            break
        time.sleep(0.02)
    stop = time.monotonic() + extra
    while time.monotonic() < stop:
        app.processEvents()
        time.sleep(0.02)


def _over(window, dialog):
    """The window dimmed, with the dialog in the middle."""
    from PySide6.QtGui import QColor, QPainter
    base = window.grab()
    shot = dialog.grab()
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(20, 30, 40, 90))
    x = (base.width() - shot.width()) // 2
    y = max(20, (base.height() - shot.height()) // 2)
    painter.drawPixmap(x, y, shot)
    painter.end()
    return base


def render(out: Path, lang: str | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="regdesk-shots-"))
    os.environ["REGDESK_DATA_DIR"] = str(tmp / "data")
    os.environ["REGDESK_CONFIG"] = str(tmp / "config.toml")
    from console import settings as S
    from console.app import make_app
    from console.context import ConsoleContext
    from console.tasks import TaskRunner
    from services import config as config_mod
    from services import demo

    settings = S.Settings(tmp / "console.ini")
    if lang:
        settings[S.LANGUAGE] = lang
    app = make_app(settings)
    url = "sqlite:///" + str(tmp / "demo.db")
    db, actor = demo.prepare(url)
    tasks = TaskRunner()
    app._regdesk_tasks = tasks
    from console.login import LoginDialog
    from console.mainwindow import MainWindow
    ctx = ConsoleContext(db=db, actor=actor, tasks=tasks, cfg=config_mod.Config(url, config_mod.WeChatSettings()),
                         settings=settings, extras={})
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(pixmap, name: str) -> None:
        path = out / f"{name}.png"
        pixmap.save(str(path))
        written.append(path)
        log.info("wrote %s", path)

    login = LoginDialog(db, tasks, None)
    login.username.setText("clerk")
    login.show()
    _settle(app)
    save(login.grab(), "login")
    login.close()

    window = MainWindow(ctx, demo=True)
    window.resize(*SIZE)
    window.show()
    _settle(app, lambda: window.queue.loaded and window.daylist.model.query is not None)
    window.queue.table.select_row(2)
    window.queue.table.setFocus()
    _settle(app, extra=0.6)  # the detail panel's history arrives a moment later
    save(window.grab(), "queue")

    window.queue.reject_selected()
    dialog = window.queue.reject_dialog
    dialog.pick(0)
    _settle(app)
    save(_over(window, dialog), "reject")
    dialog.reject()

    window.show_page("daylist")
    _settle(app, lambda: window.daylist.model.rowCount() > 0)
    window.daylist.table.select_row(3)
    _settle(app)
    save(window.grab(), "daylist")

    window.daylist.open_walkin()
    walkin = window.daylist.walkin_dialog
    _settle(app, lambda: walkin.slots.count() > 0 or walkin.sessions.count() > 0)
    if walkin.sessions.count() and walkin.sessions.currentRow() < 0:
        walkin.sessions.setCurrentRow(0)
        _settle(app, lambda: walkin.slots.count() > 0)
    walkin.search.setText("王")
    _settle(app, lambda: walkin.results.count() > 0)
    walkin.results.setCurrentRow(0)
    _settle(app)
    save(_over(window, walkin), "walkin")
    walkin.reject()

    window.show_page("queue")
    window._lost("database unreachable: connection refused")
    _settle(app)
    save(window.grab(), "offline")
    window.close()
    _settle(app)

    # the pages a clerk does not see, as the administrator sees them
    from services import auth
    admin_ctx = ConsoleContext(db=db, actor=auth.actor_for(db, "admin"), tasks=tasks, cfg=ctx.cfg,
                               settings=S.Settings(tmp / "admin.ini"), extras={})
    admin = MainWindow(admin_ctx)
    admin.resize(*SIZE)
    admin.show()
    _settle(app, lambda: admin.queue.loaded)
    for key in ("roster", "admin"):
        if key in admin.pages:
            admin.show_page(key)
            _settle(app, extra=1.0)
            save(admin.grab(), key)
    admin.close()
    _settle(app)
    tasks.wait_for_done()
    db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--lang", choices=("zh_CN", "en"), default=None, help="default: the console's default")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = dt.datetime.now()
    files = render(args.out, args.lang)
    print(f"{len(files)} screenshots in {args.out} ({(dt.datetime.now() - started).seconds} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
