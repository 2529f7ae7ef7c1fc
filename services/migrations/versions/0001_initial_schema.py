"""initial schema: the contract tables, the slot_availability view, regdesk's own tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 08:40:46.302193
"""
import sqlalchemy as sa
from alembic import op

from services.migrations.columns import (
    active_column,
    created_column,
    expiring_value_columns,
    id_column,
    log_id_column,
    optional_strings,
    required_ints,
    required_strings,
    span_columns,
)
from services.migrations.helpers import create_availability_view, drop_availability_view, utcnow

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    *expiring_value_columns(),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('audit_log',
    log_id_column(),
    sa.Column('at', sa.DateTime(), server_default=utcnow(), nullable=False),
    *required_strings(actor_kind=16, actor=100, action=32, entity=16, entity_id=64),
    sa.Column('detail', sa.Text(), nullable=True),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('change_log',
    log_id_column(),
    *required_strings(entity=16, entity_id=64, op=8),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('changed_at', sa.DateTime(), server_default=utcnow(), nullable=False),
    )
    op.create_table('hospitals',
    id_column(),
    sa.Column('name', sa.String(length=200), nullable=False),
    *optional_strings(address=300, phone=50),
    active_column(),
    sa.UniqueConstraint('name')
    )
    op.create_table('patients',
    id_column(),
    sa.Column('openid', sa.String(length=64), nullable=True),
    *required_strings(name=100, gender=1),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('id_card', sa.String(length=32), nullable=True),
    created_column(),
    sa.CheckConstraint("gender IN ('M', 'F', 'U')", name='ck_patients_gender'),
    sa.UniqueConstraint('openid')
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_name', ['name'], unique=False)
        batch_op.create_index('ix_patients_phone', ['phone'], unique=False)

    op.create_table('rules',
    *required_strings(key=64, value=500),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('staff',
    id_column(),
    *required_strings(username=64, display_name=100, password_hash=255, role=16),
    active_column(),
    sa.Column('failed_logins', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    created_column(),
    sa.CheckConstraint("role IN ('clerk', 'head', 'admin')", name='ck_staff_role'),
    sa.UniqueConstraint('username')
    )
    op.create_table('departments',
    id_column(),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    *required_strings(code=32, name=100),
    active_column(),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], ),
    sa.UniqueConstraint('hospital_id', 'code', name='uq_departments_hospital_code')
    )
    op.create_table('doctors',
    id_column(),
    sa.Column('department_id', sa.Integer(), nullable=False),
    *required_strings(name=100, title=50),
    sa.Column('specialty', sa.String(length=300), nullable=True),
    sa.Column('fee', sa.Numeric(precision=8, scale=2), nullable=False),
    active_column(),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    )
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctors_department_id'), ['department_id'], unique=False)

    op.create_table('staff_departments',
    *required_ints('staff_id', 'department_id'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'department_id')
    )
    op.create_table('clinic_sessions',
    id_column(),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    *span_columns(),
    sa.Column('status', sa.String(length=16), server_default=sa.text("'draft'"), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('rostered_doctor_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("period IN ('am', 'pm', 'evening')", name='ck_sessions_period'),
    sa.CheckConstraint("status IN ('draft', 'published', 'stopped')", name='ck_sessions_status'),
    sa.CheckConstraint('ends_at > starts_at', name='ck_sessions_times'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], ),
    sa.ForeignKeyConstraint(['rostered_doctor_id'], ['doctors.id'], ),
    sa.UniqueConstraint('rostered_doctor_id', 'day', 'period', name='uq_sessions_rostered')
    )
    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_day_doctor', ['day', 'doctor_id'], unique=False)

    op.create_table('roster_templates',
    id_column(),
    *required_ints('doctor_id', 'weekday'),
    sa.Column('period', sa.String(length=8), nullable=False),
    *span_columns(),
    *required_ints('slot_minutes', 'capacity_per_slot'),
    active_column(),
    sa.CheckConstraint("period IN ('am', 'pm', 'evening')", name='ck_templates_period'),
    sa.CheckConstraint('capacity_per_slot > 0', name='ck_templates_capacity'),
    sa.CheckConstraint('ends_at > starts_at', name='ck_templates_times'),
    sa.CheckConstraint('slot_minutes > 0', name='ck_templates_slot_minutes'),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name='ck_templates_weekday'),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], ),
    sa.UniqueConstraint('doctor_id', 'weekday', 'period', name='uq_templates_doctor_weekday_period')
    )
    op.create_table('slots',
    id_column(),
    sa.Column('session_id', sa.Integer(), nullable=False),
    *span_columns(),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name='ck_slots_capacity'),
    sa.CheckConstraint('ends_at > starts_at', name='ck_slots_times'),
    sa.ForeignKeyConstraint(['session_id'], ['clinic_sessions.id'], ),
    sa.UniqueConstraint('session_id', 'starts_at', name='uq_slots_session_start')
    )
    op.create_table('bookings',
    id_column(),
    *required_ints('slot_id', 'patient_id'),
    *required_strings(status=16, source=16),
    sa.Column('reason', sa.String(length=500), nullable=True),
    created_column(),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("source IN ('miniprogram', 'desk')", name='ck_bookings_source'),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'rejected', 'full', 'cancelled', 'stopped', 'checked_in', 'no_show')", name='ck_bookings_status'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], ),
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_patient', ['patient_id', 'status'], unique=False)
        batch_op.create_index('ix_bookings_slot_status', ['slot_id', 'status'], unique=False)
        batch_op.create_index('ix_bookings_status_id', ['status', 'id'], unique=False)

    op.create_table('notifications',
    log_id_column(),
    *required_ints('booking_id', 'patient_id'),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), server_default=sa.text("'waiting'"), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), server_default=utcnow(), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    created_column(),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_booking', ['booking_id'], unique=False)
        batch_op.create_index('ix_notifications_due', ['state', 'next_attempt_at'], unique=False)

    create_availability_view()


def downgrade() -> None:
    drop_availability_view()
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_due')
        batch_op.drop_index('ix_notifications_booking')

    op.drop_table('notifications')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_status_id')
        batch_op.drop_index('ix_bookings_slot_status')
        batch_op.drop_index('ix_bookings_patient')

    op.drop_table('bookings')
    op.drop_table('slots')
    op.drop_table('roster_templates')
    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_day_doctor')

    op.drop_table('clinic_sessions')
    op.drop_table('staff_departments')
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctors_department_id'))

    op.drop_table('doctors')
    op.drop_table('departments')
    op.drop_table('staff')
    op.drop_table('rules')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_phone')
        batch_op.drop_index('ix_patients_name')

    op.drop_table('patients')
    op.drop_table('hospitals')
    op.drop_table('change_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('audit_log')
    op.drop_table('app_settings')
