"""reminders: one row per recipient, deadline and offset, recorded before the reminder is queued

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from intake.core.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sent_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign', sa.String(100), nullable=False),
        sa.Column('recipient', sa.String(320), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('offset_days', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(20), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['message.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign', 'recipient', 'deadline', 'offset_days'),
    )


def downgrade() -> None:
    op.drop_table('sent_reminder')
