"""incident measures: each incident keeps its time to respond and to resolve, its reopens
and its team changes, and each request its time to approval, so reports add numbers
instead of reading instants and timelines; and the failed deliveries' index the /metrics
scrape counts by

The upgrade derives the measures of the incidents already stored from their instants,
paused time and timeline, exactly as the incident process now writes them
(domain/incidents/measures.py; tests/metrics/test_measures.py runs both and compares).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

FAILED = sa.text("status = 'failed'")


def seconds(dialect: str, start: str, end: str) -> str:
    """SQL for `end` − `start` in seconds, to the millisecond."""
    if dialect == 'sqlite':
        return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"
    return f"round(CAST(extract(epoch FROM ({end} - {start})) AS NUMERIC), 3)"


def backfill_statements(dialect: str) -> list[str]:
    """The UPDATEs that give stored incidents their measures (also run by the tests)."""
    response = seconds(dialect, 'opened_at', 'first_response_at')
    resolution = seconds(dialect, 'opened_at', 'resolved_at')
    approval = seconds(dialect, 'opened_at', 'approved_at')
    return [
        f"UPDATE requests SET approval_seconds = {approval} "
        "WHERE approved_at IS NOT NULL AND approvers != ''",
        f"UPDATE incidents SET response_seconds = {response} "
        "WHERE first_response_at IS NOT NULL",
        f"UPDATE incidents SET resolution_seconds = {resolution} - paused_seconds "
        "WHERE resolved_at IS NOT NULL",
        "UPDATE incidents SET reopen_count = (SELECT count(*) FROM timeline_entries t "
        "WHERE t.incident_id = incidents.id AND t.kind = 'reopened') "
        "WHERE id IN (SELECT incident_id FROM timeline_entries WHERE kind = 'reopened')",
        "UPDATE incidents SET team_changes = (SELECT count(*) FROM timeline_entries t "
        "WHERE t.incident_id = incidents.id AND t.kind = 'assigned' "
        "AND t.text LIKE 'Assigned to team %') "
        "WHERE id IN (SELECT incident_id FROM timeline_entries "
        "WHERE kind = 'assigned' AND text LIKE 'Assigned to team %')",
    ]


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('resolution_seconds', sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('team_changes', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_seconds', sa.Float(), nullable=True))
    for statement in backfill_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(
            'ix_incidents_response', ['response_seconds', 'first_response_at'], unique=False
        )
        batch_op.create_index(
            'ix_incidents_resolution', ['resolution_seconds', 'resolved_at'], unique=False
        )
        # The windows' indexes carry the measure too (0014 made them on the instant alone).
        batch_op.drop_index('ix_incidents_first_response_at')
        batch_op.drop_index('ix_incidents_resolved_at')
        batch_op.create_index(
            'ix_incidents_first_response_at', ['first_response_at', 'response_seconds'],
            unique=False,
        )
        batch_op.create_index(
            'ix_incidents_resolved_at',
            ['resolved_at', 'resolution_seconds', 'reopen_count', 'team_changes',
             'escalation_level'],
            unique=False,
        )
        batch_op.create_index(
            'ix_incidents_priority_opened',
            ['priority', 'opened_at', 'state', 'respond_breached', 'resolve_breached',
             'response_seconds', 'resolution_seconds', 'escalation_level', 'team_changes'],
            unique=False,
        )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_opened_at', ['opened_at'], unique=False)
        batch_op.create_index('ix_requests_state_closed', ['state', 'closed_at'], unique=False)
        batch_op.create_index(
            'ix_requests_approved_at', ['approved_at', 'approval_seconds'], unique=False
        )
        batch_op.create_index(
            'ix_requests_approval', ['approval_seconds', 'approved_at'], unique=False
        )
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.create_index('ix_access_grants_approved_at', ['approved_at'], unique=False)
        batch_op.create_index(
            'ix_access_grants_state_ended', ['state', 'ended_at'], unique=False
        )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_asked_at', ['asked_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_failed', ['platform'], unique=False,
            sqlite_where=FAILED, postgresql_where=FAILED,
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_failed')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_asked_at')
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_access_grants_state_ended')
        batch_op.drop_index('ix_access_grants_approved_at')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_approval')
        batch_op.drop_index('ix_requests_approved_at')
        batch_op.drop_index('ix_requests_state_closed')
        batch_op.drop_index('ix_requests_opened_at')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_priority_opened')
        batch_op.drop_index('ix_incidents_resolved_at')
        batch_op.drop_index('ix_incidents_first_response_at')
        batch_op.create_index('ix_incidents_resolved_at', ['resolved_at'], unique=False)
        batch_op.create_index(
            'ix_incidents_first_response_at', ['first_response_at'], unique=False
        )
        batch_op.drop_index('ix_incidents_resolution')
        batch_op.drop_index('ix_incidents_response')
        batch_op.drop_column('team_changes')
        batch_op.drop_column('reopen_count')
        batch_op.drop_column('resolution_seconds')
        batch_op.drop_column('response_seconds')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_column('approval_seconds')
