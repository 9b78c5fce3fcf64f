"""insurance cover in exact decimal millions

Insurance cover is kept exactly to two decimal places of a million (£2.5 million), and must be
more than nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:50:00

"""
import math

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COVER = ('public_liability_millions', 'employers_liability_millions')
organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        *(sa.column(name, sa.Numeric(6, 2)) for name in COVER))


def upgrade():
    connection = op.get_bind()
    for name in COVER:
        # None was ever stored as 0 or less; the constraint below says so from now on.
        connection.execute(sa.update(organisation).where(organisation.c[name] <= 0)
                           .values({name: None}))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        for name in COVER:
            batch_op.alter_column(name, existing_type=sa.Integer(), type_=sa.Numeric(6, 2),
                                  existing_nullable=True)
            batch_op.create_check_constraint(op.f(f'ck_organisation_{name}_positive'),
                                             f'{name} IS NULL OR {name} > 0')


def downgrade():
    connection = op.get_bind()
    # Whole millions again: cover is rounded up, so nobody's declared cover shrinks below what
    # they have (and stays more than nothing).
    for row in connection.execute(sa.select(organisation)).mappings().all():
        whole = {name: math.ceil(row[name]) for name in COVER if row[name] is not None}
        if whole:
            connection.execute(sa.update(organisation).where(organisation.c.id == row['id'])
                               .values(whole))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        for name in COVER:
            batch_op.drop_constraint(op.f(f'ck_organisation_{name}_positive'), type_='check')
            batch_op.alter_column(name, existing_type=sa.Numeric(6, 2), type_=sa.Integer(),
                                  existing_nullable=True,
                                  postgresql_using=f'{name}::integer')
