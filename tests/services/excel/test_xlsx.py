"""Cell helpers (services.excel.xlsx) and the roster cell format (services.rosters.layout), no database."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl import Workbook

from services.errors import ValidationError
from services.excel import xlsx
from services.rosters.apply import distribute
from services.rosters.layout import CellError, CellSpec, parse_cell, parse_week, sheet_title, week_label

HOSTILE = ["=1+1", "+8613800000000", "-2", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\",\"y\")"]


def test_clean_text_strips_what_xml_cannot_hold():
    assert xlsx.clean_text("a\x00b\x08c\x1fd") == "abcd"
    assert xlsx.clean_text("行1\n行2\t") == "行1\n行2\t"  # tab and newline are allowed
    assert len(xlsx.clean_text("x" * 40000)) == xlsx.MAX_CELL_CHARS


def test_display_width_counts_chinese_twice():
    assert xlsx.display_width("abc") == 3
    assert xlsx.display_width("王小明") == 6
    assert xlsx.display_width("主任医师A") == 9
    assert xlsx.fit_width(["王小明", "ab"], minimum=4, maximum=20) == 8
    assert xlsx.fit_width(["长" * 50], maximum=30) == 30
    assert xlsx.fit_width([], minimum=5) == 5


@pytest.mark.parametrize("value", HOSTILE)
def test_set_text_never_writes_a_formula(tmp_path, value):
    wb = Workbook()
    ws = wb.active
    xlsx.set_text(ws["A1"], value)
    xlsx.set_text(ws["A2"], "普通文字")
    wb.save(tmp_path / "t.xlsx")
    back = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert back["A1"].data_type == "s"
    assert back["A1"].value == value
    assert back["A1"].quotePrefix is True
    assert back["A2"].quotePrefix is False


def test_row_writer_types_cells_and_defuses_hostile_text(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    cols = [xlsx.Column("名", "text", 10), xlsx.Column("日", "date", 12), xlsx.Column("时", "time", 7),
            xlsx.Column("数", "int", 5), xlsx.Column("签", "datetime", 17), xlsx.Column("注", "text", 9)]
    w = xlsx.RowWriter(ws, cols)
    w.header()
    w.append(["=1+1", dt.date(2026, 1, 2), dt.time(8, 30), 3, dt.datetime(2026, 1, 2, 9, 5), "@x"])
    w.append(["bad\x01name", dt.date(2026, 1, 3), dt.time(9, 0), None, None, "-1"])
    w.append(["王小明", dt.date(2026, 1, 4), dt.time(10, 0), 0, None, "ok"])
    w.append(["nul\x00inside", None, None, None, None, "+x"])
    wb.save(tmp_path / "w.xlsx")
    back = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    assert [c.value for c in back[1]] == ["名", "日", "时", "数", "签", "注"]
    r2 = back[2]
    assert (r2[0].value, r2[0].data_type, r2[0].quotePrefix) == ("=1+1", "s", True)
    assert (r2[5].value, r2[5].data_type, r2[5].quotePrefix) == ("@x", "s", True)
    assert r2[1].value == dt.datetime(2026, 1, 2) and r2[1].number_format == xlsx.DATE_FORMAT
    assert r2[2].value == dt.time(8, 30) and r2[2].number_format == xlsx.TIME_FORMAT
    assert r2[4].value == dt.datetime(2026, 1, 2, 9, 5) and r2[4].number_format == xlsx.DATETIME_FORMAT
    assert r2[3].value == 3
    r3 = back[3]
    assert r3[0].value == "badname"
    assert r3[3].value is None and r3[4].value is None
    assert (r3[5].value, r3[5].data_type) == ("-1", "s")
    # the styled cells are reused row after row: every row keeps its own values
    assert back[4][1].value == dt.datetime(2026, 1, 4) and back[4][2].value == dt.time(10, 0)
    assert back[4][0].quotePrefix is False
    assert (back[5][0].value, back[5][5].value, back[5][5].quotePrefix) == ("nulinside", "+x", True)
    assert back.column_dimensions["A"].width == 10


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.xlsx"
    with pytest.raises(RuntimeError):
        with xlsx.atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with xlsx.atomic_output(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and len(list(tmp_path.iterdir())) == 1
    with pytest.raises(ValidationError):
        with xlsx.atomic_output(tmp_path / "missing" / "x.xlsx"):
            pass


# ---------------------------------------------------------------- roster cells

@pytest.mark.parametrize("text, spec", [
    ("08:00-12:00\n共20号 已约3", CellSpec(dt.time(8), dt.time(12), 20)),
    ("8:00-11:30 共 6 号", CellSpec(dt.time(8), dt.time(11, 30), 6)),
    ("08：00～12：00，共20号", CellSpec(dt.time(8), dt.time(12), 20)),
    ("13:30—17:00\n共14号 已约0\n停诊", CellSpec(dt.time(13, 30), dt.time(17), 14, stopped=True)),
    ("08:00-12:00\n共8号 已约0\n未发布 替诊:王 五", CellSpec(dt.time(8), dt.time(12), 8, draft=True)),
    ("18:00至21:00 共-3号", CellSpec(dt.time(18), dt.time(21), -3)),
])
def test_parse_cell_reads_what_the_export_writes_and_what_heads_type(text, spec):
    assert parse_cell(text) == spec


@pytest.mark.parametrize("value", [None, "", "  \n "])
def test_parse_cell_empty(value):
    assert parse_cell(value) is None


@pytest.mark.parametrize("value, message", [
    ("12:00-08:00 共20号", "结束时间早于开始时间"),
    ("08:00-08:00 共20号", "结束时间与开始时间相同"),
    ("25:00-26:00 共2号", "时间无效"),
    ("08:70-09:00 共2号", "时间无效"),
    ("08:00-12:00", "缺少号数"),
    ("上午 共20号", "无法识别出诊时间"),
    ("08:00-12:00 共20号 加号", "无法识别“加号”"),
    ("08:00-12:00 共2号 共3号", "不止一次"),
    ("08:00-12:00 共100000号", "号数过大"),
    (dt.time(8, 0), "应为文字"),
    (20, "应为文字"),
])
def test_parse_cell_refuses_with_a_reason(value, message):
    with pytest.raises(CellError, match=message):
        parse_cell(value)


def test_week_parsing_and_labels():
    assert parse_week("2026-W48") == dt.date(2026, 11, 23)
    assert parse_week("2026w1") == dt.date(2025, 12, 29)
    assert week_label(dt.date(2026, 11, 23)) == "2026-W48"
    for bad in ("2026-48", "2025-W54", "", None):
        with pytest.raises(ValidationError):
            parse_week(bad)


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    assert sheet_title("内科", "NK", taken) == "内科"
    assert sheet_title("内科", "NK2", taken) == "内科(NK2)"
    t = sheet_title("a/b:c*d?[e]" + "长" * 40, "X", taken)
    assert len(t) <= 31 and not set("/:*?[]") & set(t)
    assert sheet_title("填写说明", "HELP", taken) != "填写说明"


@pytest.mark.parametrize("total, floors, expected", [
    (8, [1, 1, 1, 1], [2, 2, 2, 2]),
    (10, [1, 1, 1, 1], [3, 3, 2, 2]),
    (6, [2, 1, 1, 1], [2, 2, 1, 1]),
    (9, [5, 1, 1], [5, 2, 2]),
    (4, [1, 1, 1, 1], [1, 1, 1, 1]),
    (7, [1, 3, 1], [2, 3, 2]),
])
def test_distribute_is_even_and_respects_floors(total, floors, expected):
    caps = distribute(total, floors)
    assert caps == expected
    assert sum(caps) == total and all(c >= f for c, f in zip(caps, floors, strict=True))
