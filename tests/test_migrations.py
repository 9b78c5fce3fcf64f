"""The schema comes only from migrations, and the models agree with them."""

import json
from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from accreditation import create_app
from accreditation.auth.models import User
from accreditation.extensions import db
from accreditation.providers.models import Organisation

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


def test_inspections_recorded_before_keep_the_property_as_it_was_on_the_way_up(databases):
    """A database in use: each property inspection already recorded gets the property's
    details of the day it was migrated (the best record there is), and keeps them after."""
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade(revision="0010")
        for statement in (
            "INSERT INTO council (id, name, ons_code, in_consortium) "
            "VALUES (1, 'Camden', 'E09000007', true)",
            "INSERT INTO organisation (id, name, created_at) "
            "VALUES (1, 'Harbour Lights', '2026-01-01 00:00:00')",
            "INSERT INTO property (id, organisation_id, name, address_line_1, town, postcode, "
            "local_authority_id, category, bed_spaces, age_min, age_max, who_for, vacancies, "
            "created_at) VALUES (1, 1, 'Harbour House', '12 Quay Road', 'London', 'NW1 7AB', 1, "
            "'single_occupancy', 3, 16, 18, 'Care leavers', 0, '2026-01-01 00:00:00')",
            "INSERT INTO checklist_version (id, kind, version, title, status, fingerprint, "
            "definition, published_at) VALUES (1, 'property_inspection', 1, 'Property', "
            "'published', 'f', '{}', '2026-01-01 00:00:00')",
            "INSERT INTO assessment (id, checklist_version_id, kind, step_effective_from, "
            "organisation_id, property_id, category, answers, result, passed, assessed_on, "
            "recorded_at) VALUES (1, 1, 'property_inspection', '2026-01-01', 1, 1, "
            "'single_occupancy', '{}', '{}', true, '2026-02-01', '2026-02-01 00:00:00')",
        ):
            db.session.execute(sa.text(statement))
        db.session.commit()

        upgrade()
        stored = db.session.execute(
            sa.text("SELECT property_details FROM assessment")).scalar_one()
        db.session.commit()
        details = stored if isinstance(stored, dict) else json.loads(stored)
        assert details == {
            "name": "Harbour House", "address_line_1": "12 Quay Road", "address_line_2": None,
            "town": "London", "postcode": "NW1 7AB", "local_authority": "Camden",
            "category": "single_occupancy", "bed_spaces": 3, "age_min": 16, "age_max": 18,
            "who_for": "Care leavers"}
        db.session.remove()
        downgrade(revision="0010")
        db.session.remove()
        db.engine.dispose()


def test_company_checks_kept_before_keep_where_they_came_from_on_the_way_up(databases):
    """A database in use: each company check already kept found its company, and its result
    says where the answer came from; the way down keeps only such checks."""
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade(revision="0013")
        result = json.dumps({"source": "offline company register (companies, not live data)"})
        for statement in (
            "INSERT INTO organisation (id, name, created_at) "
            "VALUES (1, 'Harbour Lights', '2026-01-01 00:00:00')",
            "INSERT INTO accreditation_case (id, organisation_id, status, version, created_at, "
            "status_changed_at) VALUES (1, 1, 'due_diligence', 1, '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')",
            "INSERT INTO company_check (id, case_id, company_number, checked_at, passed, result) "
            "VALUES (1, 1, '09876543', '2026-01-02 00:00:00', true, :result)",
        ):
            db.session.execute(sa.text(statement), {"result": result})
        db.session.commit()

        upgrade()
        row = db.session.execute(sa.text(
            "SELECT outcome, source, live FROM company_check")).one()
        db.session.commit()
        assert (row.outcome, row.source, bool(row.live)) == (
            "found", "offline company register (companies, not live data)", False)
        db.session.execute(sa.text(
            "INSERT INTO company_check (id, case_id, company_number, checked_at, outcome, "
            "source, live) VALUES (2, 1, '05555556', '2026-01-03 00:00:00', 'not_found', "
            "'offline', false)"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0013")
        ids = db.session.execute(sa.text("SELECT id FROM company_check")).scalars().all()
        db.session.commit()
        assert ids == [1]
        db.session.remove()
        db.engine.dispose()


def test_insurance_cover_becomes_exact_decimal_millions_and_back(databases):
    """A database in use: whole millions declared before stay as they were; on the way down
    a part million is rounded up, never below what was declared."""
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade(revision="0015")
        db.session.execute(sa.text(
            "INSERT INTO organisation (id, name, created_at, public_liability_millions, "
            "employers_liability_millions) VALUES (1, 'Harbour Lights', "
            "'2026-01-01 00:00:00', 5, 10)"))
        db.session.commit()
        upgrade()
        organisation = db.session.get(Organisation, 1)
        assert (organisation.public_liability_millions,
                organisation.employers_liability_millions) == (Decimal("5"), Decimal("10"))
        organisation.public_liability_millions = Decimal("2.5")
        db.session.commit()
        assert db.session.execute(sa.text(
            "SELECT public_liability_millions FROM organisation")).scalar_one() == \
            Decimal("2.50")
        db.session.remove()
        downgrade(revision="0015")
        assert db.session.execute(sa.text(
            "SELECT public_liability_millions, employers_liability_millions FROM organisation"
        )).one() == (3, 10)
        db.session.remove()
        db.engine.dispose()


def test_the_first_account_of_each_provider_becomes_its_administrator(databases):
    """A database in use: whoever registered each organisation (its earliest account) manages
    its team from now on; later accounts are members; staff administer nothing."""
    app = create_app(config_for(databases.new()))
    with app.app_context():
        upgrade(revision="0016")
        db.session.execute(sa.text(
            "INSERT INTO organisation (id, name, created_at) VALUES "
            "(1, 'Harbour Lights', '2026-01-01 00:00:00'), (2, 'Quay Homes', "
            "'2026-01-02 00:00:00')"))
        accounts = [
            (1, "later@example.org", "provider", 1, "2026-02-01 00:00:00"),
            (2, "first@example.org", "provider", 1, "2026-01-01 00:00:00"),
            (3, "quay@example.org", "provider", 2, "2026-01-02 00:00:00"),
            (4, "staff@example.org", "commissioner", None, "2025-01-01 00:00:00"),
        ]
        for id_, email, role, organisation_id, created_at in accounts:
            db.session.execute(sa.text(
                "INSERT INTO \"user\" (id, email, full_name, role, password_hash, "
                "organisation_id, is_active, created_at, session_generation) VALUES (:id, "
                ":email, 'Someone', :role, 'x', :organisation_id, true, :created_at, 1)"),
                {"id": id_, "email": email, "role": role, "organisation_id": organisation_id,
                 "created_at": created_at})
        db.session.commit()
        upgrade()
        administrators = {user.email for user in db.session.scalars(
            sa.select(User).where(User.is_organisation_administrator))}
        db.session.remove()
        downgrade(revision="0016")
        db.session.remove()
        db.engine.dispose()
    assert administrators == {"first@example.org", "quay@example.org"}
