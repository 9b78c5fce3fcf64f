"""account links: forgotten passwords and e-mail address changes

Links e-mailed about a person's own account (a new password after forgetting it, a new e-mail
address to confirm) are kept as hashes in account_link; requests for them are throttled in
login_attempt beside sign-ins and registrations (two more purposes).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

PURPOSES_BEFORE = "purpose IN ('sign_in', 'registration')"
PURPOSES_AFTER = "purpose IN ('sign_in', 'registration', 'password_reset', 'email_change')"


def upgrade():
    op.create_table('account_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('password_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose IN ('password_reset', 'email_change')", name=op.f('ck_account_link_known_purpose')),
    sa.CheckConstraint("(purpose = 'email_change') = (new_email IS NOT NULL)", name=op.f('ck_account_link_new_email_only_for_email_change')),
    sa.CheckConstraint('new_email = lower(new_email)', name=op.f('ck_account_link_new_email_lower_case')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_link_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_link_token_hash'))
    )
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_link_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempt_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_login_attempt_known_purpose'), PURPOSES_AFTER)


def downgrade():
    op.execute("DELETE FROM login_attempt WHERE purpose IN ('password_reset', 'email_change')")
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempt_known_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_login_attempt_known_purpose'), PURPOSES_BEFORE)

    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_link_user_id'))

    op.drop_table('account_link')
