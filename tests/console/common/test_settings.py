"""The typed settings registry and the console's language (Chinese unless the setting says English)."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from console.common import i18n, settings as S


def test_values_come_back_typed_and_bad_ones_fall_back(tmp_path):
    st = S.Settings(tmp_path / "console.ini")
    assert st[S.LANGUAGE] == "system" and st[S.TRAY_NOTIFY] is True and st[S.DAY_DEPARTMENT] == 0
    st[S.DAY_DEPARTMENT] = 7
    st[S.TRAY_NOTIFY] = False
    st[S.GEOMETRY] = QByteArray(b"\x01\x02")
    st.sync()
    again = S.Settings(tmp_path / "console.ini")  # read back from the INI file: strings there
    assert again[S.DAY_DEPARTMENT] == 7 and again[S.TRAY_NOTIFY] is False
    assert again[S.GEOMETRY] == QByteArray(b"\x01\x02")
    raw = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    raw.setValue(S.DAY_DEPARTMENT.key, "not a number")
    raw.setValue(S.LANGUAGE.key, "klingon")
    raw.sync()
    damaged = S.Settings(tmp_path / "console.ini")
    assert damaged[S.DAY_DEPARTMENT] == 0 and damaged[S.LANGUAGE] == "system"


def test_unknown_choices_are_refused(tmp_path):
    st = S.Settings(tmp_path / "console.ini")
    try:
        st[S.LANGUAGE] = "fr"
    except ValueError:
        pass
    else:
        raise AssertionError("a language outside the choices was stored")


def test_chinese_unless_the_setting_says_english():
    assert i18n.choose_language("system") == "zh_CN"  # whatever the PC's locale (often English)
    assert i18n.choose_language("en") == "en"
    assert i18n.choose_language("zh_CN") == "zh_CN"


def test_the_shipped_translation_loads(qapp):
    app = QApplication.instance()
    try:
        assert i18n.install(app, "zh_CN") == "zh_CN"
        assert QCoreApplication.translate("MainWindow", "Requests") == "预约审核"
        assert QCoreApplication.translate("Labels", "No-show") == "爽约"
        # Qt's own dialogs (file chooser, print dialog) speak Chinese too
        assert QCoreApplication.translate("QFileDialog", "Look in:") == "查找范围："
        assert QCoreApplication.translate("QPrintDialog", "Print") == "打印"
        # texts built outside a widget's tr() are found by lupdate and translated as well
        from console.notifications.delivery import delivery_text
        from services.notify.outbox import OutboxState
        assert delivery_text(OutboxState(False, 0, None, None)).startswith("微信尚未配置")
    finally:
        i18n.install(app, "en")
    assert QCoreApplication.translate("MainWindow", "Requests") == "Requests"


def test_the_language_choice_is_plain(qtbot, tmp_path):
    """中文 or English, nothing "automatic" that means Chinese anyway; a stored 'system' shows as 中文."""
    from console.shell import SettingsDialog
    st = S.Settings(tmp_path / "c.ini")
    dialog = SettingsDialog(st)
    qtbot.addWidget(dialog)
    items = [dialog.language.itemData(i) for i in range(dialog.language.count())]
    assert items == ["zh_CN", "en"] and dialog.language.currentData() == "zh_CN"
