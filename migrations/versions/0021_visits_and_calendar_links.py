"""visits: each property's planned visit (date, start time, expected length); inspectors'
private calendar links

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_property', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('visit_starts', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('visit_minutes', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_case_property_visit_date_and_time_together'),
            '(visit_on IS NULL) = (visit_starts IS NULL)')
        batch_op.create_check_constraint(
            op.f('ck_case_property_visit_length_only_with_a_date'),
            'visit_minutes IS NULL OR visit_on IS NOT NULL')
    op.create_table('calendar_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('with_addresses', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_link_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_link_token_hash'))
    )
    with op.batch_alter_table('calendar_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_link_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_link_user_id'))
    op.drop_table('calendar_link')
    with op.batch_alter_table('case_property', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_property_visit_length_only_with_a_date'),
                                 type_='check')
        batch_op.drop_constraint(op.f('ck_case_property_visit_date_and_time_together'),
                                 type_='check')
        batch_op.drop_column('visit_minutes')
        batch_op.drop_column('visit_starts')
        batch_op.drop_column('visit_on')
