"""chats.revision, raised by the database on every change of a chat, its messages or its versions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vzero.store.revisions import create_triggers, drop_triggers

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('chats', sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
    create_triggers(op.get_bind())


def downgrade() -> None:
    drop_triggers(op.get_bind())
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('revision')
