"""replies per message: lateness of an application's latest version, possible duplicates

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Plain ADD COLUMN on both backends (see 0002 for why not batch mode). An
# existing application's latest version is its current message, so its
# ``latest_is_late`` is that message's own flag.


def upgrade() -> None:
    op.add_column('application', sa.Column('latest_is_late', sa.Boolean(), server_default=sa.false(),
                                           nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot add a constraint to a table, only a column that carries one.
        op.execute('ALTER TABLE application ADD COLUMN possible_duplicate_of_id INTEGER'
                   ' CONSTRAINT fk_application_possible_duplicate REFERENCES application (id)')
    else:
        op.add_column('application', sa.Column('possible_duplicate_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_application_possible_duplicate', 'application', 'application',
                              ['possible_duplicate_of_id'], ['id'])
    op.create_index('ix_application_possible_duplicate', 'application', ['possible_duplicate_of_id'])
    application = sa.table('application', sa.column('message_id', sa.Integer()),
                           sa.column('latest_is_late', sa.Boolean()))
    message = sa.table('message', sa.column('id', sa.Integer()), sa.column('is_late', sa.Boolean()))
    op.get_bind().execute(
        application.update().values(
            latest_is_late=sa.select(message.c.is_late).where(message.c.id == application.c.message_id)
            .scalar_subquery()
        )
    )


def downgrade() -> None:
    op.drop_index('ix_application_possible_duplicate', table_name='application')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_application_possible_duplicate', 'application', type_='foreignkey')
    op.drop_column('application', 'possible_duplicate_of_id')
    op.drop_column('application', 'latest_is_late')
