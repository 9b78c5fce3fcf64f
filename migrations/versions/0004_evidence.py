"""evidence

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:37:47.045834

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('property_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=80), nullable=True),
    sa.Column('corrective_action_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Enum('insurance_certificate', 'policy', 'lease', 'gas_safety_certificate', 'electrical_safety_certificate', 'fire_risk_assessment', 'photo', 'other', name='evidence_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('kind', sa.Enum('document', 'photo', name='evidence_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('preview_key', sa.String(length=200), nullable=True),
    sa.Column('display_filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('scan_status', sa.Enum('not_scanned', 'pending', 'clean', 'infected', 'error', name='scan_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('scanned_at', sa.DateTime(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'photo') = (preview_key IS NOT NULL)", name=op.f('ck_evidence_photo_has_preview')),
    sa.CheckConstraint("(scan_status IN ('clean', 'infected', 'error')) = (scanned_at IS NOT NULL)", name=op.f('ck_evidence_scan_result_has_time')),
    sa.CheckConstraint("purpose != 'photo' OR kind = 'photo'", name=op.f('ck_evidence_photo_is_an_image')),
    sa.CheckConstraint('corrective_action_id IS NULL OR case_id IS NOT NULL', name=op.f('ck_evidence_action_needs_case')),
    sa.CheckConstraint('item_id IS NULL OR case_id IS NOT NULL', name=op.f('ck_evidence_item_needs_case')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_evidence_sha256_is_hex_digest')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_evidence_not_empty')),
    sa.CheckConstraint('supersedes_id IS NULL OR supersedes_id != id', name=op.f('ck_evidence_not_superseding_itself')),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_evidence_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['corrective_action_id'], ['corrective_action.id'], name=op.f('fk_evidence_corrective_action_id_corrective_action')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_evidence_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_evidence_property_id_property')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['evidence.id'], name=op.f('fk_evidence_supersedes_id_evidence')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_evidence_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('preview_key', name=op.f('uq_evidence_preview_key')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_evidence_storage_key')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_evidence_supersedes_id'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_corrective_action_id'), ['corrective_action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_property_id'), ['property_id'], unique=False)


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_property_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_corrective_action_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_case_id'))

    op.drop_table('evidence')
