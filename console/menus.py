"""The main window's menu bar: File (Excel and printing, settings, quit),
View (a page per Alt+number, the demo's automatic decisions) and Help (the keyboard shortcuts, F1)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from console.filemenu import FileActions

if TYPE_CHECKING:
    from console.mainwindow import MainWindow


class MainMenus(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        w = window
        bar = w.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.setToolTipsVisible(True)  # a disabled action says why
        self.file_actions = FileActions(w.ctx, w, w.daylist)
        self.file_actions.add_to(file_menu)
        settings = QAction(self.tr("&Settings…"), w)
        settings.triggered.connect(w.open_settings)
        file_menu.addAction(settings)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), w)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(w.close)
        file_menu.addAction(quit_action)
        view = bar.addMenu(self.tr("&View"))
        for n, (key, item) in enumerate(w.nav_items.items(), 1):
            act = QAction(item.text(), w)
            act.setShortcut(QKeySequence(f"Alt+{n}"))
            act.triggered.connect(lambda _=False, k=key: w.show_page(k))
            view.addAction(act)
            w.addAction(act)
        self.autoapprove_action: QAction | None = None
        if w.demo and w.autoapprove.available:
            view.addSeparator()
            act = self.autoapprove_action = QAction(self.tr("Demo: decide requests automatically"), w)
            act.setCheckable(True)
            act.setToolTip(self.tr("The demo's job service, running inside this console, "
                                   "decides new requests by the hospital's rules"))
            act.toggled.connect(w.autoapprove.set_on)
            view.addAction(act)
        help_menu = bar.addMenu(self.tr("&Help"))
        keys = QAction(self.tr("Keyboard shortcuts"), w)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(w.show_help)
        help_menu.addAction(keys)
        w.addAction(keys)
