"""an index on messages (author_id, created_at): the daily prompt count at every start reads today's rows only

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_messages_author_created', 'messages', ['author_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_messages_author_created', table_name='messages')
