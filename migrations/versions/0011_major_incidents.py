"""major incidents: the major incident beside its incident, roles, status updates,
timeline marks from chat, action items (ACT-n) and the kept review

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:19:08.183969
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('major_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.String(length=4), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('impact', sa.Text(), nullable=False),
    sa.Column('room_name', sa.String(length=80), nullable=False),
    sa.Column('declared_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_update_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mitigated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cadence_level', sa.Integer(), nullable=False),
    sa.Column('review', sa.Text(), nullable=True),
    sa.Column('review_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['id'], ['incidents.id'], name=op.f('fk_major_incidents_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_incidents'))
    )
    with op.batch_alter_table('major_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_major_incidents_state', ['state'], unique=False)

    op.create_table('major_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('major_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['major_id'], ['major_incidents.id'], name=op.f('fk_major_actions_major_id_major_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_actions'))
    )
    with op.batch_alter_table('major_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_actions_major_id'), ['major_id'], unique=False)
        batch_op.create_index('ix_major_actions_owner_state', ['owner', 'state'], unique=False)

    op.create_table('major_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('major_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['major_id'], ['major_incidents.id'], name=op.f('fk_major_marks_major_id_major_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_marks')),
    sa.UniqueConstraint('major_id', 'source', name='uq_major_marks_source')
    )
    op.create_table('major_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('major_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('given_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['major_id'], ['major_incidents.id'], name=op.f('fk_major_roles_major_id_major_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_roles'))
    )
    with op.batch_alter_table('major_roles', schema=None) as batch_op:
        batch_op.create_index('ix_major_roles_major', ['major_id', 'until'], unique=False)

    op.create_table('major_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('major_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('impact', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['major_id'], ['major_incidents.id'], name=op.f('fk_major_updates_major_id_major_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_updates'))
    )
    with op.batch_alter_table('major_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_updates_major_id'), ['major_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('major_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_major_updates_major_id'))

    op.drop_table('major_updates')
    with op.batch_alter_table('major_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_major_roles_major')

    op.drop_table('major_roles')
    op.drop_table('major_marks')
    with op.batch_alter_table('major_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_major_actions_owner_state')
        batch_op.drop_index(batch_op.f('ix_major_actions_major_id'))

    op.drop_table('major_actions')
    with op.batch_alter_table('major_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_major_incidents_state')

    op.drop_table('major_incidents')
