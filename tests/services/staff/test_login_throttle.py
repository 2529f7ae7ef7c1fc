"""Log-in answers and the throttle on every database: one answer for unknown, wrong and waiting;
the same work on every path; a growing delay per workstation that cannot keep the admin out."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from services.clock import utc_to_local
from services.errors import AuthError
from services.models import LoginThrottle
from services.staff import audit, auth
from services.staff.actor import SYSTEM

T0 = dt.datetime(2026, 11, 26, 2, 0, 0)  # UTC
BAD = "用户名或密码错误"


class CountingHasher(PasswordHasher):
    """argon2id with small parameters that counts the verifications it makes."""

    def __init__(self):
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash, password):
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch):
    h = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", h)
    monkeypatch.setattr(auth, "_dummy_hash", None)
    return h


@pytest.fixture
def admin(db):
    return auth.create_staff(db, SYSTEM, "admin", "管理员", "admin", "admin1234")


def _answer(db, name, password, now, workstation="pc-1") -> str:
    with pytest.raises(AuthError) as failed:
        auth.login(db, name, password, now=now, workstation=workstation)
    return str(failed.value)


def _wait_text(until: dt.datetime) -> str:
    return f"尝试次数过多，请于 {utc_to_local(until):%H:%M:%S} 后再试"


def _throttle(db, name, workstation="pc-1"):
    with db.read() as c:
        return c.execute(select(LoginThrottle.failures, LoginThrottle.next_allowed_at).where(
            LoginThrottle.username == name, LoginThrottle.workstation == workstation)).first()


def test_unknown_user_wrong_password_and_a_waiting_account_get_the_same_answers(db, admin, hasher):
    seconds = (0, 1, 2, 3, 4, 10)
    known = [_answer(db, "admin", "wrong-password", T0 + dt.timedelta(seconds=s)) for s in seconds]
    unknown = [_answer(db, "ghost", "wrong-password", T0 + dt.timedelta(seconds=s)) for s in seconds]
    # while the name waits, even the right password gets the waiting answer
    right = _answer(db, "admin", "admin1234", T0 + dt.timedelta(seconds=11))
    waiting_ghost = _answer(db, "ghost", "admin1234", T0 + dt.timedelta(seconds=11))
    until = T0 + dt.timedelta(seconds=4 + 30)
    assert known == unknown == [BAD] * 4 + [f"{BAD}；{_wait_text(until)}", _wait_text(until)]
    assert right == waiting_ghost == _wait_text(until)
    # every attempt did one argon2 verification: against the dummy hash for the unknown name
    assert hasher.verified == 2 * len(seconds) + 2
    assert _throttle(db, "admin") == _throttle(db, "ghost") == (5, until)


def test_the_audit_names_the_workstation_of_each_failure_of_a_known_account(db, admin):
    for i in range(5):
        _answer(db, "admin", "wrong-password", T0 + dt.timedelta(seconds=i), workstation="Lobby-PC")
    with db.read() as c:
        failed = [e for e in audit.history(c, "staff", admin.id) if e.action == "login_failed"]
    assert [e.detail["failures"] for e in failed] == [1, 2, 3, 4, 5]
    assert {e.detail["workstation"] for e in failed} == {"lobby-pc"}
    assert "wait_until" in failed[-1].detail and "wait_until" not in failed[0].detail
    assert next(s for s in auth.list_staff(db) if s.id == admin.id).locked(T0 + dt.timedelta(seconds=5))


def test_an_outsider_cannot_keep_the_admin_out(db, admin):
    """Someone at the lobby PC types wrong passwords for 'admin' all day: the wait there stops growing
    at 15 minutes, the admin logs in from the desk at once, and from the lobby once the wait is over."""
    now, waits = T0, []
    for _ in range(30):
        _answer(db, "admin", "guess-guess", now, workstation="lobby")
        until = _throttle(db, "admin", "lobby").next_allowed_at
        waits.append(until - now if until else dt.timedelta(0))
        now = until or now + dt.timedelta(seconds=1)  # the outsider tries again as soon as allowed
    assert max(waits) == waits[-1] == dt.timedelta(minutes=15)
    assert _throttle(db, "admin", "lobby").failures == 30
    # the admin at the desk is not slowed at all
    assert auth.login(db, "admin", "admin1234", now=now - dt.timedelta(minutes=1), workstation="desk-1").role == "admin"
    # at the lobby the admin waits out the last 15 minutes at most, then gets in, and the count starts over
    assert _answer(db, "admin", "admin1234", now - dt.timedelta(seconds=1), workstation="lobby") == _wait_text(now)
    assert auth.login(db, "admin", "admin1234", now=now, workstation="lobby").name == "admin"
    assert _throttle(db, "admin", "lobby") is None


def test_unlock_lifts_the_delay_on_every_workstation(db, admin):
    clerk = auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    for ws in ("pc-1", "pc-2"):
        for _ in range(6):
            _answer(db, "clerk", "wrong-password", T0, workstation=ws)
    assert next(s for s in auth.list_staff(db) if s.id == clerk.id).locked(T0)
    me = auth.login(db, "admin", "admin1234", now=T0)
    auth.unlock(db, me, clerk.id)
    assert _throttle(db, "clerk", "pc-1") is None and _throttle(db, "clerk", "pc-2") is None
    assert auth.login(db, "clerk", "clerk1234", now=T0, workstation="pc-2").name == "clerk"


def test_failures_older_than_a_day_are_forgotten(db, admin):
    for _ in range(4):
        _answer(db, "admin", "wrong-password", T0)
    later = T0 + dt.timedelta(hours=25)
    assert _answer(db, "admin", "wrong-password", later) == BAD
    assert _throttle(db, "admin").failures == 1


def test_a_success_starts_the_count_again(db, admin):
    for _ in range(4):
        _answer(db, "admin", "wrong-password", T0)
    auth.login(db, "admin", "admin1234", now=T0, workstation="pc-1")
    for _ in range(4):
        assert _answer(db, "admin", "wrong-password", T0) == BAD
    assert _throttle(db, "admin").failures == 4


def test_names_no_account_can_have_are_refused_without_a_row(db):
    for name in ("", "x", "bad name", "a\x1b[2Jb"):
        assert _answer(db, name, "whatever-pw", T0) == BAD
    with db.read() as c:
        assert c.execute(select(LoginThrottle.username)).all() == []


@pytest.mark.parametrize("attempts", [3, 8])
def test_concurrent_failures_are_all_counted(db, admin, attempts):
    barrier = threading.Barrier(attempts)
    answers: list[str] = []
    lock = threading.Lock()

    def attempt():
        barrier.wait()
        try:
            auth.login(db, "admin", "bad-password", now=T0, workstation="pc-1")
        except AuthError as exc:
            with lock:
                answers.append(str(exc))

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == attempts
    failures, until = _throttle(db, "admin")
    # every attempt was either counted, or refused unchecked because the name already had to wait
    waited = sum(a.startswith("尝试次数过多") for a in answers)
    assert failures + waited == attempts
    if attempts <= 4:
        assert until is None and set(answers) == {BAD}
    else:
        assert until == T0 + dt.timedelta(seconds=30 * 2 ** (failures - 5))
