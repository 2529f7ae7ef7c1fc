"""The console's language: English source strings in tr(), a shipped zh_CN translation.

Chinese is the default. The clerks read Chinese, but a clinic PC often runs with an
English or "C" system locale, so the system locale alone would pick English for them;
only the setting (English/中文 in the settings dialog) chooses English.

The Makefile builds resources/i18n/*.qm from the .ts sources (pyside6-lrelease). When a
.qm is missing or older than its .ts (a checkout run without `make`), it is built into
the user's cache folder on the fly so that the console still speaks Chinese.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
I18N = RESOURCES / "i18n"
LANGUAGES = {"zh_CN": "中文", "en": "English"}

_installed: list[QTranslator] = []


def choose_language(setting: str, system_locale: str | None = None) -> str:
    """'zh_CN' or 'en' from the setting ('system', 'zh_CN', 'en') and the system locale name."""
    if setting in LANGUAGES:
        return setting
    name = system_locale if system_locale is not None else QLocale.system().name()
    if name.startswith("zh"):
        return "zh_CN"
    # English, "C" or anything else: the users are Chinese clerks on a PC set up by someone else
    return "zh_CN"


def _lrelease() -> str | None:
    exe = Path(sys.executable).parent / "pyside6-lrelease"
    return str(exe) if exe.exists() else shutil.which("pyside6-lrelease")


def qm_file(lang: str) -> Path | None:
    """The compiled translation for ``lang``, building it from the .ts when needed."""
    ts = I18N / f"regdesk_{lang}.ts"
    qm = ts.with_suffix(".qm")
    if qm.exists() and (not ts.exists() or qm.stat().st_mtime >= ts.stat().st_mtime):
        return qm
    if not ts.exists():
        return None
    tool = _lrelease()
    if tool is None:
        log.warning("no pyside6-lrelease to build %s; run `make translations`", qm)
        return qm if qm.exists() else None
    cache = Path(platformdirs.user_cache_dir("regdesk", appauthor=False)) / "i18n"
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / qm.name
    if out.exists() and out.stat().st_mtime >= ts.stat().st_mtime:
        return out
    try:
        subprocess.run([tool, "-silent", str(ts), "-qm", str(out)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not build %s: %s", out, exc)
        return qm if qm.exists() else None
    return out


def install(app: QCoreApplication, lang: str) -> str:
    """Install our translator and Qt's own (standard buttons, date pickers) for ``lang``."""
    for tr in _installed:
        app.removeTranslator(tr)
    _installed.clear()
    if lang == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return lang
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_tr = QTranslator(app)
    if qt_tr.load(f"qtbase_{lang}", qt_dir):
        app.installTranslator(qt_tr)
        _installed.append(qt_tr)
    path = qm_file(lang)
    ours = QTranslator(app)
    if path is not None and ours.load(str(path)):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("no %s translation found in %s: the console shows English", lang, I18N)
    return lang
