"""The main window fits the screen it opens on, frame included: first run, and a saved geometry from a
larger screen (the offscreen test screen is 800x800, smaller than the 1366x768 the window wants)."""
from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize
from PySide6.QtWidgets import QMainWindow

from console.common import screenfit, settings as S
from console.mainwindow import MainWindow
from tests.console.console_helpers import console_context, staff

FRAME = QMargins(4, 30, 4, 4)


def test_a_screen_of_the_wanted_size_opens_maximized_not_with_the_frame_beyond_it():
    avail = QRect(0, 0, 1366, 768)
    rect, maximize = screenfit.first_geometry(avail, QSize(1366, 768), FRAME)
    assert maximize and avail.contains(rect.marginsAdded(FRAME))


def test_a_large_screen_gets_the_wanted_size_centred():
    avail = QRect(0, 0, 1920, 1040)
    rect, maximize = screenfit.first_geometry(avail, QSize(1366, 768), FRAME)
    assert not maximize and rect.size() == QSize(1366, 768) and avail.contains(rect.marginsAdded(FRAME))


def status_bar_bottom(w: QMainWindow) -> int:
    bar = w.statusBar()
    return bar.mapToGlobal(QPoint(0, bar.height() - 1)).y()


def test_the_first_window_and_its_status_bar_fit_the_screen(qtbot, sqlite_db, tmp_path):
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        w = MainWindow(ctx, live=False)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        avail = screenfit.available(w)
        assert avail.contains(w.frameGeometry()), (avail, w.frameGeometry())
        assert status_bar_bottom(w) <= avail.bottom() and w.statusBar().isVisible()
        w.close()


def test_a_saved_geometry_from_a_larger_screen_is_not_restored(qtbot, sqlite_db, tmp_path):
    big = QMainWindow()
    qtbot.addWidget(big)
    big.setGeometry(200, 150, 1600, 1000)  # as saved on a large monitor
    saved = big.saveGeometry()
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        ctx.settings[S.GEOMETRY] = saved
        w = MainWindow(ctx, live=False)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        assert screenfit.available(w).contains(w.frameGeometry())
        w.close()


def test_a_saved_geometry_that_fits_is_restored(qtbot, sqlite_db, tmp_path):
    small = QMainWindow()
    qtbot.addWidget(small)
    small.setMinimumSize(QSize(100, 100))
    small.setGeometry(4, 40, 792, 700)  # the minimum width, shrunk to this screen
    saved = small.saveGeometry()
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        ctx.settings[S.GEOMETRY] = saved
        w = MainWindow(ctx, live=False)
        qtbot.addWidget(w)
        assert w.geometry() == QRect(4, 40, 792, 700) and not w.isMaximized()
        w.close()


def test_window_titles_name_regdesk_once(qtbot, sqlite_db, tmp_path):
    """Qt appends the application's display name (" — regdesk") to every title itself."""
    from PySide6.QtWidgets import QApplication

    from console.login import LoginDialog
    QApplication.instance().setApplicationDisplayName("regdesk")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        w = MainWindow(ctx, live=False, demo=True)
        qtbot.addWidget(w)
        login = LoginDialog(lambda: sqlite_db, sqlite_db.url, ctx.tasks, None)
        qtbot.addWidget(login)
        assert "regdesk" not in w.windowTitle() and "regdesk" not in login.windowTitle()
        w.close()
