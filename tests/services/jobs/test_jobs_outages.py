"""`regdesk jobs` (a real process) under database outages on servers of the test's own: connections
cut, PostgreSQL's smart then fast shutdown and a start without waiting, MariaDB killing connections
and shutting down; the process stays up, and decides and sends everything once the server is back,
each message once (the fake WeChat server counts). Two processes: one acts, the other takes over
when the first is killed (SIGKILL); no message is sent twice."""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services import migrate
from services.db import Database
from services.jobs import heartbeat
from tests import factories as f
from tests.own_servers import OwnMariaDB, OwnPostgres, free_port, wait_for
from tests.wechat_fake import FakeWeChat

ROOT = Path(__file__).resolve().parents[3]


class JobsProcess:
    """`regdesk jobs` in a subprocess, its log in a file."""

    def __init__(self, url: str, fake: FakeWeChat, folder: Path, name: str = "jobs"):
        env = dict(os.environ, REGDESK_DATABASE_URL=url, REGDESK_WECHAT_APPID=fake.appid,
                   REGDESK_WECHAT_SECRET=fake.secret, REGDESK_WECHAT_TEMPLATE_ID=fake.template_id,
                   REGDESK_WECHAT_API_BASE=fake.url, REGDESK_WECHAT_PAGE="pages/booking/detail?id={booking_id}",
                   REGDESK_LOG_DIR=str(folder / f"{name}-log"))
        env.pop("REGDESK_REQUIRE_SERVERS", None)
        self.err_path = folder / f"{name}.err"
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([sys.executable, "main.py", "jobs", "--interval", "0.2", "--lease", "5"],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.err)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM; the process must be gone within 5 seconds (the limit the job service promises)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired as exc:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("regdesk jobs did not stop within 5 s of SIGTERM:\n" + self.stderr()[-3000:]) from exc
        self.err.close()
        return self.proc.returncode

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.err.close()


def _requests(db: Database, clinic: dict, n: int) -> list[int]:
    return [f.request(db, clinic["slot_ids"][0], f.patient(db)) for _ in range(n)]


def _statuses(db: Database, ids: list[int]) -> list[str] | None:
    try:
        return [f.status_of(db, i) for i in ids]
    except Exception:  # the server is still coming back
        return None


def _settled(db: Database, fake: FakeWeChat, ids: list[int], jobs: JobsProcess, what: str) -> None:
    def done() -> bool:
        assert jobs.alive(), f"regdesk jobs died {what}:\n" + jobs.stderr()[-3000:]
        return _statuses(db, ids) == ["confirmed"] * len(ids) and len(fake.delivered()) >= len(ids)
    wait_for(done, f"every request decided and told {what}", timeout=90)


def _once_each(fake: FakeWeChat, ids: list[int]) -> None:
    told = collections.Counter(int(r.body["page"].split("id=")[1]) for r in fake.delivered())
    assert told == collections.Counter(ids), "each booking told exactly once"


def _connects(url: str, needle: str | None = None):
    """True when a new connection works; with ``needle``: True when it fails saying that."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return needle is None
    except Exception as exc:
        return needle is not None and needle in str(exc).lower()
    finally:
        engine.dispose()


def _hospital(server_url: str, create: str, url: str) -> tuple[Database, dict]:
    """A migrated database ``url`` on a server of the test's own, with a clinic of 50 places."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(create))
    admin.dispose()
    db = Database(url)
    migrate.upgrade(db)
    return db, f.basic_clinic(db, capacity=50, slots=1)


def test_jobs_outlive_a_postgresql_that_goes_away(tmp_path):
    pg = OwnPostgres(tmp_path / "pg", free_port(39600, 39640))
    pg.start()
    try:
        url = pg.url("regdesk_t")
        db, clinic = _hospital(pg.url(), "CREATE DATABASE regdesk_t", url)
        with FakeWeChat() as fake:
            jobs = JobsProcess(url, fake, tmp_path)
            try:
                ids = _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "at first")
                # 1. every connection cut (as an administrator or a failover does)
                with db.engine.connect() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE pid <> pg_backend_pid() AND datname = 'regdesk_t'"))
                ids += _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "after the connections were cut")
                # 2. a smart shutdown (open sessions go on, new ones hear 57P03), then a fast one
                held = db.engine.connect()  # a session open before the shutdown: still usable
                pg.stop("smart", wait=False)
                wait_for(lambda: _connects(url, "shutting down"), "new connections refused as shutting down")
                ids += [_request_on(held, clinic["slot_ids"][0]) for _ in range(2)]
                pg.stop("fast")
                held.close()
                # the server stays down until the job service has met it (its rounds are 0.2 s apart)
                wait_for(lambda: "database unreachable" in jobs.stderr(), "the job service meeting the outage")
                assert jobs.alive(), jobs.stderr()[-3000:]
                # 3. a start without waiting: the first connections hear "starting up"
                pg.start(wait=False)
                wait_for(lambda: _connects(url), "the server back", timeout=60)
                db.engine.dispose()
                ids += _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "after the restart")
            finally:
                code = jobs.stop()
            err = jobs.stderr()
            _once_each(fake, ids)
        db.dispose()
        assert code == 0, err[-3000:]
        assert "Traceback" not in err and "database unreachable" in err, err[-3000:]
    finally:
        pg.close()


def _request_on(conn, slot_id: int) -> int:
    """A request as the mini-program writes it, on a session that is already open."""
    n = conn.execute(text("SELECT count(*) FROM patients")).scalar_one()
    pid = conn.execute(text("INSERT INTO patients (openid, name, gender, phone) VALUES (:o, '患者', 'U', :p) "
                            "RETURNING id"), {"o": f"o-held-{n}", "p": f"139{n:08d}"}).scalar_one()
    bid = conn.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source) "
                            "VALUES (:s, :p, 'pending', 'miniprogram') RETURNING id"), {"s": slot_id, "p": pid}).scalar_one()
    conn.commit()
    return bid


def test_jobs_outlive_a_mariadb_that_goes_away(tmp_path):
    maria = OwnMariaDB(tmp_path / "maria", free_port(39640, 39670))
    maria.start()
    try:
        wait_for(lambda: _connects(maria.url()), "MariaDB to accept connections", timeout=90)
        url = maria.url("regdesk_t")
        db, clinic = _hospital(maria.url(), "CREATE DATABASE regdesk_t CHARACTER SET utf8mb4 "
                                            "COLLATE utf8mb4_unicode_ci", url)
        with FakeWeChat() as fake:
            jobs = JobsProcess(url, fake, tmp_path)
            try:
                ids = _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "at first")
                # 1. every other connection killed
                with db.engine.connect() as conn:
                    for (cid,) in conn.execute(text("SELECT id FROM information_schema.processlist "
                                                    "WHERE id <> CONNECTION_ID() AND db = 'regdesk_t'")).all():
                        try:
                            conn.execute(text(f"KILL CONNECTION {int(cid)}"))
                        except Exception:  # gone already
                            pass
                ids += _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "after the connections were killed")
                # 2. a shutdown: connections refused (2003) until it is back
                maria.stop()
                wait_for(lambda: _connects(url, "can't connect"), "connections refused")
                wait_for(lambda: "database unreachable" in jobs.stderr(), "the job service meeting the outage")
                assert jobs.alive(), jobs.stderr()[-3000:]
                maria.start()
                wait_for(lambda: _connects(url), "MariaDB back", timeout=90)
                db.engine.dispose()
                ids += _requests(db, clinic, 2)
                _settled(db, fake, ids, jobs, "after the restart")
            finally:
                code = jobs.stop()
            err = jobs.stderr()
            _once_each(fake, ids)
        db.dispose()
        assert code == 0, err[-3000:]
        assert "Traceback" not in err and "database unreachable" in err, err[-3000:]
    finally:
        maria.close()


def test_jobs_wait_for_a_database_that_is_not_there_yet(tmp_path):
    """Started before its database (a server booting after the job service): it waits, says why,
    and a SIGTERM still ends it within 5 s, cleanly."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port(39670, 39690)}/regdesk"
    with FakeWeChat() as fake:
        jobs = JobsProcess(url, fake, tmp_path)
        try:
            wait_for(lambda: "database unreachable" in jobs.stderr(), "the job service saying it waits")
            assert jobs.alive(), jobs.stderr()
        finally:
            code = jobs.stop()
    assert code == 0 and "Traceback" not in jobs.stderr()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_second_process_takes_over_when_the_first_is_killed(db, db_url, tmp_path):
    clinic = f.basic_clinic(db, capacity=50, slots=1)
    with FakeWeChat() as fake:
        first = JobsProcess(db_url, fake, tmp_path, "first")
        ids = _requests(db, clinic, 2)
        _settled(db, fake, ids, first, "by the first")
        second = JobsProcess(db_url, fake, tmp_path, "second")
        try:
            def acting() -> dict[int, tuple[str, ...]]:
                return {r.pid: r.acting for r in heartbeat.status(db).runners if r.fresh}
            wait_for(lambda: len(acting()) == 2, "both processes beating")
            assert acting()[first.proc.pid] == ("decide", "shares", "waitlist", "send", "noshow", "reminders", "prune")
            assert acting()[second.proc.pid] == ()  # it waits
            first.kill()  # SIGKILL: no clean hand-over; its leases lapse (--lease 5)
            ids += _requests(db, clinic, 3)
            _settled(db, fake, ids, second, "by the second after the first was killed")
            wait_for(lambda: "decide" in acting()[second.proc.pid], "the second's heartbeat saying it acts")
        finally:
            code = second.stop()
        _once_each(fake, ids)
        assert code == 0 and "Traceback" not in second.stderr()
