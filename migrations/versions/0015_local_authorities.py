"""local authorities: a district's county council

Every local authority in England is loaded from the shipped list by ``accreditation db
upgrade`` (not here: the list changes more often than the schema). A district names its county
council (council.county_id).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_council_county_id'), ['county_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_council_county_id_council'), 'council',
                                    ['county_id'], ['id'])


def downgrade():
    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_council_county_id_council'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_council_county_id'))
        batch_op.drop_column('county_id')
