"""inspection photos withdrawn before submission or marked up; the provider's acknowledgement
on site

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_acknowledgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_property_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('declined', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('signature_png', sa.LargeBinary(), nullable=True),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.CheckConstraint('declined OR (name IS NOT NULL AND role IS NOT NULL)',
                       name=op.f('ck_inspection_acknowledgement_signed_with_name_and_role')),
    sa.CheckConstraint('NOT declined OR signature_png IS NULL',
                       name=op.f('ck_inspection_acknowledgement_declined_unsigned')),
    sa.CheckConstraint('declined OR reason IS NULL',
                       name=op.f('ck_inspection_acknowledgement_reason_only_when_declined')),
    sa.ForeignKeyConstraint(['case_property_id'], ['case_property.id'],
                            name=op.f('fk_inspection_acknowledgement_case_property_id_case_property')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'],
                            name=op.f('fk_inspection_acknowledgement_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_acknowledgement')),
    sa.UniqueConstraint('client_id', name=op.f('uq_inspection_acknowledgement_client_id'))
    )
    with op.batch_alter_table('inspection_acknowledgement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_acknowledgement_case_property_id'),
                              ['case_property_id'], unique=False)
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evidence_withdrawn_by_id_user'), 'user',
                                    ['withdrawn_by_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_evidence_withdrawn_has_who'),
            '(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)')
        batch_op.add_column(sa.Column('marks_up_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evidence_marks_up_id_evidence'), 'evidence',
                                    ['marks_up_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_evidence_not_marking_up_itself'),
            'marks_up_id IS NULL OR marks_up_id != id')


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_evidence_not_marking_up_itself'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_evidence_marks_up_id_evidence'),
                                 type_='foreignkey')
        batch_op.drop_column('marks_up_id')
        batch_op.drop_constraint(batch_op.f('ck_evidence_withdrawn_has_who'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_evidence_withdrawn_by_id_user'),
                                 type_='foreignkey')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('inspection_acknowledgement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_acknowledgement_case_property_id'))
    op.drop_table('inspection_acknowledgement')
