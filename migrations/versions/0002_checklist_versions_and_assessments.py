"""checklist versions and assessments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:52:51.269880

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('published', 'retired', name='publication_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(status = 'retired') = (retired_at IS NOT NULL)", name=op.f('ck_checklist_version_retired_has_date')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_checklist_version_version_positive')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_checklist_version_published_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_version')),
    sa.UniqueConstraint('kind', 'version', name='uq_checklist_version_kind_version')
    )
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('step_effective_from', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('property_id', sa.Integer(), nullable=True),
    sa.Column('subject_ref', sa.String(length=80), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('file_type', sa.String(length=40), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('percent', sa.String(length=8), nullable=True),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('assessor_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'file_sampling') = (file_type IS NOT NULL AND subject_ref IS NOT NULL)", name=op.f('ck_assessment_file_sampling_has_file')),
    sa.CheckConstraint("(kind = 'property_inspection') = (property_id IS NOT NULL AND category IS NOT NULL)", name=op.f('ck_assessment_property_inspection_has_property')),
    sa.ForeignKeyConstraint(['assessor_id'], ['user.id'], name=op.f('fk_assessment_assessor_id_user')),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_version.id'], name=op.f('fk_assessment_checklist_version_id_checklist_version')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_assessment_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_assessment_property_id_property')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_checklist_version_id'), ['checklist_version_id'], unique=False)
        batch_op.create_index('ix_assessment_kind_subject', ['kind', 'organisation_id', 'property_id', 'subject_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_property_id'), ['property_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_property_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_organisation_id'))
        batch_op.drop_index('ix_assessment_kind_subject')
        batch_op.drop_index(batch_op.f('ix_assessment_checklist_version_id'))

    op.drop_table('assessment')
    op.drop_table('checklist_version')
