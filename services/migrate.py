"""Schema creation and upgrades (Alembic), and the check that the schema fits this program.

Checking a schema that fits (every start of the console, every command) reads the version table and
compares it with ``HEAD`` without importing Alembic, which takes longer than the rest of the check;
Alembic is loaded to upgrade, or to tell an older schema from a newer one.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from services.db import Database, first_line, is_connection_error
from services.errors import DatabaseUnavailable, SchemaError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# the newest revision in migrations/versions (tests/services/test_migrate_head.py checks it against Alembic):
# a new revision changes it
HEAD = "0011_referral"
VERSION_TABLE = "alembic_version"


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision as Alembic reads it from migrations/versions (``HEAD`` without reading)."""
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    """The database's schema revision; None when it has no regdesk schema yet."""
    try:
        with db.engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            revs = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except DBAPIError as exc:
        if is_connection_error(exc):
            raise DatabaseUnavailable(f"cannot reach the database {db.url}: {first_line(exc)}") from exc
        raise
    if len(revs) > 1:
        raise SchemaError(f"the database has several schema versions ({', '.join(sorted(revs))}); "
                          "it was not made by regdesk")
    return revs[0] if revs else None


def _known(rev: str) -> bool:
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        return script.get_revision(rev) is not None
    except Exception:  # alembic raises ResolutionError/CommandError for unknown ids
        return False


def upgrade(db: Database) -> tuple[str | None, str]:
    """Create or migrate the schema to the newest version. Returns (before, after)."""
    before = current_revision(db)
    if before is not None and not _known(before):
        raise SchemaError(
            f"the database schema ({before}) is newer than this program knows; upgrade regdesk first")
    if db.dialect == "mysql":
        _utf8mb4(db, before is None)
    from alembic import command
    cfg = _alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    after = current_revision(db)
    log.info("schema %s -> %s on %s", before, after, db.url)
    return before, after


def _utf8mb4(db: Database, fresh: bool) -> None:
    """MySQL/MariaDB: every table regdesk creates must hold Chinese (utf8mb4), whatever the server's
    default (latin1 on upstream MariaDB before 11.6 and on MySQL 5.7). A database whose default is not
    utf8mb4 is switched to it before the first table is made (the tables take the database's default);
    where that is refused, or tables regdesk made earlier are not utf8mb4, SchemaError says what to do."""
    with db.engine.connect() as conn:
        name, charset = conn.exec_driver_sql("SELECT DATABASE(), @@character_set_database").one()
        if name is None:
            raise SchemaError("the database URL names no database: add it after the last / (…:3306/regdesk)")
        quoted = "`" + name.replace("`", "``") + "`"
        fix = f"ALTER DATABASE {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        if charset != "utf8mb4":
            try:
                conn.exec_driver_sql(fix)
            except DBAPIError as exc:
                raise SchemaError(f"database {name} stores text as {charset}, which cannot hold Chinese, and it "
                                  f"cannot be changed here ({first_line(exc)}): run `{fix}` as its owner") from exc
            log.info("database %s: default character set %s -> utf8mb4", name, charset)
        if not fresh:
            bad = list(conn.exec_driver_sql(
                "SELECT t.table_name FROM information_schema.tables t JOIN information_schema.collation_character_set_applicability c"
                " ON c.collation_name = t.table_collation WHERE t.table_schema = DATABASE()"
                " AND t.table_type = 'BASE TABLE' AND c.character_set_name <> 'utf8mb4' ORDER BY t.table_name").scalars())
            if bad:
                raise SchemaError(f"tables of database {name} store text as another character set than utf8mb4 "
                                  f"({', '.join(bad[:5])}{'…' if len(bad) > 5 else ''}): convert each with "
                                  "`ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`")


def check(db: Database) -> None:
    """Raise SchemaError unless the schema is exactly the one this program was built for."""
    rev = current_revision(db)
    head = HEAD
    if rev == head:
        return
    if rev is None:
        raise SchemaError("the database has no regdesk schema yet: run `regdesk db upgrade`")
    if not _known(rev):
        raise SchemaError(f"the database schema ({rev}) is newer than this program knows; upgrade regdesk first")
    raise SchemaError(f"the database schema ({rev}) is older than this program ({head}): run `regdesk db upgrade`")


def open_fitting(url: str, *, create: bool = False) -> Database:
    """A Database whose schema is the one this program was built for, with the hospital's clock read
    (services.clock). ``create`` (the console's own embedded file): the folder, the schema created or
    upgraded on the spot; otherwise SchemaError unless it fits (the commands, a shared database)."""
    from services import clock
    if create and url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    try:
        if create:
            if current_revision(db) != HEAD:
                upgrade(db)
        else:
            check(db)
        clock.load_zone(db)  # the hospital's clock, not this machine's
    except BaseException:
        db.dispose()
        raise
    return db
