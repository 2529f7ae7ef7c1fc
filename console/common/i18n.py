"""The console's language: English source strings in tr(), a shipped zh_CN translation.

Chinese is the default. The clerks read Chinese, but a clinic PC often runs with an
English or "C" system locale, so the system locale alone would pick English for them;
only the setting (English/中文 in the settings dialog) chooses English.

`make` builds resources/i18n/*.qm from the .ts source (pyside6-lrelease), never the console: a
missing .qm shows English and says so in the log (run `make translations`).
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
I18N = RESOURCES / "i18n"
LANGUAGES = {"zh_CN": "中文", "en": "English"}

_installed: list[QTranslator] = []


def choose_language(setting: str) -> str:
    """'zh_CN' or 'en' from the setting ('system', 'zh_CN', 'en'): 'system' is Chinese whatever the
    system's locale, since the users are Chinese clerks on PCs often set up in English by someone else."""
    return setting if setting in LANGUAGES else "zh_CN"


def qm_file(lang: str) -> Path | None:
    """The compiled translation for ``lang`` (built by `make translations`), None when it is missing."""
    qm = I18N / f"regdesk_{lang}.qm"
    return qm if qm.exists() else None


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
        log.warning("no %s translation in %s (run `make translations`): the console shows English", lang, I18N)
    return lang
