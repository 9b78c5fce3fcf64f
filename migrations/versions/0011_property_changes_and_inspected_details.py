"""changes to accredited properties wait for approval; inspections keep the property as inspected

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The tables as this migration knows them.
assessment = sa.table('assessment', sa.column('id', sa.Integer),
                      sa.column('kind', sa.String), sa.column('property_id', sa.Integer),
                      sa.column('property_details', sa.JSON))
home = sa.table('property', *(sa.column(name) for name in (
    'id', 'name', 'address_line_1', 'address_line_2', 'town', 'postcode', 'local_authority_id',
    'category', 'bed_spaces', 'age_min', 'age_max', 'who_for')))
council = sa.table('council', sa.column('id', sa.Integer), sa.column('name', sa.String))


def _keep_inspected_details() -> None:
    """Inspections recorded before this revision: the property as it is now is the best record
    there is of what was inspected (an accredited property could not be changed unseen after it,
    as far as this revision knows)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(assessment.c.id, home, council.c.name.label('council_name'))
        .join(home, home.c.id == assessment.c.property_id)
        .join(council, council.c.id == home.c.local_authority_id)
        .where(assessment.c.kind == 'property_inspection')).mappings().all()
    for row in rows:
        details = {name: row[name] for name in (
            'name', 'address_line_1', 'address_line_2', 'town', 'postcode', 'category',
            'bed_spaces', 'age_min', 'age_max', 'who_for')}
        details['local_authority'] = row['council_name']
        connection.execute(assessment.update().where(assessment.c.id == row['id'])
                           .values(property_details=details))


def upgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_details', sa.JSON(), nullable=True))
    _keep_inspected_details()

    op.create_table('property_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('property_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'withdrawn', name='property_change_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_property_change_decided_by_id_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_property_change_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_property_change_property_id_property')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_property_change_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_change'))
    )
    with op.batch_alter_table('property_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_property_change_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_property_change_property_id'), ['property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_property_change_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('property_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_property_change_status'))
        batch_op.drop_index(batch_op.f('ix_property_change_property_id'))
        batch_op.drop_index(batch_op.f('ix_property_change_organisation_id'))
    op.drop_table('property_change')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('property_details')
