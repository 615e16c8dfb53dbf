"""review app: staff accounts, audit log, queue columns and optimistic concurrency

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 22:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

from intake.core.models import StatusType, UTCDateTime, search_text
from intake.core.statuses import StaffRole

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Plain ADD COLUMN on both backends (see 0002 for why not batch mode). The
# copied queue columns of existing applications are filled from their JSON
# fields and first message by the UPDATEs below.
QUEUE_COLUMNS = [
    sa.Column('received_at', UTCDateTime(), nullable=True),
    sa.Column('employer', sa.String(200), nullable=True),
    sa.Column('county', sa.String(40), nullable=True),
    sa.Column('mobile', sa.String(40), nullable=True),
    sa.Column('email', sa.String(320), nullable=True),
    sa.Column('review_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('confirmed_fields', sa.JSON(), server_default='[]', nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(64), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
]
QUEUE_INDEXES = [
    ('ix_application_queue', ['campaign', 'received_at', 'id']),
    ('ix_application_status_queue', ['campaign', 'status', 'received_at', 'id']),
    ('ix_application_county', ['campaign', 'county']),
    ('ix_application_mobile', ['campaign', 'mobile']),
    ('ix_application_email', ['campaign', 'email']),
    ('ix_application_name', ['campaign', 'name']),
    ('ix_application_employer', ['campaign', 'employer']),
    ('ix_application_figures', ['campaign', 'county', 'status', 'is_late', 'review_count']),
]


def upgrade() -> None:
    for column in QUEUE_COLUMNS:
        op.add_column('application', column)
    for name, columns in QUEUE_INDEXES:
        op.create_index(name, 'application', columns)
    op.create_index('ix_message_status', 'message', ['status'])
    op.create_table(
        'application_search',
        sa.Column('application_id', sa.Integer(), sa.ForeignKey('application.id'), primary_key=True),
        sa.Column('campaign', sa.String(100), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
    )
    op.create_index('ix_application_search_campaign', 'application_search', ['campaign'])
    _fill_queue_columns()
    op.create_table(
        'staff_user',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('username', sa.String(64), nullable=False, unique=True),
        sa.Column('password_hash', sa.String(255), nullable=False),
        sa.Column('role', StatusType(StaffRole), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_login_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('action', sa.String(40), nullable=False),
        sa.Column('application_id', sa.Integer(), sa.ForeignKey('application.id'), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('address', sa.String(64), nullable=True),
    )
    op.create_index('ix_audit_at', 'audit_entry', ['at'])
    op.create_index('ix_audit_action_at', 'audit_entry', ['action', 'at'])
    op.create_index('ix_audit_application', 'audit_entry', ['application_id'])
    op.create_index('ix_audit_username_at', 'audit_entry', ['username', 'at'])


def _fill_queue_columns() -> None:
    connection = op.get_bind()
    application = sa.table(
        'application', sa.column('id', sa.Integer()), sa.column('message_id', sa.Integer()),
        sa.column('fields', sa.JSON()), sa.column('needs_review', sa.JSON()),
        sa.column('received_at', UTCDateTime()), sa.column('employer', sa.String()),
        sa.column('county', sa.String()), sa.column('mobile', sa.String()), sa.column('email', sa.String()),
        sa.column('review_count', sa.Integer()), sa.column('campaign', sa.String()),
        sa.column('reference', sa.String()), sa.column('name', sa.String()), sa.column('id_number', sa.String()),
    )
    message = sa.table('message', sa.column('id', sa.Integer()), sa.column('received_at', UTCDateTime()))
    search = sa.table('application_search', sa.column('application_id', sa.Integer()),
                      sa.column('campaign', sa.String()), sa.column('text', sa.Text()))
    rows = connection.execute(
        sa.select(application.c.id, application.c.fields, application.c.needs_review, message.c.received_at,
                  application.c.campaign, application.c.reference, application.c.name, application.c.id_number)
        .join(message, message.c.id == application.c.message_id)
    ).all()
    for row in rows:
        fields = row.fields or {}

        def text(key, limit):
            value = fields.get(key)
            return str(value)[:limit] if value not in (None, "", []) else None

        connection.execute(
            application.update().where(application.c.id == row.id).values(
                received_at=row.received_at, employer=text('employer', 200), county=text('county', 40),
                mobile=text('mobile', 40), email=(text('email', 320) or '').lower() or None,
                review_count=len(row.needs_review or []),
            )
        )
        connection.execute(search.insert().values(
            application_id=row.id, campaign=row.campaign,
            text=search_text(row.reference, row.name, text('employer', 200), (text('email', 320) or '').lower() or None,
                             text('mobile', 40), row.id_number),
        ))


def downgrade() -> None:
    for name in ('ix_audit_username_at', 'ix_audit_application', 'ix_audit_action_at', 'ix_audit_at'):
        op.drop_index(name, table_name='audit_entry')
    op.drop_table('audit_entry')
    op.drop_index('ix_application_search_campaign', table_name='application_search')
    op.drop_table('application_search')
    op.drop_table('staff_user')
    op.drop_index('ix_message_status', table_name='message')
    for name, _ in reversed(QUEUE_INDEXES):
        op.drop_index(name, table_name='application')
    for column in reversed(QUEUE_COLUMNS):
        op.drop_column('application', column.name)
