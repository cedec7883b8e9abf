"""requests: request fulfilment, approvals, the built-in directory

Catalogue requests (REQ-n) with their timeline; approval decisions, shared by every process
that asks before it acts; the built-in directory's groups, members and password hashes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:25:08.877093
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approval_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('approver', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_decisions')),
    sa.UniqueConstraint('subject_type', 'subject_id', 'approver', name=op.f('uq_approval_decisions_subject_type_subject_id_approver'))
    )
    op.create_table('directory_groups',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_directory_groups'))
    )
    op.create_table('directory_passwords',
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person', name=op.f('pk_directory_passwords'))
    )
    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('requester', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('approvers', sa.Text(), nullable=False),
    sa.Column('approvals_required', sa.Integer(), nullable=False),
    sa.Column('approval_lead', sa.String(length=64), nullable=True),
    sa.Column('fulfil_team', sa.String(length=64), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('task_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_requester_state', ['requester', 'state'], unique=False)
        batch_op.create_index('ix_requests_team_state', ['fulfil_team', 'state'], unique=False)

    op.create_table('directory_members',
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_name'], ['directory_groups.name'], name=op.f('fk_directory_members_group_name_directory_groups')),
    sa.PrimaryKeyConstraint('group_name', 'member', name=op.f('pk_directory_members'))
    )
    op.create_table('request_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_timeline_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_timeline'))
    )
    with op.batch_alter_table('request_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_timeline_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('request_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_timeline_request_id'))

    op.drop_table('request_timeline')
    op.drop_table('directory_members')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_team_state')
        batch_op.drop_index('ix_requests_requester_state')

    op.drop_table('requests')
    op.drop_table('directory_passwords')
    op.drop_table('directory_groups')
    op.drop_table('approval_decisions')
