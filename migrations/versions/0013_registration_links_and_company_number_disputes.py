"""registration links and company number disputes

Providers' registrations wait for the e-mailed link (pending_registration); a company number
registered a second time is held for a commissioner (company_number_dispute); registration
requests are throttled in login_attempt beside sign-ins (its purpose column).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:06:05.216711

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('organisation_name', sa.String(length=160), nullable=False),
    sa.Column('company_number', sa.String(length=8), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_pending_registration_email_lower_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registration')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_registration_token_hash'))
    )
    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registration_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registration_expires_at'), ['expires_at'], unique=False)

    op.create_table('company_number_dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_number', sa.String(length=8), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('claimant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('kept_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(resolved_at IS NULL) = (kept_by_id IS NULL) AND (resolved_at IS NULL) = (resolved_by_id IS NULL)', name=op.f('ck_company_number_dispute_resolved_completely')),
    sa.CheckConstraint('holder_id != claimant_id', name=op.f('ck_company_number_dispute_two_organisations')),
    sa.CheckConstraint('kept_by_id IS NULL OR kept_by_id = holder_id OR kept_by_id = claimant_id', name=op.f('ck_company_number_dispute_kept_by_one_of_the_two')),
    sa.ForeignKeyConstraint(['claimant_id'], ['organisation.id'], name=op.f('fk_company_number_dispute_claimant_id_organisation')),
    sa.ForeignKeyConstraint(['holder_id'], ['organisation.id'], name=op.f('fk_company_number_dispute_holder_id_organisation')),
    sa.ForeignKeyConstraint(['kept_by_id'], ['organisation.id'], name=op.f('fk_company_number_dispute_kept_by_id_organisation')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_company_number_dispute_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_number_dispute')),
    sa.UniqueConstraint('claimant_id', name=op.f('uq_company_number_dispute_claimant_id'))
    )
    with op.batch_alter_table('company_number_dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_number_dispute_company_number'), ['company_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_number_dispute_holder_id'), ['holder_id'], unique=False)

    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), server_default='sign_in', nullable=False))
        batch_op.create_check_constraint(op.f('ck_login_attempt_known_purpose'),
                                         "purpose IN ('sign_in', 'registration')")



def downgrade():
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempt_known_purpose'), type_='check')
        batch_op.drop_column('purpose')

    with op.batch_alter_table('company_number_dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_number_dispute_holder_id'))
        batch_op.drop_index(batch_op.f('ix_company_number_dispute_company_number'))

    op.drop_table('company_number_dispute')
    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_registration_expires_at'))
        batch_op.drop_index(batch_op.f('ix_pending_registration_email'))

    op.drop_table('pending_registration')
