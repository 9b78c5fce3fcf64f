"""cases, stages, rosters, api tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:04:24.111405

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('director', 'registered_manager', name='person_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('appointed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_person_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_person'))
    )
    with op.batch_alter_table('organisation_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_person_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_reviewed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_policy_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy')),
    sa.UniqueConstraint('organisation_id', 'name', name='uq_policy_organisation_id_name')
    )
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('roster_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('file_type', sa.Enum('staff', 'young_person', name='file_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_roster_entry_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_entry')),
    sa.UniqueConstraint('organisation_id', 'file_type', 'reference', name='uq_roster_entry_reference')
    )
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_entry_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('accreditation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'due_diligence', 'returned_at_due_diligence', 'file_sampling', 'returned_at_file_sampling', 'property_inspection', 'returned_at_property_inspection', 'awaiting_decision', 'accredited', 'reassessment_due', 'suspended', 'refused', 'revoked', 'expired', 'withdrawn', name='case_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('return_message', sa.Text(), nullable=True),
    sa.Column('return_due_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('accredited_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('refusal_reasons', sa.Text(), nullable=True),
    sa.Column('reapply_from', sa.Date(), nullable=True),
    sa.Column('suspension_reason', sa.Text(), nullable=True),
    sa.Column('reassessment_reason', sa.Text(), nullable=True),
    sa.Column('reassessment_due_by', sa.Date(), nullable=True),
    sa.CheckConstraint("status != 'refused' OR (refusal_reasons IS NOT NULL AND reapply_from IS NOT NULL)", name=op.f('ck_accreditation_case_refused_has_reasons')),
    sa.CheckConstraint("status != 'suspended' OR suspension_reason IS NOT NULL", name=op.f('ck_accreditation_case_suspended_has_reason')),
    sa.CheckConstraint("status NOT IN ('accredited', 'reassessment_due', 'suspended', 'expired') OR (accredited_on IS NOT NULL AND expires_on IS NOT NULL)", name=op.f('ck_accreditation_case_accredited_has_dates')),
    sa.CheckConstraint("status NOT LIKE 'returned_at_%' OR (return_message IS NOT NULL AND return_due_on IS NOT NULL)", name=op.f('ck_accreditation_case_returned_has_request')),
    sa.ForeignKeyConstraint(['inspector_id'], ['user.id'], name=op.f('fk_accreditation_case_inspector_id_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_accreditation_case_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accreditation_case'))
    )
    with op.batch_alter_table('accreditation_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accreditation_case_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accreditation_case_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accreditation_case_status'), ['status'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('company_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('company_number', sa.String(length=8), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_company_check_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['user.id'], name=op.f('fk_company_check_checked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_check'))
    )
    with op.batch_alter_table('company_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_check_case_id'), ['case_id'], unique=False)

    op.create_table('corrective_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('property_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=80), nullable=False),
    sa.Column('item_title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'responded', 'confirmed', name='action_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status != 'confirmed' OR confirmed_by_id IS NOT NULL", name=op.f('ck_corrective_action_confirmed_has_inspector')),
    sa.CheckConstraint("status = 'open' OR response IS NOT NULL", name=op.f('ck_corrective_action_answered_has_response')),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_corrective_action_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_corrective_action_confirmed_by_id_user')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_corrective_action_property_id_property')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_action'))
    )
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrective_action_case_id'), ['case_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('accredited', 'accredited_with_conditions', 'refused', name='decision_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_decision_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_decision_decided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_case_id'), ['case_id'], unique=False)

    op.create_table('file_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('file_type', sa.Enum('staff', 'young_person', name='sample_file_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('roster_hash', sa.String(length=64), nullable=False),
    sa.Column('roster', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=300), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_file_sample_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user.id'], name=op.f('fk_file_sample_drawn_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_sample')),
    sa.UniqueConstraint('case_id', 'file_type', name='uq_file_sample_case_id_file_type')
    )
    with op.batch_alter_table('file_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_sample_case_id'), ['case_id'], unique=False)

    op.create_table('case_property',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('property_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('pending', 'passed', 'failed', name='inspection_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('accredited', sa.Boolean(), nullable=False),
    sa.CheckConstraint("accredited = false OR outcome = 'passed'", name=op.f('ck_case_property_accredited_only_if_passed')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_case_property_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_case_property_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_case_property_property_id_property')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_property')),
    sa.UniqueConstraint('case_id', 'property_id', name='uq_case_property_case_id_property')
    )
    with op.batch_alter_table('case_property', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_property_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_property_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_property_property_id'), ['property_id'], unique=False)

    op.create_table('sampled_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_sampled_file_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['sample_id'], ['file_sample.id'], name=op.f('fk_sampled_file_sample_id_file_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampled_file')),
    sa.UniqueConstraint('sample_id', 'position', name='uq_sampled_file_sample_id_position')
    )
    with op.batch_alter_table('sampled_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampled_file_sample_id'), ['sample_id'], unique=False)

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assessment_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assessment_case_id_accreditation_case'), 'accreditation_case', ['case_id'], ['id'])

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_office', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('insurer', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('public_liability_millions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('employers_liability_millions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('insurance_expires_on', sa.Date(), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_message_dedupe_key'), ['dedupe_key'])

    with op.batch_alter_table('property', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenure', sa.Enum('owned', 'leased', 'management_agreement', name='tenure', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('landlord_name', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('lease_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('landlord_consent', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('vacancies', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
        batch_op.add_column(sa.Column('vacancies_updated_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_property_vacancies_within_bed_spaces'),
                                         'vacancies >= 0 AND vacancies <= bed_spaces')



def downgrade():
    with op.batch_alter_table('property', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_property_vacancies_within_bed_spaces'), type_='check')
        batch_op.drop_constraint(op.f('ck_property_tenure'), type_='check')
        batch_op.drop_column('vacancies_updated_at')
        batch_op.drop_column('vacancies')
        batch_op.drop_column('landlord_consent')
        batch_op.drop_column('lease_ends_on')
        batch_op.drop_column('landlord_name')
        batch_op.drop_column('tenure')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_message_dedupe_key'), type_='unique')
        batch_op.drop_column('dedupe_key')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('insurance_expires_on')
        batch_op.drop_column('employers_liability_millions')
        batch_op.drop_column('public_liability_millions')
        batch_op.drop_column('insurer')
        batch_op.drop_column('registered_office')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assessment_case_id_accreditation_case'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assessment_case_id'))
        batch_op.drop_column('case_id')

    with op.batch_alter_table('sampled_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampled_file_sample_id'))

    op.drop_table('sampled_file')
    with op.batch_alter_table('case_property', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_property_property_id'))
        batch_op.drop_index(batch_op.f('ix_case_property_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_property_assessment_id'))

    op.drop_table('case_property')
    with op.batch_alter_table('file_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_sample_case_id'))

    op.drop_table('file_sample')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_case_id'))

    op.drop_table('decision')
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_action_case_id'))

    op.drop_table('corrective_action')
    with op.batch_alter_table('company_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_check_case_id'))

    op.drop_table('company_check')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('accreditation_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accreditation_case_status'))
        batch_op.drop_index(batch_op.f('ix_accreditation_case_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_accreditation_case_inspector_id'))

    op.drop_table('accreditation_case')
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_entry_organisation_id'))

    op.drop_table('roster_entry')
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_organisation_id'))

    op.drop_table('policy')
    with op.batch_alter_table('organisation_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_person_organisation_id'))

    op.drop_table('organisation_person')
