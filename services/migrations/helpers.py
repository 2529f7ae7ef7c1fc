"""Dialect-aware pieces shared by the migrations (defaults, views, triggers)."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import sqlalchemy as sa
from alembic import op

from services.migrations.capacity import capacity_trigger_statements, drop_capacity_statements
from services.migrations.dialects import changed, pick


def utcnow() -> sa.TextClause:
    """A column default that is the current UTC time, whatever the server's time zone."""
    # SQLite: CURRENT_TIMESTAMP is UTC
    return sa.text(pick(op.get_context().dialect.name, "(now() AT TIME ZONE 'utc')", "(UTC_TIMESTAMP())",
                        "CURRENT_TIMESTAMP"))


AVAILABILITY_VIEW = """
CREATE VIEW slot_availability AS
SELECT s.id AS slot_id,
       s.session_id AS session_id,
       cs.doctor_id AS doctor_id,
       d.department_id AS department_id,
       cs.day AS day,
       s.starts_at AS starts_at,
       s.ends_at AS ends_at,
       s.capacity AS capacity,
       COALESCE(SUM(CASE WHEN b.status IN ('confirmed', 'checked_in', 'no_show') THEN 1 ELSE 0 END), 0) AS taken,
       COALESCE(SUM(CASE WHEN b.status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
       s.capacity - COALESCE(SUM(CASE WHEN b.status IN ('confirmed', 'checked_in', 'no_show') THEN 1 ELSE 0 END), 0)
           AS remaining
FROM slots s
JOIN clinic_sessions cs ON cs.id = s.session_id
JOIN doctors d ON d.id = cs.doctor_id
LEFT JOIN bookings b ON b.slot_id = s.id
GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at, s.capacity
"""


def create_availability_view() -> None:
    op.execute(AVAILABILITY_VIEW)


def _opens_at(dialect: str) -> str:
    """slot_availability.opens_at (revision 0009_supply): the day minus the booking window (rule
    booking_window_days, default 7) at the release time (rule release_time, 'HH:MM'; 00:00 when none),
    in the hospital's local wall-clock time like ``day`` and ``starts_at``. The rules are JSON texts:
    a number as its digits, a time as a quoted string, no time as null."""
    key = "`key`" if dialect in ("mysql", "mariadb") else "key"
    as_int = "SIGNED" if dialect in ("mysql", "mariadb") else "INTEGER"
    days = (f"COALESCE((SELECT CAST(r.value AS {as_int}) FROM rules r WHERE r.{key} = 'booking_window_days'),"
            " 7)")
    raw = f"(SELECT REPLACE(r.value, '\"', '') FROM rules r WHERE r.{key} = 'release_time')"
    hhmm = f"CASE WHEN {raw} LIKE '__:__' THEN {raw} ELSE '00:00' END"
    if dialect == "postgresql":
        return f"(cs.day - {days}) + CAST({hhmm} AS time)"
    if dialect in ("mysql", "mariadb"):
        return f"TIMESTAMP(DATE_SUB(cs.day, INTERVAL {days} DAY), {hhmm})"
    # (no ':00' appended: a colon before a word would be taken for a bound parameter)
    return f"datetime(date(cs.day, '-' || {days} || ' days') || ' ' || {hhmm})"


def availability_view(dialect: str, with_opens_at: bool = True, replace: bool = False) -> str:
    """The CREATE [OR REPLACE] VIEW statement of slot_availability, with ``opens_at`` at its end."""
    sql = AVAILABILITY_VIEW
    if with_opens_at:
        sql = sql.replace("           AS remaining\n",
                          f"           AS remaining,\n       {_opens_at(dialect)} AS opens_at\n")
    if replace:
        sql = sql.replace("CREATE VIEW", "CREATE OR REPLACE VIEW")
    return sql


# ---------------------------------------------------------------- bookings.cancelled_at (revision 0009_supply)
#
# The database stamps a booking's cancellation itself (UTC), whoever cancels it: a console, or the
# mini-program's plain UPDATE ... SET status = 'cancelled' that names no other column. PostgreSQL and
# MySQL/MariaDB set it in a BEFORE UPDATE trigger (the same row write); SQLite in an AFTER UPDATE trigger
# that updates the row (SQLite's recursive triggers are off, and the change feed's trigger logs only
# status and slot changes, so this adds no change_log row). PostgreSQL's function runs as its definer
# (helpers.secure_function_statements, applied again at every `db grant`).

CANCELLED_AT_TRIGGER = "trg_bookings_cancelled_at"


def cancelled_at_statements(dialect: str) -> list[str]:
    cond = "NEW.status = 'cancelled' AND OLD.status <> 'cancelled'"
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION regdesk_cancelled_at() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF {cond} THEN NEW.cancelled_at := (now() AT TIME ZONE 'utc'); END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {CANCELLED_AT_TRIGGER} BEFORE UPDATE OF status ON bookings FOR EACH ROW"
            " EXECUTE FUNCTION regdesk_cancelled_at()",
        ]
    if dialect in ("mysql", "mariadb"):
        return [f"CREATE TRIGGER {CANCELLED_AT_TRIGGER} BEFORE UPDATE ON bookings FOR EACH ROW"
                f" BEGIN IF {cond} THEN SET NEW.cancelled_at = UTC_TIMESTAMP(); END IF; END"]
    return [f"CREATE TRIGGER {CANCELLED_AT_TRIGGER} AFTER UPDATE OF status ON bookings FOR EACH ROW"
            f" WHEN {cond} BEGIN UPDATE bookings SET cancelled_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END"]


def create_cancelled_at_trigger() -> None:
    name = op.get_context().dialect.name
    for stmt in cancelled_at_statements(name):
        op.execute(stmt)
    if name == "postgresql":  # as every regdesk trigger function: run as its definer, fixed search_path
        for stmt in secure_function_statements(op.get_bind(), only_insecure=True):
            op.execute(stmt)


def drop_cancelled_at_trigger() -> None:
    name = op.get_context().dialect.name
    if name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {CANCELLED_AT_TRIGGER} ON bookings")
        op.execute("DROP FUNCTION IF EXISTS regdesk_cancelled_at()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {CANCELLED_AT_TRIGGER}")


def drop_availability_view() -> None:
    op.execute("DROP VIEW IF EXISTS slot_availability")


# ---------------------------------------------------------------- change feed triggers (revision 0002)
#
# Every insert, status change and delete of a booking, and every change of a clinic session, a slot
# or a rule writes one row into change_log, whoever makes it (a console, autoapprove, or the
# mini-program's plain SQL that may not set updated_at). Readers keep a cursor on change_log.id
# (services/sync/feed.py). On PostgreSQL an AFTER INSERT trigger on change_log also sends
# pg_notify('regdesk_changes', id) to wake the listeners.
#
# change_log.tx says which transaction (PostgreSQL: txid_current()) or connection (MySQL/MariaDB:
# CONNECTION_ID()) wrote the row; SQLite leaves it NULL. An AFTER INSERT trigger on audit_log
# copies the audit row's actor into the newest change_log row of the same entity written by that
# same transaction/connection, so `regdesk watch` can say who made a change; no audit row (the
# mini-program never writes one) leaves actor NULL.
#
# SQLite: Alembic batch migrations recreate a table and DROP ITS TRIGGERS with the old table. A later
# revision that batch-alters bookings, clinic_sessions, slots, rules or audit_log must call
# drop_change_triggers() before and create_change_triggers() after the batch block.

FEED_CHANNEL = "regdesk_changes"
_BOOKING_ENTITIES = "('booking', 'session', 'slot', 'rule')"

# table -> (entity, entity_id expr, status expr, slot_id expr, session_id expr, patient_id expr), with R
# standing for NEW or OLD
_SOURCES = {
    "bookings": ("booking", "R.id", "R.status", "R.slot_id",
                 "(SELECT s.session_id FROM slots s WHERE s.id = R.slot_id)", "R.patient_id"),
    "clinic_sessions": ("session", "R.id", "R.status", "NULL", "R.id", "NULL"),
    "slots": ("slot", "R.id", "NULL", "R.id", "R.session_id", "NULL"),
    "rules": ("rule", "R.key", "NULL", "NULL", "NULL", "NULL"),
}
_TABLE_SHORT = {"bookings": "bookings", "clinic_sessions": "sessions", "slots": "slots", "rules": "rules"}
_OPS = (("INSERT", "insert", "NEW"), ("UPDATE", "update", "NEW"), ("DELETE", "delete", "OLD"))


def _row_values(table: str, op_name: str, row: str, tx: str, cast_id) -> str:
    entity, eid, status, slot, session, patient = _SOURCES[table]
    parts = [f"'{entity}'", cast_id(eid.replace("R.", row + ".")), f"'{op_name}'"]
    parts += [x.replace("R.", row + ".") for x in (status, slot, session, patient)]
    parts.append(tx)
    return ", ".join(parts)


_INSERT_COLS = "INSERT INTO change_log (entity, entity_id, op, status, slot_id, session_id, patient_id, tx)"


def _row_triggers() -> Iterator[tuple[str, str, str, str, str]]:
    """(table, its short name, SQL operation, op name, NEW or OLD) of each change feed trigger on a table."""
    for table, short in _TABLE_SHORT.items():
        for sql_op, op_name, row in _OPS:
            yield table, short, sql_op, op_name, row


def _trigger_names() -> list[tuple[str, str]]:
    """(trigger name, table) of every change feed trigger."""
    names = [(f"trg_{short}_{op_name}", table) for table, short, _sql_op, op_name, _row in _row_triggers()]
    return names + [("trg_audit_log_actor", "audit_log")]


def _bookings_update_condition(old_new_differs) -> str:
    # A booking's update is logged when its status or its slot changes: that is what the queues,
    # lists and grids show. Touching updated_at or reason alone does not wake every console.
    return f"{old_new_differs('status')} OR {old_new_differs('slot_id')}"


def _sqlite_statements() -> list[str]:
    out = []
    for table, short, sql_op, op_name, row in _row_triggers():
        when = ""
        if table == "bookings" and sql_op == "UPDATE":
            when = " WHEN " + _bookings_update_condition(partial(changed, "sqlite"))
        vals = _row_values(table, op_name, row, "NULL", lambda e: f"CAST({e} AS TEXT)")
        out.append(f"CREATE TRIGGER trg_{short}_{op_name} AFTER {sql_op} ON {table} FOR EACH ROW{when}"
                   f" BEGIN {_INSERT_COLS} VALUES ({vals}); END")
    # SQLite has no transaction id: the audit row (written by services.staff.audit with the client's UTC
    # clock, the same PC as the database file) claims the newest unclaimed change of its entity made
    # in the last 5 seconds. An audit row with no change of its own (none exists today) could thus
    # claim a mini-program change made just before it; PostgreSQL and MySQL match the transaction.
    out.append(
        "CREATE TRIGGER trg_audit_log_actor AFTER INSERT ON audit_log FOR EACH ROW"
        f" WHEN NEW.entity IN {_BOOKING_ENTITIES} BEGIN"
        " UPDATE change_log SET actor = NEW.actor"
        " WHERE id = (SELECT max(c.id) FROM change_log c WHERE c.entity = NEW.entity AND c.entity_id = NEW.entity_id)"
        " AND actor IS NULL AND changed_at >= datetime(NEW.at, '-5 seconds'); END")
    return out


def _postgresql_statements() -> list[str]:
    out = []
    for table in _SOURCES:
        short = _TABLE_SHORT[table]
        branches = []
        for sql_op, op_name, row in _OPS:
            vals = _row_values(table, op_name, row, "txid_current()", lambda e: f"CAST({e} AS text)")
            branches.append(f"IF TG_OP = '{sql_op}' THEN {_INSERT_COLS} VALUES ({vals}); RETURN {row}; END IF;")
        out.append(f"CREATE OR REPLACE FUNCTION regdesk_log_{short}() RETURNS trigger LANGUAGE plpgsql AS $$"
                   f" BEGIN {' '.join(branches)} RETURN NULL; END $$")
        for sql_op, op_name, _row in _OPS:
            when = ""
            if table == "bookings" and sql_op == "UPDATE":
                when = " WHEN (" + _bookings_update_condition(partial(changed, "postgresql")) + ")"
            out.append(f"CREATE TRIGGER trg_{short}_{op_name} AFTER {sql_op} ON {table} FOR EACH ROW{when}"
                       f" EXECUTE FUNCTION regdesk_log_{short}()")
    # one NOTIFY per change row; delivered when (and only if) the transaction commits
    out.append("CREATE OR REPLACE FUNCTION regdesk_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$"
               f" BEGIN PERFORM pg_notify('{FEED_CHANNEL}', CAST(NEW.id AS text)); RETURN NULL; END $$")
    out.append("CREATE TRIGGER trg_change_log_notify AFTER INSERT ON change_log FOR EACH ROW"
               " EXECUTE FUNCTION regdesk_notify_change()")
    out.append(
        "CREATE OR REPLACE FUNCTION regdesk_audit_actor() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF NEW.entity IN {_BOOKING_ENTITIES} THEN"
        " UPDATE change_log SET actor = NEW.actor WHERE id = (SELECT max(c.id) FROM change_log c"
        " WHERE c.entity = NEW.entity AND c.entity_id = NEW.entity_id AND c.tx = txid_current())"
        " AND actor IS NULL; END IF; RETURN NULL; END $$")
    out.append("CREATE TRIGGER trg_audit_log_actor AFTER INSERT ON audit_log FOR EACH ROW"
               " EXECUTE FUNCTION regdesk_audit_actor()")
    return out


def _mysql_statements() -> list[str]:
    # One CREATE TRIGGER per statement: no DELIMITER is needed through a driver.
    out = []
    for table, short, sql_op, op_name, row in _row_triggers():
        vals = _row_values(table, op_name, row, "CONNECTION_ID()", lambda e: f"CAST({e} AS CHAR)")
        body = f"{_INSERT_COLS} VALUES ({vals})"
        if table == "bookings" and sql_op == "UPDATE":
            body = f"BEGIN IF {_bookings_update_condition(partial(changed, 'mysql'))} THEN {body}; END IF; END"
        out.append(f"CREATE TRIGGER trg_{short}_{op_name} AFTER {sql_op} ON {table} FOR EACH ROW {body}")
    out.append(
        "CREATE TRIGGER trg_audit_log_actor AFTER INSERT ON audit_log FOR EACH ROW BEGIN"
        " DECLARE newest BIGINT;"
        f" IF NEW.entity IN {_BOOKING_ENTITIES} THEN"
        " SELECT max(c.id) INTO newest FROM change_log c WHERE c.entity = NEW.entity AND c.entity_id = NEW.entity_id;"
        " UPDATE change_log SET actor = NEW.actor WHERE id = newest AND tx = CONNECTION_ID() AND actor IS NULL;"
        " END IF; END")
    return out


def change_trigger_statements(dialect: str) -> list[str]:
    return pick(dialect, _postgresql_statements, _mysql_statements, _sqlite_statements)()


def create_change_triggers() -> None:
    """Create the change feed triggers (and PostgreSQL functions) for this dialect, and the capacity
    counters' triggers once revision 0008_capacity has made slot_counters (services/migrations/capacity.py)."""
    name = op.get_context().dialect.name
    for stmt in change_trigger_statements(name):
        op.execute(stmt)
    if sa.inspect(op.get_bind()).has_table("slot_counters"):
        for stmt in capacity_trigger_statements(name):
            op.execute(stmt)


def drop_change_triggers() -> None:
    name = op.get_context().dialect.name
    for stmt in drop_capacity_statements(name):
        op.execute(stmt)
    for trigger, table in _trigger_names():
        if name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_change_log_notify ON change_log")
        for fn in [f"regdesk_log_{s}" for s in _TABLE_SHORT.values()] + ["regdesk_notify_change",
                                                                           "regdesk_audit_actor"]:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")


# ---------------------------------------------------------------- database accounts (revision 0006_accounts)
#
# regdesk's database accounts (services/staff/accounts.py) hold only what their job needs; the mini-program's
# account has no privilege on change_log, yet its inserts and cancels must still reach the change feed:
#
# - PostgreSQL: every regdesk trigger function runs as SECURITY DEFINER (as its owner, the migration
#   account) with a fixed search_path that ends in pg_temp, so no account can capture a name the function
#   uses. secure_trigger_functions() applies this to every trigger function named regdesk_*, also those
#   a later revision adds (services/staff/accounts.py applies it again at every grant).
# - MySQL/MariaDB: a trigger always runs with the privileges of its DEFINER, the account that created it
#   (the migration account): nothing to change.
#
# The account guard: the database itself refuses, from an account registered as 'miniprogram' in
# db_accounts, any booking insert other than status 'pending' from source 'miniprogram', and any status
# change other than pending/confirmed -> cancelled, whatever SQL it sends. PostgreSQL knows the account as
# session_user (current_user is the definer inside the function); MySQL as USER() (CURRENT_USER() is the
# trigger's definer there), whose user part is matched. SQLite has no accounts and gets no guard.
#
# The WeChat secret (table secrets, readable only by the jobs account) is set through
# regdesk_set_wechat_secret(value), which runs as its definer: the desk account may call it without any
# privilege on the table, so it can replace the secret but never read it back. Setting it also forgets
# the cached access token, which belongs to the old secret.

GUARD_MESSAGE = "regdesk: the mini-program account may only request (pending) and cancel bookings"
# what the desk account may know of a secret: whether it is set, and since when
SECRET_STATE_VIEW = ("CREATE VIEW secret_state AS SELECT name,"
                     " CASE WHEN value IS NULL OR value = '' THEN 0 ELSE 1 END AS is_set, updated_at FROM secrets")
_MP_ACCOUNT_PG = ("EXISTS (SELECT 1 FROM {s}.db_accounts a WHERE a.name = session_user"
                  " AND a.role = 'miniprogram')")
_MP_ACCOUNT_MY = ("EXISTS (SELECT 1 FROM db_accounts a WHERE a.name = SUBSTRING_INDEX(USER(), '@', 1)"
                  " AND a.role = 'miniprogram')")
_INSERT_NOT_CONTRACT = "(NEW.status <> 'pending' OR NEW.source <> 'miniprogram')"
_CANCEL = "(NEW.status = 'cancelled' AND OLD.status IN ('pending', 'confirmed'))"


def _quoted_schema() -> str:
    """The schema the migration works in, quoted for PostgreSQL."""
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return '"' + schema.replace('"', '""') + '"'


def trigger_function_names(conn, only_insecure: bool = False) -> list[str]:
    """PostgreSQL: the regdesk_* trigger functions of the current schema (``only_insecure``: those not
    yet SECURITY DEFINER with a fixed search_path)."""
    insecure = " AND NOT (p.prosecdef AND p.proconfig IS NOT NULL)" if only_insecure else ""
    return list(conn.execute(sa.text(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = current_schema() AND p.proname LIKE 'regdesk\\_%'"
        f" AND p.prorettype = 'trigger'::regtype{insecure} ORDER BY p.proname")).scalars())


def secure_function_statements(conn, only_insecure: bool = False) -> list[str]:
    """PostgreSQL: ALTER every regdesk trigger function to run as its owner with a search path that
    no other account can put objects into ahead of the tables (pg_temp last)."""
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    quoted = '"' + schema.replace('"', '""') + '"'
    return [f"ALTER FUNCTION {quoted}.{name}() SECURITY DEFINER SET search_path = {quoted}, pg_temp"
            for name in trigger_function_names(conn, only_insecure)]


def _postgresql_account_statements(s: str) -> list[str]:
    guard = (
        f"CREATE OR REPLACE FUNCTION {s}.regdesk_guard_bookings() RETURNS trigger LANGUAGE plpgsql"
        " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN"
        f" IF TG_OP = 'INSERT' THEN IF {_INSERT_NOT_CONTRACT} AND {_MP_ACCOUNT_PG.format(s=s)} THEN"
        f" RAISE EXCEPTION '{GUARD_MESSAGE}' USING ERRCODE = '42501'; END IF;"
        f" ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT {_CANCEL} AND {_MP_ACCOUNT_PG.format(s=s)} THEN"
        f" RAISE EXCEPTION '{GUARD_MESSAGE}' USING ERRCODE = '42501'; END IF; RETURN NEW; END $$")
    now = "(pg_catalog.now() AT TIME ZONE 'utc')"
    setter = (
        f"CREATE OR REPLACE FUNCTION {s}.regdesk_set_wechat_secret(new_value text) RETURNS void LANGUAGE sql"
        " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$"
        f" UPDATE {s}.secrets SET value = NULLIF(new_value, ''), updated_at = {now} WHERE name = 'wechat.secret';"
        f" UPDATE {s}.secrets SET value = NULL, expires_at = NULL, updated_at = {now}"
        " WHERE name = 'wechat_token'; $$")
    return [guard,
            "CREATE TRIGGER trg_bookings_guard BEFORE INSERT OR UPDATE OF status ON bookings FOR EACH ROW"
            f" EXECUTE FUNCTION {s}.regdesk_guard_bookings()",
            setter,
            # a function is callable by PUBLIC unless revoked; only accounts granted EXECUTE may set it
            f"REVOKE ALL ON FUNCTION {s}.regdesk_set_wechat_secret(text) FROM PUBLIC"]


def _mysql_account_statements() -> list[str]:
    signal = f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{GUARD_MESSAGE}'"
    return [
        "CREATE TRIGGER trg_bookings_guard_insert BEFORE INSERT ON bookings FOR EACH ROW BEGIN"
        f" IF {_INSERT_NOT_CONTRACT} AND {_MP_ACCOUNT_MY} THEN {signal}; END IF; END",
        "CREATE TRIGGER trg_bookings_guard_update BEFORE UPDATE ON bookings FOR EACH ROW BEGIN"
        f" IF NOT (NEW.status <=> OLD.status) AND NOT {_CANCEL} AND {_MP_ACCOUNT_MY} THEN {signal}; END IF; END",
        "CREATE PROCEDURE regdesk_set_wechat_secret(IN new_value TEXT) SQL SECURITY DEFINER MODIFIES SQL DATA BEGIN"
        " UPDATE secrets SET value = NULLIF(new_value, ''), updated_at = UTC_TIMESTAMP() WHERE name = 'wechat.secret';"
        " UPDATE secrets SET value = NULL, expires_at = NULL, updated_at = UTC_TIMESTAMP()"
        " WHERE name = 'wechat_token'; END",
    ]


def create_account_guards() -> None:
    """The mini-program guard, SECURITY DEFINER trigger functions and the secret setter (PostgreSQL,
    MySQL/MariaDB; nothing on SQLite, which has no accounts)."""
    name = op.get_context().dialect.name
    if name == "postgresql":
        for stmt in secure_function_statements(op.get_bind()) + _postgresql_account_statements(_quoted_schema()):
            op.execute(stmt)
    elif name in ("mysql", "mariadb"):
        for stmt in _mysql_account_statements():
            op.execute(stmt)


def drop_account_guards() -> None:
    name = op.get_context().dialect.name
    if name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_bookings_guard ON bookings")
        op.execute("DROP FUNCTION IF EXISTS regdesk_guard_bookings()")
        op.execute("DROP FUNCTION IF EXISTS regdesk_set_wechat_secret(text)")
        for fn in trigger_function_names(op.get_bind()):
            op.execute(f"ALTER FUNCTION {fn}() SECURITY INVOKER RESET search_path")
    elif name in ("mysql", "mariadb"):
        op.execute("DROP TRIGGER IF EXISTS trg_bookings_guard_insert")
        op.execute("DROP TRIGGER IF EXISTS trg_bookings_guard_update")
        op.execute("DROP PROCEDURE IF EXISTS regdesk_set_wechat_secret")
