"""desk safety: bookings.no_show_undone_at (an undone no-show is not marked again by the job)

Revision ID: 0003_desk
Revises: 0002
Create Date: 2026-11-28 10:00:00

A plain ALTER TABLE ... ADD COLUMN (SQLite supports it) rather than a batch recreate, which would
drop the change feed triggers on bookings (see 0002). The column is nullable: the mini-program's
plain INSERTs and UPDATEs never name it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_desk'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('bookings', sa.Column('no_show_undone_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    # a plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it), again to keep the triggers
    op.drop_column('bookings', 'no_show_undone_at')
