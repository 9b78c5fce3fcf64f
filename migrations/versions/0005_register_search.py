"""register search index and change tracking

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00

The register's rows (``register_provider``, ``register_property``) and, per database, the
full-text objects kept outside the SQLAlchemy metadata (see ``accreditation/register/index.py``):
``register_generation`` holds the one row whose number changes with the register (what a
search counted is kept under it). SQLite gets an FTS5 table kept in step by triggers;
PostgreSQL a stored generated ``tsvector`` column with a GIN index, and pg_trgm with a
trigram index on provider names.
Searches read ``register_property`` alone, through the indexes made here (see the comment on
``RegisterProperty.__table_args__``).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SQLITE_FULL_TEXT = [
    "CREATE VIRTUAL TABLE register_property_fts USING fts5("
    "search_text, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER register_property_fts_insert AFTER INSERT ON register_property BEGIN "
    "INSERT INTO register_property_fts (rowid, search_text) "
    "VALUES (new.property_id, new.search_text); END",
    "CREATE TRIGGER register_property_fts_delete AFTER DELETE ON register_property BEGIN "
    "DELETE FROM register_property_fts WHERE rowid = old.property_id; END",
    "CREATE TRIGGER register_property_fts_update AFTER UPDATE OF search_text "
    "ON register_property BEGIN "
    "UPDATE register_property_fts SET search_text = new.search_text "
    "WHERE rowid = old.property_id; END",
]
POSTGRESQL_FULL_TEXT = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE register_property ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_register_property_search_vector ON register_property "
    "USING gin (search_vector)",
    "CREATE INDEX ix_register_provider_name_trgm ON register_provider "
    "USING gin (name_key gin_trgm_ops)",
]


def upgrade():
    op.create_table('register_property',
    sa.Column('property_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('accredited', 'accredited_with_conditions', 'reassessment_due', 'suspended', 'revoked', 'expired', 'not_accredited', name='register_property_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('provider_name', sa.String(length=160), nullable=False),
    sa.Column('provider_name_key', sa.String(length=200), nullable=False),
    sa.Column('town', sa.String(length=80), nullable=False),
    sa.Column('town_key', sa.String(length=100), nullable=False),
    sa.Column('postcode_district', sa.String(length=4), nullable=False),
    sa.Column('local_authority_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('single_occupancy', 'ring_fenced_shared', 'non_ring_fenced_shared', 'supported_lodgings', name='register_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('bed_spaces', sa.Integer(), nullable=False),
    sa.Column('age_min', sa.Integer(), nullable=False),
    sa.Column('age_max', sa.Integer(), nullable=False),
    sa.Column('who_for', sa.String(length=200), nullable=False),
    sa.Column('who_for_key', sa.String(length=250), nullable=False),
    sa.Column('vacancies', sa.Integer(), nullable=False),
    sa.Column('vacancies_updated_at', sa.DateTime(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('modified_at', sa.DateTime(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['council.id'], name=op.f('fk_register_property_local_authority_id_council')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_register_property_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['property_id'], ['property.id'], name=op.f('fk_register_property_property_id_property')),
    sa.PrimaryKeyConstraint('property_id', name=op.f('pk_register_property'))
    )
    op.create_index(op.f('ix_register_property_modified_at'), 'register_property', ['modified_at'], unique=False)
    op.create_index(op.f('ix_register_property_organisation_id'), 'register_property', ['organisation_id'], unique=False)
    op.create_index('ix_register_property_by_expiry', 'register_property', ['expires_on', 'provider_name_key', 'property_id', 'status'], unique=False)
    op.create_index('ix_register_property_by_name', 'register_property', ['provider_name_key', 'property_id', 'status', 'expires_on'], unique=False)
    op.create_index('ix_register_property_district', 'register_property', ['postcode_district', 'status', 'expires_on'], unique=False)
    op.create_index('ix_register_property_filters', 'register_property', ['status', 'expires_on', 'age_min', 'age_max', 'category', 'vacancies', 'who_for_key'], unique=False)
    op.create_index('ix_register_property_search', 'register_property', ['status', 'local_authority_id', 'category', 'expires_on', 'age_min', 'age_max', 'vacancies'], unique=False)
    op.create_table('register_provider',
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('accredited', 'accredited_with_conditions', 'reassessment_due', 'suspended', 'revoked', 'expired', 'not_accredited', name='register_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=40), nullable=True),
    sa.Column('accredited_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('properties_on_register', sa.Integer(), nullable=False),
    sa.Column('open_conditions', sa.Integer(), nullable=False),
    sa.Column('modified_at', sa.DateTime(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['accreditation_case.id'], name=op.f('fk_register_provider_case_id_accreditation_case')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_register_provider_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_register_provider'))
    )
    op.create_index(op.f('ix_register_provider_modified_at'), 'register_provider', ['modified_at'], unique=False)
    op.create_index(op.f('ix_register_provider_name_key'), 'register_provider', ['name_key'], unique=False)
    op.create_index(op.f('ix_register_provider_status'), 'register_provider', ['status'], unique=False)

    generation = op.create_table('register_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_generation'))
    )
    op.bulk_insert(generation, [{'id': 1, 'generation': 0}])

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_FULL_TEXT,
                      "postgresql": POSTGRESQL_FULL_TEXT}.get(dialect, []):
        op.execute(statement)

    # Existing accreditations go on the register straight away.
    from accreditation.register.index import rebuild

    rebuild(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS register_property_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS register_property_fts")
    op.drop_table('register_generation')
    op.drop_index('ix_register_provider_status', table_name='register_provider')
    op.drop_index('ix_register_provider_name_key', table_name='register_provider')
    op.drop_index('ix_register_provider_modified_at', table_name='register_provider')
    op.drop_table('register_provider')
    op.drop_index('ix_register_property_search', table_name='register_property')
    op.drop_index('ix_register_property_filters', table_name='register_property')
    op.drop_index('ix_register_property_district', table_name='register_property')
    op.drop_index('ix_register_property_by_name', table_name='register_property')
    op.drop_index('ix_register_property_by_expiry', table_name='register_property')
    op.drop_index('ix_register_property_organisation_id', table_name='register_property')
    op.drop_index('ix_register_property_modified_at', table_name='register_property')
    op.drop_table('register_property')
