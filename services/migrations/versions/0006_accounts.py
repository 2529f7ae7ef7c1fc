"""accounts: database accounts by job, secrets out of app_settings, log-in throttle per workstation

Revision ID: 0006_accounts
Revises: 0003_desk
Create Date: 2026-11-27 09:00:00

- db_accounts: the accounts `regdesk db grant` created for this database and their job (miniprogram,
  desk, jobs); `db upgrade` grants each of them again what new tables need.
- secrets: the WeChat AppSecret and the cached access token (and its refresh lease), moved out of
  app_settings; only the jobs account may read them. View secret_state says whether each is set.
- login_throttle: failed log-ins per username and workstation (services/login.py); replaces the
  account-wide lock (staff.failed_logins and staff.locked_until are no longer used; they stay because
  recreating the staff table on SQLite would cascade-delete staff_departments).
- PostgreSQL and MySQL/MariaDB: the mini-program guard on bookings, SECURITY DEFINER trigger functions
  and the secret setter (helpers.create_account_guards).
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.columns import expiring_value_columns, required_strings
from services.migrations.helpers import SECRET_STATE_VIEW, create_account_guards, drop_account_guards

revision = '0006_accounts'
down_revision = '0003_desk'
branch_labels = None
depends_on = None

# app_settings keys that move to secrets (the names stay)
MOVED = ('wechat.secret', 'wechat_token', 'wechat_token_lock')
_COLS = ('value', 'expires_at', 'updated_at')
# `key` is a reserved word on MySQL: Core statements quote it
_settings = sa.table('app_settings', sa.column('key'), *(sa.column(c) for c in _COLS))
_secrets = sa.table('secrets', sa.column('name'), *(sa.column(c) for c in _COLS))


def _move(source, source_key, target, target_key: str) -> None:
    rows = sa.select(source_key, *(source.c[c] for c in _COLS)).where(source_key.in_(MOVED))
    op.execute(target.insert().from_select([target_key, *_COLS], rows))
    op.execute(source.delete().where(source_key.in_(MOVED)))


def upgrade() -> None:
    op.create_table('db_accounts',
    *required_strings(name=64, role=16),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('granted_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint("role IN ('miniprogram', 'desk', 'jobs')", name='ck_db_accounts_role'),
    sa.PrimaryKeyConstraint('name')
    )
    secrets = op.create_table('secrets',
    sa.Column('name', sa.String(length=64), nullable=False),
    *expiring_value_columns(),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('login_throttle',
    *required_strings(username=64, workstation=64),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('next_allowed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('username', 'workstation')
    )
    op.create_index('ix_login_throttle_last_failure', 'login_throttle', ['last_failure_at'])
    _move(_settings, _settings.c.key, _secrets, 'name')
    have = set(op.get_bind().execute(sa.text("SELECT name FROM secrets")).scalars())
    # every row exists from now on: the setter and the token lease only ever UPDATE
    op.bulk_insert(secrets, [{'name': k} for k in MOVED if k not in have])
    op.execute(SECRET_STATE_VIEW)
    create_account_guards()


def downgrade() -> None:
    drop_account_guards()
    op.execute("DROP VIEW IF EXISTS secret_state")
    op.execute(_settings.delete().where(_settings.c.key.in_(MOVED)))
    _move(_secrets, _secrets.c.name, _settings, 'key')
    op.drop_index('ix_login_throttle_last_failure', table_name='login_throttle')
    op.drop_table('login_throttle')
    op.drop_table('secrets')
    op.drop_table('db_accounts')
