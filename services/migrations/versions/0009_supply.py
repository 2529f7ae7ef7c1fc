"""supply: the hospital's own holiday exceptions, when a booking was cancelled, the release time in the view

Revision ID: 0009_supply
Revises: 0006_accounts
Create Date: 2026-12-02 01:30:00

- hospital_days: the hospital's exceptions to China's public holidays (services/rosters/holidays.py): a day (or
  one period of it, for one department or all) open although it is a holiday, or closed for an event.
- bookings.cancelled_at (UTC): when the booking became 'cancelled', set by the database itself on the
  status change (a trigger), so the mini-program's plain-SQL cancels are timed too; services.bookings.late_cancel
  says which cancels came after the hospital's deadline (退号). A plain ADD COLUMN (no batch recreate,
  which would drop the change feed triggers on bookings).
- slot_availability gets one column at its end, ``opens_at``: from when (hospital local wall-clock time)
  the slot may be requested online (放号): the day minus the booking window in days, at the release
  time rule (00:00 when there is none). Every other column keeps its meaning.
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.helpers import (
    availability_view,
    create_cancelled_at_trigger,
    drop_availability_view,
    drop_cancelled_at_trigger,
    utcnow,
)

revision = '0009_supply'
down_revision = '0008_capacity'
branch_labels = None
depends_on = None


def _replace_view(with_opens_at: bool) -> None:
    name = op.get_context().dialect.name
    if name == "sqlite":  # no CREATE OR REPLACE VIEW; SQLite has no grants to lose
        drop_availability_view()
        op.execute(availability_view(name, with_opens_at, replace=False))
    elif with_opens_at:
        # CREATE OR REPLACE keeps the grants on the view (PostgreSQL allows new columns at its end)
        op.execute(availability_view(name, True, replace=True))
    else:
        # PostgreSQL cannot drop a view's column by replacing it; the grants are given again by `db upgrade`
        drop_availability_view()
        op.execute(availability_view(name, False, replace=False))


def upgrade() -> None:
    op.create_table('hospital_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=8), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=utcnow(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint("kind IN ('open', 'closed')", name='ck_hospital_days_kind'),
    sa.CheckConstraint("period IS NULL OR period IN ('am', 'pm', 'evening')", name='ck_hospital_days_period'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_hospital_days_day', 'hospital_days', ['day'], unique=False)
    op.add_column('bookings', sa.Column('cancelled_at', sa.DateTime(), nullable=True))
    create_cancelled_at_trigger()
    _replace_view(True)


def downgrade() -> None:
    _replace_view(False)
    drop_cancelled_at_trigger()
    op.drop_column('bookings', 'cancelled_at')
    op.drop_index('ix_hospital_days_day', table_name='hospital_days')
    op.drop_table('hospital_days')
