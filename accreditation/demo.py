"""A believable demo consortium: councils, providers, properties, one sign-in per role.

``load()`` is idempotent: every record is found by its natural key before it is created,
so running it twice changes nothing. Names and addresses are invented.
"""

from __future__ import annotations

import sqlalchemy as sa

from . import audit
from .admin.operations import load_local_authorities
from .auth import mfa, operations
from .auth.mfa import DEMO_TOTP_SECRET
from .auth.models import Role, User
from .checklists import DEFINITIONS_DIR, load_definition
from .councils import Council
from .demo_cases import DEMO_PASSWORD, load_cases
from .extensions import db
from .providers.models import AccommodationCategory as Category
from .providers.models import Organisation, Property, PropertyChange
from .providers.operations import PropertyDetails, details_as_asked, update_property
from .register.operations import set_vacancies
from .register.status import property_on_register
from .standards.drafts import create_draft
from .standards.models import ChecklistDraft, PublishedChecklist
from .standards.operations import publish_definitions

# The consortium's member councils, by ONS code, from the shipped list of local authorities
# (properties can be in any of them, members or not).
MEMBERS = [
    "E09000003",  # Barnet
    "E09000007",  # Camden
    "E09000010",  # Enfield
    "E09000012",  # Hackney
    "E09000014",  # Haringey
    "E09000019",  # Islington
    "E09000025",  # Newham
    "E09000030",  # Tower Hamlets
    "E09000031",  # Waltham Forest
]

# name, company number, properties: (name, line 1, town, postcode, LA, category, beds,
# age min, age max, who for)
PROVIDERS = [
    ("Harbour Lights Housing Ltd", "09876543", [
        ("Albion House", "14 Albion Road", "London", "N16 9PA", "Hackney",
         Category.RING_FENCED_SHARED, 4, 16, 17, "16 and 17 year olds in care"),
        ("Cranford Flat 2", "2 Cranford Court, Stamford Hill", "London", "N16 6AB", "Hackney",
         Category.SINGLE_OCCUPANCY, 1, 17, 21, "Care leavers moving towards independence"),
        ("Ferncliff Road", "31 Ferncliff Road", "London", "E8 1LW", "Hackney",
         Category.RING_FENCED_SHARED, 3, 16, 18, "Young people in care, with on-site staff"),
    ]),
    ("Northway Supported Living CIC", "11223344", [
        ("Tottenham Lane", "88 Tottenham Lane", "London", "N8 7EE", "Haringey",
         Category.NON_RING_FENCED_SHARED, 6, 18, 25, "Care leavers and homeless young people"),
        ("Westbury Avenue", "205 Westbury Avenue", "London", "N22 6RX", "Haringey",
         Category.NON_RING_FENCED_SHARED, 5, 18, 25, "Care leavers"),
    ]),
    ("Open Door Lodgings", None, [
        ("Host home: Palmers Green", "Host family home", "London", "N13 4QA", "Enfield",
         Category.SUPPORTED_LODGINGS, 1, 16, 21, "16 and 17 year olds in care, care leavers"),
        ("Host home: Chingford", "Host family home", "London", "E4 7JH", "Waltham Forest",
         Category.SUPPORTED_LODGINGS, 2, 16, 21, "Care leavers"),
    ]),
    ("Riverside Pathways Ltd", "08765432", [
        ("Canal View Studios", "5 Wharf Road", "London", "N1 7RW", "Islington",
         Category.SINGLE_OCCUPANCY, 8, 18, 25, "Care leavers in education or training"),
        ("Bow Common Flats", "17 Bow Common Lane", "London", "E3 4AU", "Tower Hamlets",
         Category.SINGLE_OCCUPANCY, 6, 17, 25, "Care leavers"),
    ]),
    ("Cedar House Youth Services Ltd", "12345678", [
        ("Cedar House", "42 Station Road", "Chelmsford", "CM1 1HT", "Chelmsford",
         Category.RING_FENCED_SHARED, 5, 16, 17, "16 and 17 year olds placed out of area"),
        ("Cedar Annex", "44 Station Road", "Chelmsford", "CM1 1HT", "Chelmsford",
         Category.SINGLE_OCCUPANCY, 2, 17, 18, "Young people preparing to leave care"),
    ]),
    ("Meridian Youth Homes Ltd", "07654321", [
        ("Stratford Grove", "9 Grove Crescent Road", "London", "E15 1BJ", "Newham",
         Category.NON_RING_FENCED_SHARED, 4, 18, 25, "Care leavers and young parents"),
        ("Kentish Town House", "61 Leighton Road", "London", "NW5 2QE", "Camden",
         Category.RING_FENCED_SHARED, 4, 16, 18, "Young people in care"),
        ("Margate Seafront", "3 Marine Terrace", "Margate", "CT9 1XJ", "Thanet",
         Category.SINGLE_OCCUPANCY, 3, 18, 25, "Care leavers placed out of area"),
    ]),
]

DEMO_LOGINS = [
    ("commissioner", "commissioner@demo.example.org"),
    ("inspector", "inspector@demo.example.org"),
    ("social worker", "social.worker@demo.example.org"),
    ("provider", "provider@demo.example.org"),
    ("provider (team member)", "colleague@demo.example.org"),
]

# How well each demo provider does on inspection: the chance of each answer being good.
PROVIDER_QUALITY = {
    "Harbour Lights Housing Ltd": 0.97,
    "Northway Supported Living CIC": 0.86,
    "Open Door Lodgings": 0.95,
    "Riverside Pathways Ltd": 0.9,
    "Cedar House Youth Services Ltd": 0.93,
    "Meridian Youth Homes Ltd": 0.88,
}
# The first version of each checklist is published; property inspection v2 is a draft on the
# Checklists page for commissioners to check, preview and approve (``_demo_draft``).
DEMO_PUBLISHED = ["due_diligence/v1.yaml", "file_sampling/v1.yaml", "property_inspection/v1.yaml"]

# email, name, role, council, organisation
DEMO_USERS = [
    ("commissioner@demo.example.org", "Priya Shah", Role.COMMISSIONER, None, None),
    ("second.commissioner@demo.example.org", "Tom Okafor", Role.COMMISSIONER, None, None),
    ("inspector@demo.example.org", "Sam Wright", Role.INSPECTOR, None, None),
    ("social.worker@demo.example.org", "Grace Mensah", Role.SOCIAL_WORKER, "Camden", None),
    ("provider@demo.example.org", "Daniel Byrne", Role.PROVIDER, None,
     "Harbour Lights Housing Ltd"),
    # Harbour Lights' second account: a member of its team (Daniel Byrne administers it).
    ("colleague@demo.example.org", "Lena Fischer", Role.PROVIDER, None,
     "Harbour Lights Housing Ltd"),
    ("manager@northway.example.org", "Aisha Khan", Role.PROVIDER, None,
     "Northway Supported Living CIC"),
]


def _get_or_create(model, lookup: dict, values: dict) -> tuple[object, bool]:
    record = db.session.scalar(sa.select(model).filter_by(**lookup))
    if record is not None:
        return record, False
    record = model(**lookup, **values)
    db.session.add(record)
    db.session.flush()
    return record, True


def load() -> int:
    """Create whatever of the demo consortium is missing; returns how many records."""
    created = load_local_authorities().added
    councils = {council.name: council for council in db.session.scalars(sa.select(Council))}
    if not db.session.scalar(sa.select(Council.id).where(Council.in_consortium)):
        for council in councils.values():
            if council.ons_code in MEMBERS:
                council.in_consortium = True
                created += 1
    organisations = {}
    for name, company_number, properties in PROVIDERS:
        organisations[name], new = _get_or_create(
            Organisation, {"name": name}, {"company_number": company_number})
        created += new
        for (label, line_1, town, postcode, la, category, beds, age_min, age_max,
             who_for) in properties:
            _, new = _get_or_create(
                Property, {"organisation_id": organisations[name].id, "name": label},
                {"address_line_1": line_1, "town": town, "postcode": postcode,
                 "local_authority_id": councils[la].id, "category": category,
                 "bed_spaces": beds, "age_min": age_min, "age_max": age_max,
                 "who_for": who_for},
            )
            created += new
    if created:
        audit.record("demo_data.loaded", details={"records": created})
    db.session.commit()
    for email, full_name, role, council, organisation in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)):
            continue
        user = operations.create_user(
            email=email, full_name=full_name, role=role, password=DEMO_PASSWORD,
            council=councils.get(council), organisation=organisations.get(organisation),
        )
        if mfa.required_for(user):
            # Confirmed with the previous step's code, so the current one still works.
            operations.add_authenticator(user, secret=DEMO_TOTP_SECRET, code=mfa.code_for(
                DEMO_TOTP_SECRET, mfa.current_step() - 1))
        created += 1
    created += _publish_checklists()
    created += _demo_draft()
    created += load_cases(organisations, PROVIDER_QUALITY)
    created += _demo_vacancies()
    created += _demo_property_change()
    return created


# Vacancies the demo providers' staff have recorded (property name -> vacancies now).
DEMO_VACANCIES = {"Albion House": 1, "Cranford Flat 2": 0, "Ferncliff Road": 2,
                  "Tottenham Lane": 2, "Westbury Avenue": 0}


def _demo_vacancies() -> int:
    """Recorded by each provider's own staff through the real operation (once)."""
    updated = 0
    for email, _, role, _, _ in DEMO_USERS:
        if role is not Role.PROVIDER:
            continue
        user = db.session.scalar(sa.select(User).where(User.email == email))
        for home in user.organisation.properties:
            if home.name in DEMO_VACANCIES and home.vacancies_updated_at is None:
                set_vacancies(user, home, DEMO_VACANCIES[home.name])
                updated += 1
    return updated


def _demo_property_change() -> int:
    """The demo provider asks (once) for one fewer bed space at an accredited property: a
    change for the demo commissioner to decide."""
    email = dict(DEMO_LOGINS)["provider"]
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None or db.session.scalar(sa.select(PropertyChange.id).where(
            PropertyChange.organisation_id == user.organisation_id)):
        return 0
    for home in user.organisation.properties:
        if property_on_register(home) and home.bed_spaces - 1 >= max(home.vacancies, 1):
            update_property(user, home, PropertyDetails(
                **{**details_as_asked(home), "bed_spaces": home.bed_spaces - 1}))
            return 1
    return 0


def _demo_draft() -> int:
    """Property inspection version 2, as a draft the demo commissioner started (once)."""
    if db.session.scalar(sa.select(ChecklistDraft.id).limit(1)) is not None:
        return 0
    author = db.session.scalar(
        sa.select(User).where(User.email == "commissioner@demo.example.org"))
    definition = load_definition(DEFINITIONS_DIR / "property_inspection" / "v2.yaml").to_dict()
    create_draft(author, definition, source="property_inspection/v2.yaml")
    return 1


def _publish_checklists() -> int:
    published = 0
    for name in DEMO_PUBLISHED:
        path = DEFINITIONS_DIR / name
        kind, number = path.parent.name, int(path.stem[1:])
        if db.session.scalar(sa.select(PublishedChecklist.id).filter_by(kind=kind,
                                                                        version=number)):
            continue
        published += len(publish_definitions(None, path))
    return published
