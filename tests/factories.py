"""factory-boy factories for the models; objects are committed, tests see real rows."""

from __future__ import annotations

import io

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory

from accreditation.auth import mfa
from accreditation.auth.mfa import ROLES_NEEDING_A_SECOND_FACTOR
from accreditation.auth.models import Role, User
from accreditation.auth.passwords import hash_password
from accreditation.checklists import DEFINITIONS_DIR
from accreditation.councils import Council
from accreditation.database import utcnow
from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory, Organisation, Property
from accreditation.standards.operations import publish_definitions

TEST_PASSWORD = "correct horse battery staple"  # noqa: S105
# Commissioners and inspectors need an authenticator app; test ones share this key.
TEST_TOTP_SECRET = "TESTACCOUNTSAUTHENTICATORKEYABCD"  # noqa: S105


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class CouncilFactory(BaseFactory):
    class Meta:
        model = Council

    name = factory.Sequence(lambda n: f"Council {n}")
    ons_code = factory.Sequence(lambda n: f"E09{n:06d}")
    in_consortium = True


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Provider {n} Ltd")
    company_number = factory.Sequence(lambda n: f"{n:08d}")


class PropertyFactory(BaseFactory):
    class Meta:
        model = Property

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"House {n}")
    address_line_1 = factory.Sequence(lambda n: f"{n} Test Street")
    town = "London"
    postcode = "N1 9GU"
    local_authority = factory.SubFactory(CouncilFactory)
    category = AccommodationCategory.SINGLE_OCCUPANCY
    bed_spaces = 2
    who_for = "Care leavers"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.COMMISSIONER
    password_hash = factory.LazyFunction(lambda: hash_password(TEST_PASSWORD))
    totp_secret = factory.LazyAttribute(
        lambda user: TEST_TOTP_SECRET if user.role in ROLES_NEEDING_A_SECOND_FACTOR else None)
    totp_confirmed_at = factory.LazyAttribute(
        lambda user: utcnow() if user.totp_secret else None)

    class Params:
        provider = factory.Trait(
            role=Role.PROVIDER, organisation=factory.SubFactory(OrganisationFactory),
            is_organisation_administrator=True)
        inspector = factory.Trait(role=Role.INSPECTOR)
        commissioner = factory.Trait(role=Role.COMMISSIONER)
        social_worker = factory.Trait(
            role=Role.SOCIAL_WORKER, council=factory.SubFactory(CouncilFactory))


def user_with_role(role: Role, **kwargs) -> User:
    return UserFactory(**{role.value: True}, **kwargs)


def authenticator_code(email: str) -> str:
    """The code the user's authenticator app shows now, usable at once.

    A real code works once per 30 seconds; tests sign the same person in many times a minute,
    so the record of the last code used is cleared first (needs an app context)."""
    db.session.commit()  # a fresh transaction: one begun before the sign-in could not write
    secret = db.session.scalar(
        sa.update(User).where(User.email == email).values(totp_last_step=None)
        .returning(User.totp_secret))
    db.session.commit()
    assert secret, f"{email} has no authenticator app"
    return mfa.code_for(secret, mfa.current_step())


def attach_required_evidence(provider: User) -> None:
    """Upload, as ``provider`` and through the upload operation, a small PDF for every piece
    of evidence its application still needs (``evidence/requirements.py``)."""
    from werkzeug.datastructures import FileStorage

    from accreditation.evidence.operations import upload_required_evidence
    from accreditation.evidence.requirements import missing

    from .evidence.samples import pdf

    for piece in missing(provider.organisation):
        upload_required_evidence(
            provider, piece.key, piece.home,
            FileStorage(io.BytesIO(pdf()), filename=f"{piece.key}.pdf",
                        content_type="application/pdf"))


def publish_first_checklists() -> None:
    """Version 1 of each stage's shipped checklist, published: what applications are assessed
    against in most tests."""
    for kind in ("due_diligence", "file_sampling", "property_inspection"):
        publish_definitions(None, DEFINITIONS_DIR / kind / "v1.yaml")
