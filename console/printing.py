"""Printing the day list: an HTML table in a QTextDocument, shown in a print preview or written to PDF.

The rows come from services.exports.daily_list (the same query and masking as the Excel day
list), loaded on the task runner's worker. Every value is HTML-escaped, so a patient's name
such as ``<b>`` or ``=1+1`` is printed as typed. The table's header row is a ``<thead>``,
which Qt repeats at the top of every printed page.

    printer = DayListPrinter(ctx, parent_widget)
    printer.preview(day, department_id=None)            # opens a QPrintPreviewDialog (open(), not exec())
    printer.save_pdf(day, "list.pdf", department_id=None)  # signal pdfWritten(path) when done
    printer.ask_and_save_pdf(day, department_id=None)   # asks where first
"""
from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QObject, Qt, Signal
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QWidget

from console.pagekit import call, show_message
from console.tasks import user_message
from services import exports

log = logging.getLogger(__name__)

HEADERS = ("序号", "时间", "科室", "医生", "职称", "患者", "性别", "年龄", "手机号", "身份证号", "来源", "状态", "签到")
STYLE = """
body { font-size: 9pt; }
h3 { margin: 0 0 6px 0; }
table { border-collapse: collapse; }
th { background-color: #ddebf7; font-weight: bold; }
th, td { border: 1px solid #999999; padding: 2px 4px; }
"""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%H:%M}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    return html.escape(str(value))


def day_list_html(daily: exports.DailyList) -> str:
    """The day list as an HTML page: title, one table, a header row repeated on every page."""
    rows = []
    for r in daily.rows:
        values = (r.number, r.time, r.department, r.doctor, r.title, r.patient, r.gender, r.age, r.phone,
                  r.id_card, r.source, r.status, r.checked_in_at)
        rows.append("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in values) + "</tr>")
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in HEADERS) + "</tr>"
    return (f"<html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"
            f"<h3>{html.escape(daily.title)}</h3>"
            f"<table width='100%' cellspacing='0' cellpadding='2'><thead>{head}</thead>"
            f"<tbody>{''.join(rows)}</tbody></table></body></html>")


def make_document(html_text: str, parent: QObject | None = None) -> QTextDocument:
    doc = QTextDocument(parent)
    font = QFont()
    font.setPointSize(9)
    doc.setDefaultFont(font)
    doc.setHtml(html_text)
    return doc


def new_printer(pdf_path: str | Path | None = None) -> QPrinter:
    """A4 landscape with narrow margins; a PDF printer when ``pdf_path`` is given."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                      QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter))
    if pdf_path is not None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf_path))
    return printer


def write_pdf(daily: exports.DailyList, path: str | Path) -> Path:
    """Render the day list to a PDF file (in the GUI thread: QTextDocument layout uses fonts)."""
    path = Path(path)
    printer = new_printer(path)
    printer.setDocName(daily.title)
    doc = make_document(day_list_html(daily))
    doc.print_(printer)
    if not path.is_file():  # QPrinter reports nothing itself when it cannot write the file
        raise OSError(f"无法写入 {path}")
    return path


class DayListPrinter(QObject):
    """Loads a day list in the background, then previews it for printing or writes it to PDF."""

    previewOpened = Signal(object)  # the QPrintPreviewDialog, already open
    pdfWritten = Signal(str)
    failed = Signal(str)

    def __init__(self, ctx, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.widget = parent
        self._printers: dict[int, tuple[QPrinter, QTextDocument]] = {}

    def _load(self, day: dt.date, department_id: int | None, unmasked: bool, then) -> None:
        db, actor = self.ctx.db, self.ctx.actor
        call(self.ctx, self.widget,
             lambda: exports.daily_list(db, actor, day, department_id=department_id, unmasked=unmasked),
             then, self._failed)

    def _failed(self, error: BaseException) -> None:
        message = user_message(error)
        self.failed.emit(message)
        show_message(self.widget, message)

    def preview(self, day: dt.date, department_id: int | None = None, unmasked: bool = False) -> None:
        self._load(day, department_id, unmasked, self._open_preview)

    def _open_preview(self, daily: exports.DailyList) -> None:
        printer = new_printer()
        printer.setDocName(daily.title)
        doc = make_document(day_list_html(daily), self)
        dialog = QPrintPreviewDialog(printer, self.widget)
        dialog.setObjectName("dayListPreview")
        dialog.setWindowTitle(self.tr("Print preview: {title}").format(title=daily.title))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.paintRequested.connect(doc.print_)
        # the printer and the document must outlive the dialog's painting
        key = id(dialog)
        self._printers[key] = (printer, doc)
        dialog.finished.connect(lambda _result, k=key: self._printers.pop(k, None))
        dialog.resize(1000, 700)
        dialog.open()
        self.previewOpened.emit(dialog)

    def save_pdf(self, day: dt.date, path: str | Path, department_id: int | None = None,
                 unmasked: bool = False) -> None:
        def write(daily: exports.DailyList) -> None:
            try:
                out = write_pdf(daily, path)
            except OSError as exc:
                self._failed(exc)
                return
            log.info("day list %s printed to %s", day, out)
            self.pdfWritten.emit(str(out))
        self._load(day, department_id, unmasked, write)

    def ask_and_save_pdf(self, day: dt.date, department_id: int | None = None) -> None:  # pragma: no cover
        name, _ = QFileDialog.getSaveFileName(self.widget, self.tr("Save the day list as PDF"),
                                              self.tr("Patients {day}").format(day=f"{day:%Y-%m-%d}") + ".pdf",
                                              self.tr("PDF (*.pdf)"))
        if name:
            self.save_pdf(day, name, department_id)
