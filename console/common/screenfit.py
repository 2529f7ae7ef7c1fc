"""Window sizes that fit the screen the clerk actually has, the window manager's frame included.

The desk PCs have 1366x768 screens. A window of 1366x768 *inside* its frame pushes the title bar or
the status bar (connection state, last change, new requests) off such a screen, so:
- the first window (no saved geometry) takes the size it wants when that fits the screen's
  available geometry with a frame around it, else it opens maximized (the window manager then
  fits it, frame and panels included);
- a saved geometry is restored only where it still fits the current screen (a laptop undocked
  from a large monitor gets the first-run size instead);
- once shown, the real frame is known: a window that still sticks out is brought back.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

# a title bar and borders, until the window manager says (openbox, KWin, Windows are about this)
FRAME_GUESS = QMargins(4, 30, 4, 4)


def available(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def frame_of(widget: QWidget) -> QMargins:
    """The real frame once the window manager framed the window, else the guess."""
    outer, inner = widget.frameGeometry(), widget.geometry()
    real = QMargins(inner.left() - outer.left(), inner.top() - outer.top(),
                    outer.right() - inner.right(), outer.bottom() - inner.bottom())
    return real if widget.isVisible() and (real.top() or real.left()) else FRAME_GUESS


def room(avail: QRect, frame: QMargins) -> QSize:
    """The largest client size whose frame fits in ``avail``."""
    return QSize(avail.width() - frame.left() - frame.right(), avail.height() - frame.top() - frame.bottom())


def first_geometry(avail: QRect, wanted: QSize, frame: QMargins = FRAME_GUESS) -> tuple[QRect, bool]:
    """(client rectangle, maximize?) for a window that wants ``wanted`` on a screen with ``avail``."""
    space = room(avail, frame)
    if wanted.width() <= space.width() and wanted.height() <= space.height():
        x = avail.left() + frame.left() + (space.width() - wanted.width()) // 2
        y = avail.top() + frame.top() + (space.height() - wanted.height()) // 2
        return QRect(x, y, wanted.width(), wanted.height()), False
    size = wanted.boundedTo(space)
    return QRect(avail.left() + frame.left(), avail.top() + frame.top(), size.width(), size.height()), True


def fits(avail: QRect, client: QRect, frame: QMargins = FRAME_GUESS) -> bool:
    return avail.contains(client.marginsAdded(frame))


def place(window: QWidget, wanted: QSize, minimum: QSize) -> None:
    """Size a window not yet shown for the screen it will appear on (first run)."""
    avail = available(window)
    window.setMinimumSize(minimum.boundedTo(room(avail, FRAME_GUESS)))
    rect, maximize = first_geometry(avail, wanted)
    window.setGeometry(rect)
    if maximize:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def restore(window: QWidget, saved, wanted: QSize, minimum: QSize) -> bool:
    """Restore a saved geometry if it fits the current screen; else the first-run size. True if restored."""
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMaximized)  # the saved state decides
    if saved is not None and not saved.isEmpty() and window.restoreGeometry(saved):
        if window.isMaximized() or window.isFullScreen() or fits(available(window), window.geometry()):
            return True
        log.info("the saved window geometry does not fit this screen; sizing the window afresh")
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMaximized)
    place(window, wanted, minimum)
    return False


def keep_on_screen(window: QWidget) -> None:
    """After showing, with the real frame known: bring back a window that sticks out of the screen."""
    if not window.isVisible() or window.isMaximized() or window.isFullScreen():
        return
    avail, frame = available(window), frame_of(window)
    if fits(avail, window.geometry(), frame):
        return
    space = room(avail, frame)
    if window.width() > space.width() or window.height() > space.height():
        window.showMaximized()
        return
    outer = window.frameGeometry()
    outer.moveLeft(max(avail.left(), min(outer.left(), avail.right() - outer.width() + 1)))
    outer.moveTop(max(avail.top(), min(outer.top(), avail.bottom() - outer.height() + 1)))
    window.move(outer.topLeft())


class KeepOnScreen(QObject):
    """Calls keep_on_screen when the window is shown, and again once the window manager framed it."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            for ms in (0, 500):  # the frame arrives after the window is mapped
                QTimer.singleShot(ms, self, lambda: keep_on_screen(self.window))
        return False
