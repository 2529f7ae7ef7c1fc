"""Schema creation and upgrades (Alembic), and the check that the schema fits this program."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from services.db import Database, first_line, is_connection_error
from services.errors import DatabaseUnavailable, SchemaError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        if is_connection_error(exc):
            raise DatabaseUnavailable(f"cannot reach the database {db.url}: {first_line(exc)}") from exc
        raise


def _known(rev: str) -> bool:
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
    cfg = _alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    after = current_revision(db)
    log.info("schema %s -> %s on %s", before, after, db.url)
    return before, after


def check(db: Database) -> None:
    """Raise SchemaError unless the schema is exactly the one this program was built for."""
    rev = current_revision(db)
    head = head_revision()
    if rev == head:
        return
    if rev is None:
        raise SchemaError("the database has no regdesk schema yet: run `regdesk db upgrade`")
    if not _known(rev):
        raise SchemaError(f"the database schema ({rev}) is newer than this program knows; upgrade regdesk first")
    raise SchemaError(f"the database schema ({rev}) is older than this program ({head}): run `regdesk db upgrade`")
