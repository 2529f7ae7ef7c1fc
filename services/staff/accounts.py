"""Database accounts by job: `regdesk db grant ROLE USER` creates an account (or sets its password)
and grants it exactly what its job needs, on PostgreSQL and MySQL/MariaDB.

- ``miniprogram``: the contract (shared/CONTRACT.md) and nothing more: read the roster tables and
  the ``slot_availability`` view, insert patients and change their name and phone, insert booking
  requests, cancel them, read their status and reason. The database refuses any other booking
  status from it whatever SQL it sends (the guard trigger of revision 0006_accounts, which knows
  the account from ``db_accounts``). No staff, audit, settings, secrets, notifications or change log.
- ``desk``: what the console and the staff commands need: read and write the hospital's data, append
  to the audit log (never change it), read the change log; no DDL; never the WeChat secret or token
  (it may replace the secret through ``regdesk_set_wechat_secret``).
- ``jobs``: what the job service (`regdesk jobs`: deciding, sending, reminders, no-show marking,
  pruning) needs, the secret and the token included, its leases and heartbeats; no staff accounts,
  no log-in data. The desk only reads the leases and heartbeats (the console's 后台服务 view).

Every table the spec does not name gets the role's default (full read/write for desk and jobs,
nothing for the mini-program), so a table a later revision adds is covered when the grants are
applied again: ``db upgrade`` does that for every account of ``db_accounts``. A grant first revokes
what the account held on this database, so running it again also takes away what a job no longer
needs. The owner (the account that runs the migrations) runs these commands.

PostgreSQL: passwords are sent as SCRAM verifiers computed by libpq, never in clear; the whole grant
is one transaction; afterwards every table privilege is checked against the spec and any extra one
(granted by someone else, or to PUBLIC) is an error. MySQL/MariaDB: the account is ``'name'@'host'``
(host ``%`` unless given); grant statements commit one by one there, so a grant interrupted half-way
is completed by running it again.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from services import limits
from services.clock import utcnow
from services.db import Database
from services.errors import ConfigError, ValidationError
from services.migrations.helpers import secure_function_statements
from services.models import DB_ROLES, DbAccount
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"[a-z][a-z0-9_]{1,31}")
MIN_PASSWORD = 12
NO_ACCOUNTS = "an SQLite file has no database accounts: whoever can open the file can change it"
DML = ("SELECT", "INSERT", "UPDATE", "DELETE")
_CHECKED = DML + ("TRUNCATE", "REFERENCES", "TRIGGER")
SECRET_SETTER = "regdesk_set_wechat_secret"

Privileges = tuple[tuple[str, tuple[str, ...] | None], ...]  # (privilege, columns or None = all)


def _all(*privileges: str) -> Privileges:
    return tuple((p, None) for p in privileges)


_READ = _all("SELECT")
_CONTRACT_TABLES = ("hospitals", "departments", "doctors", "clinic_sessions", "slots", "slot_availability")
_PATIENT = ("id", "openid", "name", "gender", "birth_date", "phone", "id_card", "created_at")
_BOOKING = ("id", "slot_id", "patient_id", "status", "source", "reason", "created_at", "updated_at")
# what a request may say besides the contract's columns (revision 0011_referral): a referral (转诊/医联体)
_REFERRAL = ("channel", "referral_code")
TABLE_DEFAULT, VIEW_DEFAULT = "*", "*view"
# the slot counters are kept by triggers (running as their owner) only: read, never written directly;
# the one-a-day guards are written by each decision that checks the rule (services.bookings.decisions.guard_days)
_CAPACITY = {"slot_counters": _READ, "patient_day_guards": _all("SELECT", "INSERT", "UPDATE")}

# role -> table or view -> privileges; TABLE_DEFAULT / VIEW_DEFAULT: every table / view not named
SPEC: dict[str, dict[str, Privileges]] = {
    "miniprogram": {
        **{t: _READ for t in _CONTRACT_TABLES},
        "patients": (("SELECT", _PATIENT), ("INSERT", _PATIENT[1:7]), ("UPDATE", ("name", "phone"))),
        "bookings": (("SELECT", _BOOKING + _REFERRAL),
                     ("INSERT", ("slot_id", "patient_id", "status", "source", *_REFERRAL)),
                     ("UPDATE", ("status", "updated_at"))),
        "alembic_version": _READ,  # the schema's version, so a program can check it fits
        TABLE_DEFAULT: (), VIEW_DEFAULT: (),
    },
    "desk": {
        TABLE_DEFAULT: _all(*DML), VIEW_DEFAULT: _READ,
        "audit_log": _all("SELECT", "INSERT"),
        "change_log": _READ,
        **_CAPACITY,
        "secrets": (), "db_accounts": (),
        "job_leases": _READ, "job_runners": _READ,  # the console shows whether the job service runs
        "alembic_version": _READ,
    },
    "jobs": {
        TABLE_DEFAULT: _all(*DML), VIEW_DEFAULT: _READ,
        "audit_log": _all("SELECT", "INSERT"),
        "change_log": _all("SELECT", "INSERT", "DELETE"),  # pruning deletes and writes its marker row
        **_CAPACITY,
        "secrets": _all("SELECT", "UPDATE"),
        "staff": (), "staff_departments": (), "login_throttle": (), "db_accounts": (),
        "job_leases": _all("SELECT", "INSERT", "UPDATE"),  # a lease row is taken over, never deleted
        "job_runners": _all("SELECT", "INSERT", "UPDATE", "DELETE"),  # heartbeats; old ones are removed
        "hospital_days": _READ,  # the admins' holiday exceptions (services/rosters/holidays.py): the jobs only read them
        "alembic_version": _READ,
    },
}
ROUTINES = {"miniprogram": (), "desk": (SECRET_SETTER,), "jobs": ()}


@dataclass(frozen=True)
class Granted:
    name: str
    role: str
    created: bool  # the account did not exist before
    tables: int  # tables and views it holds privileges on


def privileges_for(role: str, table: str, is_view: bool) -> Privileges:
    spec = SPEC[role]
    return spec.get(table, spec[VIEW_DEFAULT if is_view else TABLE_DEFAULT])


def _check(db: Database, role: str, name: str, password: str | None) -> str:
    if db.dialect == "sqlite":
        raise ConfigError(NO_ACCOUNTS)
    if role not in DB_ROLES:
        raise ValidationError(f"unknown role {limits.shown(role)!r}: use miniprogram, desk or jobs")
    name = (name or "").strip()
    if not NAME_RE.fullmatch(name):
        raise ValidationError(f"account name {limits.shown(name)!r}: 2-32 lower-case letters, digits and _, "
                              "starting with a letter")
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise ValidationError(f"the account's password needs at least {MIN_PASSWORD} characters")
        if limits.refused_char(password) is not None:
            raise ValidationError("the account's password must not hold control or invisible characters")
    return name


def _tables(conn: Connection, schema_expr: str) -> list[tuple[str, bool]]:
    rows = conn.execute(text("SELECT table_name, table_type FROM information_schema.tables"
                             f" WHERE table_schema = {schema_expr} ORDER BY table_name")).all()
    return [(r[0], r[1] == "VIEW") for r in rows]


def _grant_clause(privileges: Privileges, quote) -> str:
    return ", ".join(p if cols is None else f"{p} ({', '.join(quote(c) for c in cols)})" for p, cols in privileges)


def _record(conn: Connection, role: str, name: str, host: str | None, owner: str) -> None:
    conn.execute(delete(DbAccount).where(DbAccount.name == name))
    conn.execute(insert(DbAccount).values(name=name, role=role, host=host, granted_at=utcnow(), granted_by=owner))
    audit.record(conn, Actor(kind="system", name=f"db:{owner}"), "grant", "db_account", name,
                 {"role": role, "host": host})


def known_accounts(db: Database) -> list[DbAccount]:
    """The accounts `db grant` made for this database (readable by the owner only)."""
    with db.read() as conn:
        return list(conn.execute(select(DbAccount).order_by(DbAccount.name)).all())


# ---------------------------------------------------------------- PostgreSQL

def _pg_quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _pg_role(conn: Connection, name: str):
    return conn.execute(text(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,"
        " EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS member_of_roles"
        " FROM pg_roles r WHERE r.rolname = :n"), {"n": name}).first()


def _pg_grant(conn: Connection, role: str, name: str, password: str | None) -> tuple[bool, int]:
    owner = conn.execute(text("SELECT current_user")).scalar_one()
    if name == owner:
        raise ValidationError(f"{name} is the account running this command (the owner): choose another name")
    existing = _pg_role(conn, name)
    if existing is not None and any(existing[:5]):
        raise ValidationError(f"{name} is a superuser or may create roles, databases or replicate: "
                              "not an account to hand to one job")
    if existing is not None and existing.member_of_roles:
        raise ValidationError(f"{name} is a member of other roles and would hold their privileges too")
    if existing is None and password is None:
        raise ValidationError(f"{name} does not exist yet: give it a password (--password-stdin or a terminal)")
    who = _pg_quote(name)
    if password is not None:
        # libpq computes the SCRAM verifier: the password itself never reaches the server or its log
        verifier = conn.connection.driver_connection.pgconn.encrypt_password(
            password.encode("utf-8"), name.encode("utf-8"), b"scram-sha-256").decode("ascii")
        verb = "ALTER" if existing is not None else "CREATE"
        conn.exec_driver_sql(f"{verb} ROLE {who} LOGIN PASSWORD '{verifier.replace(chr(39), chr(39) * 2)}'")
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    s = _pg_quote(schema)
    for stmt in secure_function_statements(conn, only_insecure=True):
        conn.exec_driver_sql(stmt)
    for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
        conn.exec_driver_sql(f"REVOKE ALL ON ALL {kind} IN SCHEMA {s} FROM {who}")
    conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {_pg_quote(database)} TO {who}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {s} TO {who}")
    granted = 0
    for table, is_view in _tables(conn, "current_schema()"):
        privileges = privileges_for(role, table, is_view)
        if not privileges:
            continue
        granted += 1
        conn.exec_driver_sql(f"GRANT {_grant_clause(privileges, _pg_quote)} ON {s}.{_pg_quote(table)} TO {who}")
        if any(p == "INSERT" for p, _ in privileges) and not is_view:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                               {"t": f"{s}.{_pg_quote(table)}"}).scalar() if _has_id(conn, table) else None
            if seq:
                conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {seq} TO {who}")
    for routine in ROUTINES[role]:
        conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {s}.{routine}(text) TO {who}")
    _pg_no_create(conn, schema, name)
    _pg_verify(conn, role, name)
    return existing is None, granted


def _has_id(conn: Connection, table: str) -> bool:
    return bool(conn.execute(text("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                                  " AND table_name = :t AND column_name = 'id'"), {"t": table}).first())


def _pg_no_create(conn: Connection, schema: str, name: str) -> None:
    """An account that can create objects in the schema could capture the names the SECURITY DEFINER
    trigger functions use (PostgreSQL before 15 lets PUBLIC create in schema public)."""
    can = text("SELECT has_schema_privilege(:r, :s, 'CREATE')")
    if not conn.execute(can, {"r": name, "s": schema}).scalar():
        return
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {_pg_quote(schema)} FROM PUBLIC")
    if conn.execute(can, {"r": name, "s": schema}).scalar():
        raise ConfigError(f"{name} may create objects in schema {schema}: as a superuser, run "
                          f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC (and from {name})")


def _pg_verify(conn: Connection, role: str, name: str) -> None:
    """Every table privilege the account holds (its own, PUBLIC's, inherited) is one the spec gives."""
    extra = []
    for table, is_view in _tables(conn, "current_schema()"):
        wanted = {p for p, cols in privileges_for(role, table, is_view) if cols is None}
        for priv in _CHECKED:
            held = conn.execute(text("SELECT has_table_privilege(:r, quote_ident(current_schema()) || '.'"
                                     " || quote_ident(:t), :p)"), {"r": name, "t": table, "p": priv}).scalar()
            if held and priv not in wanted:
                extra.append(f"{priv} on {table}")
    if extra:
        raise ConfigError(f"{name} still holds privileges its job does not need (granted by another role or "
                          f"to PUBLIC): {', '.join(extra[:6])}{' ...' if len(extra) > 6 else ''}")


# ---------------------------------------------------------------- MySQL / MariaDB

def _my_quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _my_exec(conn: Connection, sql: str) -> None:
    # PyMySQL formats every statement with %: a host pattern's % must be doubled
    conn.exec_driver_sql(sql.replace("%", "%%"))


def _my_ignoring(conn: Connection, sql: str, *codes: int) -> None:
    """Run a REVOKE that errors when there was nothing to revoke (the owner cannot list grants)."""
    try:
        _my_exec(conn, sql)
    except DBAPIError as exc:
        if not (exc.orig.args and exc.orig.args[0] in codes):
            raise


def _my_grant(conn: Connection, role: str, name: str, host: str, password: str | None,
              known: bool) -> tuple[bool, int]:
    owner = conn.execute(text("SELECT CURRENT_USER()")).scalar_one().rsplit("@", 1)[0]
    if name in (owner, "root", "mysql", "mariadb.sys"):
        raise ValidationError(f"{name} is the owner or a system account: choose another name")
    if password is None and not known:
        raise ValidationError(f"{name} is not an account of this database yet: give it a password "
                              "(--password-stdin or a terminal)")
    account = f"'{name}'@'{host}'"
    created = False
    if password is not None:
        conn.execute(text(f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY :pw"), {"pw": password})
        # an existing account leaves a note (MariaDB 1973, MySQL 3163) instead of an error
        created = not any(w[1] in (1973, 3163) for w in conn.exec_driver_sql("SHOW WARNINGS").all())
        conn.execute(text(f"ALTER USER {account} IDENTIFIED BY :pw"), {"pw": password})
    database = conn.execute(text("SELECT DATABASE()")).scalar_one()
    d = _my_quote(database)
    _my_ignoring(conn, f"REVOKE ALL PRIVILEGES ON {d}.* FROM {account}", 1141)
    tables = _tables(conn, "DATABASE()")
    for table, _ in tables:
        _my_ignoring(conn, f"REVOKE ALL PRIVILEGES ON {d}.{_my_quote(table)} FROM {account}", 1147)
    for routine in (SECRET_SETTER,):
        _my_ignoring(conn, f"REVOKE EXECUTE ON PROCEDURE {d}.{_my_quote(routine)} FROM {account}", 1403)
    granted = 0
    for table, is_view in tables:
        privileges = privileges_for(role, table, is_view)
        if privileges:
            granted += 1
            _my_exec(conn, f"GRANT {_grant_clause(privileges, _my_quote)} ON {d}.{_my_quote(table)} TO {account}")
    for routine in ROUTINES[role]:
        _my_exec(conn, f"GRANT EXECUTE ON PROCEDURE {d}.{_my_quote(routine)} TO {account}")
    return created, granted


# ---------------------------------------------------------------- the commands

def grant(db: Database, role: str, name: str, password: str | None = None, *, host: str | None = None) -> Granted:
    """Create the account ``name`` (or set its password, when given) and grant it ``role``'s privileges
    on this database, replacing what it held here before. Run as the owner."""
    name = _check(db, role, name, password)
    with db.read() as conn:
        known = conn.execute(select(DbAccount.host).where(DbAccount.name == name)).first()
    if db.dialect == "postgresql":
        host = None
        with db.engine.begin() as conn:
            created, tables = _pg_grant(conn, role, name, password)
            _record(conn, role, name, None, conn.execute(text("SELECT current_user")).scalar_one())
    else:
        host = host or (known.host if known and known.host else "%")
        if not re.fullmatch(r"[A-Za-z0-9_.%:-]{1,255}", host):
            raise ValidationError(f"host {host!r}: a host name, an address or a pattern with %")
        # account and grant statements commit implicitly on MySQL: run them as what they are
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            created, tables = _my_grant(conn, role, name, host, password, known is not None)
        with db.write() as conn:
            owner = conn.execute(text("SELECT CURRENT_USER()")).scalar_one().rsplit("@", 1)[0]
            _record(conn, role, name, host, owner)
    log.info("database account %s: %s (%d tables and views)", name, role, tables)
    return Granted(name, role, created, tables)


def grant_known(db: Database) -> list[Granted]:
    """Grant every account of ``db_accounts`` its role again (after a migration added tables)."""
    if db.dialect == "sqlite":
        return []
    return [grant(db, a.role, a.name, None, host=a.host) for a in known_accounts(db)]
