"""Cell helpers shared by the Excel exports and imports: safe text, column widths, styles. No Qt.

Values typed by patients in the mini-program reach our workbooks as they are. Two things
must never happen with them:

* a name such as ``=HYPERLINK(...)`` or ``+86 138...`` becoming a formula: every string is
  written as a string cell (``data_type 's'``, an inline string) and, when it begins with one
  of ``= + - @``, with the ``quotePrefix`` style so that Excel keeps it text even after a
  clerk edits the cell;
* a control character that the XML of a workbook cannot hold (``\\x00``-``\\x08`` ...) crashing
  the export: such characters are removed.

:class:`RowWriter` writes rows to a write-only worksheet fast: one styled cell per column
is built once and refilled for every row (openpyxl writes each appended row at once, so
the cell can be reused), which keeps the per-cell cost close to a bare ``ws.append``.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from services import limits
from services.errors import ValidationError

log = logging.getLogger(__name__)

FORMULA_TRIGGERS = ("=", "+", "-", "@")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell

HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
STOPPED_FILL = PatternFill("solid", fgColor="F8CBAD")
DRAFT_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(vertical="center", wrap_text=True)
TITLE_ALIGN = Alignment(horizontal="left", vertical="center")

DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TEXT_FORMAT = "@"


def clean_text(value: str) -> str:
    """Drop the control characters a workbook cannot hold; cut to Excel's cell limit."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > MAX_CELL_CHARS:
        value = value[:MAX_CELL_CHARS]
    return value


def needs_quote(value: str) -> bool:
    """Would Excel read this text as a formula if it were typed in?"""
    return value[:1] in FORMULA_TRIGGERS


def set_text(cell, value: str | None) -> None:
    """Put a string into any openpyxl cell as text, never as a formula."""
    if value is None:
        cell.value = None
        return
    value = clean_text(str(value))
    cell.value = value
    if value and (cell.data_type == "f" or needs_quote(value)):
        cell.data_type = "s"
        cell.quotePrefix = True


def display_width(text: str) -> int:
    """Width in Excel's character units: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def fit_width(texts: Iterable[str], minimum: float = 4, maximum: float = 60) -> float:
    """A column width that shows the widest of ``texts`` (plus a little margin), within bounds."""
    widest = max((display_width(t) for t in texts if t), default=0)
    return float(min(maximum, max(minimum, widest + 2)))


@dataclass(frozen=True)
class Column:
    """One column of a streamed sheet: header, kind ('text', 'int', 'date', 'time', 'datetime'), width."""
    header: str
    kind: str = "text"
    width: float = 10
    centered: bool = False  # short numbers (an age) must not run into the next column's text


_FORMATS = {"date": DATE_FORMAT, "time": TIME_FORMAT, "datetime": DATETIME_FORMAT}


class RowWriter:
    """Appends rows of plain values to a write-only worksheet with typed, safe cells.

    Dates and times are handed to openpyxl as the serial numbers it would compute itself
    (with the column's date/time format), from a small cache: a day list has few distinct
    times and this is the hot loop of a 30,000-row export.
    """

    _CACHE_LIMIT = 4096

    def __init__(self, ws, columns: Sequence[Column]):
        self.ws = ws
        self.columns = tuple(columns)
        self._cells = []
        for col in self.columns:
            cell = None
            if col.kind in _FORMATS or col.centered:
                cell = WriteOnlyCell(ws)
                if col.kind in _FORMATS:
                    cell.number_format = _FORMATS[col.kind]
                if col.centered:
                    cell.alignment = CENTER
            self._cells.append(cell)
        self._typed = [i for i, col in enumerate(self.columns) if col.kind in _FORMATS or col.centered]
        self._serials: dict = {}
        self.rows_written = 0
        # write-only sheets take column settings only before the first row
        for i, col in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width

    def header(self) -> None:
        cells = []
        for col in self.columns:
            c = WriteOnlyCell(self.ws, value=col.header)
            c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
            cells.append(c)
        self.ws.append(cells)

    def _serial(self, value) -> float:
        if isinstance(value, dt.datetime):  # seldom repeated: not cached
            return to_excel(value)
        got = self._serials.get(value)
        if got is None:
            if len(self._serials) >= self._CACHE_LIMIT:
                self._serials.clear()
            got = self._serials[value] = to_excel(value)
        return got

    def append(self, values: Sequence) -> None:
        texts = [v for v in values if v.__class__ is str]
        joined = "\x00".join(texts)
        # one search per row finds both a control character and a text that starts like a formula
        # (NUL is the separator here, so an embedded NUL shows up in the count instead)
        if (_SUSPECT.search(joined) or joined.count("\x00") != max(0, len(texts) - 1)
                or len(joined) > MAX_CELL_CHARS):
            out = [self._safe(v) if v.__class__ is str else v for v in values]
        else:
            out = list(values)
        for i in self._typed:
            v = out[i]
            if v is not None and not isinstance(v, str):
                # a styled cell: openpyxl starts a fresh internal cell after it, never reuses ours
                cell = self._cells[i]
                cell.value = self._serial(v) if isinstance(v, (dt.date, dt.time)) else v
                out[i] = cell
        self.ws.append(out)
        self.rows_written += 1

    def _safe(self, value: str):
        value = clean_text(value)
        if value[:1] in FORMULA_TRIGGERS:
            # rare: a fresh cell each time (two in a row must not share one)
            cell = WriteOnlyCell(self.ws, value=value)
            cell.quotePrefix = True
            cell.data_type = "s"
            return cell
        return value


_SUSPECT = re.compile(r"[\001-\010\013\014\016-\037]|(?:^|\x00)[=+\-@]")


def setup_print(ws, *, title_rows: str, landscape: bool = True, footer: bool = True) -> None:
    """Landscape, fit all columns on the page width, repeat ``title_rows`` on every page."""
    if landscape:
        ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if footer:
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file next to ``path``, moved over it only when the block completes.

    A failed export thus never leaves half a workbook where the user expects the file. Its errors
    are about the exports' ``out`` parameter (``field``), whatever else went wrong.
    """
    target = limits.file_path(path, "输出文件名")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        if not folder.is_dir():
            raise ValidationError(f"文件夹不存在：{limits.shown(str(folder), 200)}", field="out")
        if target.is_dir():
            raise ValidationError(f"输出路径是一个文件夹，请给出文件名：{limits.shown(str(target), 200)}", field="out")
    except OSError as exc:  # too long for the file system, a loop of links, no permission ...
        raise limits.path_error(exc, target, field="out") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".regdesk-", suffix=".xlsx.part", dir=folder)
    except OSError as exc:  # a read-only or forbidden folder: one clear message, not a traceback
        raise ValidationError(f"无法在文件夹中写入文件：{limits.shown(str(folder), 200)}（{exc.strerror or exc}）",
                              field="out") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except OSError as exc:  # disk full, the target locked by Excel, turned into a folder meanwhile...
        tmp_path.unlink(missing_ok=True)
        raise ValidationError(f"无法写入文件：{limits.shown(str(target), 200)}（{exc.strerror or exc}）",
                              field="out") from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
