"""checklist drafts: new versions written in the service, approved by a second commissioner

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'published', 'discarded', name='checklist_draft_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('published_checklist_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("version >= 1", name=op.f('ck_checklist_draft_draft_version_positive')),
    sa.CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL", name=op.f('ck_checklist_draft_submitted_has_date')),
    sa.CheckConstraint("(status = 'published') = (published_checklist_id IS NOT NULL)", name=op.f('ck_checklist_draft_published_has_version')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_checklist_draft_approved_by_id_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_checklist_draft_created_by_id_user')),
    sa.ForeignKeyConstraint(['published_checklist_id'], ['checklist_version.id'], name=op.f('fk_checklist_draft_published_checklist_id_checklist_version')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_checklist_draft_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_checklist_draft_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_draft'))
    )
    with op.batch_alter_table('checklist_draft', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_draft_kind_status', ['kind', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('checklist_draft', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_draft_kind_status')
    op.drop_table('checklist_draft')
