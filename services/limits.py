"""What regdesk accepts as input: ranges of numbers, text, search terms, roster dates, file paths.

One place for every limit that the command line's argument types, the services and the roster
import check, so that they agree: a number the command line takes is one the database can
hold and the importer takes too, and a week one can publish is a week one can import.

* Numbers are parsed strictly (ASCII digits, an optional sign) and compared before they are
  converted, so a 5,000-digit cell or argument never reaches ``int()`` (whose string limit
  raises ValueError) nor the database (whose integer columns hold 32 or 64 bits).
* Floats must be finite and inside their range: never silently clamped.
* Text a person typed (names, reasons, notes: :func:`text`) may not hold control, format, bidi
  or private-use characters, line separators or bytes that were not UTF-8 (a NUL matches
  everything on SQLite and is refused by PostgreSQL; an escape sequence would reach a patient's
  WeChat message or rewrite a terminal); search terms are cleaned of them instead, and text
  printed back (:func:`printable`) shows them as escapes.
* A value quoted in a message is cut (:func:`shown`): a message is one readable line, not an
  echo of a million-character cell.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from services.errors import ValidationError

log = logging.getLogger(__name__)

INT32_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL and MariaDB (ids, capacities)
INT64_MAX = 2**63 - 1  # BIGINT columns (the change log) and SQLite's INTEGER

SHOWN_CHARS = 40  # a value quoted in a message is cut to this many characters
MESSAGE_CHARS = 2500  # one message line at most (the command line cuts longer ones)


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text for a message: one line, control characters made visible, cut to ``limit``."""
    s = value if isinstance(value, str) else str(value)
    n = len(s)
    s = printable(s[:limit])
    return s + f"…（共 {n} 个字符）" if n > limit else s


# ---------------------------------------------------------------- numbers

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_int_text(s: str) -> bool:
    """ASCII digits with an optional sign (int() also takes '1_000', ' ١٢ ' and 5,000 digits)."""
    return bool(_INT_RE.fullmatch(s))


def is_float_text(s: str) -> bool:
    """A plain decimal number ('nan', 'inf' and '1_0', which float() takes, are not)."""
    return bool(_FLOAT_RE.fullmatch(s))


@dataclass(frozen=True)
class _Range:
    """A number from ``lo`` to ``hi``; ``name`` (Chinese) says what it is in messages. A subclass says which
    numbers (``word`` in messages, ``types``), how their text is read (``read``) and how the range is written."""
    name: str
    lo: Any
    hi: Any
    word: ClassVar[str]
    types: ClassVar[tuple[type, ...]]

    def read(self, s: str) -> Any:
        """``s`` (stripped) as a number; None when it is not one; _LONG when it has too many digits to be read."""
        raise NotImplementedError

    def fits(self, value) -> bool:
        return self.lo <= value <= self.hi

    def bounds(self) -> str:
        return f"{self.lo} 至 {self.hi}"

    def problem(self, value) -> str | None:
        """What is wrong with ``value`` (a number or its text), in Chinese; None when it is fine."""
        number = self.read(value.strip()) if isinstance(value, str) else value
        if number is _LONG:
            return f"{self.name}应为 {self.bounds()}：{shown(value)}"
        if isinstance(value, bool) or not isinstance(number, self.types):
            return f"{self.name}应为{self.word}：{shown(value)}"
        if not self.fits(number):
            return f"{self.name}应为 {self.bounds()}：{shown(number)}"
        return None


_LONG = object()  # a number whose digits are beyond any range here (int() of 5,000 digits would raise ValueError)


@dataclass(frozen=True)
class IntRange(_Range):
    """A whole number from ``lo`` to ``hi``."""
    lo: int
    hi: int
    word: ClassVar[str] = "整数"
    types: ClassVar[tuple[type, ...]] = (int,)

    def read(self, s: str) -> Any:
        if not _INT_RE.fullmatch(s):
            return None
        return _LONG if len(s.lstrip("+-").lstrip("0")) > 19 else int(s)

    def check(self, value, field: str | None = None) -> int:
        """``value`` (an int or its text) as an int inside the range, else ValidationError."""
        msg = self.problem(value)
        if msg:
            raise ValidationError(msg, field=field)
        return int(value.strip()) if isinstance(value, str) else int(value)


@dataclass(frozen=True)
class FloatRange(_Range):
    """A finite number from ``lo`` to ``hi`` (NaN, infinities and anything outside are refused)."""
    lo: float
    hi: float
    word: ClassVar[str] = "数字"
    types: ClassVar[tuple[type, ...]] = (int, float)

    def read(self, s: str) -> Any:
        return float(s) if _FLOAT_RE.fullmatch(s) else None  # also refuses 'nan', 'inf', '1_0' that float() takes

    def fits(self, value) -> bool:
        return math.isfinite(value) and self.lo <= value <= self.hi

    def bounds(self) -> str:
        return f"{self.lo:g} 至 {self.hi:g}"

    def check(self, value) -> float:
        msg = self.problem(value)
        if msg:
            raise ValidationError(msg)
        return float(value.strip()) if isinstance(value, str) else float(value)


ROW_ID = IntRange("编号", 1, INT32_MAX)  # ids of doctors, sessions, slots, bookings, patients ...


def is_row_id(value) -> bool:
    """Could ``value`` be the id of a row? (Lookups answer "not found" for one that cannot,
    before it reaches a database that would overflow on it.)"""
    return isinstance(value, int) and not isinstance(value, bool) and ROW_ID.lo <= value <= ROW_ID.hi
CHANGE_ID = IntRange("变更编号", 0, INT64_MAX)  # the change log's cursor (0: before the first change)
PLACES = IntRange("号数", 1, 9999)  # the places of one session (all its slots together), so also of one slot
DESK_SHARE = IntRange("现场号比例（%）", 0, 100)  # 号源池: the % of a slot kept for the desk (services.rosters.shares)
SLOT_MINUTES = IntRange("每个时段的分钟数", 1, 24 * 60)
SIMULATED_BOOKINGS = IntRange("预约请求数", 1, 1_000_000)
DECIDE_LIMIT = IntRange("一次审核的数量", 1, 1_000_000)
ATTEMPTS = IntRange("发送次数", 1, 100)
SEED = IntRange("随机种子", 0, INT64_MAX)
DEMO_DAYS = IntRange("演示天数", 1, 60)

INTERVAL = FloatRange("间隔秒数", 0.1, 3600.0)  # how often a loop looks for work
TIMEOUT = FloatRange("超时秒数", 0.1, 600.0)
LEASE = FloatRange("租约秒数", 5.0, 600.0)  # how long a job service's lease outlives its last renewal
RATIO = FloatRange("比例", 0.0, 1.0)


# ---------------------------------------------------------------- roster dates

ROSTER_DAYS_AHEAD = 366  # a roster is published or imported at most a year ahead
MAX_PUBLISH_DAYS = 92  # one publishing covers at most a quarter


def roster_horizon(today: dt.date) -> dt.date:
    """The last day a session may be created or changed on (by publishing or by the import)."""
    return today + dt.timedelta(days=ROSTER_DAYS_AHEAD)


def roster_day_problem(day: dt.date, today: dt.date) -> str | None:
    """The one rule for the days a roster may change, shared by publishing and the import:
    not a day that is over (its patients have come or not), not beyond the horizon."""
    if day < today:
        return f"{day} 已过去，不能修改排班"
    if day > roster_horizon(today):
        return f"{day} 太远：排班最远到 {roster_horizon(today)}（{ROSTER_DAYS_AHEAD} 天内）"
    return None


# ---------------------------------------------------------------- text

# Unicode general categories that text a person types may not hold, with what a message calls
# them: control characters (an escape sequence rewrites a terminal and would reach a patient's
# WeChat message; a NUL matches everything on SQLite and is refused by PostgreSQL), format
# characters (a bidi override such as U+202E turns "exe.txt" into what looks like "txt.exe";
# zero-width characters make two equal-looking names differ), line and paragraph separators,
# surrogates (bytes that were not UTF-8, from a file name or a terminal) and private-use
# characters. Ordinary spaces, the ideographic space U+3000 included, are text.
_REFUSED = {"Cc": "控制字符", "Cf": "不可见的格式字符", "Cs": "不是 UTF-8 的字节", "Co": "私用字符",
            "Zl": "换行符", "Zp": "分段符"}
_LINE_BREAKS = "\t\n"  # what a text of several lines may hold besides


def refused_char(value: str, *, multiline: bool = False) -> int | None:
    """The position of the first character in ``value`` that typed text may not hold (line
    breaks and tabs are allowed when ``multiline``); None when there is none."""
    if value.isprintable():  # the common case at C speed: no character of any refused category
        return None
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _REFUSED and not (multiline and ch in _LINE_BREAKS):
            return i
    return None


def char_code(ch: str) -> str:
    """``ch`` as a message names it: U+202E."""
    return f"U+{ord(ch):04X}"


def refused_problem(value: str, name: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` for a message in Chinese ("姓名含有不允许的字符（第 3 个字符：
    控制字符 U+001B）"), or None when it holds no refused character."""
    i = refused_char(value, multiline=multiline)
    if i is None:
        return None
    ch = value[i]
    return f"{name}含有不允许的字符（第 {i + 1} 个字符：{_REFUSED[unicodedata.category(ch)]} {char_code(ch)}）"


def printable(value: object) -> str:
    """``value`` for a terminal or a message: every refused character (also in rows written before
    they were refused, or by another program) shown as a visible escape such as ``\\x1b`` or
    ``\\u202e``."""
    s = "" if value is None else str(value)
    if refused_char(s) is None:
        return s
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _REFUSED else ch
                   for ch in s)


def text(value, name: str, max_len: int, *, required: bool = True, multiline: bool = False,
         field: str | None = None) -> str | None:
    """Text a person typed (a name, a reason, a note), stripped: not empty (when required), none of
    the refused characters above (line breaks and tabs only when ``multiline``), at most
    ``max_len`` characters. None when empty and not required. The one check for typed text."""
    s = "" if value is None else str(value).strip()
    if not s:
        if required:
            raise ValidationError(f"{name}不能为空", field=field)
        return None
    bad = refused_problem(s, name, multiline=multiline)
    if bad:
        raise ValidationError(f"{bad}，请重新输入", field=field)
    if len(s) > max_len:
        raise ValidationError(f"{name}过长（{len(s)} 个字符，最多 {max_len} 个）", field=field)
    return s


MAX_SEARCH_CHARS = 100


def search_term(value) -> str:
    """A search box's text as it may reach SQL: control characters become spaces (a NUL would
    match every row on SQLite and is an error on PostgreSQL), runs of spaces one, cut to
    MAX_SEARCH_CHARS. May be empty: the caller then finds nothing."""
    s = "" if value is None else str(value)
    if refused_char(s) is not None:
        s = "".join(" " if unicodedata.category(ch) in _REFUSED else ch for ch in s)
    return " ".join(s.split())[:MAX_SEARCH_CHARS]


# ---------------------------------------------------------------- file paths

MAX_PATH_CHARS = 4096


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf; a folder that is not there
        return 255


def file_path(value, name: str = "文件名", field: str | None = None) -> Path:
    """A file name given by a person: not empty, no control characters, every part short enough
    for the file system (a longer one fails with ENAMETOOLONG deep inside a library)."""
    s = "" if value is None else os.fspath(value)
    if not str(s).strip():
        raise ValidationError(f"{name}不能为空", field=field)
    bad = refused_problem(str(s), name)
    if bad:
        raise ValidationError(f"{bad}：{shown(s)}", field=field)
    if len(s) > MAX_PATH_CHARS:
        raise ValidationError(f"{name}过长（{len(s)} 个字符）：{shown(s)}", field=field)
    p = Path(s).expanduser()
    longest = max((len(os.fsencode(part)) for part in p.parts), default=0)
    if longest > _name_max(p.parent if str(p.parent) else Path(".")):
        raise ValidationError(f"{name}过长（文件系统不允许这么长的名字）：{shown(s)}", field=field)
    return p


def path_error(exc: OSError, path, field: str | None = None) -> ValidationError:
    """One line for an OSError on ``path`` (too long, not allowed, not there ...)."""
    return ValidationError(f"无法访问“{shown(os.fspath(path))}”：{exc.strerror or type(exc).__name__}", field=field)

