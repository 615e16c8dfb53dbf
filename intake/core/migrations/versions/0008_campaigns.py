"""campaigns: each mail and reply is its campaign's; staff hold roles per campaign

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Rows from before this were one campaign's: the one every application names,
# or (no application yet) the only campaign configured, which ``intake db
# upgrade`` passes in as ``campaigns``. A deployment upgraded straight to
# several campaigns with no application yet leaves its old mail without one
# (``intake status`` does not count it; nothing answers it twice).
#
# The duplicate key of a message becomes (campaign, raw bytes): the same mail
# sent to two centres is a message of each. SQLite changes a unique constraint
# only by rebuilding the table (env.py turns foreign keys off around it).


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column('message', sa.Column('campaign', sa.String(length=100), nullable=True))
    op.add_column('outbox_mail', sa.Column('campaign', sa.String(length=100), nullable=True))
    op.add_column('staff_user', sa.Column('provincial', sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        'staff_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('campaign', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name='fk_staff_grant_user'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'campaign', name='uq_staff_grant_user_campaign'),
    )

    earlier = _earlier_campaign(bind)
    op.execute("UPDATE message SET campaign = (SELECT MIN(a.campaign) FROM application a "
               "WHERE a.message_id = message.id)")
    op.execute("UPDATE outbox_mail SET campaign = (SELECT a.campaign FROM application a "
               "WHERE a.id = outbox_mail.application_id) WHERE application_id IS NOT NULL")
    op.execute("UPDATE outbox_mail SET campaign = (SELECT m.campaign FROM message m "
               "WHERE m.id = outbox_mail.source_message_id) WHERE campaign IS NULL")
    if earlier is not None:
        for table in ('message', 'outbox_mail'):
            bind.execute(sa.text(f"UPDATE {table} SET campaign = :name WHERE campaign IS NULL"), {"name": earlier})
    # Each account keeps its role where it had it: in the campaigns it could see.
    seen = [name for (name,) in bind.execute(sa.text("SELECT DISTINCT campaign FROM application"))]
    for name in seen or ([earlier] if earlier else []):
        bind.execute(sa.text("INSERT INTO staff_grant (user_id, campaign, role) SELECT id, :name, role FROM staff_user"),
                     {"name": name})

    if bind.dialect.name == 'sqlite':
        with op.batch_alter_table('message', recreate='always',
                                  naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch_op:
            batch_op.drop_constraint('uq_message_raw_sha256', type_='unique')
            batch_op.create_unique_constraint('uq_message_campaign_raw_sha256', ['campaign', 'raw_sha256'])
            batch_op.create_index('ix_message_campaign_status', ['campaign', 'status'], unique=False)
        with op.batch_alter_table('staff_user') as batch_op:
            batch_op.drop_column('role')
    else:
        op.drop_constraint('message_raw_sha256_key', 'message', type_='unique')
        op.create_unique_constraint('uq_message_campaign_raw_sha256', 'message', ['campaign', 'raw_sha256'])
        op.create_index('ix_message_campaign_status', 'message', ['campaign', 'status'], unique=False)
        op.drop_column('staff_user', 'role')
    op.create_index('ix_outbox_campaign_due', 'outbox_mail', ['campaign', 'status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    # Back to one campaign: each account keeps its highest role; the same mail
    # stored for two campaigns cannot go back (the unique constraint refuses it).
    op.drop_index('ix_outbox_campaign_due', table_name='outbox_mail')
    op.add_column('staff_user', sa.Column('role', sa.String(length=20), nullable=True))
    op.execute("UPDATE staff_user SET role = COALESCE((SELECT MIN(g.role) FROM staff_grant g "
               "WHERE g.user_id = staff_user.id), 'reviewer')")  # 'admin' sorts before 'reviewer'
    op.drop_table('staff_grant')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('message', recreate='always') as batch_op:
            batch_op.drop_index('ix_message_campaign_status')
            batch_op.drop_constraint('uq_message_campaign_raw_sha256', type_='unique')
            batch_op.create_unique_constraint('uq_message_raw_sha256', ['raw_sha256'])
            batch_op.drop_column('campaign')
        with op.batch_alter_table('staff_user') as batch_op:
            batch_op.alter_column('role', nullable=False)
            batch_op.drop_column('provincial')
        with op.batch_alter_table('outbox_mail') as batch_op:
            batch_op.drop_column('campaign')
    else:
        op.drop_index('ix_message_campaign_status', table_name='message')
        op.drop_constraint('uq_message_campaign_raw_sha256', 'message', type_='unique')
        op.create_unique_constraint('message_raw_sha256_key', 'message', ['raw_sha256'])
        op.drop_column('message', 'campaign')
        op.alter_column('staff_user', 'role', nullable=False)
        op.drop_column('staff_user', 'provincial')
        op.drop_column('outbox_mail', 'campaign')


def _earlier_campaign(bind) -> str | None:
    """The one campaign the rows so far belong to, if that is known."""
    named = [name for (name,) in bind.execute(sa.text("SELECT DISTINCT campaign FROM application"))]
    if len(named) == 1:
        return named[0]
    configured = list(op.get_context().config.attributes.get("campaigns") or [])
    return configured[0] if len(configured) == 1 and not named else None
