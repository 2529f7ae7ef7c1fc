"""The three spellings of the SQL the migrations write: PostgreSQL's, MySQL's (MariaDB spells it as MySQL)
and SQLite's."""
from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

# "this column changed", null-safe (NULL to a value is a change, NULL to NULL is none), in a row trigger
_CHANGED = {"postgresql": "OLD.{c} IS DISTINCT FROM NEW.{c}", "mysql": "NOT (OLD.{c} <=> NEW.{c})",
            "sqlite": "OLD.{c} IS NOT NEW.{c}"}


def pick(dialect: str, postgresql: T, mysql: T, sqlite: T) -> T:
    """The one of three that is this database's (any other dialect is taken for SQLite)."""
    if dialect == "postgresql":
        return postgresql
    return mysql if dialect in ("mysql", "mariadb") else sqlite


def changed(dialect: str, column: str) -> str:
    """A row trigger's condition that ``column`` changed (OLD and NEW)."""
    return pick(dialect, *_CHANGED.values()).format(c=column)
