"""Database accounts by job on PostgreSQL and MariaDB, each test connecting as the accounts that
`regdesk db grant` made (tests/deployments.py: a non-superuser owner migrates and grants)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from services.bookings import attendance, decisions, queries, rules
from services.cli.cmd_jobs import ALL_JOBS, make_jobs
from services.config import Config, WeChatSettings
from services.demo import simulate
from services.errors import ConfigError, ValidationError
from services.jobs import heartbeat
from services.jobs.runner import Runner
from services.models import AuditLog, Booking, ChangeLog
from services.notify import delivery, outbox, secret_store
from services.notify.wechat import WeChatClient
from services.notify.wechat_settings import (
    describe_wechat_settings,
    load_wechat_settings,
    save_wechat_settings,
)
from services.rosters import clinic_sessions
from services.staff import accounts, auth
from services.staff.actor import AUTOAPPROVE, SYSTEM
from services.sync import feed
from tests import factories as f
from tests.deployments import deployment
from tests.wechat_fake import FakeWeChat


@pytest.fixture(params=["postgresql", "mariadb"])
def dep(request):
    with deployment(request.param) as d:
        yield d


DENIED = ("denied", "must be owner")  # PostgreSQL says the latter for DDL on another's table


def _denied(database, sql: str, params: dict | None = None) -> bool:
    """The server refuses the statement for want of a privilege."""
    message = _refused(database, sql, params).lower()
    return any(d in message for d in DENIED)


def _refused(database, sql: str, params: dict | None = None) -> str:
    """The statement fails as the account runs it; returns the server's first line."""
    with pytest.raises(DBAPIError) as failed:
        with database.engine.begin() as c:
            c.execute(text(sql), params or {})
    return str(failed.value.orig).splitlines()[0]


def _feed(owner, after: int = 0) -> list[tuple]:
    return [(ch.entity, ch.op, ch.entity_id, ch.status) for ch in feed.changes_since(owner, after)]


def _clinic(owner) -> dict:
    clinic = f.basic_clinic(owner, capacity=3, slots=2)
    clinic["patient"] = f.patient(owner)
    return clinic


def _on_the_day(clinic) -> dt.datetime:
    return dt.datetime.combine(clinic["day"], dt.time(8, 10))


def test_the_miniprogram_runs_the_contract_and_the_change_feed_sees_it(dep):
    owner, mp = dep.owner, dep.db("miniprogram")
    clinic = _clinic(owner)
    slot = clinic["slot_ids"][0]
    with mp.engine.begin() as c:
        assert c.execute(text("SELECT remaining FROM slot_availability WHERE slot_id = :s"), {"s": slot}).scalar() == 3
        c.execute(text(simulate.INSERT_PATIENT), {"openid": "o-mp-1", "name": "李四", "gender": "F",
                                                  "birth_date": dt.date(1990, 5, 1), "phone": "13800001111",
                                                  "id_card": None})
        pid = c.execute(text("SELECT id FROM patients WHERE openid = 'o-mp-1'")).scalar_one()
        c.execute(text("UPDATE patients SET name = '李四四', phone = '13800002222' WHERE id = :p"), {"p": pid})
        c.execute(text(simulate.INSERT_BOOKING), {"slot_id": slot, "patient_id": pid})
        c.execute(text(simulate.INSERT_BOOKING), {"slot_id": slot, "patient_id": pid})
        first, second = c.execute(text("SELECT id FROM bookings WHERE patient_id = :p ORDER BY id"),
                                  {"p": pid}).scalars().all()
    decisions.approve(owner, SYSTEM, second)
    with mp.engine.begin() as c:
        assert c.execute(text(simulate.CANCEL), {"id": first}).rowcount == 1
        assert c.execute(text(simulate.CANCEL_STAMPED), {"id": second, "now": dt.datetime(2030, 1, 1)}).rowcount == 1
        got = c.execute(text("SELECT status, reason FROM bookings WHERE id IN (:a, :b) ORDER BY id"),
                        {"a": first, "b": second}).all()
    assert [tuple(r) for r in got] == [("cancelled", None), ("cancelled", None)]
    # its cancel of the confirmed booking gave the place back in the slot's counter (a trigger that
    # runs with its owner's rights: the account has no privilege on slot_counters)
    with owner.read() as c:
        assert c.execute(text("SELECT taken FROM slot_counters WHERE slot_id = :s"), {"s": slot}).scalar_one() == 0
    feed = [c for c in _feed(owner) if c[0] == "booking"]
    assert feed == [("booking", "insert", first, "pending"), ("booking", "insert", second, "pending"),
                    ("booking", "update", second, "confirmed"), ("booking", "update", first, "cancelled"),
                    ("booking", "update", second, "cancelled")]


def test_regdesk_simulate_runs_with_the_miniprogram_account(dep):
    _clinic(dep.owner)
    s = simulate.simulate(dep.url("miniprogram"), 12, cancel_ratio=0.3, rng_seed=5, new_patient_ratio=0.5)
    with dep.owner.read() as c:
        assert c.execute(select(func.count()).select_from(Booking)).scalar_one() == s.requests == 12
        assert c.execute(select(func.count()).select_from(ChangeLog)
                         .where(ChangeLog.entity == "booking")).scalar_one() == 12 + s.cancellations


def test_the_miniprogram_is_refused_everything_else_and_nothing_changes(dep):
    owner, mp = dep.owner, dep.db("miniprogram")
    clinic = _clinic(owner)
    pending = f.request(owner, clinic["slot_ids"][0], clinic["patient"])
    # other patients: the rules approve one booking per patient per department and day
    confirmed = f.request(owner, clinic["slot_ids"][0], f.patient(owner))
    decisions.approve(owner, SYSTEM, confirmed)
    checked_in = f.request(owner, clinic["slot_ids"][1], f.patient(owner))
    decisions.approve(owner, SYSTEM, checked_in)
    decisions.check_in(owner, SYSTEM, checked_in, now=_on_the_day(clinic))
    save_wechat_settings(owner, SYSTEM, appid="wx-1", secret="the-secret", template_id="T")
    with owner.read() as c:
        before = (c.execute(select(Booking.id, Booking.status, Booking.reason).order_by(Booking.id)).all(),
                  c.execute(select(func.count()).select_from(ChangeLog)).scalar_one())
    for table in ("staff", "audit_log", "app_settings", "secrets", "secret_state", "notifications", "change_log",
                  "rules", "db_accounts", "login_throttle", "roster_templates"):
        assert _denied(mp, f"SELECT * FROM {table}"), table
    assert _denied(mp, "SELECT decided_by FROM bookings")
    guard = "may only request (pending) and cancel bookings"
    for sql in ("UPDATE bookings SET status = 'confirmed' WHERE id = :p",
                "UPDATE bookings SET status = 'checked_in' WHERE id = :c",
                "UPDATE bookings SET status = 'pending' WHERE id = :c",
                "UPDATE bookings SET status = 'cancelled' WHERE id = :k",  # past confirmed: not the patient's
                "INSERT INTO bookings (slot_id, patient_id, status, source) VALUES (:s, :pt, 'confirmed', 'miniprogram')",
                "INSERT INTO bookings (slot_id, patient_id, status, source) VALUES (:s, :pt, 'pending', 'desk')"):
        assert guard in _refused(mp, sql, {"p": pending, "c": confirmed, "k": checked_in,
                                           "s": clinic["slot_ids"][0], "pt": clinic["patient"]}), sql
    for sql in ("UPDATE bookings SET reason = 'x' WHERE id = :p",
                "INSERT INTO bookings (slot_id, patient_id, status, source, decided_by)"
                " VALUES (:s, :pt, 'pending', 'miniprogram', 'me')",
                "INSERT INTO change_log (entity, entity_id, op) VALUES ('booking', '1', 'update')",
                "DELETE FROM bookings WHERE id = :p",
                "UPDATE patients SET id_card = NULL WHERE id = :pt",
                "UPDATE slots SET capacity = 99",
                "CREATE TABLE mine (id int)"):
        assert _denied(mp, sql, {"p": pending, "s": clinic["slot_ids"][0], "pt": clinic["patient"]}), sql
    call = "SELECT regdesk_set_wechat_secret('x')" if dep.kind == "postgresql" else "CALL regdesk_set_wechat_secret('x')"
    assert _denied(mp, call)
    with owner.read() as c:
        after = (c.execute(select(Booking.id, Booking.status, Booking.reason).order_by(Booking.id)).all(),
                 c.execute(select(func.count()).select_from(ChangeLog)).scalar_one())
    assert after == before
    assert load_wechat_settings(owner, Config("", WeChatSettings())).secret == "the-secret"


def test_the_desk_runs_the_console_and_cannot_read_the_secret(dep):
    owner, desk = dep.owner, dep.db("desk")
    clinic = _clinic(owner)
    auth.create_first_admin(desk, "admin", "管理员", "admin1234")
    admin = auth.login(desk, "admin", "admin1234")
    auth.create_staff(desk, admin, "clerk", "王小明", "clerk", "clerk1234")
    clerk = auth.login(desk, "clerk", "clerk1234")
    request = f.request(owner, clinic["slot_ids"][0], clinic["patient"])
    assert [r.booking_id for r in queries.pending_queue(desk)] == [request]
    assert decisions.approve(desk, clerk, request).status == "confirmed"
    walk = decisions.walk_in(desk, clerk, clinic["slot_ids"][1], clinic["patient"])
    on_the_day = _on_the_day(clinic)  # check-in only on the clinic's own day
    assert decisions.check_in(desk, clerk, walk.id, now=on_the_day).status == "checked_in"
    assert attendance.undo_check_in(desk, clerk, walk.id, now=on_the_day).status == "confirmed"
    assert decisions.check_in(desk, clerk, walk.id, now=on_the_day).status == "checked_in"
    assert {r.booking_id for r in queries.day_list(desk, clinic["day"])} == {request, walk.id}
    clinic_sessions.update_session(desk, admin, clinic["session_id"], note="三楼诊室")
    # the admin sets the WeChat secret from the console, and it is never read back
    save_wechat_settings(desk, admin, appid="wx-desk", secret="desk-typed-secret", template_id="TPL")
    view = describe_wechat_settings(desk, Config("", WeChatSettings()))
    assert view.secret_set and view.settings.secret == "" and view.configured
    with pytest.raises(secret_store.SecretUnreadable):
        load_wechat_settings(desk, Config("", WeChatSettings()))
    # what a stop or substitution's confirmation says: configured, known without reading the secret
    assert outbox.outbox_state(desk, Config("", WeChatSettings())).configured
    assert secret_store.read(owner) == "desk-typed-secret"
    for sql in ("SELECT value FROM secrets", "UPDATE secrets SET value = 'x'", "DELETE FROM audit_log",
                "UPDATE audit_log SET actor = 'nobody'", "DELETE FROM change_log", "SELECT * FROM db_accounts",
                "CREATE TABLE mine (id int)", "DROP TABLE rules", "ALTER TABLE staff ADD COLUMN x int"):
        assert _denied(desk, sql), sql
    with owner.read() as c:
        who = c.execute(select(AuditLog.actor).where(AuditLog.entity == "booking").order_by(AuditLog.id)).scalars().all()
    assert who == ["clerk"] * 5  # approve, walk-in, check-in, its undo, check-in again


def test_the_jobs_account_decides_and_sends_but_reads_no_staff(dep):
    owner, jobs = dep.owner, dep.db("jobs")
    clinic = _clinic(owner)
    request = f.request(owner, clinic["slot_ids"][0], clinic["patient"])
    with FakeWeChat() as fake:
        save_wechat_settings(dep.db("desk"), SYSTEM, appid=fake.appid, secret=fake.secret,
                             template_id=fake.template_id, api_base=fake.url)
        assert rules.decide_pending(jobs, AUTOAPPROVE).decided == 1
        assert f.status_of(owner, request) == "confirmed"
        settings = load_wechat_settings(jobs, Config("", WeChatSettings()))
        assert settings.secret == fake.secret
        with WeChatClient(jobs, settings, timeout=2) as client:
            assert delivery.deliver_due(jobs, client).sent == 1
        assert len(fake.delivered()) == 1
    assert delivery.enqueue_reminders(jobs, clinic["day"]) == 1
    assert feed.prune(jobs, keep_rows=1) >= 1
    for sql in ("SELECT * FROM staff", "SELECT * FROM login_throttle", "INSERT INTO staff (username) VALUES ('x')",
                "CREATE TABLE mine (id int)", "DELETE FROM job_leases"):
        assert _denied(jobs, sql), sql


def test_the_jobs_account_runs_the_job_service_and_the_desk_sees_its_heartbeat(dep):
    owner, jobs, desk = dep.owner, dep.db("jobs"), dep.db("desk")
    clinic = _clinic(owner)
    request = f.request(owner, clinic["slot_ids"][0], clinic["patient"])
    with FakeWeChat() as fake:
        save_wechat_settings(desk, SYSTEM, appid=fake.appid, secret=fake.secret,
                             template_id=fake.template_id, api_base=fake.url)
        runner = Runner(jobs, Config("", WeChatSettings()), make_jobs(ALL_JOBS, timeout=2))
        try:
            said = runner.run_once()  # every job: decide, send, no-shows, reminders, prune
        finally:
            runner.close()
        assert set(said) >= {"decide"} and runner.failed == {}, (said, runner.failed)
        assert f.status_of(owner, request) == "confirmed" and len(fake.delivered()) == 1
    [seen] = heartbeat.status(desk).runners  # the console's 后台服务 view, on the desk's account
    assert seen.jobs == ALL_JOBS and seen.last_round_at is not None
    assert outbox.outbox_state(desk, Config("", WeChatSettings())).sender_seen_at is not None
    for sql in ("UPDATE job_leases SET holder = 'desk'", "DELETE FROM job_runners",
                "INSERT INTO job_runners (id) VALUES ('x')"):
        assert _denied(desk, sql), sql
    assert _denied(dep.db("miniprogram"), "SELECT * FROM job_runners")


def test_grants_follow_a_later_migration_and_take_away_what_a_job_no_longer_needs(dep):
    owner = dep.owner
    with owner.engine.begin() as c:  # what a later revision might add
        c.execute(text("CREATE TABLE later_things (id integer PRIMARY KEY, note varchar(20))"))
    assert _denied(dep.db("desk"), "SELECT * FROM later_things")
    again = accounts.grant_known(owner)
    assert sorted(g.role for g in again) == ["desk", "jobs", "miniprogram"]
    with dep.db("desk").engine.begin() as c:
        c.execute(text("INSERT INTO later_things (id, note) VALUES (1, 'x')"))
    assert _denied(dep.db("miniprogram"), "SELECT * FROM later_things")
    # the desk account becomes a mini-program account: its desk privileges are gone
    accounts.grant(owner, "miniprogram", dep.names["desk"])
    assert _denied(dep.db("desk"), "SELECT * FROM staff")


def test_bad_grants_are_refused(dep):
    owner = dep.owner
    with pytest.raises(ValidationError, match="password"):
        accounts.grant(owner, "desk", "rdt_never_made_x1")  # a new account needs a password
    with pytest.raises(ValidationError, match="12 characters"):
        accounts.grant(owner, "desk", "rdt_never_made_x1", "short")
    with pytest.raises(ValidationError, match="account name"):
        accounts.grant(owner, "desk", "Robert'); DROP", "long-enough-password")
    with pytest.raises(ValidationError, match="unknown role"):
        accounts.grant(owner, "root", "rdt_never_made_x1", "long-enough-password")
    owner_name = owner.engine.url.username
    with pytest.raises(ValidationError, match="owner"):
        accounts.grant(owner, "desk", owner_name, "long-enough-password")
    assert {a.name for a in accounts.known_accounts(owner)} == set(dep.names.values())


def test_an_sqlite_file_has_no_accounts(sqlite_db):
    with pytest.raises(ConfigError, match="SQLite file has no database accounts"):
        accounts.grant(sqlite_db, "desk", "desk_pc", "long-enough-password")
    assert accounts.grant_known(sqlite_db) == []
