"""`regdesk roster ...` through services.cli.main: output, one-line errors, nothing changed on bad input."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from services.cli import main
from services.models import AuditLog, Booking, ClinicSession, RosterTemplate, Slot
from services.rosters import templates
from tests import factories as f

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=3)  # within the roster's reach
SUNDAY = MONDAY + dt.timedelta(days=6)


@pytest.fixture
def clinic(db, db_url, monkeypatch):
    f.cli_login(db, monkeypatch)  # the roster commands act as the admin who logs in
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    return {"url": db_url, "nk": nk, "wk": wk, "zhang": f.doctor(db, nk, "张医生"), "li": f.doctor(db, nk, "李医生"),
            "wang": f.doctor(db, wk, "王医生")}


def _state(db):
    with db.read() as c:
        counts = tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (RosterTemplate, ClinicSession, Slot, AuditLog))
        sessions = c.execute(select(ClinicSession.id, ClinicSession.doctor_id, ClinicSession.status)
                             .order_by(ClinicSession.id)).all()
        bookings = c.execute(select(Booking.id, Booking.status).order_by(Booking.id)).all()
    return counts, sessions, bookings


def _run(capsys, clinic, *argv):
    rc = main(["roster", *argv, "--db", clinic["url"]])
    out, err = capsys.readouterr()
    return rc, out, err


def _fails(capsys, clinic, db, argv, message):
    before = _state(db)
    rc, out, err = _run(capsys, clinic, *argv)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("regdesk: "), err
    assert message in err
    assert "Traceback" not in err and out == ""
    assert _state(db) == before


def _add(doctor, weekday="mon", period="am", start="08:00", end="12:00", minutes="30", places="2"):
    return ["template", "add", "--doctor", str(doctor), "--weekday", weekday, "--period", period,
            "--start", start, "--end", end, "--slot-minutes", minutes, "--places", places]


def test_template_add_and_list(db, clinic, capsys):
    rc, out, err = _run(capsys, clinic, *_add(clinic["zhang"]))
    assert (rc, err) == (0, "")
    assert "张医生 周一 上午 08:00-12:00，每 30 分钟 2 个号" in out
    assert _run(capsys, clinic, *_add(clinic["wang"], weekday="3", period="pm", start="14:00", end="16:00"))[0] == 0
    rc, out, _ = _run(capsys, clinic, "template", "list")
    assert rc == 0 and "张医生\t周一\t上午\t08:00-12:00\t30\t2\t启用" in out and "王医生\t周三\t下午" in out
    rc, out, _ = _run(capsys, clinic, "template", "list", "--department", "WK")
    assert rc == 0 and "王医生" in out and "张医生" not in out
    with db.read() as c:
        assert c.execute(select(AuditLog.actor).where(AuditLog.entity == "template")).scalars().first() \
            == "admin"


@pytest.mark.parametrize("kwargs, message", [
    ({"start": "09:00", "end": "08:00"}, "结束时间 08:00 早于开始时间 09:00"),
    ({"start": "10:00", "end": "11:00", "period": "pm"}, "下午出诊须在 12:00 至 18:00 之间开始"),
    ({"places": "-1"}, "argument --places: must be greater than 0: -1"),
    ({"places": "100000"}, "argument --places: must be at most 9999: 100000"),
    ({"places": "1250"}, "一次出诊 10000 号，最多 9999 号"),  # 8 slots of 30 minutes
    ({"minutes": "25"}, "不能按每段 25 分钟均分"),
    ({"weekday": "8"}, "星期无效：8"),
    ({"start": "8点"}, "开始时间不是有效时间"),
    ({"places": "two"}, "not a whole number: 'two'"),
    ({"period": "night"}, "invalid choice"),
])
def test_template_add_rejects(db, clinic, capsys, kwargs, message):
    _fails(capsys, clinic, db, _add(clinic["zhang"], **kwargs), message)


def test_template_add_rejects_overlap_and_unknown_doctor(db, clinic, capsys):
    assert _run(capsys, clinic, *_add(clinic["zhang"], weekday="周一", end="12:30"))[0] == 0
    _fails(capsys, clinic, db, _add(clinic["zhang"], period="pm", start="12:00", end="13:00"),
           "与 周一 上午 08:00-12:30 的排班重叠")
    _fails(capsys, clinic, db, _add(999999), "没有医生 ID 999999")
    _fails(capsys, clinic, db, ["template", "list", "--department", "XX"], "没有科室代码 XX")


def test_publish(db, clinic, capsys):
    f.template(db, clinic["zhang"], 0)
    f.template(db, clinic["wang"], 2)
    rc, out, err = _run(capsys, clinic, "publish", "--from", str(MONDAY), "--to", str(SUNDAY), "--department", "NK")
    assert (rc, err) == (0, "")
    assert "新建出诊 1 个、号源时段 8 个；已存在 0 个" in out
    rc, out, _ = _run(capsys, clinic, "publish", "--from", str(MONDAY), "--to", str(SUNDAY))
    assert rc == 0 and "新建出诊 1 个、号源时段 8 个；已存在 1 个" in out
    rc, out, _ = _run(capsys, clinic, "sessions", "--date", str(MONDAY))
    assert rc == 0 and "张医生\t上午\t08:00-12:00\tpublished\t16\t0\t0" in out


@pytest.mark.parametrize("argv, message", [
    (["--from", "2030-13-01", "--to", str(SUNDAY)], "不是有效日期（应为 YYYY-MM-DD）：2030-13-01"),
    (["--from", str(SUNDAY), "--to", str(MONDAY)], f"开始日期 {SUNDAY} 晚于结束日期 {MONDAY}"),
    (["--from", str(MONDAY), "--to", str(MONDAY + dt.timedelta(days=100))], "一次最多发布 92 天"),
    (["--from", str(MONDAY), "--to", str(SUNDAY), "--department", "EK"], "没有科室代码 EK"),
])
def test_publish_rejects(db, clinic, capsys, argv, message):
    f.template(db, clinic["zhang"], 0)
    _fails(capsys, clinic, db, ["publish", *argv], message)


def test_stop_and_substitute(db, clinic, capsys):
    sid, slots = f.session(db, clinic["zhang"], MONDAY)
    b = f.request(db, slots[0], f.patient(db))
    _fails(capsys, clinic, db, ["stop", str(sid), "--reason", " "], "停诊原因不能为空")
    _fails(capsys, clinic, db, ["stop", str(sid + 100), "--reason", "x"], f"没有出诊 ID {sid + 100}")
    _fails(capsys, clinic, db, ["substitute", str(sid), "--doctor", str(clinic["wang"])], "替诊医生须在同一科室")
    rc, out, err = _run(capsys, clinic, "substitute", str(sid), "--doctor", str(clinic["li"]))
    assert (rc, err) == (0, "") and "改由 李医生 出诊：原医生 张医生，由 李医生 替诊" in out
    rc, out, err = _run(capsys, clinic, "stop", str(sid), "--reason", "医生外出")
    assert (rc, err) == (0, "") and f"出诊 {sid} 已停诊：1 个预约已停止，1 条通知待发送" in out
    assert f.status_of(db, b) == "stopped"
    assert templates.get_session(db, sid).status == "stopped"
    _fails(capsys, clinic, db, ["stop", str(sid), "--reason", "again"], "已经停诊")
