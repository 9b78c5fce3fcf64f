"""refusals anyone can repeat: counted outside the audit chain

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_repeat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('route', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=110), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_repeat'))
    )
    with op.batch_alter_table('audit_repeat', schema=None) as batch_op:
        batch_op.create_index('ix_audit_repeat_client_action_first_at',
                              ['client', 'action', 'first_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_repeat_first_at'), ['first_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_repeat_last_at'), ['last_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_repeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_repeat_last_at'))
        batch_op.drop_index(batch_op.f('ix_audit_repeat_first_at'))
        batch_op.drop_index('ix_audit_repeat_client_action_first_at')

    op.drop_table('audit_repeat')
