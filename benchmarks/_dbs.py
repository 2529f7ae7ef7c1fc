"""Fresh databases for benchmarks: SQLite files, PostgreSQL and MariaDB databases created and dropped.

    from benchmarks._dbs import available_kinds, bench_database
    for kind in available_kinds():              # 'sqlite' always; a server only if it answers
        with bench_database(kind) as url:       # a new, empty database (not migrated)
            ...

The servers are the ones the tests use: REGDESK_TEST_PG and REGDESK_TEST_MYSQL (admin URLs), with
the same defaults as tests/dbs.py. Unlike tests/dbs.py nothing here imports pytest.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

PG_ADMIN = os.environ.get("REGDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MY_ADMIN = os.environ.get("REGDESK_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/")
KINDS = ("sqlite", "postgresql", "mariadb")
_ADMIN = {"postgresql": PG_ADMIN, "mariadb": MY_ADMIN}


def _admin_engine(kind: str):
    return create_engine(_ADMIN[kind], isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def reachable(kind: str) -> bool:
    """Whether this kind of database can be used here (SQLite always can)."""
    if kind == "sqlite":
        return True
    engine = _admin_engine(kind)
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.info("%s not reachable: %s", kind, str(exc).splitlines()[0])
        return False
    finally:
        engine.dispose()


def available_kinds(only: str | None = None) -> list[str]:
    """The kinds to benchmark: all of KINDS that answer, or those named in ``only`` ('sqlite,mariadb')."""
    wanted = [k.strip() for k in only.split(",")] if only else list(KINDS)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown database kind(s) {unknown}; use {', '.join(KINDS)}")
    return [k for k in wanted if reachable(k)]


@contextmanager
def bench_database(kind: str, folder: Path | None = None) -> Iterator[str]:
    """Yield the URL of a new, empty database of this kind; drop it (or its folder) afterwards."""
    name = "regdesk_b_" + uuid.uuid4().hex[:12]
    if kind == "sqlite":
        own = folder is None
        where = Path(tempfile.mkdtemp(prefix="regdesk_bench_")) if own else folder
        try:
            yield "sqlite:///" + str(where / f"{name}.db")
        finally:
            if own:
                shutil.rmtree(where, ignore_errors=True)
        return
    if kind not in _ADMIN:
        raise ValueError(f"unknown database kind {kind!r}")
    admin = _admin_engine(kind)
    try:
        with admin.connect() as c:
            if kind == "postgresql":
                c.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        if kind == "postgresql":
            yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        else:
            yield MY_ADMIN.rstrip("/") + f"/{name}?charset=utf8mb4"
    finally:
        with admin.connect() as c:
            if kind == "postgresql":
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
