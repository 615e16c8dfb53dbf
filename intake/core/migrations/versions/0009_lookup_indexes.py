"""lookup indexes: the worker's per-mail lookups read an index, not a whole table

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-21 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Lookups made for every mail read every row of a table (or of a campaign),
# so a poll that answered a thousand mails read about a million rows:
# - a fetched mail is looked up among its campaign's by its Message-ID (a
#   re-delivered copy): the Message-ID index becomes (campaign, Message-ID);
# - each reply queued first counts the replies its address got in the last
#   24 hours (the loop and flood guard), by the address in lower case: an
#   index on that expression (both backends index expressions);
# - each reply is decided from the versions its mail made: an index on
#   application_version.message_id.


def upgrade() -> None:
    op.drop_index('ix_message_message_id_header', table_name='message')
    op.create_index('ix_message_campaign_message_id', 'message', ['campaign', 'message_id_header'])
    op.create_index('ix_outbox_recipient_created', 'outbox_mail', [sa.text('lower(to_address)'), 'created_at'])
    op.create_index('ix_application_version_message_id', 'application_version', ['message_id'])


def downgrade() -> None:
    op.drop_index('ix_application_version_message_id', table_name='application_version')
    op.drop_index('ix_outbox_recipient_created', table_name='outbox_mail')
    op.drop_index('ix_message_campaign_message_id', table_name='message')
    op.create_index('ix_message_message_id_header', 'message', ['message_id_header'])
