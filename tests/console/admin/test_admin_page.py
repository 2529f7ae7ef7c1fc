"""The administration page: departments, doctors, staff accounts and rules, against a real SQLite database."""
from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from console.admin.page import AdminPage
from services.bookings import rules
from services.rosters import masterdata
from services.staff import auth
from tests import factories
from tests.console.page_support import ADMIN, CLERK, OFFSCREEN_NOISE, cleared_by_editing, drain, error_by, make_ctx

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def clinic(sqlite_db):
    dep = factories.department(sqlite_db, "NK", "内科")
    surg = factories.department(sqlite_db, "WK", "外科")
    doc = factories.doctor(sqlite_db, dep, "王明", "主任医师", "50.00")
    auth.create_staff(sqlite_db, ADMIN, "admin", "管理员", "admin", "admin-pass-1")
    auth.create_staff(sqlite_db, ADMIN, "li", "李挂号", "clerk", "clerk-pass-1", ["NK"])
    return {"db": sqlite_db, "dep": dep, "surg": surg, "doctor": doc}


def open_page(qtbot, db, actor=ADMIN) -> AdminPage:
    ctx = make_ctx(db, actor)
    page = AdminPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    drain(qtbot, ctx)
    return page


def row_texts(tab) -> list[str]:
    m = tab.model
    return [" ".join(m.index(r, c).data() for c in range(m.columnCount())) for r in range(m.rowCount())]


def test_models_pass_the_model_tester(qtbot, qtmodeltester, clinic):
    page = open_page(qtbot, clinic["db"])
    for tab in (page.departments, page.doctors, page.staff):
        assert tab.model.rowCount() > 0
        qtmodeltester.check(tab.model)
        qtmodeltester.check(tab.proxy)
    assert any("王明" in t and "50.00" in t for t in row_texts(page.doctors))
    # a head's departments by name, as everywhere else on the screen, not by code
    assert any("li" in t and "内科" in t and "NK" not in t for t in row_texts(page.staff))


def test_add_staff_account(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.staff
    page.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(tab.findChild(QPushButton, "addStaff"), Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.username.setText("zhang")
    dialog.display_name.setText("张主任")
    dialog.role.setCurrentIndex(dialog.role.findData("head"))
    dialog.password.setText("head-pass-1")
    dialog.password2.setText("head-pass-1")
    dialog.check_departments(["WK"])
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    created = {s.username: s for s in auth.list_staff(clinic["db"])}["zhang"]
    assert created.role == "head" and created.department_codes == ("WK",)
    assert auth.login(clinic["db"], "zhang", "head-pass-1").role == "head"
    assert tab.selected().username == "zhang"  # the new row is selected


def test_staff_validation_error_stays_in_dialog(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.staff
    page.tabs.setCurrentWidget(tab)
    tab.add()
    dialog = tab.dialog
    dialog.username.setText("wang")
    dialog.role.setCurrentIndex(dialog.role.findData("clerk"))
    dialog.password.setText("short-1")
    dialog.password2.setText("short-2")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # the form's own check: by the repeat
    assert "differ" in error_by(qtbot, dialog.errors, "password2") or "不一致" in dialog.errors.text("password2")
    assert dialog.focusWidget() is dialog.password2  # the input to correct takes the focus
    assert cleared_by_editing(dialog.errors, "password2", lambda: dialog.password.setText("short-2"))  # either one
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # the service's: by the password
    assert "密码至少" in error_by(qtbot, dialog.errors, "password")
    assert dialog.isVisible() and dialog.focusWidget() is dialog.password
    assert "wang" not in {s.username for s in auth.list_staff(clinic["db"])}
    dialog.password.setText("long-enough-1")
    assert dialog.errors.shown() is None  # gone as soon as the password is edited
    dialog.password2.setText("long-enough-1")
    dialog.role.setCurrentIndex(dialog.role.findData("head"))  # a head without a department
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "科室" in error_by(qtbot, dialog.errors, "department_codes")
    assert cleared_by_editing(dialog.errors, "department_codes", lambda: dialog.check_departments(["WK"]))


def reset_password(page, password: str):
    """The staff tab's reset-password dialog for li, both fields filled with ``password``."""
    tab = page.staff
    page.tabs.setCurrentWidget(tab)
    tab.select(next(s.id for s in tab.model.rows if s.username == "li"))
    tab.reset_password()
    tab.dialog.password.setText(password)
    tab.dialog.password2.setText(password)
    return tab, tab.dialog


def test_reset_password_and_deactivate(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab, dialog = reset_password(page, "new-pass-123")
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert auth.login(clinic["db"], "li", "new-pass-123").name == "li"
    drain(qtbot, page.ctx)
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        tab.toggle()
    li = {s.username: s for s in auth.list_staff(clinic["db"])}["li"]
    assert not li.active
    assert "deactivated" in tab.status.text() or "停用" in tab.status.text()


def test_add_department_and_duplicate_code_refused(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.departments
    tab.add()
    dialog = tab.dialog
    dialog.code.setText("nk")  # codes are unique regardless of case
    dialog.name.setText("内科二")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "已被" in error_by(qtbot, dialog.errors, "code")  # by the code, not at the foot of the dialog
    assert len(masterdata.list_departments(clinic["db"], include_inactive=True)) == 2
    dialog.name.setText("内科三")
    assert dialog.errors.shown() == "code"  # another field edited: the code is still wrong
    assert cleared_by_editing(dialog.errors, "code", lambda: dialog.code.setText("EK"))
    dialog.name.setText("儿科")
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "儿科" in {d.name for d in masterdata.list_departments(clinic["db"])}
    assert tab.selected().code == "EK"


def edit_doctor(qtbot, clinic):
    """The admin page open on its doctors' tab, the doctor's edit dialog open."""
    page = open_page(qtbot, clinic["db"])
    tab = page.doctors
    page.tabs.setCurrentWidget(tab)
    tab.select(clinic["doctor"])
    tab.edit()
    return page, tab, tab.dialog


def test_edit_doctor_fee_and_title(qtbot, clinic):
    page, tab, dialog = edit_doctor(qtbot, clinic)
    assert dialog.title.currentText() == "主任医师"
    dialog.title.setCurrentText("副主任医师")
    dialog.fee.setValue(35.5)
    dialog.specialty.setText("高血压")
    with qtbot.waitSignal(tab.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    doc = next(d for d in masterdata.list_doctors(clinic["db"], include_inactive=True) if d.id == clinic["doctor"])
    assert (doc.title, doc.fee, doc.specialty) == ("副主任医师", Decimal("35.50"), "高血压")
    assert any("副主任医师" in t and "35.50" in t for t in row_texts(tab))


def test_save_rule(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.rules
    page.tabs.setCurrentWidget(tab)
    assert tab.isEnabled()
    tab.fields["booking_window_days"].setValue(14)
    tab.fields["one_per_department_day"].setChecked(False)
    with qtbot.waitSignal(tab.saved, timeout=10_000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    saved = rules.load(clinic["db"])
    assert saved.booking_window_days == 14 and saved.one_per_department_day is False
    assert tab.status.text()


def test_rule_validation_error_shown_and_nothing_changes(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.rules
    page.tabs.setCurrentWidget(tab)
    before = rules.load(clinic["db"])
    tab.fields["booking_window_days"].setValue(500)  # the limit is 365
    tab.fields["noshow_limit"].setValue(5)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    text = error_by(qtbot, tab.errors, "booking_window_days")  # under that rule, not under the form
    assert "可预约天数" in text and "365" in text
    assert rules.load(clinic["db"]) == before  # all or nothing: noshow_limit did not change either
    assert tab.fields["booking_window_days"].value() == 500  # the input stays for correcting
    assert cleared_by_editing(tab.errors, "booking_window_days",
                              lambda: tab.fields["booking_window_days"].setValue(30))


def test_clerk_is_refused_by_the_service(qtbot, clinic):
    page = open_page(qtbot, clinic["db"], CLERK)
    tab = page.departments
    tab.add()
    dialog = tab.dialog
    dialog.code.setText("EK")
    dialog.name.setText("儿科")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors.shown() is not None, timeout=10_000)
    assert dialog.errors.shown() == "" and "无权" in dialog.error.text()  # about no field: the banner
    dialog.name.setText("儿科 ")
    assert dialog.error.isVisible()  # stays until the next try: no edit makes it untrue
    assert "EK" not in {d.code for d in masterdata.list_departments(clinic["db"], include_inactive=True)}
    # a one-click action refused: the page's message bar says so, and the row is not shown as changed
    page.staff.select(page.staff.model.rows[0].id)
    page.staff.unlock()
    qtbot.waitUntil(lambda: "无权" in page.messages.text(), timeout=10_000)
    assert not page.findChildren(QMessageBox)
    assert page.staff.status.text() == ""


def test_doctor_and_password_refusals_stand_by_their_input(qtbot, clinic):
    page, _tab, dialog = edit_doctor(qtbot, clinic)
    dialog.name.setText("  ")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "医生姓名不能为空" in error_by(qtbot, dialog.errors, "name")
    assert dialog.focusWidget() is dialog.name
    assert cleared_by_editing(dialog.errors, "name", lambda: dialog.name.setText("王明"))
    assert next(d for d in masterdata.list_doctors(clinic["db"], include_inactive=True) if d.id == clinic["doctor"]).name == "王明"
    dialog.reject()

    _tab, dialog = reset_password(page, "short")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "密码至少" in error_by(qtbot, dialog.errors, "new_password")
    assert cleared_by_editing(dialog.errors, "new_password", lambda: dialog.password.setText("short-but-longer"))
    assert auth.login(clinic["db"], "li", "clerk-pass-1").name == "li"  # unchanged
