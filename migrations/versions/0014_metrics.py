"""metrics: the weekly digest's job, and the indexes reports read incidents and their
timelines by

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metrics_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=16), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics_jobs')),
    sa.UniqueConstraint('job', name=op.f('uq_metrics_jobs_job'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_opened_at', ['opened_at'], unique=False)
        batch_op.create_index('ix_incidents_first_response_at', ['first_response_at'], unique=False)
        batch_op.create_index('ix_incidents_resolved_at', ['resolved_at'], unique=False)

    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_entries_kind_incident', ['kind', 'incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_entries_kind_incident')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_resolved_at')
        batch_op.drop_index('ix_incidents_first_response_at')
        batch_op.drop_index('ix_incidents_opened_at')

    op.drop_table('metrics_jobs')
