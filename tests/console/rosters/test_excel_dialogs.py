"""Excel in the console: export dialogs write the file in the background with progress and open its
folder; the import dialog lists a refused file's problems by cell (printing: test_printing.py). No
modal exec() is left running: the dialogs are shown with show()/open(), and the folder opener is
replaced."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from PySide6.QtCore import QDate, Qt

import console.rosters.excel as excel
from services.excel import exports
from services.rosters.layout import ROSTER_FIRST_ROW, roster_column
from services.staff.actor import SYSTEM
from tests import factories
from tests.console.page_support import (
    ADMIN,
    CLERK,
    OFFSCREEN_NOISE,
    cleared_by_editing,
    drain,
    error_by,
    head,
    make_ctx,
)

pytestmark = OFFSCREEN_NOISE

TODAY = dt.date.today()
NEXT_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(days=7)
DAY = NEXT_MONDAY + dt.timedelta(days=1)


@pytest.fixture
def clinic(sqlite_db):
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    doc = factories.doctor(db, dep, "王明", "主任医师")
    _, slots = factories.session(db, doc, DAY, "am", slots=4, capacity=3)
    for i, name in enumerate(["<b>粗体</b>", "=1+1", "李四", "赵五"]):
        b = factories.request(db, slots[i % 4], factories.patient(db, name=name, phone=f"1381234{i:04d}"))
        if i % 2:
            factories.set_status(db, b, "confirmed")
    return {"db": db, "dep": dep, "doctor": doc}


@pytest.fixture
def opened(monkeypatch):
    """The folders the dialogs asked to open (nothing is opened for real)."""
    seen = []
    monkeypatch.setattr(excel, "open_folder", lambda path: seen.append(str(path)) or True)
    return seen


def show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_export_daily_dialog_writes_the_file_with_progress(qtbot, clinic, tmp_path, opened):
    ctx = make_ctx(clinic["db"], CLERK)
    dialog = show(qtbot, excel.ExportDailyDialog(ctx, DAY, department_id=clinic["dep"]))
    drain(qtbot, ctx)
    assert dialog.department.currentData() == clinic["dep"]
    assert not dialog.unmasked.isVisible()  # a clerk may not take full numbers out
    assert dialog.path_edit.text().endswith(f"{DAY:%Y-%m-%d}.xlsx")
    out = tmp_path / "day.xlsx"
    dialog.path_edit.setText(str(out))
    steps = []
    dialog.relay.changed.connect(lambda d, t: steps.append((d, t)))
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000) as got:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    result = got.args[0]
    assert result.rows == 4 and out.is_file()
    rows = list(openpyxl.load_workbook(out).active.iter_rows(min_row=3, values_only=True))
    assert {r[5] for r in rows} == {"<b>粗体</b>", "=1+1", "李四", "赵五"}
    assert all("****" in r[8] for r in rows)
    assert steps and steps[-1] == (4, 4)
    assert dialog.progress.value() == dialog.progress.maximum()
    assert "4" in dialog.summary.text() and not dialog.ok_button.isVisible()
    assert opened == [str(out)]


def test_export_daily_dialog_refuses_a_missing_folder(qtbot, clinic, tmp_path, opened):
    ctx = make_ctx(clinic["db"], ADMIN)
    dialog = show(qtbot, excel.ExportDailyDialog(ctx, DAY))
    drain(qtbot, ctx)
    assert dialog.unmasked.isVisible()
    dialog.path_edit.setText(str(tmp_path / "nowhere" / "x.xlsx"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "nowhere" in error_by(qtbot, dialog.errors, "out")  # under the file's name
    assert ctx.tasks.idle and opened == []
    assert cleared_by_editing(dialog.errors, "out", lambda: dialog.path_edit.setText(str(tmp_path / "x.xlsx")))


def test_export_roster_dialog_follows_the_week(qtbot, clinic, tmp_path, opened):
    ctx = make_ctx(clinic["db"], head(clinic["dep"]))
    dialog = show(qtbot, excel.ExportRosterDialog(ctx, DAY))
    drain(qtbot, ctx)
    assert dialog.monday() == NEXT_MONDAY
    label = exports.week_label(NEXT_MONDAY)
    assert label in dialog.week_name.text() and dialog.path_edit.text().endswith(f"{label}.xlsx")
    dialog.week.setDate(QDate(DAY.year, DAY.month, DAY.day).addDays(7))
    assert exports.week_label(NEXT_MONDAY + dt.timedelta(days=7)) in dialog.path_edit.text()
    dialog.week.setDate(QDate(DAY.year, DAY.month, DAY.day))
    out = tmp_path / "roster.xlsx"
    dialog.path_edit.setText(str(out))
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["内科", "填写说明"]
    assert wb["内科"].cell(ROSTER_FIRST_ROW, roster_column(1, 0)).value.startswith("08:00-12:00\n共12号")
    assert opened == [str(out)]


def _roster_file(db, tmp_path, cell_text):
    path = tmp_path / "roster.xlsx"
    exports.export_roster(db, SYSTEM, NEXT_MONDAY, path)
    wb = openpyxl.load_workbook(path)
    wb["内科"].cell(ROSTER_FIRST_ROW, roster_column(3, 1)).value = cell_text  # Thursday afternoon
    wb.save(path)
    return path


def test_import_dialog_lists_the_problems_by_cell(qtbot, clinic, tmp_path):
    ctx = make_ctx(clinic["db"], ADMIN)
    path = _roster_file(clinic["db"], tmp_path, "17:00-14:00 共8号")
    dialog = show(qtbot, excel.ImportRosterDialog(ctx, path))
    with qtbot.waitSignal(ctx.tasks.busyChanged, timeout=10_000, check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.problems.isVisible()
    assert dialog.problems.toPlainText() == "内科!N5: 结束时间早于开始时间"
    assert "1" in dialog.error.text()


def test_import_dialog_applies_a_good_file(qtbot, clinic, tmp_path):
    ctx = make_ctx(clinic["db"], head(clinic["dep"]))
    path = _roster_file(clinic["db"], tmp_path, "14:00-16:00 共8号")
    dialog = show(qtbot, excel.ImportRosterDialog(ctx, path))
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as got:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert got.args[0].created == 1 and "新增 1" in dialog.summary.text()
    assert not dialog.problems.isVisible()
    from services.rosters import templates
    thu = templates.sessions_for(clinic["db"], NEXT_MONDAY + dt.timedelta(days=3))
    assert [(s.period, s.capacity) for s in thu] == [("pm", 8)]


def test_a_folder_that_cannot_be_opened_is_said_with_the_path(qtbot, clinic, tmp_path, monkeypatch):
    """No file manager (QDesktopServices says no): the dialog says so and shows where the file is."""
    monkeypatch.setattr(excel, "open_folder", lambda path: False)
    ctx = make_ctx(clinic["db"], CLERK)
    dialog = show(qtbot, excel.ExportDailyDialog(ctx, DAY, department_id=clinic["dep"]))
    drain(qtbot, ctx)
    out = tmp_path / "day.xlsx"
    dialog.path_edit.setText(str(out))
    dialog.open_after.setChecked(True)
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "could not be opened" in dialog.summary.text() and str(out) in dialog.summary.text()
