"""The WeChat AppSecret in the ``secrets`` table: set by an admin, read only by the sending account.

On PostgreSQL and MySQL/MariaDB the desk account has no privilege on ``secrets``: it replaces the
secret through ``regdesk_set_wechat_secret(value)``, a definer's-rights routine that also forgets
the cached access token (revision 0006_accounts), and learns only whether a secret is set, from the
``secret_state`` view. The jobs account (and the owner) read the value to fetch access tokens.
SQLite has no accounts: the same two rows are written directly.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from services.clock import utcnow
from services.db import Database, is_permission_error
from services.errors import ConfigError
from services.models import Secret

log = logging.getLogger(__name__)

WECHAT_SECRET = "wechat.secret"
TOKEN_KEY = "wechat_token"
TOKEN_LOCK_KEY = "wechat_token_lock"
UNREADABLE = ("此电脑的数据库账号不能读取微信 AppSecret（只有后台服务的账号可以）："
              "微信消息由后台服务（regdesk jobs）发送")


class SecretUnreadable(ConfigError):
    """This database account may not read the secret: sending is the job service's work."""


@dataclass(frozen=True)
class SecretState:
    is_set: bool
    updated_at: dt.datetime | None  # UTC


def state(db: Database) -> SecretState:
    """Whether the AppSecret is stored (any account may ask; none but jobs sees the value)."""
    with db.read() as conn:
        row = conn.execute(text("SELECT is_set, updated_at FROM secret_state WHERE name = :n"),
                           {"n": WECHAT_SECRET}).first()
    return SecretState(bool(row and row.is_set), row.updated_at if row else None)


def read(db: Database) -> str:
    """The stored AppSecret ('' when none). SecretUnreadable for an account that may not read it."""
    try:
        with db.read() as conn:
            value = conn.execute(select(Secret.value).where(Secret.name == WECHAT_SECRET)).scalar()
    except DBAPIError as exc:
        if is_permission_error(exc):
            raise SecretUnreadable(UNREADABLE) from exc
        raise
    return value or ""


def set_secret(conn: Connection, value: str) -> None:
    """Replace the AppSecret ('' removes it) and forget the access token fetched with the old one,
    in the caller's transaction."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT regdesk_set_wechat_secret(:v)"), {"v": value})
    elif dialect in ("mysql", "mariadb"):
        conn.execute(text("CALL regdesk_set_wechat_secret(:v)"), {"v": value})
    else:
        now = utcnow()
        conn.execute(update(Secret).where(Secret.name == WECHAT_SECRET).values(value=value or None, updated_at=now))
        conn.execute(update(Secret).where(Secret.name == TOKEN_KEY)
                     .values(value=None, expires_at=None, updated_at=now))
