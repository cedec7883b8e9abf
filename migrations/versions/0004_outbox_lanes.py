"""outbox lanes: claim through an index of the rows still to deliver

The outbox is claimed destination by destination ("lanes") through a partial index of its
pending and sending rows, in place of two indexes over every row ever written.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 06:15:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index('ix_outbox_destination')
        batch_op.create_index(
            'ix_outbox_lane', ['platform', 'destination_kind', 'destination', 'id'],
            unique=False, sqlite_where=ACTIVE, postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_lane')
        batch_op.create_index(
            'ix_outbox_destination', ['platform', 'destination_kind', 'destination', 'status'],
            unique=False,
        )
        batch_op.create_index(
            'ix_outbox_due', ['status', 'platform', 'next_attempt_at'], unique=False
        )
