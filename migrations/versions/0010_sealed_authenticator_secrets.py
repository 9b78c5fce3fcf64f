"""authenticator app secrets sealed in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:15:00

"""
import sqlalchemy as sa
from alembic import op

from accreditation.sealing import seal, unseal

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The table as this migration knows it (not the model, which seals and opens by itself).
user = sa.table('user', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))


def _rewrite_secrets(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(user.c.id, user.c.totp_secret)
                              .where(user.c.totp_secret.is_not(None))).all()
    for row_id, value in rows:
        connection.execute(user.update().where(user.c.id == row_id)
                           .values(totp_secret=change(value)))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=32),
                              type_=sa.String(length=255), existing_nullable=True)
    _rewrite_secrets(seal)  # with the first of ACCREDITATION_DATA_KEYS


def downgrade():
    _rewrite_secrets(unseal)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255),
                              type_=sa.String(length=32), existing_nullable=True)
