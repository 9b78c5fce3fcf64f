"""register search: a postcode district's page and count from one index; broad searches
counted from a tally the database keeps

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 03:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# A search for a postcode district reads every column its filters and sorts need from the
# index, instead of one row of the register per match (thousands in a busy district).
OLD_COLUMNS = ['postcode_district', 'status', 'expires_on']
NEW_COLUMNS = [*OLD_COLUMNS, 'age_min', 'age_max', 'category', 'vacancies', 'provider_name_key',
               'property_id', 'local_authority_id', 'who_for_key']

# register_tally: the number of register_property rows per combination of what a broad search
# filters on, kept by triggers on every insert, delete and relevant change of a row.
TALLIED = "status, category, age_min, age_max, has_vacancies, who_for_key"
ROW = "{row}.status, {row}.category, {row}.age_min, {row}.age_max, {row}.vacancies > 0, " \
      "{row}.who_for_key"
SAME_GROUP = ("status = {row}.status AND category = {row}.category AND age_min = {row}.age_min "
              "AND age_max = {row}.age_max AND has_vacancies = ({row}.vacancies > 0) "
              "AND who_for_key = {row}.who_for_key")
COUNT_IN = (f"INSERT INTO register_tally ({TALLIED}, properties) "
            f"VALUES ({ROW.format(row='new')}, 1) ON CONFLICT ({TALLIED}) DO UPDATE SET properties = register_tally.properties + 1;")
COUNT_OUT = (f"UPDATE register_tally SET properties = properties - 1 "
             f"WHERE {SAME_GROUP.format(row='old')}; "
             f"DELETE FROM register_tally WHERE {SAME_GROUP.format(row='old')} "
             f"AND properties = 0;")
TALLY_CHANGED = ("old.status IS NOT new.status OR old.category IS NOT new.category "
                 "OR old.age_min IS NOT new.age_min OR old.age_max IS NOT new.age_max "
                 "OR (old.vacancies > 0) IS NOT (new.vacancies > 0) "
                 "OR old.who_for_key IS NOT new.who_for_key")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER register_tally_insert AFTER INSERT ON register_property BEGIN {COUNT_IN} END",
    f"CREATE TRIGGER register_tally_delete AFTER DELETE ON register_property BEGIN {COUNT_OUT} END",
    f"CREATE TRIGGER register_tally_update AFTER UPDATE ON register_property "
    f"WHEN {TALLY_CHANGED} BEGIN {COUNT_OUT} {COUNT_IN} END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION register_tally_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN {COUNT_OUT} END IF; "
    f"IF TG_OP <> 'DELETE' THEN {COUNT_IN} END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER register_tally_count AFTER INSERT OR DELETE ON register_property "
    "FOR EACH ROW EXECUTE FUNCTION register_tally_keep()",
    "CREATE TRIGGER register_tally_recount AFTER UPDATE ON register_property FOR EACH ROW "
    f"WHEN ({TALLY_CHANGED.replace(' IS NOT ', ' IS DISTINCT FROM ')}) "
    "EXECUTE FUNCTION register_tally_keep()",
]


def upgrade():
    op.drop_index('ix_register_property_district', table_name='register_property')
    op.create_index('ix_register_property_district', 'register_property', NEW_COLUMNS,
                    unique=False)
    op.create_table('register_tally',
    sa.Column('status', sa.Enum('accredited', 'accredited_with_conditions', 'reassessment_due', 'suspended', 'revoked', 'expired', 'not_accredited', name='register_tally_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('category', sa.Enum('single_occupancy', 'ring_fenced_shared', 'non_ring_fenced_shared', 'supported_lodgings', name='register_tally_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('age_min', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('age_max', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('has_vacancies', sa.Boolean(), nullable=False),
    sa.Column('who_for_key', sa.String(length=250), nullable=False),
    sa.Column('properties', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('status', 'category', 'age_min', 'age_max', 'has_vacancies', 'who_for_key', name=op.f('pk_register_tally'))
    )
    op.execute(f"INSERT INTO register_tally ({TALLIED}, properties) "
               f"SELECT {ROW.format(row='register_property')}, count(*) FROM register_property "
               f"GROUP BY {ROW.format(row='register_property')}")
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS,
                      "postgresql": POSTGRESQL_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER register_tally_count ON register_property")
        op.execute("DROP TRIGGER register_tally_recount ON register_property")
        op.execute("DROP FUNCTION register_tally_keep()")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS register_tally_{trigger}")
    op.drop_table('register_tally')
    op.drop_index('ix_register_property_district', table_name='register_property')
    op.create_index('ix_register_property_district', 'register_property', OLD_COLUMNS,
                    unique=False)
