"""provider teams: organisation administrators and invitations to colleagues

A provider organisation's administrators manage its team. The person who registered each
organisation (its earliest account) becomes its first administrator. Invitations may now be
to a provider organisation, as an administrator or a member.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

user = sa.table('user', sa.column('id', sa.Integer), sa.column('role', sa.String),
                sa.column('organisation_id', sa.Integer),
                sa.column('created_at', sa.DateTime),
                sa.column('is_organisation_administrator', sa.Boolean))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_organisation_administrator', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_user_only_providers_administer_organisations'),
            "role = 'provider' OR NOT is_organisation_administrator")
    connection = op.get_bind()
    first = {}
    for row in connection.execute(
            sa.select(user.c.id, user.c.organisation_id).where(user.c.role == 'provider')
            .order_by(user.c.created_at, user.c.id)):
        first.setdefault(row.organisation_id, row.id)
    if first:
        connection.execute(sa.update(user).where(user.c.id.in_(list(first.values())))
                           .values(is_organisation_administrator=True))
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_administrator', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invitation_organisation_id_organisation'),
                                    'organisation', ['organisation_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_invitation_staff_only'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_invitation_provider_has_organisation'),
            "(role = 'provider') = (organisation_id IS NOT NULL)")


def downgrade():
    connection = op.get_bind()
    # Invitations to colleagues cannot be kept: staff invitations only, as before.
    connection.execute(sa.text("DELETE FROM invitation WHERE role = 'provider'"))
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitation_provider_has_organisation'),
                                 type_='check')
        batch_op.create_check_constraint(op.f('ck_invitation_staff_only'), "role != 'provider'")
        batch_op.drop_constraint(batch_op.f('fk_invitation_organisation_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))
        batch_op.drop_column('organisation_administrator')
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_only_providers_administer_organisations'),
                                 type_='check')
        batch_op.drop_column('is_organisation_administrator')
