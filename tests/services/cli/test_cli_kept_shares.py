"""`regdesk rules share --kind desk|referral|followup` and the rules of the kept shares in `regdesk rules show|set`:
what a slot keeps for referrals and follow-ups, when it opens; one line on stderr and nothing changed on bad
input; without --kind the desk's share, as before."""
from __future__ import annotations

from sqlalchemy import text

from services.bookings import rules
from tests import factories as f
from tests.snapshot import snapshot

LOG_IN = ("staff.last_login_at",)  # a log-in records its time: the one thing a refused command may change


def _view(db, slot_id):
    with db.read() as c:
        return tuple(c.execute(text("SELECT online_remaining, referral_remaining, followup_remaining"
                                    " FROM slot_availability WHERE slot_id = :s"), {"s": slot_id}).one())


def _refused(capsys, db, *argv):
    before = snapshot(db, without=LOG_IN)
    rc, out, err = f.run_cli(capsys, *argv)
    assert rc != 0 and out == "", out
    assert len(err.strip().splitlines()) == 1 and err.startswith("regdesk: ") and "Traceback" not in err, err
    assert snapshot(db, without=LOG_IN) == before
    return err


def test_rules_share_kinds(db, db_url, capsys, monkeypatch):
    c = f.basic_clinic(db, capacity=10, slots=1)
    slot, dep, session = c["slot_ids"][0], str(c["department_id"]), str(c["session_id"])
    f.cli_login(db, monkeypatch)
    rc, out, err = f.run_cli(capsys, "rules", "share", "--department", dep, "--kind", "referral", "30", "--db", db_url)
    assert rc == 0 and "转诊号比例：30%" in out, err
    rc, out, err = f.run_cli(capsys, "rules", "share", "--department", dep, "--kind", "followup", "20", "--db", db_url)
    assert rc == 0 and "复诊号比例：20%" in out, err
    rc, out, err = f.run_cli(capsys, "rules", "share", "--department", dep, "20", "--db", db_url)  # the desk's
    assert rc == 0 and "现场号比例：20%" in out, err
    assert _view(db, slot) == (3, 6, 5)  # 2 desk, 3 referral, 2 follow-up kept: 3 online
    rc, out, err = f.run_cli(capsys, "rules", "share", "--session", session, "--kind", "referral", "off",
                             "--db", db_url)
    assert rc == 0 and "沿用科室设置" in out and _view(db, slot) == (3, 6, 5)
    for bad in (["--department", dep, "--kind", "vip", "10"],  # no such kind
                ["--department", dep, "--kind", "followup", "70"],  # 20 + 30 + 70 > 100
                ["--session", session, "--kind", "desk", "60"],
                ["--department", dep, "--kind", "referral", "-1"],
                ["--kind", "referral", "10"],
                ["--department", "999999", "--kind", "referral", "10"]):
        _refused(capsys, db, "rules", "share", *bad, "--db", db_url)
    err = _refused(capsys, db, "rules", "share", "--department", dep, "--kind", "followup", "70", "--db", db_url)
    assert "100%" in err


def test_rules_of_the_kept_shares(db, db_url, capsys, monkeypatch):
    rc, out, err = f.run_cli(capsys, "rules", "show", "--db", db_url)
    assert rc == 0 and "referral_share_opens_time=18:00\t# 转诊号开放时间" in out and "followup_days=14" in out
    f.cli_login(db, monkeypatch)
    for bad in ("followup_days=0", "followup_days=366", "referral_share_opens_time=25:00",
                "online_share_opens_time=off", "followup_same_doctor=maybe", "online_share_opens_days_before=31"):
        _refused(capsys, db, "rules", "set", "followup_days=30", bad, "--db", db_url)
    rc, out, err = f.run_cli(capsys, "rules", "set", "followup_days=30", "followup_same_doctor=on",
                             "referral_share_opens_days_before=2", "referral_share_opens_time=12:00",
                             "online_share_opens_time=7:30", "--db", db_url)
    assert rc == 0 and "followup_days: 14 -> 30" in out, err
    book = rules.load(db)
    assert (book.followup_days, book.followup_same_doctor, book.referral_share_opens_days_before,
            book.referral_share_opens_time, book.online_share_opens_time) == (30, True, 2, "12:00", "07:30")
