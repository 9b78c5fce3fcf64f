"""Demo-like data for the load and fault tests, made through the service's own operations.

The demo consortium (providers in every status, the published checklists), more staff for the
demo providers, inspectors with property inspections under way (real applications taken to
the property inspection stage), and social workers; inspectors and social workers get bearer
tokens. ``seed`` returns what the clients need, as JSON-able data.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from accreditation import create_app, demo
from accreditation.auth.models import Role
from accreditation.auth.tokens import create_token
from accreditation.councils import Council
from accreditation.extensions import db
from accreditation.providers.models import Organisation
from accreditation.standards.operations import current_checklist

from ..cases.journey import Journey
from ..factories import CouncilFactory, UserFactory, publish_first_checklists
from .stack import SECRET


def app_for(database: str):
    return create_app({"ENV_NAME": "testing", "SECRET_KEY": SECRET,
                       "SQLALCHEMY_DATABASE_URI": database, "ARGON2_TIME_COST": 1,
                       "ARGON2_MEMORY_COST": 1024})


def yes_no_items(category: str) -> list[str]:
    checklist = current_checklist("property_inspection").checklist
    return [item.id for item in checklist.items
            if item.answer_type == "yes_no" and category in item.applies_to]


def seed(database: str, *, demo_data: bool = True, provider_staff: int = 3,
         inspections: int = 2, social_workers: int = 3) -> dict:
    """Migrate ``database`` and fill it; ``provider_staff`` more users per demo provider.
    Without ``demo_data`` only the checklists are published (quicker)."""
    app = app_for(database)
    with app.app_context():
        upgrade()
        if demo_data:
            demo.load()
        else:
            publish_first_checklists()
            CouncilFactory(name="Camden", ons_code="E09000007")
        # The factories' council codes would collide with the demo's real ONS codes.
        CouncilFactory.reset_sequence(900_000)
        providers = []
        for organisation in db.session.scalars(
                sa.select(Organisation).order_by(Organisation.id)):
            homes = [{"id": home.id, "bed_spaces": home.bed_spaces}
                     for home in organisation.properties]
            if not homes:
                continue
            for _ in range(provider_staff):
                user = UserFactory(role=Role.PROVIDER, organisation=organisation)
                providers.append({"email": user.email, "organisation_id": organisation.id,
                                  "properties": homes})
        inspectors = []
        for _ in range(inspections):
            journey = Journey(properties=2)
            journey.submit()
            journey.pass_due_diligence()
            journey.complete_file_sampling()
            _, token = create_token(journey.inspector, "tablet")
            links = [{"id": link.id, "items": yes_no_items(link.home.category.value)}
                     for link in journey.case.properties]
            inspectors.append({"email": journey.inspector.email, "user_id": journey.inspector.id,
                               "token": token, "links": links,
                               "provider_email": journey.provider.email,
                               "organisation_id": journey.organisation.id})
        camden = db.session.scalar(sa.select(Council).where(Council.name == "Camden"))
        workers = []
        for _ in range(social_workers):
            user = UserFactory(role=Role.SOCIAL_WORKER, council=camden)
            _, token = create_token(user, "case system")
            workers.append({"email": user.email, "token": token})
        db.session.commit()
        result = {"providers": providers, "inspectors": inspectors, "social_workers": workers}
        db.session.remove()
        db.engine.dispose()
    return result
