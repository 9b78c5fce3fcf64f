"""adverse decisions with notice: proposals, representations, reviews

A refusal, suspension or revocation is first proposed (``adverse_proposal``, at most one open
on a case); the provider's representations and requests for a review are kept with the files
sent with them (``submission_file``, each an evidence record).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('adverse_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('refusal', 'suspension', 'revocation', name='proposal_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('immediate', sa.Boolean(), nullable=False),
    sa.Column('from_status', sa.Enum('draft', 'due_diligence', 'returned_at_due_diligence', 'file_sampling', 'returned_at_file_sampling', 'property_inspection', 'returned_at_property_inspection', 'awaiting_decision', 'accredited', 'reassessment_due', 'suspended', 'refused', 'revoked', 'expired', 'withdrawn', name='from_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('representations_due_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('confirmed', 'suspended_instead', 'withdrawn', 'lapsed', name='proposal_outcome', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('consideration', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.CheckConstraint("outcome IS NULL OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL) OR outcome = 'lapsed'", name=op.f('ck_adverse_proposal_decided_has_decider')),
    sa.CheckConstraint("outcome IS NULL OR outcome = 'lapsed' OR consideration IS NOT NULL", name=op.f('ck_adverse_proposal_decided_has_consideration')),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_adverse_proposal_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_adverse_proposal_decided_by_id_user')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_adverse_proposal_proposed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_proposal'))
    )
    with op.batch_alter_table('adverse_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_proposal_case_id'), ['case_id'], unique=False)
        batch_op.create_index('uq_adverse_proposal_open', ['case_id'], unique=True, sqlite_where=sa.text('outcome IS NULL'), postgresql_where=sa.text('outcome IS NULL'))

    op.create_table('representation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['made_by_id'], ['user.id'], name=op.f('fk_representation_made_by_id_user')),
    sa.ForeignKeyConstraint(['proposal_id'], ['adverse_proposal.id'], name=op.f('fk_representation_proposal_id_adverse_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_representation'))
    )
    with op.batch_alter_table('representation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representation_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('review_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.Enum('upheld', 'overturned', name='review_outcome', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('outcome IS NULL OR (reasons IS NOT NULL AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL)', name=op.f('ck_review_request_reviewed_has_reasons')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_review_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['proposal_id'], ['adverse_proposal.id'], name=op.f('fk_review_request_proposal_id_adverse_proposal')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_review_request_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_request'))
    )
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_request_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('submission_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('representation_id', sa.Integer(), nullable=True),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(representation_id IS NULL) != (review_id IS NULL)', name=op.f('ck_submission_file_sent_with_one')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_submission_file_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['representation_id'], ['representation.id'], name=op.f('fk_submission_file_representation_id_representation')),
    sa.ForeignKeyConstraint(['review_id'], ['review_request.id'], name=op.f('fk_submission_file_review_id_review_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_file'))
    )
    with op.batch_alter_table('submission_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_file_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_file_representation_id'), ['representation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_file_review_id'), ['review_id'], unique=False)



def downgrade():
    with op.batch_alter_table('submission_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_file_review_id'))
        batch_op.drop_index(batch_op.f('ix_submission_file_representation_id'))
        batch_op.drop_index(batch_op.f('ix_submission_file_evidence_id'))

    op.drop_table('submission_file')
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_request_proposal_id'))

    op.drop_table('review_request')
    with op.batch_alter_table('representation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representation_proposal_id'))

    op.drop_table('representation')
    with op.batch_alter_table('adverse_proposal', schema=None) as batch_op:
        batch_op.drop_index('uq_adverse_proposal_open', sqlite_where=sa.text('outcome IS NULL'), postgresql_where=sa.text('outcome IS NULL'))
        batch_op.drop_index(batch_op.f('ix_adverse_proposal_case_id'))

    op.drop_table('adverse_proposal')
