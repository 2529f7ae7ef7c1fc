"""Fresh databases for tests: SQLite files, and PostgreSQL/MariaDB databases created and dropped.

A server that does not answer is skipped, unless REGDESK_REQUIRE_SERVERS=1 (CI), where it fails.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

PG_ADMIN = os.environ.get("REGDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MY_ADMIN = os.environ.get("REGDESK_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/")
DIALECTS = ("sqlite", "postgresql", "mariadb")


def _require_servers() -> bool:
    return os.environ.get("REGDESK_REQUIRE_SERVERS") == "1"


def _unavailable(name: str, exc: Exception) -> None:
    msg = f"{name} server not reachable: {exc}"
    if _require_servers():
        pytest.fail(msg + " (REGDESK_REQUIRE_SERVERS=1)")
    pytest.skip(msg)


@contextmanager
def fresh_database(kind: str, tmp_path: Path, charset: str = "utf8mb4") -> Iterator[str]:
    """Yield the URL of a new, empty database of this kind; drop it afterwards. ``charset``: MariaDB's
    database default (utf8mb4, or latin1 as on upstream MariaDB before 11.6 and MySQL 5.7)."""
    name = "regdesk_t_" + uuid.uuid4().hex[:12]
    if kind == "sqlite":
        yield "sqlite:///" + str(tmp_path / f"{name}.db")
        return
    if kind == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        base = PG_ADMIN.rsplit("/", 1)[0]
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            admin.dispose()
            _unavailable("PostgreSQL", exc)
        try:
            yield f"{base}/{name}"
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    if kind == "mariadb":
        admin = create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with admin.connect() as c:
                collation = {"utf8mb4": "utf8mb4_unicode_ci", "latin1": "latin1_swedish_ci"}[charset]
                c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {charset} COLLATE {collation}"))
        except OperationalError as exc:
            admin.dispose()
            _unavailable("MariaDB", exc)
        try:
            yield MY_ADMIN.rstrip("/") + f"/{name}?charset=utf8mb4"
        finally:
            with admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            admin.dispose()
        return
    raise ValueError(kind)
