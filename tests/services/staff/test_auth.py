"""Staff accounts and log-in on every database: hashing, validation, permissions (the log-in
throttle's answers and delays: test_login_throttle.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from services.errors import AuthError, NotFound, PermissionDenied, ValidationError
from services.models import Staff
from services.staff import audit, auth
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

T0 = dt.datetime(2026, 11, 26, 2, 0, 0)  # UTC
# these use the production argon2 parameters: the concurrency test needs slow hashes to overlap
REAL_HASHES = {"test_outdated_hash_is_rehashed_on_login"}


@pytest.fixture(autouse=True)
def _quick_hashes(request, monkeypatch):
    """Still argon2id, with small parameters: the tests below hash dozens of times and a
    production hash costs 0.1-0.5 s on a busy machine. Verifying reads the parameters from
    the hash, so nothing else changes."""
    if request.function.__name__ not in REAL_HASHES:
        monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _hash_of(db, username):
    with db.read() as c:
        return c.execute(select(Staff.password_hash).where(Staff.username == username)).scalar_one()


@pytest.fixture
def nk(db):
    return f.department(db, "NK", "内科")


def test_create_and_login(db, nk):
    info = auth.create_staff(db, SYSTEM, "Head_NK", "李主任", "head", "secret-pw", ["nk"])
    assert info.username == "head_nk" and info.role == "head" and info.department_codes == ("NK",)
    assert info.department_ids == (nk,) and info.active and info.last_login_at is None
    assert _hash_of(db, "head_nk").startswith("$argon2id$")
    actor = auth.login(db, "HEAD_NK", "secret-pw", now=T0)
    assert actor == Actor(kind="staff", name="head_nk", staff_id=info.id, role="head",
                          department_ids=frozenset({nk}), display_name="李主任")
    assert next(s for s in auth.list_staff(db) if s.id == info.id).last_login_at == T0
    assert [s.username for s in auth.list_staff(db)] == ["head_nk"]
    with db.read() as c:
        created = audit.history(c, "staff", info.id)[0]
    assert (created.action, created.actor, created.detail["role"]) == ("create", "system", "head")


def test_deactivated_account(db):
    admin = auth.create_staff(db, SYSTEM, "admin", "管理员", "admin", "admin1234")
    clerk = auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    admin_actor = auth.login(db, "admin", "admin1234", now=T0)
    auth.update_staff(db, admin_actor, clerk.id, active=False)
    with pytest.raises(AuthError, match="^账号已停用$"):
        auth.login(db, "clerk", "clerk1234", now=T0)
    # a wrong password does not reveal that the account exists but is disabled
    with pytest.raises(AuthError, match="^用户名或密码错误$"):
        auth.login(db, "clerk", "nope-nope", now=T0)
    with pytest.raises(AuthError, match="停用"):
        auth.actor_for(db, "clerk")
    auth.update_staff(db, admin_actor, clerk.id, active=True)
    assert auth.login(db, "clerk", "clerk1234", now=T0).role == "clerk"
    assert admin.id != clerk.id


@pytest.mark.parametrize("kwargs, message", [
    ({"username": "a"}, "用户名"),
    ({"username": "bad name"}, "用户名"),
    ({"username": "x" * 33}, "用户名"),
    ({"role": "boss"}, "未知角色"),
    ({"password": "short"}, "至少 8"),
    ({"role": "head", "department_codes": []}, "^科室主任至少要负责一个科室$"),  # no command-line flag in it
    ({"department_codes": ["ZZZ"]}, "未知科室代码：ZZZ"),
])
def test_create_staff_validation(db, nk, kwargs, message):
    args = {"username": "clerk2", "display_name": "张三", "role": "clerk", "password": "password1",
            "department_codes": ["NK"]}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        auth.create_staff(db, SYSTEM, **args)
    assert auth.list_staff(db) == []


def test_duplicate_username_case_insensitive(db):
    auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    with pytest.raises(ValidationError, match="^用户名已存在$"):
        auth.create_staff(db, SYSTEM, "CLERK", "王小红", "clerk", "clerk1234")
    assert len(auth.list_staff(db)) == 1


def test_only_admins_manage_staff(db, nk):
    auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    auth.create_staff(db, SYSTEM, "head", "李主任", "head", "head12345", ["NK"])
    for user, pw in (("clerk", "clerk1234"), ("head", "head12345")):
        actor = auth.login(db, user, pw, now=T0)
        with pytest.raises(PermissionDenied):
            auth.create_staff(db, actor, "new", "新人", "clerk", "password1")
        with pytest.raises(PermissionDenied):
            auth.reset_password(db, actor, actor.staff_id, "password2")
    assert len(auth.list_staff(db)) == 2


def test_update_reset_unlock_and_last_admin(db, nk):
    admin = auth.create_staff(db, SYSTEM, "admin", "管理员", "admin", "admin1234")
    clerk = auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    a = auth.login(db, "admin", "admin1234", now=T0)
    info = auth.update_staff(db, a, clerk.id, display_name="王大明", role="head", department_codes=["NK"])
    assert (info.display_name, info.role, info.department_codes) == ("王大明", "head", ("NK",))
    with pytest.raises(ValidationError, match="至少要负责一个科室"):
        auth.update_staff(db, a, clerk.id, department_codes=[])
    with pytest.raises(ValidationError, match="最后一个管理员"):
        auth.update_staff(db, a, admin.id, role="clerk")
    with pytest.raises(ValidationError, match="最后一个管理员"):
        auth.update_staff(db, a, admin.id, active=False)
    with pytest.raises(NotFound):
        auth.update_staff(db, a, 999999, display_name="x")
    for _ in range(6):
        with pytest.raises(AuthError):
            auth.login(db, "clerk", "bad-password", now=T0)
    assert next(s for s in auth.list_staff(db) if s.id == clerk.id).locked(T0)
    auth.unlock(db, a, clerk.id)
    assert not next(s for s in auth.list_staff(db) if s.id == clerk.id).locked(T0)
    assert auth.login(db, "clerk", "clerk1234", now=T0).role == "head"
    auth.reset_password(db, a, clerk.id, "new-password")
    with pytest.raises(AuthError):
        auth.login(db, "clerk", "clerk1234", now=T0)
    assert auth.login(db, "clerk", "new-password", now=T0).display_name == "王大明"
    with pytest.raises(ValidationError):
        auth.reset_password(db, a, clerk.id, "short")



def test_outdated_hash_is_rehashed_on_login(db):
    info = auth.create_staff(db, SYSTEM, "clerk", "王小明", "clerk", "clerk1234")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("clerk1234")
    with db.write() as c:
        c.execute(Staff.__table__.update().where(Staff.id == info.id).values(password_hash=weak))
    auth.login(db, "clerk", "clerk1234", now=T0)
    new = _hash_of(db, "clerk")
    assert new != weak and new.startswith("$argon2id$") and "m=65536" in new
    assert auth.login(db, "clerk", "clerk1234", now=T0).name == "clerk"


def test_actor_for(db, nk):
    info = auth.create_staff(db, SYSTEM, "demo", "演示挂号员", "clerk", "demo1234", ["NK"])
    actor = auth.actor_for(db, "demo")
    assert (actor.kind, actor.staff_id, actor.role, actor.department_ids) == ("staff", info.id, "clerk",
                                                                              frozenset({nk}))
    with pytest.raises(NotFound):
        auth.actor_for(db, "ghost")
