"""capacity: slot counters kept by triggers, and patient/department/day guards

Revision ID: 0008_capacity
Revises: 0006_accounts
Create Date: 2026-12-02 01:50:00

- slot_counters: per slot its capacity and its taken places, CHECK (taken <= capacity), kept by
  triggers on slots and bookings on every database (services/migrations/capacity.py), so that no
  writer can oversell a slot, and two decisions taking places in one slot write the same row (on a
  multi-primary cluster the second fails certification and is retried).
- patient_day_guards: one row per (patient, department, day) that every decision confirming under the
  one-a-day rule writes (services.bookings.decisions.guard_days), so two such decisions conflict.
- Both are backfilled from the bookings there are.
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.capacity import (
    BACKFILL_COUNTERS,
    BACKFILL_GUARDS,
    capacity_trigger_statements,
    drop_capacity_statements,
)
from services.migrations.columns import required_ints
from services.migrations.helpers import secure_function_statements

revision = '0008_capacity'
down_revision = '0007_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slot_counters',
    *required_ints('slot_id', 'taken', 'capacity'),
    sa.CheckConstraint('taken <= capacity', name='ck_slot_counters_free'),
    sa.CheckConstraint('taken >= 0', name='ck_slot_counters_taken'),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slot_id')
    )
    op.create_table('patient_day_guards',
    *required_ints('patient_id', 'department_id'),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('patient_id', 'department_id', 'day')
    )
    op.execute(BACKFILL_COUNTERS)
    op.execute(BACKFILL_GUARDS)
    name = op.get_context().dialect.name
    for stmt in capacity_trigger_statements(name):
        op.execute(stmt)
    if name == "postgresql":
        for stmt in secure_function_statements(op.get_bind(), only_insecure=True):
            op.execute(stmt)


def downgrade() -> None:
    for stmt in drop_capacity_statements(op.get_context().dialect.name):
        op.execute(stmt)
    op.drop_table('patient_day_guards')
    op.drop_table('slot_counters')
