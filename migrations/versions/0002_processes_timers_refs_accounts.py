"""timers and message references for any subject, platform accounts, subject outbox

Timers and outbox rows name a subject (type and id) instead of an incident; cards and
Slack DM threads move from sent outbox rows to message_refs; people's slack_id and
discord_id move to platform_accounts. Existing data is carried over.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 20:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # People's platform ids → platform_accounts. The ids wait in a staging table while
    # people is rebuilt: on SQLite the rebuild drops the old table, and with foreign keys on
    # (as deskbot's engine sets them) that deletes every platform_accounts row through its
    # ON DELETE CASCADE, so platform_accounts is made only after the rebuild.
    op.create_table('_people_platform_ids',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False)
    )
    for platform, column in (('slack', 'slack_id'), ('discord', 'discord_id')):
        op.execute(
            f"INSERT INTO _people_platform_ids (person_id, platform, user_id) "
            f"SELECT id, '{platform}', {column} FROM people WHERE {column} IS NOT NULL"
        )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint('uq_people_slack_id', type_='unique')
        batch_op.drop_constraint('uq_people_discord_id', type_='unique')
        batch_op.drop_column('slack_id')
        batch_op.drop_column('discord_id')
    op.create_table('platform_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_platform_accounts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_accounts')),
    sa.UniqueConstraint('person_id', 'platform', name=op.f('uq_platform_accounts_person_id_platform')),
    sa.UniqueConstraint('platform', 'user_id', name=op.f('uq_platform_accounts_platform_user_id'))
    )
    op.execute(
        "INSERT INTO platform_accounts (person_id, platform, user_id) "
        "SELECT person_id, platform, user_id FROM _people_platform_ids ORDER BY person_id, platform"
    )
    op.drop_table('_people_platform_ids')

    # Message references: cards (the sent incident_opened post) and Slack DM threads.
    op.create_table('message_refs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_refs')),
    sa.UniqueConstraint('subject_type', 'subject_id', 'platform', 'role', 'person', name=op.f('uq_message_refs_subject_type_subject_id_platform_role_person'))
    )
    with op.batch_alter_table('message_refs', schema=None) as batch_op:
        batch_op.create_index('ix_message_refs_platform_ref', ['platform', 'ref'], unique=False)
    # The first sent card per incident and platform (later duplicates are not cards).
    op.execute(
        "INSERT INTO message_refs (subject_type, subject_id, platform, role, person, ref, created_at) "
        "SELECT 'incident', CAST(o.incident_id AS VARCHAR(64)), o.platform, 'card', '', o.external_ref, "
        "COALESCE(o.sent_at, o.created_at) FROM outbox o "
        "WHERE o.kind = 'incident_opened' AND o.status = 'sent' AND o.external_ref IS NOT NULL "
        "AND o.incident_id IS NOT NULL AND o.id = (SELECT MIN(p.id) FROM outbox p "
        "WHERE p.kind = 'incident_opened' AND p.status = 'sent' AND p.external_ref IS NOT NULL "
        "AND p.incident_id = o.incident_id AND p.platform = o.platform)"
    )
    # The latest DM thread per incident and person.
    op.execute(
        "INSERT INTO message_refs (subject_type, subject_id, platform, role, person, ref, created_at) "
        "SELECT 'incident', CAST(o.incident_id AS VARCHAR(64)), 'slack', 'dm_thread', o.destination, "
        "o.external_ref, o.created_at FROM outbox o "
        "WHERE o.kind = 'slack_dm_thread' AND o.external_ref IS NOT NULL AND o.incident_id IS NOT NULL "
        "AND o.id = (SELECT MAX(p.id) FROM outbox p WHERE p.kind = 'slack_dm_thread' "
        "AND p.external_ref IS NOT NULL AND p.incident_id = o.incident_id "
        "AND p.destination = o.destination)"
    )
    op.execute("DELETE FROM outbox WHERE kind = 'slack_dm_thread'")

    # Outbox rows name their subject, and which message they create or edit.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('creates_ref', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('updates_ref', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE outbox SET subject_type = 'incident', subject_id = CAST(incident_id AS VARCHAR(64)) "
        "WHERE incident_id IS NOT NULL"
    )
    op.execute(
        "UPDATE outbox SET creates_ref = 'card' WHERE kind = 'incident_opened' "
        "AND destination_kind = 'channel' AND incident_id IS NOT NULL"
    )
    op.execute(
        "UPDATE outbox SET updates_ref = 'card' WHERE kind = 'incident_updated' "
        "AND destination_kind = 'channel' AND incident_id IS NOT NULL"
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_incident')
        batch_op.drop_column('incident_id')

    # Timers for any subject.
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE timers SET subject_type = 'incident', subject_id = CAST(incident_id AS VARCHAR(64))"
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.alter_column('subject_type', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index('ix_timers_incident_id')
        batch_op.drop_index('ix_timers_due')
        batch_op.drop_column('incident_id')
        batch_op.create_index('ix_timers_due', ['state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_timers_subject', ['subject_type', 'subject_id', 'state'], unique=False)

    # A team's queue reads in priority order from the index.
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_group_state')
        batch_op.create_index('ix_incidents_group_state', ['assignment_group', 'state', 'priority', 'id'], unique=False)


def downgrade() -> None:
    raise NotImplementedError(
        "0002 moved data into new tables; restore the database from a backup taken before "
        "the upgrade instead of downgrading."
    )
