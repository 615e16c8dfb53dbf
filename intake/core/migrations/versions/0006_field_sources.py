"""field sources: where on the original each field was read, per application and per version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Plain ADD COLUMN on both backends (see 0002 for why not batch mode). The
# constant server default lets SQLite add the NOT NULL column in place and
# gives every application read before this an empty map: the review app shows
# "无来源框" for it, as it did before.


def upgrade() -> None:
    for table in ('application', 'application_version'):
        op.add_column(table, sa.Column('field_sources', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    for table in ('application_version', 'application'):
        op.drop_column(table, 'field_sources')
