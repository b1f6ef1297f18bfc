"""tools and skills: messages.turns (a reply's tool rounds), messages.task (a resolved task), memory skills

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vzero.store.revisions import create_triggers, drop_triggers

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of the table on SQLite would drop its revision triggers.
    op.add_column('messages', sa.Column('turns', sa.JSON(), nullable=True))
    op.add_column('messages', sa.Column('task', sa.JSON(), nullable=True))
    op.create_table(
        'skills',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('owner_id', sa.String(length=32), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('owner_id', 'scope', 'name'),
    )
    op.create_index('ix_skills_owner_id', 'skills', ['owner_id'])
    op.create_index('ix_skills_team_id', 'skills', ['team_id'])


def downgrade() -> None:
    op.drop_index('ix_skills_team_id', table_name='skills')
    op.drop_index('ix_skills_owner_id', table_name='skills')
    op.drop_table('skills')
    drop_triggers(op.get_bind())
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('task')
        batch_op.drop_column('turns')
    create_triggers(op.get_bind())
