"""Column builders the revisions share: the columns several tables spell alike. A revision's schema must
never change once released, so these never change either: a new kind of column is a new builder.
"""
from __future__ import annotations

import sqlalchemy as sa

from services.migrations.helpers import utcnow


def id_column() -> sa.Column:
    """An integer surrogate key, the table's primary key."""
    return sa.Column('id', sa.Integer(), primary_key=True, nullable=False)


def log_id_column() -> sa.Column:
    """The key of an append-only log: 64-bit where the server has it (SQLite's rowid is already)."""
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True, autoincrement=True,
                     nullable=False)


def active_column() -> sa.Column:
    return sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False)


def created_column() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(), server_default=utcnow(), nullable=False)


def span_columns() -> tuple[sa.Column, sa.Column]:
    """A session's, template's or slot's times of day (their CHECK ends_at > starts_at is the table's)."""
    return sa.Column('starts_at', sa.Time(), nullable=False), sa.Column('ends_at', sa.Time(), nullable=False)


def expiring_value_columns() -> tuple[sa.Column, ...]:
    """A setting's or a secret's value, when it expires (a cached token) and when it was last set."""
    return (sa.Column('value', sa.Text(), nullable=True), sa.Column('expires_at', sa.DateTime(), nullable=True),
            sa.Column('updated_at', sa.DateTime(), nullable=True))


def required_strings(**lengths: int) -> list[sa.Column]:
    """NOT NULL VARCHAR columns in this order, name=length."""
    return [sa.Column(name, sa.String(length=n), nullable=False) for name, n in lengths.items()]


def optional_strings(**lengths: int) -> list[sa.Column]:
    """Nullable VARCHAR columns in this order, name=length."""
    return [sa.Column(name, sa.String(length=n), nullable=True) for name, n in lengths.items()]


def required_ints(*names: str) -> list[sa.Column]:
    """NOT NULL INTEGER columns in this order (ids of other rows, counts)."""
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]
