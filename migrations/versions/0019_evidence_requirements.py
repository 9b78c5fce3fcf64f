"""evidence tied to what an application needs

A file can say which piece of evidence a section of the application needs it proves
(``requirement``, with the property where it is needed for each property), and an HMO licence
is a kind of file.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

PURPOSES = ('insurance_certificate', 'policy', 'lease', 'gas_safety_certificate',
            'electrical_safety_certificate', 'fire_risk_assessment', 'photo', 'other')


def _purposes(values):
    return 'purpose IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def upgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requirement', sa.String(length=40), nullable=True))
        batch_op.drop_constraint(op.f('ck_evidence_evidence_purpose'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_evidence_evidence_purpose'),
            _purposes((*PURPOSES[:6], 'hmo_licence', *PURPOSES[6:])))
        batch_op.create_check_constraint(op.f('ck_evidence_requirement_is_a_document'),
                                         "requirement IS NULL OR purpose != 'photo'")


def downgrade():
    # An HMO licence was filed as "other" before this revision.
    op.execute("UPDATE evidence SET purpose = 'other' WHERE purpose = 'hmo_licence'")
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_evidence_requirement_is_a_document'), type_='check')
        batch_op.drop_constraint(op.f('ck_evidence_evidence_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_evidence_evidence_purpose'),
                                         _purposes(PURPOSES))
        batch_op.drop_column('requirement')
