"""Demo applications in every status, made the way the service makes them: by operations.

Each provider's history is played through the real operations (start, submit, due diligence,
file sampling, inspections, decision...), some of them "in the past" with ``clock.pretend``,
and the periodic job is run once at the end, as cron would have.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage

from . import clock
from .auth.models import Role, User
from .auth.operations import create_user
from .cases import operations
from .cases.lifecycle import tick
from .cases.models import Case, DecisionOutcome, ProposalKind
from .checklists import NOT_APPLICABLE, ChecklistVersion
from .companies import registry_from_config, uses_offline_register
from .councils import Council
from .evidence import requirements
from .evidence.operations import upload_required_evidence
from .extensions import db
from .providers.models import (
    KEY_POLICIES,
    AccommodationCategory,
    FileType,
    Organisation,
    OrganisationPerson,
    PersonRole,
    Policy,
    Property,
    RosterEntry,
    Tenure,
)
from .stages.due_diligence import check_company, record_due_diligence
from .stages.file_sampling import draw_file_samples, record_file_assessment, samples_for
from .stages.inspection_drafts import AnswerChange, save_answers
from .stages.property_inspection import record_property_inspection
from .standards.operations import current_checklist

FIRST_STEP = date(2026, 9, 1)  # when the shipped checklists' first threshold step began

# Extra providers, one property each, to show every status. (name, company number, town,
# postcode, local authority, category)
EXTRA_PROVIDERS = [
    ("Brightstart Housing Ltd", "13572468", "London", "N17 6AB", "Haringey",
     AccommodationCategory.SINGLE_OCCUPANCY),
    ("Kestrel Youth Living Ltd", "13572469", "London", "E5 8QJ", "Hackney",
     AccommodationCategory.RING_FENCED_SHARED),
    ("Lantern Lodgings CIC", "13572470", "London", "EN3 4HH", "Enfield",
     AccommodationCategory.SUPPORTED_LODGINGS),
    ("Maple Court Homes Ltd", "13572471", "London", "SW9 8HE", "Lambeth",
     AccommodationCategory.SINGLE_OCCUPANCY),
    ("Oakfield Supported Living Ltd", "13572472", "London", "SE15 5DQ", "Southwark",
     AccommodationCategory.NON_RING_FENCED_SHARED),
    ("Pennine Youth Homes Ltd", "13572473", "London", "NW1 8XR", "Camden",
     AccommodationCategory.RING_FENCED_SHARED),
    ("Quayside Housing Ltd", "13572474", "London", "E14 3QS", "Tower Hamlets",
     AccommodationCategory.SINGLE_OCCUPANCY),
    ("Rowan Tree Homes Ltd", "13572475", "London", "N3 2LN", "Barnet",
     AccommodationCategory.NON_RING_FENCED_SHARED),
    ("Sycamore House Ltd", "13572476", "London", "E17 4PP", "Waltham Forest",
     AccommodationCategory.RING_FENCED_SHARED),
    ("Thornbury Lodgings Ltd", "13572477", "London", "N9 0AS", "Enfield",
     AccommodationCategory.SUPPORTED_LODGINGS),
]

DEMO_PASSWORD = "demo passphrase for accreditation"  # noqa: S105 (published demo password)


def plausible_answers(checklist: ChecklistVersion, rng: random.Random, quality: float, *,
                      category: str | None = None, file_type: str | None = None) -> dict:
    """Answers an inspector might give to a provider of the given quality (0 to 1)."""
    answers = {}
    for item in checklist.items:
        if category and category not in item.applies_to:
            continue
        if file_type and file_type not in item.applies_to_files:
            continue
        # Providers get the items that are always critical (gas, fire...) right far more often.
        good = rng.random() < (max(quality, 0.99) if item.critical else quality)
        if item.answer_type == "free_text":
            answers[item.id] = "Seen on the day; discussed with the manager."
        elif item.allow_not_applicable and rng.random() < 0.05:
            answers[item.id] = NOT_APPLICABLE
        elif item.answer_type == "yes_no":
            answers[item.id] = "yes" if good else "no"
        elif item.answer_type == "graded":
            answers[item.id] = rng.choice([2, 3, 3]) if good else rng.choice([0, 1, 1, 2])
        else:  # number: inside the pass range when good, just outside it when not
            low, high = item.pass_min, item.pass_max
            if good:
                value = low if low is not None else (high if high is not None else 0)
            else:
                value = (high + 1) if high is not None else (low - 1)
            answers[item.id] = value
    return answers


def demo_pdf(text: str) -> bytes:
    """A one-page PDF that says ``text`` (ASCII), for the demo's evidence files."""
    safe = "".join(ch for ch in text if 32 <= ord(ch) < 127)
    safe = safe.replace("\\", "").replace("(", "[").replace(")", "]")
    content = f"BT /F1 11 Tf 40 760 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


class DemoStory:
    """One provider's application, told through the operations."""

    def __init__(self, organisation: Organisation, quality: float, rng: random.Random):
        self.organisation = organisation
        self.quality = quality
        self.rng = rng
        self.provider = db.session.scalar(sa.select(User).where(
            User.organisation_id == organisation.id)) or self._provider_user()
        staff = {role: db.session.scalars(sa.select(User).where(User.role == role)
                                          .order_by(User.id)).all()
                 for role in (Role.COMMISSIONER, Role.INSPECTOR)}
        self.inspector = staff[Role.INSPECTOR][0]
        # The second commissioner does due diligence; the first (the demo sign-in) decides.
        self.deciding_commissioner, self.commissioner = staff[Role.COMMISSIONER][:2]
        self.case: Case | None = None

    def _provider_user(self) -> User:

        slug = "".join(ch for ch in self.organisation.name.lower() if ch.isalnum())[:20]
        return create_user(email=f"manager@{slug}.example.org",
                           full_name=f"Manager of {self.organisation.name}",
                           role=Role.PROVIDER, password=DEMO_PASSWORD,
                           organisation=self.organisation)

    # --- the application ---------------------------------------------------------------------
    def prepare(self) -> DemoStory:
        organisation, rng = self.organisation, self.rng
        organisation.registered_office = f"Unit {rng.randint(1, 30)}, Enterprise House, London"
        organisation.ico_registration_number = f"ZA{400100 + organisation.id:06d}"
        organisation.insurer = rng.choice(["Zurich Municipal", "Ecclesiastical", "Aviva"])
        organisation.professional_indemnity_pounds = 5_000_000
        organisation.public_liability_millions = rng.choice([5, 10])
        organisation.employers_liability_millions = 10
        organisation.insurance_expires_on = clock.today() + timedelta(days=rng.randint(90, 300))
        first, last = rng.choice(["Amara", "Ben", "Chloe", "Dev", "Ellen"]), rng.choice(
            ["Osei", "Murphy", "Patel", "Nowak", "Hughes"])
        db.session.add_all([
            OrganisationPerson(organisation=organisation, full_name=f"{first} {last}",
                               role=PersonRole.DIRECTOR, appointed_on=date(2019, 4, 1)),
            OrganisationPerson(organisation=organisation, full_name=f"Jo {last}-Reid",
                               role=PersonRole.REGISTERED_MANAGER),
            *[Policy(organisation=organisation, name=name,
                     last_reviewed_on=clock.today() - timedelta(days=rng.randint(20, 300)))
              for name in KEY_POLICIES],
            *[RosterEntry(organisation=organisation, file_type=FileType.STAFF,
                          reference=f"S-{n:03d}", role=rng.choice(
                              ["Support worker", "Senior support worker", "Night worker"]),
                          started_on=date(2024, 1, 1) + timedelta(days=40 * n))
              for n in range(1, 9)],
            *[RosterEntry(organisation=organisation, file_type=FileType.YOUNG_PERSON,
                          reference=f"YP-{n:03d}", role="Placement",
                          started_on=date(2026, 1, 1) + timedelta(days=30 * n))
              for n in range(1, 4)],
        ])
        for property_ in organisation.properties:
            if property_.category is AccommodationCategory.SUPPORTED_LODGINGS:
                property_.tenure = Tenure.OWNED  # the host family's own home
            else:
                property_.tenure = Tenure.LEASED
                property_.landlord_name = "Northern Estates Ltd"
                property_.lease_ends_on = date(2029, 3, 31)
                property_.landlord_consent = True
        db.session.commit()
        return self

    def answers(self, checklist: ChecklistVersion, **context) -> dict:
        return plausible_answers(checklist, self.rng, self.quality, **context)

    def upload_evidence(self) -> DemoStory:
        """A document for every piece of evidence the application needs, uploaded as the
        provider would (the same checks, storage and audit event as the pages)."""
        for piece in requirements.missing(self.organisation):
            upload_required_evidence(self.provider, piece.key, piece.home, FileStorage(
                io.BytesIO(demo_pdf(f"{self.organisation.name}: {piece.title}")),
                filename=f"{piece.key.replace('_', '-')}.pdf", content_type="application/pdf"))
        return self

    def submit(self) -> DemoStory:
        self.case = operations.start_application(self.provider)
        self.upload_evidence()
        operations.submit_application(self.provider, self.case,
                                      expected_version=self.case.version)
        return self

    def due_diligence(self, *, check: bool = False) -> DemoStory:
        if check:
            check_company(self.commissioner, self.case)
        checklist = current_checklist("due_diligence").checklist
        record_due_diligence(self.commissioner, self.case,
                             plausible_answers(checklist, self.rng, 1.0))
        return self

    def pass_due_diligence(self) -> DemoStory:
        # Companies House is asked about the companies the offline register has; the others
        # pass with the commissioner's confirmation that they were checked another way.
        self.due_diligence(check=self._on_offline_register())
        operations.pass_due_diligence(self.commissioner, self.case, inspector=self.inspector,
                                      expected_version=self.case.version,
                                      without_company_check=True)
        return self

    def _on_offline_register(self) -> bool:
        number, config = self.organisation.company_number, current_app.config
        if not number or not uses_offline_register(config):
            return False
        return number in registry_from_config(config).company_numbers()

    def sample_files(self, assess: int | None = None) -> DemoStory:
        draw_file_samples(self.inspector, self.case)
        checklist = current_checklist("file_sampling").checklist
        files = [(sample, sampled) for sample in samples_for(self.case)
                 for sampled in sample.files]
        for sample, sampled in files[:assess]:
            record_file_assessment(self.inspector, sampled, plausible_answers(
                checklist, self.rng, 1.0, file_type=sample.file_type.value), clock.today())
        return self

    def complete_file_sampling(self) -> DemoStory:
        self.sample_files()
        operations.complete_file_sampling(self.inspector, self.case,
                                          expected_version=self.case.version)
        return self

    def inspect(self, count: int | None = None) -> DemoStory:
        checklist = current_checklist("property_inspection").checklist
        for link in self.case.properties[:count]:
            record_property_inspection(self.inspector, link, self.answers(
                checklist, category=link.home.category.value), clock.today())
        return self

    def draft_answers(self) -> DemoStory:
        """Half the answers to the next property still to inspect, sent from a tablet: an
        inspection under way, as the inspector's tablet pages show it."""

        link = next((link for link in self.case.properties if link.assessment_id is None), None)
        if link is None:
            return self
        # Its own random numbers: the stories told after this one stay as they were.
        rng = random.Random(link.id)  # noqa: S311 (demo data, not secrets)
        answers = plausible_answers(current_checklist("property_inspection").checklist, rng,
                                    self.quality, category=link.home.category.value)
        half = list(answers.items())[:len(answers) // 2]
        save_answers(self.inspector, link, [
            AnswerChange(str(uuid.UUID(int=rng.getrandbits(128), version=4)), item_id, value,
                         None, 0) for item_id, value in half], device_id="demo-tablet")
        return self

    def complete_inspections(self) -> DemoStory:
        self.inspect()
        operations.complete_property_inspections(self.inspector, self.case,
                                                 expected_version=self.case.version)
        return self

    def decide(self, outcome=DecisionOutcome.ACCREDITED, *, expires_on: date | None = None,
               conditions: int = 0) -> DemoStory:
        chosen = list(operations.condition_candidates(self.case).values())[:conditions]
        operations.decide_case(
            self.deciding_commissioner, self.case, outcome=outcome, expires_on=expires_on,
            expected_version=self.case.version,
            reasons="All properties inspected meet the consortium's standard.",
            conditions=[candidate.as_condition(
                clock.today() + timedelta(days=operations.CONDITION_DAYS))
                for candidate in chosen])
        return self

    def adverse(self, kind: ProposalKind, reasons: str, representations: str) -> DemoStory:
        """Refused, suspended or revoked as the service does it: proposed by one
        commissioner, answered by the provider, confirmed by the other."""
        operations.propose(self.commissioner, self.case, kind=kind, reasons=reasons,
                           expected_version=self.case.version)
        operations.make_representations(self.provider, self.case, text=representations)
        operations.decide_proposal(
            self.deciding_commissioner, self.case, decision=operations.ProposalDecision.CONFIRM,
            expected_version=self.case.version,
            consideration="The representations were read in full. They do not show that the "
                          "concerns have been put right, so the reasons stand.")
        return self

    def accredited(self, **kwargs) -> DemoStory:
        self.submit()
        self.pass_due_diligence()
        self.complete_file_sampling()
        self.complete_inspections()
        outcome = (DecisionOutcome.ACCREDITED_WITH_CONDITIONS if kwargs.get("conditions")
                   else DecisionOutcome.ACCREDITED)
        return self.decide(outcome, **kwargs)

    def returned(self, message: str, actor: User) -> DemoStory:
        operations.return_to_provider(actor, self.case, message=message,
                                      due_on=clock.today() + timedelta(days=14),
                                      expected_version=self.case.version)
        return self


def _extra_organisations() -> dict[str, Organisation]:
    councils = {council.name: council for council in db.session.scalars(sa.select(Council))}
    organisations = {}
    for index, (name, number, town, postcode, authority, category) in enumerate(
            EXTRA_PROVIDERS):
        organisation = Organisation(name=name, company_number=number)
        db.session.add(organisation)
        db.session.add(Property(
            organisation=organisation, name=f"{name.split()[0]} House",
            address_line_1=f"{10 + index} Example Road", town=town, postcode=postcode,
            local_authority=councils[authority], category=category, bed_spaces=3,
            age_min=16 if category is AccommodationCategory.RING_FENCED_SHARED else 18,
            age_max=21, who_for="Care leavers"))
        organisations[name] = organisation
    db.session.commit()
    return organisations


def load_cases(organisations: dict[str, Organisation], quality: dict[str, float]) -> int:
    """Every status of the lifecycle, once. Returns how many applications were made."""
    if db.session.scalar(sa.select(sa.func.count(Case.id))):
        return 0
    rng = random.Random(2026)  # noqa: S311 (demo data, not security)
    today = clock.today()
    organisations = {**organisations, **_extra_organisations()}

    def story(name: str, when: date | None = None) -> Callable[[Callable], None]:
        def run(plot: Callable[[DemoStory], object]) -> None:
            demo = DemoStory(organisations[name], quality.get(name, 0.95), rng).prepare()
            with clock.pretend(max(when or today, FIRST_STEP)):
                plot(demo)
        return run

    weeks_ago = today - timedelta(days=42)
    story("Harbour Lights Housing Ltd", weeks_ago)(lambda s: s.accredited())
    story("Northway Supported Living CIC", weeks_ago)(lambda s: s.accredited(conditions=2))
    story("Open Door Lodgings")(lambda s: (s.submit(), s.pass_due_diligence(),
                                           s.complete_file_sampling(), s.complete_inspections()))
    story("Riverside Pathways Ltd")(lambda s: (s.submit(), s.pass_due_diligence(),
                                               s.complete_file_sampling(), s.inspect(count=1),
                                               s.draft_answers()))
    story("Cedar House Youth Services Ltd")(lambda s: (s.submit(), s.pass_due_diligence(),
                                                       s.sample_files(assess=2)))
    story("Meridian Youth Homes Ltd")(lambda s: (s.submit(), s.due_diligence(check=True)))
    story("Brightstart Housing Ltd")(
        lambda s: operations.start_application(s.provider))
    story("Kestrel Youth Living Ltd")(lambda s: (s.submit(), s.returned(
        "Please send the signed lease for Kestrel House and the landlord's written consent "
        "to use it as supported accommodation.", s.commissioner)))
    story("Sycamore House Ltd")(lambda s: (s.submit(), s.pass_due_diligence(),
                                           s.complete_file_sampling(), s.returned(
        "The gas safety certificate seen on the visit had expired. Please send the new "
        "certificate.", s.inspector)))
    story("Thornbury Lodgings Ltd")(lambda s: (s.submit(), s.pass_due_diligence(),
                                               s.sample_files(assess=3), s.returned(
        "Two of the sampled staff files had no second reference. Please send the missing "
        "references for S-003 and S-006.", s.inspector)))
    story("Lantern Lodgings CIC")(lambda s: s.submit().adverse(
        ProposalKind.REFUSAL,
        reasons="Accounts have not been filed for two years and the statement of purpose "
                "does not describe the service offered.",
        representations="Our accountant is preparing the accounts."))
    story("Quayside Housing Ltd")(lambda s: (s.submit(), operations.withdraw_application(
        s.provider, s.case, expected_version=s.case.version)))
    story("Maple Court Homes Ltd", weeks_ago)(lambda s: (s.accredited(), operations.suspend(
        s.commissioner, s.case, expected_version=s.case.version,
        reason="A safeguarding concern raised by a placing council is being investigated.")))
    story("Oakfield Supported Living Ltd", weeks_ago)(lambda s: s.accredited().adverse(
        ProposalKind.REVOCATION,
        reasons="Staffing fell below the agreed model and was not restored within the time "
                "agreed.",
        representations="We are recruiting two support workers."))
    long_ago = today - timedelta(days=80)
    story("Pennine Youth Homes Ltd", long_ago)(
        lambda s: s.accredited(expires_on=max(long_ago, FIRST_STEP) + timedelta(days=30)))
    story("Rowan Tree Homes Ltd", weeks_ago)(
        lambda s: s.accredited(expires_on=today + timedelta(days=45)))
    # What cron would have done by now: expiries, re-inspections due, reminders.
    tick(today)
    return db.session.scalar(sa.select(sa.func.count(Case.id)))
