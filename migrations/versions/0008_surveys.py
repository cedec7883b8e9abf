"""surveys: one satisfaction question per closed incident or fulfilled request

The score (1–5) and comment, kept per ticket, agent and team for the metrics.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:09:46.141801
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_type', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_key', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('ticket_type', 'ticket_id', name=op.f('uq_surveys_ticket_type_ticket_id'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_agent_answered', ['agent', 'answered_at'], unique=False)
        batch_op.create_index('ix_surveys_team_answered', ['team', 'answered_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_team_answered')
        batch_op.drop_index('ix_surveys_agent_answered')

    op.drop_table('surveys')
