"""password resets: the flows and every attempt on them

One row per reset flow (secrets hashed: the link's token, the code, the browser that
opened it) and its events (who, when, what happened; never a secret).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:54:00.180996
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('browser_hash', sa.String(length=64), nullable=True),
    sa.Column('code_hash', sa.String(length=200), nullable=True),
    sa.Column('wrong_codes', sa.Integer(), nullable=False),
    sa.Column('started_via', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index('ix_password_resets_person_started', ['person', 'started_at'], unique=False)

    op.create_table('password_reset_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reset_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reset_id'], ['password_resets.id'], name=op.f('fk_password_reset_events_reset_id_password_resets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_events'))
    )
    with op.batch_alter_table('password_reset_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_events_reset_id'), ['reset_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('password_reset_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_events_reset_id'))

    op.drop_table('password_reset_events')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index('ix_password_resets_person_started')

    op.drop_table('password_resets')
