"""The schema comes only from migrations, and the models agree with them."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from accreditation import create_app
from accreditation.extensions import db

from .conftest import config_for


def test_upgrade_from_empty_to_head_leaves_no_drift(databases):
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"
    assert {table.name for table in db.metadata.sorted_tables} <= tables


def test_downgrade_to_base_and_back(databases):
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        head = db.session.execute(sa.text("SELECT seq FROM audit_chain_head")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    assert head == 0
