"""Staff accounts and log-in: argon2id password hashes, roles, department scope.

Passwords are hashed with argon2-cffi's PasswordHasher (argon2id). Hashing is slow on
purpose (~0.1 s), so it always happens outside the database transaction: a SQLite write
lock is never held while a hash is computed.

Log-in gives one answer for an unknown user, a wrong password and a name that must wait,
after the same work (one argon2 verification, against a dummy hash for an unknown user, and
one throttle write): services/staff/throttle.py delays repeated failures per username and
workstation instead of locking the account. Usernames are case-insensitive (stored
lower-case), so that MariaDB's case-insensitive collation and PostgreSQL/SQLite agree on
what "the same username" is.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services import limits
from services.clock import utc_to_local, utcnow
from services.db import Database
from services.domain import Role
from services.errors import AuthError, NotFound, PermissionDenied, ValidationError
from services.models import ROLES, AppSetting, Department, Staff, StaffDepartment
from services.staff import audit, throttle
from services.staff.actor import Actor

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
MAX_PASSWORD = 128
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{2,32}")
ROLE_LABELS = {Role.CLERK: "挂号员", Role.HEAD: "科室主任", Role.ADMIN: "管理员"}

BAD_CREDENTIALS = "用户名或密码错误"
WAIT = "尝试次数过多，请于 {time} 后再试"  # for any typed name, known or not
DISABLED = "账号已停用"
FIRST_ADMIN_EXISTS = "已有管理员账号：请以管理员身份登录（--user 或 REGDESK_USER）后再添加账号"
FIRST_ADMIN_KEY = "staff.first_admin"
BOOTSTRAP = Actor(kind="system", name="bootstrap")  # the audit's "who" of the first admin

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_dummy_hash: str | None = None


@dataclass(frozen=True)
class StaffInfo:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    department_ids: tuple[int, ...]
    department_codes: tuple[str, ...]
    locked_until: dt.datetime | None  # UTC: the latest moment a workstation must wait for (throttle)
    last_login_at: dt.datetime | None  # UTC

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


# ---------------------------------------------------------------- hashing

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    # a password from REGDESK_PASSWORD may hold bytes that were not UTF-8 (surrogates): encoded as they
    # are, they are never the UTF-8 of a password that could be set, so they verify as a wrong one
    try:
        return _hasher.verify(password_hash, password.encode("utf-8", "surrogatepass"))
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        log.warning("unusable password hash in the staff table")
        return False


def _burn_time(password: str) -> bool:
    """Verify against a dummy hash so an unknown username takes as long as a wrong password.
    Always False."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("regdesk-dummy-password")
    _verify(_dummy_hash, password)
    return False


# ---------------------------------------------------------------- validation

def _norm_username(username: str) -> str:
    name = (username or "").strip()
    if not USERNAME_RE.fullmatch(name):
        raise ValidationError("用户名须为 2-32 位字母、数字、下划线、点或连字符", field="username")
    return name.lower()


def _check_password(password: str, field: str = "password") -> None:
    if password is None or len(password) < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 个字符", field=field)
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"密码最多 {MAX_PASSWORD} 个字符", field=field)
    if limits.refused_char(password) is not None:  # could not be typed at the log-in; bytes that were not UTF-8 too
        raise ValidationError("密码不能包含控制字符、不可见的字符或无效的字节", field=field)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"未知角色：{limits.shown(role)}（可选 clerk、head、admin）", field="role")
    return role


def _department_ids(conn: Connection, codes: Iterable[str]) -> list[int]:
    codes = [c.strip().upper() for c in codes if c and c.strip()]
    if not codes:
        return []
    rows = conn.execute(select(Department.id, Department.code).where(func.upper(Department.code).in_(codes))).all()
    found = {r.code.upper() for r in rows}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError(f"未知科室代码：{limits.shown('、'.join(missing))}", field="department_codes")
    return sorted({r.id for r in rows})


def _set_departments(conn: Connection, staff_id: int, department_ids: list[int]) -> None:
    conn.execute(delete(StaffDepartment).where(StaffDepartment.staff_id == staff_id))
    if department_ids:
        conn.execute(insert(StaffDepartment), [{"staff_id": staff_id, "department_id": d} for d in department_ids])


def _info(conn: Connection, staff_ids: list[int] | None = None) -> list[StaffInfo]:
    q = select(Staff).order_by(Staff.username)
    if staff_ids is not None:
        q = q.where(Staff.id.in_(staff_ids))
    rows = conn.execute(q).all()
    deps: dict[int, list[tuple[int, str]]] = {}
    dq = (select(StaffDepartment.staff_id, Department.id, Department.code)
          .join(Department, Department.id == StaffDepartment.department_id).order_by(Department.code))
    if staff_ids is not None:
        dq = dq.where(StaffDepartment.staff_id.in_(staff_ids))
    for sid, did, code in conn.execute(dq):
        deps.setdefault(sid, []).append((did, code))
    delayed = throttle.delayed_until(conn)
    return [StaffInfo(r.id, r.username, r.display_name, r.role, bool(r.active),
                      tuple(d for d, _ in deps.get(r.id, [])), tuple(c for _, c in deps.get(r.id, [])),
                      delayed.get(r.username), r.last_login_at) for r in rows]


def _one(conn: Connection, staff_id: int) -> StaffInfo:
    found = _info(conn, [staff_id])
    if not found:
        raise NotFound(f"账号不存在：#{staff_id}")
    return found[0]


def _audit_actor(row) -> Actor:
    return Actor(kind="staff", name=row.username, staff_id=row.id, role=row.role)


# ---------------------------------------------------------------- account management

def create_staff(db: Database, actor: Actor, username: str, display_name: str, role: str, password: str,
                 department_codes: Iterable[str] = ()) -> StaffInfo:
    actor.require("staff.manage")
    return _create(db, actor, username, display_name, role, password, department_codes)


def has_admin(db: Database) -> bool:
    """Whether any admin account exists (active or not)."""
    with db.read() as conn:
        return bool(conn.execute(select(func.count()).select_from(Staff).where(Staff.role == Role.ADMIN)).scalar_one())


def create_first_admin(db: Database, username: str, display_name: str, password: str) -> StaffInfo:
    """The first admin of a new installation, made without a log-in (there is nobody to log in as).

    Refused once any admin account exists. Two first admins at once: both insert the same marker
    row (app_settings ``staff.first_admin``) in their transaction, so only one commits."""
    def only_first(conn: Connection) -> None:
        if conn.execute(select(func.count()).select_from(Staff).where(Staff.role == Role.ADMIN)).scalar_one():
            raise PermissionDenied(FIRST_ADMIN_EXISTS)
        conn.execute(insert(AppSetting).values(key=FIRST_ADMIN_KEY, value=username.strip().lower()[:64],
                                               updated_at=utcnow()))

    try:
        return _create(db, BOOTSTRAP, username, display_name, Role.ADMIN, password, (), only_first)
    except ValidationError as exc:
        if exc.__cause__ is not None and isinstance(exc.__cause__, IntegrityError):
            raise PermissionDenied(FIRST_ADMIN_EXISTS) from exc.__cause__
        raise


def _create(db: Database, actor: Actor, username: str, display_name: str, role: str, password: str,
            department_codes: Iterable[str], check=None) -> StaffInfo:
    name = _norm_username(username)
    display = limits.text(display_name, "姓名", 100, required=False, field="display_name") or name
    _check_role(role)
    _check_password(password)
    codes = list(department_codes or ())
    if role == Role.HEAD and not [c for c in codes if c and c.strip()]:
        raise ValidationError("科室主任至少要负责一个科室", field="department_codes")  # the CLI names its flag itself
    pw_hash = hash_password(password)  # slow: outside the transaction

    def tx(conn: Connection) -> StaffInfo:
        if check is not None:
            check(conn)
        if conn.execute(select(Staff.id).where(func.lower(Staff.username) == name)).first():
            raise ValidationError("用户名已存在", field="username")
        dep_ids = _department_ids(conn, codes)
        sid = conn.execute(insert(Staff).values(
            username=name, display_name=display, password_hash=pw_hash, role=role, active=True,
            failed_logins=0, created_at=utcnow())).inserted_primary_key[0]
        _set_departments(conn, sid, dep_ids)
        audit.record(conn, actor, "create", "staff", sid, {"username": name, "role": role, "departments": codes})
        return _one(conn, sid)

    try:
        info = db.run(tx)
    except IntegrityError as exc:  # two admins creating the same name at once (or two first admins)
        raise ValidationError("用户名已存在", field="username") from exc
    log.info("staff %s (%s) created by %s", info.username, info.role, actor.name)
    return info


def list_staff(db: Database) -> list[StaffInfo]:
    with db.read() as conn:
        return _info(conn)


def _active_admins(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(Staff)
                        .where(Staff.role == Role.ADMIN, Staff.active.is_(True))).scalar_one()


def update_staff(db: Database, actor: Actor, staff_id: int, *, display_name: str | None = None,
                 role: str | None = None, department_codes: Iterable[str] | None = None,
                 active: bool | None = None) -> StaffInfo:
    actor.require("staff.manage")
    if role is not None:
        _check_role(role)
    if display_name is not None:
        display_name = limits.text(display_name, "姓名", 100, field="display_name")
    codes = None if department_codes is None else list(department_codes)

    def tx(conn: Connection) -> StaffInfo:
        # lock the admins' rows: two admins demoting each other at once must not leave none
        conn.execute(select(Staff.id).where(Staff.role == Role.ADMIN).with_for_update()).all()
        row = conn.execute(select(Staff).where(Staff.id == staff_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"账号不存在：#{staff_id}")
        before = _one(conn, staff_id)
        new_role = role or row.role
        new_active = bool(row.active) if active is None else bool(active)
        dep_ids = list(before.department_ids) if codes is None else _department_ids(conn, codes)
        if new_role == Role.HEAD and not dep_ids:
            raise ValidationError("科室主任至少要负责一个科室", field="department_codes")
        if row.role == Role.ADMIN and row.active and (new_role != Role.ADMIN or not new_active) \
                and _active_admins(conn) <= 1:
            raise ValidationError("不能停用或降级最后一个管理员账号",
                                  field="role" if new_role != Role.ADMIN else "active")
        values: dict = {"role": new_role, "active": new_active}
        if display_name is not None:
            values["display_name"] = display_name
        conn.execute(update(Staff).where(Staff.id == staff_id).values(**values))
        if codes is not None:
            _set_departments(conn, staff_id, dep_ids)
        after = _one(conn, staff_id)
        changes = {k: [getattr(before, k), getattr(after, k)]
                   for k in ("display_name", "role", "active", "department_codes")
                   if getattr(before, k) != getattr(after, k)}
        if changes:
            audit.record(conn, actor, "update", "staff", staff_id, changes)
        return after

    return db.run(tx)


def reset_password(db: Database, actor: Actor, staff_id: int, new_password: str) -> None:
    """An admin sets a new password; this also lifts the log-in delays of the account."""
    actor.require("staff.manage")
    _check_password(new_password, field="new_password")
    pw_hash = hash_password(new_password)

    def tx(conn: Connection) -> None:
        username = conn.execute(select(Staff.username).where(Staff.id == staff_id)).scalar()
        if username is None or conn.execute(update(Staff).where(Staff.id == staff_id)
                                            .values(password_hash=pw_hash)).rowcount != 1:
            raise NotFound(f"账号不存在：#{staff_id}")
        throttle.clear(conn, username)
        audit.record(conn, actor, "reset_password", "staff", staff_id)

    db.run(tx)


def unlock(db: Database, actor: Actor, staff_id: int) -> None:
    """Lift the log-in delays of an account on every workstation."""
    actor.require("staff.manage")

    def tx(conn: Connection) -> None:
        username = conn.execute(select(Staff.username).where(Staff.id == staff_id)).scalar()
        if username is None:
            raise NotFound(f"账号不存在：#{staff_id}")
        throttle.clear(conn, username)
        audit.record(conn, actor, "unlock", "staff", staff_id)

    db.run(tx)



def _local(moment: dt.datetime) -> str:
    return f"{utc_to_local(moment):%H:%M:%S}"


def _actor(conn: Connection, row) -> Actor:
    deps = conn.execute(select(StaffDepartment.department_id).where(StaffDepartment.staff_id == row.id)).scalars()
    return Actor(kind="staff", name=row.username, staff_id=row.id, role=row.role,
                 department_ids=frozenset(deps), display_name=row.display_name)


def login(db: Database, username: str, password: str, now: dt.datetime | None = None,
          workstation: str | None = None) -> Actor:
    """Check a username and password typed on ``workstation`` (default: this computer).

    Every failure raises AuthError with the same text whether the user exists or not; while the
    pair (username, workstation) must wait (services/staff/throttle.py) the text says until when, for
    known and unknown names alike. ``now`` is naive UTC (tests pass it to move the clock)."""
    now = now or utcnow()
    where = (workstation or throttle.this_workstation()).strip().lower()[:throttle.MAX_KEY] or "unknown"
    name = (username or "").strip().lower()
    key = name if USERNAME_RE.fullmatch(name) else None  # no account can have any other name
    row = until = None
    if key is not None:
        with db.read() as conn:
            row = conn.execute(select(Staff).where(func.lower(Staff.username) == key)).first()
            until = throttle.waiting_until(conn, key, where, now)
    # one argon2 verification on every path, so the time taken tells nothing either
    ok = _verify(row.password_hash, password or "") if row is not None else _burn_time(password or "")
    if until is not None:
        raise AuthError(WAIT.format(time=_local(until)))
    if not ok:
        if key is None:
            raise AuthError(BAD_CREDENTIALS)

        def audit_failure(conn: Connection, failures: int, next_at: dt.datetime | None) -> None:
            if row is not None:
                detail = {"workstation": where, "failures": failures}
                if next_at is not None:
                    detail["wait_until"] = next_at
                audit.record(conn, _audit_actor(row), "login_failed", "staff", row.id, detail)

        _, next_at = throttle.record_failure(db, key, where, now, audit_failure)
        log.info("log-in failed for %r on %s%s", key, where, "" if row is not None else " (no such user)")
        if next_at is not None:
            raise AuthError(BAD_CREDENTIALS + "；" + WAIT.format(time=_local(next_at)))
        raise AuthError(BAD_CREDENTIALS)
    if not row.active:
        raise AuthError(DISABLED)
    new_hash = hash_password(password) if _hasher.check_needs_rehash(row.password_hash) else None

    def tx(conn: Connection) -> Actor:
        values: dict = {"last_login_at": now}
        if new_hash:
            values["password_hash"] = new_hash
        conn.execute(update(Staff).where(Staff.id == row.id).values(**values))
        throttle.clear(conn, row.username, where)
        return _actor(conn, row)

    actor = db.run(tx)
    log.info("staff %s logged in on %s%s", row.username, where, " (password rehashed)" if new_hash else "")
    return actor


def actor_for(db: Database, username: str) -> Actor:
    """The Actor of an active account without a password (the --demo console's demo clerk)."""
    name = (username or "").strip().lower()
    with db.read() as conn:
        row = conn.execute(select(Staff).where(func.lower(Staff.username) == name)).first()
        if row is None:
            raise NotFound(f"账号不存在：{username}")
        if not row.active:
            raise AuthError(DISABLED)
        return _actor(conn, row)
