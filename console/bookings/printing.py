"""Printing the day list exactly as the screen shows it, with a title that says how it was filtered.

What is printed is what the clerk sees: the rows the day list shows (its department, doctor and
status choices and the search applied, in the screen's order) and its columns (those shown, in
the screen's order, with the screen's words). The page hands them over as a ``PrintView``
(``DayListPage.print_view()``); a worker turns that into a ``Sheet`` of strings (and reads the
hospital's name); the GUI thread then paints the sheet with QPainter, page by page: a title line
with the filters, the table's header on every page, cells elided to their column, page numbers.
No QTextDocument: it took ~10 s to lay out a table of 2,000 rows, on the GUI thread; painting the
cells takes a fraction of that. Meanwhile ``busyChanged`` tells the window, which shows it (the
print actions off, a wait cursor, a line in the status bar).

    printer = DayListPrinter(ctx, window)
    printer.preview(view)          # opens a QPrintPreviewDialog (open(), not exec())
    printer.save_pdf(view, path)   # pdfWritten(path) when done
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QMarginsF, QObject, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

from console.common.pagekit import show_message
from console.common.tasks import user_message
from services.clock import local_now
from services.rosters import masterdata

log = logging.getLogger(__name__)

LEFT = Qt.AlignmentFlag.AlignLeft


@dataclass(frozen=True)
class PrintView:
    """What a list shows, handed over by its page (GUI thread; all immutable, read by a worker)."""
    heading: str  # what the list is: "门诊患者名单 2026-12-01 周二"
    filters: tuple[str, ...]  # what narrows or orders it, in words: "内科", "搜索“张”"...
    titles: tuple[str, ...]  # the columns shown, in the screen's order
    cells: tuple[Callable[[Any], str], ...]  # each column's text of a row (tablemodel.Column.display)
    aligns: tuple[Qt.AlignmentFlag, ...]
    rows: tuple[Any, ...]  # the records shown, in the screen's order
    total: int  # the rows the list holds before its filters
    printed_by: str = ""


@dataclass(frozen=True)
class Sheet:
    """The strings of a printout: built off the GUI thread, painted by ``paint_sheet``."""
    title: str
    subtitle: str
    headers: tuple[str, ...]
    aligns: tuple[Qt.AlignmentFlag, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: str


def build_sheet(view: PrintView, hospital: str) -> Sheet:
    """Pure Python (no painting): runs on the task runner's worker."""
    rows = tuple(tuple("" if (v := cell(r)) is None else str(v) for cell in view.cells) for r in view.rows)
    if len(rows) != view.total:  # said on paper too: this is not the whole day
        shown = QCoreApplication.translate("DayListPrinter", "{shown} of {total} bookings shown")
    else:
        shown = QCoreApplication.translate("DayListPrinter", "{total} bookings")
    subtitle = " · ".join((*view.filters, shown.format(shown=len(rows), total=view.total)))
    footer = QCoreApplication.translate("DayListPrinter", "Printed {when}").format(
        when=f"{local_now():%Y-%m-%d %H:%M}") + (f" · {view.printed_by}" if view.printed_by else "")
    return Sheet(f"{hospital}  {view.heading}".strip(), subtitle, view.titles, view.aligns, rows, footer)


# ---------------------------------------------------------------- painting


def fit_widths(natural: Sequence[float], available: float) -> list[float]:
    """Column widths filling ``available``: the natural ones widened alike when they leave room, else the
    widest columns cut to one common width (the narrow ones - numbers, times, sexes - stay whole)."""
    if not natural:
        return []
    if sum(natural) <= available:
        return [w * available / sum(natural) for w in natural]
    ordered = sorted(natural)
    rest, left = available, len(ordered)
    cap = available / len(ordered)
    for w in ordered:
        if w * left > rest:
            cap = rest / left
            break
        rest -= w
        left -= 1
    return [min(w, cap) for w in natural]


def new_printer(pdf_path: str | Path | None = None) -> QPrinter:
    """A4 landscape with narrow margins; a PDF printer when ``pdf_path`` is given."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                      QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter))
    if pdf_path is not None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf_path))
    return printer


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


class _Layout:
    """Where everything goes on ``printer``'s pages (device pixels)."""

    def __init__(self, sheet: Sheet, printer: QPrinter):
        self.page = printer.pageLayout().paintRectPixels(printer.resolution())
        self.body, self.bold, self.big = _font(9), _font(9, True), _font(12, True)
        self.fm, self.fm_bold, self.fm_big = (QFontMetricsF(f, printer) for f in (self.body, self.bold, self.big))
        self.pad = self.fm.averageCharWidth() * 0.8
        self.row_h = self.fm.height() * 1.5
        natural = []
        for c, header in enumerate(sheet.headers):
            widest = max((self.fm.horizontalAdvance(r[c]) for r in sheet.rows), default=0.0)
            natural.append(max(widest, self.fm_bold.horizontalAdvance(header)) + 2 * self.pad)
        self.widths = fit_widths(natural, self.page.width())
        # per column, worked out once (a big day paints 25,000 cells): whether any cell can need
        # eliding (the column was cut), and the alignment flags as one int (Qt's enum objects are slow)
        self.cut = [w < n - 0.5 for w, n in zip(self.widths, natural, strict=True)]
        horizontal = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignHCenter
        self.flags = [((a & horizontal) or LEFT) | Qt.AlignmentFlag.AlignVCenter for a in sheet.aligns]
        self.header_flags = [LEFT | Qt.AlignmentFlag.AlignVCenter] * len(sheet.headers)
        self.top = self.fm_big.height() * 1.3 + self.fm.height() * 1.6  # the title and the filter line
        foot = self.fm.height() * 1.6
        self.per_page = max(1, int((self.page.height() - self.top - self.row_h - foot) // self.row_h))
        self.pages = max(1, -(-len(sheet.rows) // self.per_page))


def paint_sheet(sheet: Sheet, printer: QPrinter) -> int:
    """Paint ``sheet`` on ``printer`` (a real printer, a PDF, or the preview's); returns the pages."""
    lay = _Layout(sheet, printer)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("无法开始打印（打印机或文件不可用）")
    try:
        width = lay.page.width()
        line, shade = QPen(QColor("#999999")), QColor("#ddebf7")
        line.setWidthF(max(1.0, printer.resolution() / 300))
        for n in range(lay.pages):
            if n:
                printer.newPage()
            painter.setPen(QColor("#000000"))
            painter.setFont(lay.big)
            painter.drawText(QRectF(0, 0, width, lay.fm_big.height() * 1.3), LEFT | Qt.AlignmentFlag.AlignVCenter,
                             lay.fm_big.elidedText(sheet.title, Qt.TextElideMode.ElideRight, width))
            painter.setFont(lay.body)
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(0, lay.fm_big.height() * 1.3, width, lay.fm.height() * 1.4),
                             LEFT | Qt.AlignmentFlag.AlignVCenter,
                             lay.fm.elidedText(sheet.subtitle, Qt.TextElideMode.ElideRight, width))
            y = lay.top
            painter.fillRect(QRectF(0, y, sum(lay.widths), lay.row_h), shade)
            _row(painter, lay, sheet.headers, lay.header_flags, y, lay.bold, lay.fm_bold, line, header=True)
            for values in sheet.rows[n * lay.per_page:(n + 1) * lay.per_page]:
                y += lay.row_h
                _row(painter, lay, values, lay.flags, y, lay.body, lay.fm, line)
            painter.setPen(QColor("#555555"))
            foot = QRectF(0, lay.page.height() - lay.fm.height() * 1.4, width, lay.fm.height() * 1.4)
            painter.drawText(foot, LEFT | Qt.AlignmentFlag.AlignVCenter, sheet.footer)
            painter.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             QCoreApplication.translate("DayListPrinter", "Page {n} of {pages}").format(
                                 n=n + 1, pages=lay.pages))
    finally:
        painter.end()
    return lay.pages


def _row(painter: QPainter, lay: _Layout, values, flags, y: float, font: QFont, fm: QFontMetricsF, line: QPen,
         header: bool = False) -> None:
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    x = 0.0
    for value, flag, w, cut in zip(values, flags, lay.widths, lay.cut, strict=True):
        inner = w - 2 * lay.pad
        if cut or header:
            value = fm.elidedText(value, Qt.TextElideMode.ElideRight, inner)
        painter.drawText(QRectF(x + lay.pad, y, inner, lay.row_h), flag, value)
        x += w
    painter.setPen(line)
    painter.drawLine(0, int(y + lay.row_h), int(x), int(y + lay.row_h))


# ---------------------------------------------------------------- the console's side


class DayListPrinter(QObject):
    """Builds the sheet of a ``PrintView`` in the background, then previews it or writes it to PDF."""

    busyChanged = Signal(bool)  # True while a printout is being prepared (the window shows it)
    sheetReady = Signal(object)  # the Sheet about to be previewed or written
    previewOpened = Signal(object)  # the QPrintPreviewDialog, already open
    pdfWritten = Signal(str)
    failed = Signal(str)

    def __init__(self, ctx, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.widget = parent
        self.busy = False
        self._printers: dict[int, tuple[QPrinter, Sheet]] = {}

    def _build(self, view: PrintView, then: Callable[[Sheet], None]) -> None:
        if self.busy:
            return  # one printout at a time: a second Ctrl+P while the first is prepared does nothing
        self._set_busy(True)
        db = self.ctx.db

        def work() -> Sheet:
            return build_sheet(view, masterdata.hospital(db).name)

        def done(sheet: Sheet | None, error: BaseException | None) -> None:
            try:
                if error is not None:
                    self._failed(error)
                    return
                self.sheetReady.emit(sheet)
                then(sheet)
            finally:
                self._set_busy(False)
        self.ctx.tasks.run_task(work, done, owner=self)

    def guard(self, *actions: QAction) -> None:
        """``actions`` (Print…, Save as PDF…) are off while a printout is prepared."""
        self.busyChanged.connect(lambda on: [a.setEnabled(not on) for a in actions])

    def _set_busy(self, on: bool) -> None:
        self.busy = on
        bar = self.widget.statusBar() if isinstance(self.widget, QMainWindow) else None
        if on:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            if bar is not None:
                bar.showMessage(self.tr("Preparing the printout…"))
        else:
            QGuiApplication.restoreOverrideCursor()
            if bar is not None:
                bar.clearMessage()
        self.busyChanged.emit(on)

    def _failed(self, error: BaseException) -> None:
        message = user_message(error)
        self.failed.emit(message)
        show_message(self.widget, message)

    def preview(self, view: PrintView) -> None:
        self._build(view, self._open_preview)

    def _open_preview(self, sheet: Sheet) -> None:
        printer = new_printer()
        printer.setDocName(sheet.title)
        dialog = QPrintPreviewDialog(printer, self.widget)
        dialog.setObjectName("dayListPreview")
        dialog.setWindowTitle(self.tr("Print preview: {title}").format(title=sheet.title))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.paintRequested.connect(lambda p, s=sheet: self._paint(s, p))
        key = id(dialog)  # the printer must outlive the dialog's painting
        self._printers[key] = (printer, sheet)
        dialog.finished.connect(lambda _result, k=key: self._printers.pop(k, None))
        dialog.resize(1000, 700)
        dialog.open()
        self.previewOpened.emit(dialog)

    def _paint(self, sheet: Sheet, printer: QPrinter) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # many pages take a moment
        try:
            paint_sheet(sheet, printer)
        finally:
            QGuiApplication.restoreOverrideCursor()

    def save_pdf(self, view: PrintView, path: str | Path) -> None:
        def write(sheet: Sheet) -> None:
            printer = new_printer(path)
            printer.setDocName(sheet.title)
            try:
                self._paint(sheet, printer)
                if not Path(path).is_file():  # QPrinter reports nothing itself when it cannot write
                    raise OSError(f"无法写入 {path}")
            except OSError as exc:
                self._failed(exc)
                return
            log.info("day list printed to %s: %d rows", path, len(sheet.rows))
            self.pdfWritten.emit(str(path))
        self._build(view, write)

    def ask_and_save_pdf(self, view: PrintView, day: dt.date) -> None:  # pragma: no cover - a native dialog
        name, _ = QFileDialog.getSaveFileName(self.widget, self.tr("Save the day list as PDF"),
                                              self.tr("Patients {day}").format(day=f"{day:%Y-%m-%d}") + ".pdf",
                                              self.tr("PDF (*.pdf)"))
        if name:
            self.save_pdf(view, name)


def table_view(table, heading: str, filters: Sequence[str], printed_by: str = "") -> PrintView:
    """The rows and columns a console.common.booktable.BookingTable shows now, in its order, as a PrintView."""
    table.flush_search()  # a search typed but not yet applied: the list and the paper show it alike
    proxy, model, header = table.proxy, table.source, table.horizontalHeader()
    logical = [header.logicalIndex(v) for v in range(header.count())]
    logical = [i for i in logical if not header.isSectionHidden(i)]
    columns = [model.columns[i] for i in logical]
    return PrintView(heading, tuple(f for f in filters if f),
                     tuple(model.headerData(i, Qt.Orientation.Horizontal) for i in logical),
                     tuple(c.display for c in columns), tuple(c.align for c in columns),
                     tuple(proxy.row_at(p) for p in range(proxy.rowCount())), model.rowCount(), printed_by)


def day_list_view(page) -> PrintView:
    """What console.bookings.daylist.DayListPage shows: the day, department and doctor of the rows loaded (not of
    the pickers, which run ahead of a load), its status choice, its search and its sort."""
    from console.common import labels as L
    day, department, doctor = page.model.query or page.query()
    heading = QCoreApplication.translate("DayListPrinter", "Patient list {day}").format(
        day=f"{day:%Y-%m-%d} {L.weekday(day)}")
    filters = [combo.itemText(combo.findData(value)) for combo, value in ((page.department, department),
                                                                          (page.doctor, doctor)) if value]
    if page.status_filter.currentData() != "all":
        filters.append(page.status_filter.currentText())
    text = page.search_box.text().strip()
    if text:
        filters.append(QCoreApplication.translate("DayListPrinter", "search “{text}”").format(text=text))
    header = page.table.horizontalHeader()
    column = header.sortIndicatorSection()
    if page.table.isSortingEnabled() and 0 < column < page.model.columnCount():  # by time (0) is the list's own
        title = page.model.headerData(column, Qt.Orientation.Horizontal)
        down = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        filters.append((QCoreApplication.translate("DayListPrinter", "sorted by {column}, descending") if down else
                        QCoreApplication.translate("DayListPrinter", "sorted by {column}")).format(column=title))
    actor = page.ctx.actor
    return table_view(page.table, heading, filters, getattr(actor, "display_name", "") or actor.name)
