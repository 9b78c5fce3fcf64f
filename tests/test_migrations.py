"""The schema comes only from migrations, and the models agree with them."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from accreditation import create_app
from accreditation.auth.models import User
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


PLAIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (a test value)


def test_authenticator_secrets_are_sealed_on_the_way_up_and_opened_on_the_way_down(databases):
    """A database in use is migrated: a commissioner with an authenticator app, whom the audit
    trail points at, keeps the app (sealed above 0009, in the clear below) and the trail."""
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade(revision="0009")
        db.session.execute(sa.text(
            'INSERT INTO "user" (id, email, full_name, role, password_hash, is_active, '
            "created_at, session_generation, totp_secret) VALUES (1, 'c@example.org', 'C', "
            "'commissioner', 'x', true, '2026-01-01 00:00:00', 0, :secret)"),
            {"secret": PLAIN_SECRET})
        db.session.execute(sa.text(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, action, details, prev_hash, "
            "hash) VALUES (1, '2026-01-01 00:00:00', 1, 'test.event', '{}', :hash, :hash)"),
            {"hash": "0" * 64})
        db.session.commit()

        def stored() -> str:
            value = db.session.execute(sa.text('SELECT totp_secret FROM "user"')).scalar_one()
            db.session.commit()
            return value

        upgrade()
        assert stored() != PLAIN_SECRET and PLAIN_SECRET not in stored()
        assert db.session.get(User, 1).totp_secret == PLAIN_SECRET
        assert db.session.execute(sa.text("SELECT actor_id FROM audit_event")).scalar_one() == 1
        db.session.remove()
        downgrade(revision="0009")
        assert stored() == PLAIN_SECRET
        db.session.remove()
        db.engine.dispose()
