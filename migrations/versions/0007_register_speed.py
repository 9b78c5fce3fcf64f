"""register search: a borough's page and count from one index; GiST trigram names;
a second register generation that a change of vacancies leaves alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:55:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


# A borough's search reads its page's keys (provider name and property id, in the order the
# page is sorted by) from this index alone, and counts from it, without reading the rows.
OLD_COLUMNS = ['status', 'local_authority_id', 'category', 'expires_on', 'age_min', 'age_max',
               'vacancies']
NEW_COLUMNS = [*OLD_COLUMNS, 'provider_name_key', 'property_id']


# "Did you mean" (PostgreSQL): a GiST trigram index finds the few names like a long one
# (a provider's full name) in milliseconds, where the GIN one checked every name sharing a
# common trigram ("housing ltd"). Same name, so it stays outside the models' metadata.
TRIGRAM_INDEX = ("CREATE INDEX ix_register_provider_name_trgm ON register_provider "
                 "USING {method} (name_key {method}_trgm_ops)")


def _trigram_index(method: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_register_provider_name_trgm")
        op.execute(TRIGRAM_INDEX.format(method=method))


def upgrade():
    op.drop_index('ix_register_property_search', table_name='register_property')
    op.create_index('ix_register_property_search', 'register_property', NEW_COLUMNS,
                    unique=False)
    _trigram_index('gist')
    # Row 2 moves with every change to the register but a property's vacancies (row 1 with
    # every change): the counts of searches that are not for vacancies are kept under it.
    # (Migration 0005 may have made it already: it builds the register with today's code.)
    op.execute(sa.text("INSERT INTO register_generation (id, generation) SELECT 2, :value "
                       "WHERE NOT EXISTS (SELECT 1 FROM register_generation WHERE id = 2)")
               .bindparams(value=secrets.randbits(62)))


def downgrade():
    op.execute("DELETE FROM register_generation WHERE id = 2")
    _trigram_index('gin')
    op.drop_index('ix_register_property_search', table_name='register_property')
    op.create_index('ix_register_property_search', 'register_property', OLD_COLUMNS,
                    unique=False)
