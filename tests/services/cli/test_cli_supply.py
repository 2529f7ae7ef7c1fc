"""`regdesk rules show|set` and `regdesk holidays list|add|remove`, and what `roster publish` says of holidays:
output, one-line errors, nothing changed on bad input, log-in required, audited."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from services.bookings import rules
from services.models import AuditLog, HospitalDay, Rule
from services.rosters import holidays, templates
from tests import factories as f


def _rules_state(db):
    with db.read() as c:
        return (c.execute(select(Rule.key, Rule.value).order_by(Rule.key)).all(),
                c.execute(select(func.count()).select_from(AuditLog)).scalar_one())


def _fails(capsys, db, argv, message, state):
    before = state(db)
    rc, out, err = f.run_cli(capsys, *argv)
    assert rc != 0 and out == "", out
    assert len(err.strip().splitlines()) == 1 and err.startswith("regdesk: ") and "Traceback" not in err, err
    assert message in err, err
    assert state(db) == before


def test_rules_show_and_set(db, db_url, capsys, monkeypatch):
    rc, out, err = f.run_cli(capsys, "rules", "show", "--db", db_url)
    assert rc == 0, err
    lines = dict(line.split("\t")[0].split("=", 1) for line in out.splitlines())
    assert lines == {"booking_window_days": "7", "cutoff_minutes": "0", "one_per_department_day": "on",
                     "noshow_limit": "3", "noshow_lookback_days": "90", "blacklist_days": "90",
                     "autoapprove_enabled": "on", "release_time": "off", "late_cancel_days_before": "1",
                     "late_cancel_time": "15:00", "late_cancel_counts": "off",
                     "clerks_add_places": "off", "waitlist": "off", "waitlist_any_slot": "off",
                     "waitlist_cutoff_days_before": "1", "waitlist_cutoff_time": "18:00",
                     "desk_share_opens_days_before": "1", "desk_share_opens_time": "18:00",
                     "referral_share_opens_days_before": "1", "referral_share_opens_time": "18:00",
                     "followup_share_opens_days_before": "1", "followup_share_opens_time": "18:00",
                     "online_share_opens_days_before": "0", "online_share_opens_time": "00:00",
                     "followup_days": "14", "followup_same_doctor": "off"}
    assert "放号时间" in out
    # no log-in: refused, nothing changed
    _fails(capsys, db, ["rules", "set", "release_time=07:00", "--db", db_url], "--user", _rules_state)
    f.cli_login(db, monkeypatch)
    # one bad value among good ones: nothing changes (all or nothing)
    for bad, message in [("noshow_limit=0", "爽约次数上限"), ("release_time=25:00", "放号时间"),
                         ("late_cancel_counts=maybe", "on 或 off"), ("no_such_rule=1", "未知的规则"),
                         ("release_time", "KEY=VALUE"), ("booking_window_days=" + "9" * 3000, "可预约天数"),
                         ("late_cancel_time=off", "不能为空")]:
        _fails(capsys, db, ["rules", "set", "cutoff_minutes=30", bad, "--db", db_url], message, _rules_state)
    rc, out, err = f.run_cli(capsys, "rules", "set", "release_time=7:00", "late_cancel_counts=on",
                             "booking_window_days=14", "--db", db_url)
    assert rc == 0, err
    assert "release_time: off -> 07:00" in out and "booking_window_days: 7 -> 14" in out
    book = rules.load(db)
    assert (book.release_time, book.late_cancel_counts, book.booking_window_days) == ("07:00", True, 14)
    with db.read() as c:
        audited = c.execute(select(AuditLog.entity_id, AuditLog.actor).where(AuditLog.entity == "rule")).all()
    assert sorted(audited) == [("booking_window_days", "admin"), ("late_cancel_counts", "admin"),
                               ("release_time", "admin")]
    rc, out, err = f.run_cli(capsys, "rules", "set", "release_time=off", "--db", db_url)
    assert rc == 0 and rules.load(db).release_time is None


def _days_state(db):
    with db.read() as c:
        return (c.execute(select(HospitalDay.id, HospitalDay.day, HospitalDay.kind)).all(),
                c.execute(select(func.count()).select_from(AuditLog)).scalar_one())


def test_holidays_commands(db, db_url, capsys, monkeypatch):
    nk = f.department(db, "NK", "内科")
    day = dt.date.today() + dt.timedelta(days=20)
    _fails(capsys, db, ["holidays", "add", str(day), "--closed", "--reason", "院庆", "--db", db_url], "--user",
           _days_state)
    f.cli_login(db, monkeypatch, "clerk1", role="clerk")
    _fails(capsys, db, ["holidays", "add", str(day), "--closed", "--reason", "院庆", "--db", db_url], "",
           _days_state)
    f.cli_login(db, monkeypatch)
    for argv, message in [([str(day), "--closed", "--reason", " "], "原因不能为空"),
                          ([str(day), "--closed", "--reason", "院庆", "--department", "XX"], "没有科室代码"),
                          (["2026-13-01", "--closed", "--reason", "院庆"], "不是有效日期"),
                          ([str(day), "--reason", "院庆"], "--open"),
                          ([str(dt.date.today() - dt.timedelta(days=1)), "--closed", "--reason", "院庆"], "已过去")]:
        _fails(capsys, db, ["holidays", "add", *argv, "--db", db_url], message, _days_state)
    rc, out, err = f.run_cli(capsys, "holidays", "add", str(day), "--closed", "--reason", "院庆",
                             "--department", "NK", "--period", "pm", "--db", db_url)
    assert rc == 0, err
    assert f"{day} 内科下午停诊：院庆" in out
    [e] = holidays.list_exceptions(db, day, day)
    assert e.department_id == nk
    rc, out, err = f.run_cli(capsys, "holidays", "list", "--from", str(day), "--to", str(day), "--db", db_url)
    assert rc == 0 and f"{day} 内科下午停诊：院庆\t{e.id}" in out, out
    _fails(capsys, db, ["holidays", "remove", "99999", "--db", db_url], "没有节假日例外", _days_state)
    rc, out, err = f.run_cli(capsys, "holidays", "remove", str(e.id), "--db", db_url)
    assert rc == 0 and "已删除例外" in out
    assert holidays.list_exceptions(db, day, day) == []


def test_roster_publish_says_what_the_holidays_skipped(db, db_url, capsys, monkeypatch):
    """Publishing 2026's National Day week from the command line, as on 2026-09-01."""
    monkeypatch.setattr(templates, "hospital_today", lambda *a: dt.date(2026, 9, 1))
    nk = f.department(db, "NK", "内科")
    doc = f.doctor(db, nk)
    for weekday in range(7):
        f.template(db, doc, weekday)
    f.cli_login(db, monkeypatch)
    rc, out, err = f.run_cli(capsys, "roster", "publish", "--from", "2026-09-28", "--to", "2026-10-11",
                             "--db", db_url)
    assert rc == 0, err
    assert "跳过 2026-10-01 国庆节休息：未发布 1 个出诊" in out
    assert "跳过 2026-10-07 国庆节休息：未发布 1 个出诊" in out
    assert "注意 2026-10-10 国庆节调休上班（按周三排班）：1 个出诊" in out
    assert "新建出诊 7 个" in out  # 14 days, 7 of them holidays
