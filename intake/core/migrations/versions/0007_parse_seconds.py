"""parse seconds: how long each attachment's parse took, for the operations figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Plain ADD COLUMN on both backends (see 0002 for why not batch mode). Nullable
# with no default: an attachment parsed before this, or never parsed (not a
# document), has no time, and the figures count only the times they have.


def upgrade() -> None:
    op.add_column('attachment', sa.Column('parse_seconds', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('attachment', 'parse_seconds')
