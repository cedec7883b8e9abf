"""durable inbound work: acknowledged interactions stored before their acknowledgement

inbound_work holds each acknowledged slash command, button, form and DM until it is done,
so another process can take over what a dead replica left; inbound_events keeps what a
command answered, so a replay can still tell the person.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 05:22:36
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('delivery', sa.String(length=160), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reply_token', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_work')),
    sa.UniqueConstraint('platform', 'delivery', name=op.f('uq_inbound_work_platform_delivery'))
    )
    with op.batch_alter_table('inbound_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_work_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_work_state_lease_until_id'), ['state', 'lease_until', 'id'], unique=False)

    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.drop_column('reply')

    with op.batch_alter_table('inbound_work', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_work_state_lease_until_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_work_finished_at'))

    op.drop_table('inbound_work')
