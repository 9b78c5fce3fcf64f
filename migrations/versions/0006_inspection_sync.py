"""inspection drafts and offline sync (property inspections and sampled files)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('case_property_id', sa.Integer(), nullable=True),
    sa.Column('sampled_file_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('base_revision', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('applied', 'conflict', 'rejected', name='answer_change_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('server_revision', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('server_value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('server_note', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.CheckConstraint("status != 'rejected' OR message IS NOT NULL", name=op.f('ck_answer_change_rejected_has_message')),
    sa.CheckConstraint("status = 'rejected' OR revision IS NOT NULL", name=op.f('ck_answer_change_accepted_has_revision')),
    sa.CheckConstraint('base_revision >= 0', name=op.f('ck_answer_change_base_revision_not_negative')),
    sa.ForeignKeyConstraint(['case_property_id'], ['case_property.id'], name=op.f('fk_answer_change_case_property_id_case_property')),
    sa.ForeignKeyConstraint(['sampled_file_id'], ['sampled_file.id'], name=op.f('fk_answer_change_sampled_file_id_sampled_file')),
    sa.CheckConstraint('(case_property_id IS NULL) != (sampled_file_id IS NULL)', name=op.f('ck_answer_change_one_subject')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_answer_change_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_change')),
    sa.UniqueConstraint('user_id', 'client_id', name='uq_answer_change_user_id_client_id')
    )
    with op.batch_alter_table('answer_change', schema=None) as batch_op:
        batch_op.create_index('ix_answer_change_item', ['case_property_id', 'item_id'], unique=False)
        batch_op.create_index('ix_answer_change_file_item', ['sampled_file_id', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_change_case_property_id'), ['case_property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_change_sampled_file_id'), ['sampled_file_id'], unique=False)

    op.create_table('draft_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_property_id', sa.Integer(), nullable=True),
    sa.Column('sampled_file_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_draft_answer_revision_from_one')),
    sa.ForeignKeyConstraint(['case_property_id'], ['case_property.id'], name=op.f('fk_draft_answer_case_property_id_case_property')),
    sa.ForeignKeyConstraint(['sampled_file_id'], ['sampled_file.id'], name=op.f('fk_draft_answer_sampled_file_id_sampled_file')),
    sa.CheckConstraint('(case_property_id IS NULL) != (sampled_file_id IS NULL)', name=op.f('ck_draft_answer_one_subject')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_draft_answer_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_answer')),
    sa.UniqueConstraint('case_property_id', 'item_id', name='uq_draft_answer_case_property_id_item_id'),
    sa.UniqueConstraint('sampled_file_id', 'item_id', name='uq_draft_answer_sampled_file_id_item_id')
    )
    with op.batch_alter_table('draft_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_answer_case_property_id'), ['case_property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draft_answer_sampled_file_id'), ['sampled_file_id'], unique=False)

    op.create_table('inspection_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_property_id', sa.Integer(), nullable=True),
    sa.Column('sampled_file_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_inspection_submission_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['case_property_id'], ['case_property.id'], name=op.f('fk_inspection_submission_case_property_id_case_property')),
    sa.ForeignKeyConstraint(['sampled_file_id'], ['sampled_file.id'], name=op.f('fk_inspection_submission_sampled_file_id_sampled_file')),
    sa.CheckConstraint('(case_property_id IS NULL) != (sampled_file_id IS NULL)', name=op.f('ck_inspection_submission_one_subject')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_inspection_submission_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_submission')),
    sa.UniqueConstraint('user_id', 'client_id', name='uq_inspection_submission_user_id_client_id')
    )
    with op.batch_alter_table('inspection_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_submission_case_property_id'), ['case_property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_submission_sampled_file_id'), ['sampled_file_id'], unique=False)

    op.create_table('answer_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_property_id', sa.Integer(), nullable=True),
    sa.Column('sampled_file_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolution', sa.Enum('mine', 'server', name='conflict_resolution', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(resolution IS NULL) = (resolved_at IS NULL) AND (resolution IS NULL) = (resolved_by_id IS NULL)', name=op.f('ck_answer_conflict_resolved_has_who_and_when')),
    sa.ForeignKeyConstraint(['case_property_id'], ['case_property.id'], name=op.f('fk_answer_conflict_case_property_id_case_property')),
    sa.ForeignKeyConstraint(['sampled_file_id'], ['sampled_file.id'], name=op.f('fk_answer_conflict_sampled_file_id_sampled_file')),
    sa.CheckConstraint('(case_property_id IS NULL) != (sampled_file_id IS NULL)', name=op.f('ck_answer_conflict_one_subject')),
    sa.ForeignKeyConstraint(['change_id'], ['answer_change.id'], name=op.f('fk_answer_conflict_change_id_answer_change')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_answer_conflict_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_conflict')),
    sa.UniqueConstraint('change_id', name=op.f('uq_answer_conflict_change_id'))
    )
    with op.batch_alter_table('answer_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_conflict_case_property_id'), ['case_property_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_conflict_sampled_file_id'), ['sampled_file_id'], unique=False)

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_client_id'), ['client_id'], unique=True)



def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_client_id'))
        batch_op.drop_column('client_id')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('answer_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_conflict_case_property_id'))
        batch_op.drop_index(batch_op.f('ix_answer_conflict_sampled_file_id'))

    op.drop_table('answer_conflict')
    with op.batch_alter_table('inspection_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_submission_case_property_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_submission_sampled_file_id'))

    op.drop_table('inspection_submission')
    with op.batch_alter_table('draft_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_answer_case_property_id'))
        batch_op.drop_index(batch_op.f('ix_draft_answer_sampled_file_id'))

    op.drop_table('draft_answer')
    with op.batch_alter_table('answer_change', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_change_item')
        batch_op.drop_index('ix_answer_change_file_item')
        batch_op.drop_index(batch_op.f('ix_answer_change_case_property_id'))
        batch_op.drop_index(batch_op.f('ix_answer_change_sampled_file_id'))

    op.drop_table('answer_change')
