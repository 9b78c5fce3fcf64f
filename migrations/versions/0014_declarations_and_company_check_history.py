"""declarations due diligence asks about, and every company check kept

Providers declare their ICO registration number and professional indemnity cover
(organisation); every Companies House check is kept with its outcome (found, not found, the
register did not answer), where the answer came from and whether that is live data
(company_check); a condition of accreditation may be one the commissioner added, about no
checklist item (corrective_action.item_id).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:48:06.222751

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OUTCOMES = "outcome IN ('found', 'not_found', 'unavailable')"
FOUND_HAS_RESULT = "(outcome = 'found') = (result IS NOT NULL AND passed IS NOT NULL)"


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ico_registration_number', sa.String(length=8),
                                      nullable=True))
        batch_op.add_column(sa.Column('professional_indemnity_pounds', sa.BigInteger(),
                                      nullable=True))
        batch_op.create_check_constraint(op.f('ck_organisation_professional_indemnity_not_negative'),
                                         'professional_indemnity_pounds >= 0')

    with op.batch_alter_table('company_check', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=11), server_default='found',
                                      nullable=False))
        batch_op.add_column(sa.Column('source', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('live', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.alter_column('passed', existing_type=sa.Boolean(), nullable=True)
        batch_op.alter_column('result', existing_type=sa.JSON(), nullable=True)

    # Every check kept before found its company; where the answer came from is in its result.
    checks = sa.table('company_check', sa.column('id', sa.Integer),
                      sa.column('result', sa.JSON), sa.column('source', sa.String),
                      sa.column('live', sa.Boolean))
    connection = op.get_bind()
    for check_id, result in connection.execute(sa.select(checks.c.id, checks.c.result)).all():
        source = str((result or {}).get('source') or 'not recorded')[:200]
        connection.execute(sa.update(checks).where(checks.c.id == check_id).values(
            source=source, live='offline' not in source))

    with op.batch_alter_table('company_check', schema=None) as batch_op:
        batch_op.alter_column('outcome', existing_type=sa.String(length=11),
                              server_default=None, existing_nullable=False)
        batch_op.alter_column('source', existing_type=sa.String(length=200),
                              server_default=None, existing_nullable=False)
        batch_op.alter_column('live', existing_type=sa.Boolean(), server_default=None,
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_company_check_company_check_outcome'),
                                         OUTCOMES)
        batch_op.create_check_constraint(op.f('ck_company_check_found_has_result'),
                                         FOUND_HAS_RESULT)

    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.String(length=80), nullable=True)


def downgrade():
    # Conditions added by a commissioner were about no item: they keep their own title.
    op.execute("UPDATE corrective_action SET item_id = 'added' WHERE item_id IS NULL")
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.String(length=80), nullable=False)

    # Before this revision only checks that found the company were kept.
    op.execute("DELETE FROM company_check WHERE outcome != 'found'")
    with op.batch_alter_table('company_check', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_company_check_found_has_result'), type_='check')
        batch_op.drop_constraint(op.f('ck_company_check_company_check_outcome'), type_='check')
        batch_op.alter_column('result', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('passed', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column('message')
        batch_op.drop_column('live')
        batch_op.drop_column('source')
        batch_op.drop_column('outcome')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_professional_indemnity_not_negative'),
                                 type_='check')
        batch_op.drop_column('professional_indemnity_pounds')
        batch_op.drop_column('ico_registration_number')
