"""The console's own settings: a typed registry over QSettings (as in Picard).

Every setting is declared once, here, with its type and default; reading converts what
QSettings hands back (INI files give strings) to that type and falls back to the default
for anything unreadable, so a damaged settings file never stops the console.

    settings = Settings()                  # console.ini next to the config file
    settings[LANGUAGE]                     # -> "system"
    settings[LANGUAGE] = "en"

The file lives next to the TOML config (services.config.config_path()), so tests that
point REGDESK_CONFIG at a temporary folder never touch a real user's settings.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from services.config import config_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    key: str
    type: type
    default: Any
    choices: tuple = ()
    doc: str = ""

    def convert(self, raw: Any) -> Any:
        """QSettings' raw value -> this option's type (the default when it cannot be read)."""
        if raw is None:
            return self.default
        try:
            if self.type is bool:
                value = raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
            elif self.type is int:
                value = int(raw)
            elif self.type is str:
                value = str(raw)
            elif self.type is QByteArray:
                value = raw if isinstance(raw, QByteArray) else QByteArray(raw)
            elif self.type is list:
                value = [str(v) for v in raw] if isinstance(raw, (list, tuple)) else ([str(raw)] if raw else [])
            else:
                value = self.type(raw)
        except (TypeError, ValueError):
            log.info("setting %s: unreadable value %r, using the default", self.key, raw)
            return self.default
        if self.choices and value not in self.choices:
            return self.default
        return value


OPTIONS: dict[str, Option] = {}


def option(key: str, type_: type, default: Any, *, choices: tuple = (), doc: str = "") -> Option:
    if key in OPTIONS:
        raise ValueError(f"setting {key} declared twice")
    opt = Option(key, type_, default, choices, doc)
    OPTIONS[key] = opt
    return opt


# ---------------------------------------------------------------- the registry

LANGUAGE = option("ui/language", str, "system", choices=("system", "zh_CN", "en"),
                  doc="system: Chinese unless the setting says English (the clerks read Chinese)")
GEOMETRY = option("window/geometry", QByteArray, QByteArray())
WINDOW_STATE = option("window/state", QByteArray, QByteArray())
LAST_PAGE = option("window/page", str, "queue")
TRAY_NOTIFY = option("notify/tray", bool, True, doc="a tray message when new requests arrive")
SOUND_NOTIFY = option("notify/sound", bool, False, doc="the system bell when new requests arrive")
LAST_USER = option("login/username", str, "")

QUEUE_HEADER = option("queue/header", QByteArray, QByteArray())
QUEUE_HEADER_COLUMNS = option("queue/header_columns", str, "",
                              doc="the column keys and versions QUEUE_HEADER was saved with (as DAY_HEADER_COLUMNS)")
QUEUE_SPLITTER = option("queue/splitter", QByteArray, QByteArray())
QUEUE_SEARCH = option("queue/search", str, "")

DAY_HEADER = option("daylist/header", QByteArray, QByteArray())
DAY_HEADER_COLUMNS = option("daylist/header_columns", str, "",
                            doc="the column keys and versions DAY_HEADER was saved with: widths are restored only "
                                "onto the same columns (a new column would otherwise take a neighbour's width), and "
                                "a column whose content grew since (a newer version) is fitted to it again")
DAY_DEPARTMENT = option("daylist/department_id", int, 0, doc="0: all departments")
DAY_DOCTOR = option("daylist/doctor_id", int, 0, doc="0: all doctors")
DAY_STATUS = option("daylist/status", str, "active",
                    choices=("all", "active", "expected", "checked_in", "no_show", "pending", "closed"))

WALKIN_DEPARTMENT = option("walkin/department_id", int, 0)

DEMO_AUTOAPPROVE = option("demo/autoapprove", bool, False,
                          doc="the demo's in-process job service decides requests; off by default so that a "
                              "newcomer sees requests wait in the queue")


def default_path() -> Path:
    return config_path().parent / "console.ini"


class Settings:
    """Typed access to the declared options, stored in an INI file."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_path()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def __getitem__(self, opt: Option) -> Any:
        return opt.convert(self._qs.value(opt.key))

    def __setitem__(self, opt: Option, value: Any) -> None:
        if OPTIONS.get(opt.key) is not opt:
            raise KeyError(f"undeclared setting {opt.key}")
        if opt.choices and value not in opt.choices:
            raise ValueError(f"{opt.key}: {value!r} is not one of {opt.choices}")
        self._qs.setValue(opt.key, value)

    def reset(self, opt: Option) -> None:
        self._qs.remove(opt.key)

    def sync(self) -> None:
        """Write to disk now (QSettings also writes on its own, later)."""
        self._qs.sync()
        if self._qs.status() != QSettings.Status.NoError:
            log.warning("could not write the console settings to %s", self.path)
