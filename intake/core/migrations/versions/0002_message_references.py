"""message references header

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Plain ALTER TABLE on both backends, no batch mode: a batch rebuild on SQLite
# drops and re-creates ``message``, which the foreign keys from attachment,
# mailbox_entry, application and outbox_mail refuse once rows exist. A constant
# server default lets SQLite add the NOT NULL column in place, and gives every
# existing message an empty list. DROP COLUMN needs SQLite 3.35 or later.


def upgrade() -> None:
    op.add_column('message', sa.Column('references_header', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    op.drop_column('message', 'references_header')
