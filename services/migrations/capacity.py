"""The capacity counters' triggers (revision 0008_capacity), on every database.

slot_counters holds, per slot, its capacity (copied from slots) and the number of its bookings in a
taken status (confirmed, checked_in, no_show), with CHECK (taken <= capacity) and CHECK (taken >= 0).
Triggers keep it, whoever writes: a slot's insert creates its counter and a capacity change copies the
capacity (refused below what is taken: the CHECK); a booking whose taken-ness changes (insert, status
change, move to another slot, delete) moves the count. So no writer, regdesk or the mini-program's plain
SQL, can put a slot over capacity, and on a multi-primary cluster (Galera) two decisions taking places
in one slot both write its counter row: the second fails certification (1213) and is retried.

Lock order: a booking's row first (the statement that changes it), then its slot's counter (the
trigger). The mini-program's cancel does exactly that, and so does every regdesk decision; a regdesk
transaction that changes the taken-ness of several bookings locks all of them before it updates them
(services.rosters.clinic_sessions.stop_session), so it never holds a counter while waiting for a booking the
mini-program holds.

PostgreSQL: the trigger functions are named regdesk_* and become SECURITY DEFINER (helpers.
secure_function_statements), so the mini-program's account needs no privilege on slot_counters.
MySQL/MariaDB: a trigger runs as its definer. SQLite: a batch migration of bookings or slots drops
these triggers with the table; helpers.create_change_triggers() recreates them (it calls
capacity_trigger_statements when slot_counters exists).
"""
from __future__ import annotations

from functools import partial

from services.migrations.dialects import changed, pick

TAKEN = "('confirmed', 'checked_in', 'no_show')"
TRIGGERS = (("trg_counter_slots_insert", "slots"), ("trg_counter_slots_update", "slots"),
            ("trg_counter_bookings_insert", "bookings"), ("trg_counter_bookings_update", "bookings"),
            ("trg_counter_bookings_delete", "bookings"))
FUNCTIONS = ("regdesk_count_slots", "regdesk_count_bookings")

_UP = "UPDATE slot_counters SET taken = taken + 1 WHERE slot_id = {row}.slot_id"
_DOWN = "UPDATE slot_counters SET taken = taken - 1 WHERE slot_id = {row}.slot_id"
_NEW_SLOT = "INSERT INTO slot_counters (slot_id, taken, capacity) VALUES (NEW.id, 0, NEW.capacity)"
_CAPACITY = "UPDATE slot_counters SET capacity = NEW.capacity WHERE slot_id = NEW.id"


def _taken(row: str) -> str:
    return f"{row}.status IN {TAKEN}"


def _leaves(differs) -> str:
    """OLD held a place that NEW does not (status left the taken ones, or the booking moved)."""
    return f"{_taken('OLD')} AND (NOT {_taken('NEW')} OR {differs('slot_id')})"


def _enters(differs) -> str:
    return f"{_taken('NEW')} AND (NOT {_taken('OLD')} OR {differs('slot_id')})"


def _triggers(of_columns: bool, *after_for_each_row: str) -> list[str]:
    """The CREATE TRIGGER of each of TRIGGERS, in order, with what follows its FOR EACH ROW; ``of_columns``: an
    update trigger names the columns it watches (SQLite and PostgreSQL; MySQL has no UPDATE OF)."""
    events = ("INSERT", "UPDATE OF capacity" if of_columns else "UPDATE", "INSERT",
              "UPDATE OF status, slot_id" if of_columns else "UPDATE", "DELETE")
    return [f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {rest}"
            for (name, table), event, rest in zip(TRIGGERS, events, after_for_each_row, strict=True)]


def _sqlite() -> list[str]:
    differs = partial(changed, "sqlite")
    return _triggers(
        True,
        f"BEGIN {_NEW_SLOT}; END",
        f"WHEN {differs('capacity')} BEGIN {_CAPACITY}; END",
        f"WHEN {_taken('NEW')} BEGIN {_UP.format(row='NEW')}; END",
        # one trigger, two guarded statements: a place left (old slot) and a place entered (new slot)
        f"WHEN ({_leaves(differs)}) OR ({_enters(differs)}) BEGIN {_DOWN.format(row='OLD')} AND ({_leaves(differs)});"
        f" {_UP.format(row='NEW')} AND ({_enters(differs)}); END",
        f"WHEN {_taken('OLD')} BEGIN {_DOWN.format(row='OLD')}; END")


def _postgresql() -> list[str]:
    differs = partial(changed, "postgresql")
    slots, bookings = "EXECUTE FUNCTION regdesk_count_slots()", "EXECUTE FUNCTION regdesk_count_bookings()"
    triggers = _triggers(
        True,
        slots,
        f"WHEN ({differs('capacity')}) {slots}",
        f"WHEN ({_taken('NEW')}) {bookings}",
        f"WHEN (({_leaves(differs)}) OR ({_enters(differs)})) {bookings}",
        f"WHEN ({_taken('OLD')}) {bookings}")
    return [
        "CREATE OR REPLACE FUNCTION regdesk_count_slots() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'INSERT' THEN {_NEW_SLOT}; ELSE {_CAPACITY}; END IF; RETURN NULL; END $$",
        *triggers[:2],
        "CREATE OR REPLACE FUNCTION regdesk_count_bookings() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'INSERT' THEN IF {_taken('NEW')} THEN {_UP.format(row='NEW')}; END IF;"
        f" ELSIF TG_OP = 'DELETE' THEN IF {_taken('OLD')} THEN {_DOWN.format(row='OLD')}; END IF;"
        f" ELSE IF {_leaves(differs)} THEN {_DOWN.format(row='OLD')}; END IF;"
        f" IF {_enters(differs)} THEN {_UP.format(row='NEW')}; END IF; END IF; RETURN NULL; END $$",
        *triggers[2:],
    ]


def _mysql() -> list[str]:
    differs = partial(changed, "mysql")
    return _triggers(
        False,
        _NEW_SLOT,
        f"BEGIN IF {differs('capacity')} THEN {_CAPACITY}; END IF; END",
        f"BEGIN IF {_taken('NEW')} THEN {_UP.format(row='NEW')}; END IF; END",
        f"BEGIN IF {_leaves(differs)} THEN {_DOWN.format(row='OLD')}; END IF;"
        f" IF {_enters(differs)} THEN {_UP.format(row='NEW')}; END IF; END",
        f"BEGIN IF {_taken('OLD')} THEN {_DOWN.format(row='OLD')}; END IF; END")


def capacity_trigger_statements(dialect: str) -> list[str]:
    return pick(dialect, _postgresql, _mysql, _sqlite)()


def drop_capacity_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {t} ON {table}" for t, table in TRIGGERS]
                + [f"DROP FUNCTION IF EXISTS {f}()" for f in FUNCTIONS])
    return [f"DROP TRIGGER IF EXISTS {t}" for t, _table in TRIGGERS]


# the counters of the slots that exist (the migration's backfill, and a check in the tests)
BACKFILL_COUNTERS = (
    "INSERT INTO slot_counters (slot_id, taken, capacity)"
    " SELECT s.id, COALESCE(SUM(CASE WHEN b.status IN " + TAKEN + " THEN 1 ELSE 0 END), 0), s.capacity"
    " FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id GROUP BY s.id, s.capacity")
BACKFILL_GUARDS = (
    "INSERT INTO patient_day_guards (patient_id, department_id, day, version)"
    " SELECT b.patient_id, d.department_id, cs.day, COUNT(*) FROM bookings b"
    " JOIN slots s ON s.id = b.slot_id JOIN clinic_sessions cs ON cs.id = s.session_id"
    " JOIN doctors d ON d.id = cs.doctor_id WHERE b.status IN ('confirmed', 'checked_in')"
    " GROUP BY b.patient_id, d.department_id, cs.day")
