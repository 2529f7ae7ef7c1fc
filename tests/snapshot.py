"""Every row of every table of a database, read through SQLAlchemy reflection.

Tests of bad input take a snapshot before and after a command that must change nothing and
compare them: whatever table a half-applied change would touch (the change log, the audit log,
the outbox, a sequence of rows ...), the comparison sees it without the test naming it.
"""
from __future__ import annotations

from sqlalchemy import MetaData, select

from services.db import Database

_reflected: dict[str, MetaData] = {}  # url -> its tables (a test does not change the schema)


def snapshot(db: Database | str, *, without: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """{table name: its rows in primary-key order} for every table in the database, leaving out
    the columns named in ``without`` ("table.column")."""
    own = isinstance(db, str)
    database = Database(db) if own else db
    try:
        key = database.engine.url.render_as_string(hide_password=False)
        meta = _reflected.get(key)
        if meta is None:
            meta = _reflected[key] = MetaData()
            meta.reflect(database.engine)
        out: dict[str, list[tuple]] = {}
        with database.engine.connect() as conn:
            for table in meta.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                columns = [c for c in table.columns if f"{table.name}.{c.name}" not in without]
                out[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*order))]
        return out
    finally:
        if own:
            database.dispose()
