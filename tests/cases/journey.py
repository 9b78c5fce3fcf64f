"""Build cases the way the service does: through its operations, never by setting status."""

from __future__ import annotations

import random
from datetime import date

from accreditation.cases import operations
from accreditation.cases.models import Case, ProposalKind
from accreditation.demo_cases import plausible_answers
from accreditation.extensions import db
from accreditation.providers.models import (
    KEY_POLICIES,
    FileType,
    OrganisationPerson,
    PersonRole,
    Policy,
    RosterEntry,
    Tenure,
)
from accreditation.stages.file_sampling import (
    draw_file_samples,
    record_file_assessment,
    samples_for,
)
from accreditation.stages.property_inspection import record_property_inspection
from accreditation.standards.operations import current_checklist, record_assessment

from ..factories import PropertyFactory, UserFactory, attach_required_evidence

TODAY = date(2026, 11, 22)


def best_answers(kind: str, **context) -> dict:
    checklist = current_checklist(kind, TODAY).checklist
    return plausible_answers(checklist, random.Random(1), 1.0, **context)


def failing_answers(kind: str, **context) -> dict:
    answers = best_answers(kind, **context)
    checklist = current_checklist(kind, TODAY).checklist
    critical = next(item for item in checklist.items if item.critical and item.id in answers
                    and item.answer_type == "yes_no")
    answers[critical.id] = "no"
    return answers


class Journey:
    """The people of one application and the steps that move it along."""

    def __init__(self, properties: int = 2, staff_files: int = 6, young_people_files: int = 2):
        self.provider = UserFactory(provider=True)
        self.organisation = self.provider.organisation
        self.commissioner = UserFactory(commissioner=True)
        self.deciding_commissioner = UserFactory(commissioner=True)
        self.inspector = UserFactory(inspector=True)
        self._prepare(properties, staff_files, young_people_files)
        self.case: Case | None = None

    def _prepare(self, properties: int, staff_files: int, young_people_files: int) -> None:
        organisation = self.organisation
        organisation.registered_office = "1 High Street, London N1 1AA"
        organisation.ico_registration_number = "ZA123456"
        organisation.insurer = "Example Mutual"
        organisation.professional_indemnity_pounds = 2_000_000
        organisation.public_liability_millions = 10
        organisation.employers_liability_millions = 10
        organisation.insurance_expires_on = date(2027, 9, 30)
        db.session.add_all([
            OrganisationPerson(organisation=organisation, full_name="Dana Director",
                               role=PersonRole.DIRECTOR),
            OrganisationPerson(organisation=organisation, full_name="Manny Manager",
                               role=PersonRole.REGISTERED_MANAGER),
            *[Policy(organisation=organisation, name=name, last_reviewed_on=date(2026, 6, 1))
              for name in KEY_POLICIES],
            *[RosterEntry(organisation=organisation, file_type=FileType.STAFF,
                          reference=f"S-{n:03d}", role="Support worker",
                          started_on=date(2025, 1, 1)) for n in range(staff_files)],
            *[RosterEntry(organisation=organisation, file_type=FileType.YOUNG_PERSON,
                          reference=f"Y-{n:03d}", role="Placement",
                          started_on=date(2026, 3, 1)) for n in range(young_people_files)],
        ])
        for _ in range(properties):
            PropertyFactory(organisation=organisation, tenure=Tenure.OWNED)
        db.session.commit()

    # --- steps -------------------------------------------------------------------------------
    def submit(self) -> Case:
        self.case = operations.start_application(self.provider)
        attach_required_evidence(self.provider)  # for the properties it has by now
        operations.submit_application(self.provider, self.case,
                                      expected_version=self.case.version)
        return self.case

    def pass_due_diligence(self) -> Case:
        record_assessment(self.commissioner, kind="due_diligence", organisation=self.organisation,
                          case=self.case, answers=best_answers("due_diligence"),
                          assessed_on=TODAY)
        operations.pass_due_diligence(self.commissioner, self.case, inspector=self.inspector,
                                      expected_version=self.case.version,
                                      without_company_check=True)
        return self.case

    def sample_files(self, failing: set[str] = frozenset()) -> Case:
        draw_file_samples(self.inspector, self.case)
        for sample in samples_for(self.case):
            for sampled in sample.files:
                kind_context = {"file_type": sample.file_type.value}
                answers = (failing_answers if sampled.reference in failing else best_answers)(
                    "file_sampling", **kind_context)
                record_file_assessment(self.inspector, sampled, answers, TODAY)
        return self.case

    def complete_file_sampling(self) -> Case:
        self.sample_files()
        operations.complete_file_sampling(self.inspector, self.case,
                                          expected_version=self.case.version)
        return self.case

    def inspect_properties(self, failing: int = 0) -> Case:
        for index, link in enumerate(self.case.properties):
            category = link.home.category.value
            answers = (failing_answers if index < failing else best_answers)(
                "property_inspection", category=category)
            record_property_inspection(self.inspector, link, answers, TODAY)
        operations.complete_property_inspections(self.inspector, self.case,
                                                 expected_version=self.case.version)
        return self.case

    def accredit(self, **kwargs) -> Case:
        from accreditation.cases.models import DecisionOutcome

        operations.decide_case(self.deciding_commissioner, self.case,
                               outcome=kwargs.pop("outcome", DecisionOutcome.ACCREDITED),
                               reasons="Meets the standard.", expected_version=self.case.version,
                               **kwargs)
        return self.case

    def adverse(self, kind: ProposalKind, reasons: str = "Not fit.") -> Case:
        """Refuse, suspend or revoke as the service does: a commissioner proposes it, the
        provider makes representations, another commissioner confirms it."""
        operations.propose(self.commissioner, self.case, kind=kind, reasons=reasons,
                           expected_version=self.case.version)
        operations.make_representations(self.provider, self.case, text="We disagree.")
        operations.decide_proposal(self.deciding_commissioner, self.case,
                                   decision=operations.ProposalDecision.CONFIRM,
                                   consideration="Considered; the reasons stand.",
                                   expected_version=self.case.version)
        return self.case

    def all_the_way(self, failing_properties: int = 0) -> Case:
        self.submit()
        self.pass_due_diligence()
        self.complete_file_sampling()
        self.inspect_properties(failing=failing_properties)
        return self.accredit()


def photograph_required_items(actor, link) -> None:
    """A photo of each item of ``link``'s checklist that needs one, as a tablet sends it."""
    import io
    import uuid

    from werkzeug.datastructures import FileStorage

    from accreditation.stages import inspection_drafts

    from ..evidence.samples import jpeg

    _, items = inspection_drafts.checklist_for(link)
    for item in items:
        if item.photo_required:
            photo = FileStorage(io.BytesIO(jpeg()), filename=f"{item.id}.jpg",
                                content_type="image/jpeg")
            inspection_drafts.add_item_photo(actor, link, item.id, str(uuid.uuid4()), photo)
