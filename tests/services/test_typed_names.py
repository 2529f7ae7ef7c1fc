"""Names and reasons a person types: control, format and bidi characters are refused everywhere
(one check, services.limits.text), and `staff list` never prints them raw, even from old rows."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from services import limits
from services.bookings import decisions, patients
from services.cli import main
from services.errors import ValidationError
from services.models import AuditLog, Staff
from services.rosters import clinic_sessions, masterdata
from services.staff import auth
from services.staff.actor import SYSTEM
from tests import factories as f

# an escape sequence that clears a terminal, a bidi override, a zero-width space, a line separator,
# a newline, a NUL, a private-use character
HIDDEN = ["\x1b[2J", "\u202e", "\u200b", "\u2028", "\n", "\x00", "\ue000"]


@pytest.mark.parametrize("ch", HIDDEN)
def test_typed_text_refuses_hidden_characters_and_says_where(ch):
    with pytest.raises(ValidationError, match=r"姓名含有不允许的字符（第 3 个字符："):
        limits.text("张三" + ch + "丰", "姓名", 100)


def test_typed_text_keeps_ordinary_text():
    assert limits.text("  王\u3000小明 (Wang) ", "姓名", 100) == "王\u3000小明 (Wang)"
    assert limits.text("", "备注", 10, required=False) is None
    with pytest.raises(ValidationError, match="姓名不能为空"):
        limits.text("  ", "姓名", 10)
    with pytest.raises(ValidationError, match="过长"):
        limits.text("x" * 11, "姓名", 10)


def test_several_lines_allow_breaks_and_tabs_only_and_the_field_is_named(sqlite_db):
    assert limits.text("第一行\n第二行\t完", "备注", 100, multiline=True) == "第一行\n第二行\t完"
    for ch in ("\r", "\u2028", "\u202e", "\x00"):
        with pytest.raises(ValidationError, match="备注含有不允许的字符（第 4 个字符：") as refused:
            limits.text("第一行" + ch + "第二行", "备注", 100, multiline=True, field="note")
        assert refused.value.field == "note"
    with pytest.raises(ValidationError) as refused:
        patients.register(sqlite_db, SYSTEM, "患者\u202e", "F", "13800001234")
    assert refused.value.field == "name"


def test_printable_shows_what_is_hidden():
    assert limits.printable("ab\x1b[31mc\u202ed") == "ab\\x1b[31mc\\u202ed"
    assert limits.printable("王小明 Wang") == "王小明 Wang"


def _audit_rows(db) -> int:
    with db.read() as c:
        return c.execute(select(func.count()).select_from(AuditLog)).scalar_one()


@pytest.mark.parametrize("ch", ["\x1b]0;pwned\x07", "\u202e", "\u2066"])
def test_every_typed_name_refuses_them(db, ch):
    clinic = f.basic_clinic(db)
    dep = clinic["department_id"]
    doc = f.doctor(db, dep, "李医生")
    bid = f.request(db, clinic["slot_ids"][0], f.patient(db))
    before = _audit_rows(db)
    attempts = [
        lambda: auth.create_staff(db, SYSTEM, "eve", "Eve" + ch, "clerk", "password-1"),
        lambda: masterdata.save_department(db, SYSTEM, "XK", "新科" + ch),
        lambda: masterdata.save_doctor(db, SYSTEM, dep, "医生" + ch, "主治医师", "20"),
        lambda: patients.register(db, SYSTEM, "患者" + ch, "F", "13800001234"),
        lambda: decisions.reject(db, SYSTEM, bid, "原因" + ch),
        lambda: clinic_sessions.stop_session(db, SYSTEM, clinic["session_id"], "停诊" + ch),
        lambda: clinic_sessions.substitute(db, SYSTEM, clinic["session_id"], doc, note="备注" + ch),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="不允许的字符"):
            attempt()
    assert _audit_rows(db) == before
    staff = auth.create_staff(db, SYSTEM, "eve", "Eve", "clerk", "password-1")
    with pytest.raises(ValidationError, match="不允许的字符"):
        auth.update_staff(db, SYSTEM, staff.id, display_name="Eve" + ch)


def test_staff_list_never_prints_escape_codes_from_old_rows(sqlite_db, capsys):
    info = auth.create_staff(sqlite_db, SYSTEM, "eve", "Eve", "clerk", "password-1")
    with sqlite_db.write() as c:  # a row written before the check, or by hand
        c.execute(update(Staff).where(Staff.id == info.id).values(display_name="Eve\x1b[2J\x1b]0;x\x07\u202eevil"))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    assert main(["staff", "list", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert out.strip().endswith("Eve\\x1b[2J\\x1b]0;x\\x07\\u202eevil")
