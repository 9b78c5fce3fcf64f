"""periodic work: when each command last finished without an error

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_run',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_periodic_run'))
    )


def downgrade():
    op.drop_table('periodic_run')
