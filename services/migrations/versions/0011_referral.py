"""referral: shares kept for referrals (转诊/医联体) and follow-ups (复诊), and how a referral is marked

Revision ID: 0011_referral
Revises: 0010_shares
Create Date: 2026-12-02 06:20:00

- departments.referral_share_pct, followup_share_pct; clinic_sessions.referral_share_pct,
  followup_share_pct (None: the department's), referral_share_open, followup_share_open (the share's
  cut-off has passed: its unused places are everyone's), as the desk share's columns of 0010_shares.
- bookings.channel, bookings.referral_code (nullable, written by the mini-program when it wants to: 'referral'
  and the referral's number mark a referral; the contract's INSERT without them is an ordinary online request)
  and bookings.share_kind (regdesk's own: the kept share a confirmed request was entitled to).
- slot_availability gets three columns at its end: referral_remaining and followup_remaining, and
  online_remaining keeps its meaning (the places left for an ordinary online request) with the new shares
  counted (services/migrations/shares.py). Plain ADD COLUMNs (no batch recreate: the triggers stay).
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.helpers import narrow_availability_view, widen_availability_view
from services.migrations.shares import kept_shares_view, shares_view

revision = '0011_referral'
down_revision = '0010_shares'
branch_labels = None
depends_on = None

_KINDS = ('referral', 'followup')


def upgrade() -> None:
    for kind in _KINDS:
        op.add_column('departments', sa.Column(f'{kind}_share_pct', sa.Integer(), nullable=True))
        op.add_column('clinic_sessions', sa.Column(f'{kind}_share_pct', sa.Integer(), nullable=True))
        op.add_column('clinic_sessions', sa.Column(f'{kind}_share_open', sa.Boolean(), server_default=sa.false(),
                                                   nullable=False))
    op.add_column('bookings', sa.Column('channel', sa.String(16), nullable=True))
    op.add_column('bookings', sa.Column('referral_code', sa.String(64), nullable=True))
    op.add_column('bookings', sa.Column('share_kind', sa.String(16), nullable=True))
    widen_availability_view(kept_shares_view)


def downgrade() -> None:
    narrow_availability_view(shares_view)
    for col in ('share_kind', 'referral_code', 'channel'):
        op.drop_column('bookings', col)
    for kind in _KINDS:
        op.drop_column('clinic_sessions', f'{kind}_share_open')
        op.drop_column('clinic_sessions', f'{kind}_share_pct')
        op.drop_column('departments', f'{kind}_share_pct')
