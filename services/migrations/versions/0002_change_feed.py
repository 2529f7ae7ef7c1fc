"""change feed: change_log columns for the console's views, triggers on bookings, sessions, slots, rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00

Triggers write one change_log row per change, whoever makes it; see helpers.create_change_triggers.
The new columns are added with plain ALTER TABLE ... ADD COLUMN (SQLite supports it), never with a
batch recreate: a batch recreate on SQLite drops the table's triggers, so any later batch migration
of a table with change feed triggers must recreate them (helpers.create_change_triggers).
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.helpers import create_change_triggers, drop_change_triggers

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_NEW_COLUMNS = ("slot_id", "session_id", "patient_id", "actor", "tx")


def upgrade() -> None:
    # no foreign keys: a change row outlives the rows it talks about (deletes are logged too)
    op.add_column('change_log', sa.Column('slot_id', sa.Integer(), nullable=True))
    op.add_column('change_log', sa.Column('session_id', sa.Integer(), nullable=True))
    op.add_column('change_log', sa.Column('patient_id', sa.Integer(), nullable=True))
    op.add_column('change_log', sa.Column('actor', sa.String(length=100), nullable=True))
    op.add_column('change_log', sa.Column('tx', sa.BigInteger(), nullable=True))
    # the audit trigger finds an entity's newest change through this index
    op.create_index('ix_change_log_entity', 'change_log', ['entity', 'entity_id', 'id'])
    create_change_triggers()


def downgrade() -> None:
    drop_change_triggers()
    op.drop_index('ix_change_log_entity', table_name='change_log')
    # change_log itself carries no triggers on SQLite, so recreating it in batch mode loses nothing
    with op.batch_alter_table('change_log') as batch_op:
        for name in reversed(_NEW_COLUMNS):
            batch_op.drop_column(name)
