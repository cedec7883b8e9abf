"""access: time-bound grants (ACC-n) with their steps, access reviews and the periodic
jobs (reconciliation, scheduled reviews)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:31:23.839178
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('group_name', sa.String(length=128), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('ending', sa.String(length=16), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('approvers', sa.Text(), nullable=False),
    sa.Column('approvals_required', sa.Integer(), nullable=False),
    sa.Column('break_glass', sa.Boolean(), nullable=False),
    sa.Column('was_member', sa.Boolean(), nullable=False),
    sa.Column('renewal_of', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grants'))
    )
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.create_index('ix_access_grants_person_state', ['person', 'state'], unique=False)
        batch_op.create_index('ix_access_grants_resource_state', ['resource', 'state'], unique=False)

    op.create_table('access_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=16), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_jobs')),
    sa.UniqueConstraint('job', 'resource', name=op.f('uq_access_jobs_job_resource'))
    )
    op.create_table('access_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_reviews'))
    )
    with op.batch_alter_table('access_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_access_reviews_resource_state', ['resource', 'state'], unique=False)

    op.create_table('access_review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grants.id'], name=op.f('fk_access_review_items_grant_id_access_grants')),
    sa.ForeignKeyConstraint(['review_id'], ['access_reviews.id'], name=op.f('fk_access_review_items_review_id_access_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_review_items')),
    sa.UniqueConstraint('review_id', 'grant_id', name=op.f('uq_access_review_items_review_id_grant_id'))
    )
    with op.batch_alter_table('access_review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_review_items_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_review_items_review_id'), ['review_id'], unique=False)

    op.create_table('access_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grants.id'], name=op.f('fk_access_timeline_grant_id_access_grants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_timeline'))
    )
    with op.batch_alter_table('access_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_timeline_grant_id'), ['grant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('access_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_timeline_grant_id'))

    op.drop_table('access_timeline')
    with op.batch_alter_table('access_review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_review_items_review_id'))
        batch_op.drop_index(batch_op.f('ix_access_review_items_grant_id'))

    op.drop_table('access_review_items')
    with op.batch_alter_table('access_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_access_reviews_resource_state')

    op.drop_table('access_reviews')
    op.drop_table('access_jobs')
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_access_grants_resource_state')
        batch_op.drop_index('ix_access_grants_person_state')

    op.drop_table('access_grants')
