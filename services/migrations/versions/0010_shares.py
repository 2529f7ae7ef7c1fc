"""shares: the desk's share of each slot (号源池) and the places left for online requests in the view

Revision ID: 0010_shares
Revises: 0009_supply
Create Date: 2026-12-02 02:50:00

- departments.desk_share_pct, clinic_sessions.desk_share_pct (None: the department's): the % of each slot's
  places kept for the desk (现场号); clinic_sessions.desk_share_open: the share's cut-off has passed and the
  kept places are everyone's (services/rosters/shares.py). Plain ADD COLUMNs (no batch recreate, which
  would drop the change feed triggers).
- slot_availability gets one column at its end, ``online_remaining``: the places left for online requests
  (services/migrations/shares.py). Every other column keeps its meaning.
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.helpers import availability_view, narrow_availability_view, widen_availability_view
from services.migrations.shares import shares_view

revision = '0010_shares'
down_revision = '0009_supply'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('departments', sa.Column('desk_share_pct', sa.Integer(), nullable=True))
    op.add_column('clinic_sessions', sa.Column('desk_share_pct', sa.Integer(), nullable=True))
    op.add_column('clinic_sessions', sa.Column('desk_share_open', sa.Boolean(), server_default=sa.false(),
                                               nullable=False))
    widen_availability_view(shares_view)


def downgrade() -> None:
    narrow_availability_view(lambda name, replace: availability_view(name, True, replace))
    op.drop_column('clinic_sessions', 'desk_share_open')
    op.drop_column('clinic_sessions', 'desk_share_pct')
    op.drop_column('departments', 'desk_share_pct')
