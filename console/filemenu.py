"""The File menu's Excel and printing entries, for the actions the user may take.

Their modules are imported when an action runs, not when the menu is built: console.rosters.excel pulls in
openpyxl and console.bookings.printing QtPrintSupport, together most of the main window's start-up time
(benchmarks/startup.py). A broken module still fails loudly, at the first click.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from console.common.context import ConsoleContext, WindowPart

if TYPE_CHECKING:
    from console.bookings.daylist import DayListPage
    from console.bookings.printing import DayListPrinter


class FileActions(WindowPart):
    def __init__(self, ctx: ConsoleContext, window: QMainWindow, daylist: DayListPage):
        super().__init__(ctx, window)
        self.daylist = daylist
        self._printer: DayListPrinter | None = None
        self._print_actions: list[QAction] = []

    def add_to(self, menu: QMenu) -> None:
        can = self.ctx.can
        if can("export.daily"):
            self._action(menu, self.tr("Export the day list to Excel…"), self.export_daily)
        if can("export.roster"):
            self._action(menu, self.tr("Export the week's roster to Excel…"), self.export_roster)
        if can("roster.import"):
            self._action(menu, self.tr("Import a roster from Excel…"), self.import_roster)
        if can("export.daily"):
            act = self._action(menu, self.tr("&Print the day list…"), self.print_preview)
            act.setShortcut(QKeySequence("Ctrl+P"))
            pdf = self._action(menu, self.tr("Save the day list as PDF…"), self.save_pdf)
            self._print_actions = [act, pdf]
        if menu.actions():
            menu.addSeparator()

    def _action(self, menu: QMenu, text: str, slot) -> QAction:
        act = QAction(text, self.window)
        act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        return act

    def export_daily(self) -> None:
        from console.rosters.excel import ExportDailyDialog
        ExportDailyDialog(self.ctx, day=self.daylist.day(), department_id=self.daylist.query()[1],
                          parent=self.window).open()

    def export_roster(self) -> None:
        from console.rosters.excel import ExportRosterDialog
        ExportRosterDialog(self.ctx, parent=self.window).open()

    def import_roster(self) -> None:
        from console.rosters.excel import ImportRosterDialog
        ImportRosterDialog(self.ctx, parent=self.window).open()

    def printer(self) -> DayListPrinter:
        """The day list's printer, built at the first printout; the print actions are off while it works."""
        if self._printer is None:
            from console.bookings.printing import DayListPrinter
            self._printer = DayListPrinter(self.ctx, self.window)
            self._printer.guard(*self._print_actions)
        return self._printer

    def print_preview(self) -> None:
        from console.bookings.printing import day_list_view
        self.printer().preview(day_list_view(self.daylist))

    def save_pdf(self) -> None:
        from console.bookings.printing import day_list_view
        self.printer().ask_and_save_pdf(day_list_view(self.daylist), self.daylist.day())
