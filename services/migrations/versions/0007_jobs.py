"""jobs: the job service's leases and heartbeats, the hospital's time zone

Revision ID: 0007_jobs
Revises: 0006_accounts
Create Date: 2026-12-02 02:00:00

- job_leases: one row per background job; the `regdesk jobs` process holding an unexpired lease
  acts for that job (services/jobs/leases.py).
- job_runners: each `regdesk jobs` process's heartbeat: host, pid, version, jobs, last round, last
  error (the console's 后台服务 view).
- app_settings 'hospital.timezone' = Asia/Shanghai: the hospital's clock (services/clock.py).
Both tables are regdesk's own; the mini-program's account gets nothing on them.
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.columns import required_strings

revision = '0007_jobs'
down_revision = '0006_accounts'
branch_labels = None
depends_on = None

_settings = sa.table('app_settings', sa.column('key'), sa.column('value'))


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('job', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('acquired_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('job')
    )
    op.create_table('job_runners',
    *required_strings(id=100, host=255),
    sa.Column('pid', sa.Integer(), nullable=False),
    *required_strings(version=32, jobs=200),
    sa.Column('acting', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('beat_at', sa.DateTime(), nullable=False),
    sa.Column('last_round_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    have = op.get_bind().execute(sa.select(_settings.c.key).where(_settings.c.key == 'hospital.timezone')).first()
    if have is None:
        op.execute(_settings.insert().values(key='hospital.timezone', value='Asia/Shanghai'))


def downgrade() -> None:
    op.execute(_settings.delete().where(_settings.c.key == 'hospital.timezone'))
    op.drop_table('job_runners')
    op.drop_table('job_leases')
