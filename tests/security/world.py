"""A small world where every route has something to act on, built through real operations.

Provider A has an application that went all the way (accredited with a condition), so it has
sampled files, inspected properties, a decision letter, a condition and evidence.
Provider A's team has its administrator (who registered it), a member, a colleague an
administrator or a commissioner removes, and an invitation waiting. Provider B is another
organisation (its administrator) with a property of its own. The inspector is assigned to
A's application; the other inspector is not. The social worker has recorded a referral check
of A, and the commissioner has an open staff invitation and a company number to decide on
(B's, which a third organisation registered too).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from werkzeug.datastructures import FileStorage

from accreditation.auth.email_change import request_email_change
from accreditation.auth.models import Role, User
from accreditation.auth.operations import (
    RegistrationLinks,
    confirm_registration,
    invite_staff,
    request_registration,
)
from accreditation.auth.password_reset import request_password_reset
from accreditation.auth.tokens import create_token
from accreditation.cases import operations as case_operations
from accreditation.cases.models import DecisionOutcome
from accreditation.evidence.operations import upload_provider_evidence
from accreditation.extensions import db
from accreditation.providers.models import open_company_number_claim
from accreditation.providers.operations import (
    PropertyDetails,
    details_as_asked,
    update_property,
)
from accreditation.register.openreferral import (
    TAXONOMY_ID,
    service_at_location_id,
    service_id,
    term_id,
)
from accreditation.register.operations import record_referral_check
from accreditation.stages.file_sampling import samples_for
from accreditation.stages.inspection_drafts import checklist_for
from accreditation.standards.drafts import start_draft
from accreditation.teams.operations import invite_colleague

from ..cases.journey import TODAY, Journey
from ..evidence.samples import pdf
from ..factories import TEST_PASSWORD, CouncilFactory, PropertyFactory, UserFactory

ANONYMOUS = "anonymous"
PROVIDER_A = "provider_a"  # provider A's administrator
PROVIDER_A_MEMBER = "provider_a_member"  # a member of A's team: not an administrator
PROVIDER_B = "provider_b"
INSPECTOR = "inspector"  # assigned to provider A's application
OTHER_INSPECTOR = "other_inspector"  # assigned to nothing of A's
COMMISSIONER = "commissioner"
SOCIAL_WORKER = "social_worker"

ACTORS = (ANONYMOUS, PROVIDER_A, PROVIDER_A_MEMBER, PROVIDER_B, INSPECTOR, OTHER_INSPECTOR,
          COMMISSIONER, SOCIAL_WORKER)


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, object]
    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, actor: str) -> dict:
        if actor == ANONYMOUS:
            return {}
        if actor not in self.tokens:
            _, self.tokens[actor] = create_token(self.users[actor], "access matrix")
        return {"Authorization": f"Bearer {self.tokens[actor]}"}


def build_world() -> World:
    journey = Journey(properties=2, staff_files=6, young_people_files=2)
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    condition = case_operations.NewCondition(
        "damp_and_mould", "Damp and mould", "Treat the mould in bedroom 2.",
        TODAY + timedelta(days=28))
    journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[condition])
    case = journey.case
    organisation = journey.organisation

    provider_b = UserFactory(provider=True)
    PropertyFactory(organisation=provider_b.organisation)
    other_inspector = UserFactory(inspector=True)
    social_worker = UserFactory(social_worker=True)

    evidence = upload_provider_evidence(
        journey.provider,
        FileStorage(io.BytesIO(pdf()), filename="insurance.pdf", content_type="application/pdf"),
        purpose="insurance_certificate")
    check = record_referral_check(social_worker, organisation, reference="CASE/1234")
    tokens: list[str] = []
    invitation = invite_staff(
        journey.commissioner, email="new.inspector@example.org", full_name="New Inspector",
        role=Role.INSPECTOR, council=None,
        accept_url_for=lambda token: tokens.append(token) or f"/invitations/{token}")
    # A second one to accept: the first is withdrawn by a commissioner along the way.
    invite_staff(
        journey.commissioner, email="another.inspector@example.org", full_name="Another One",
        role=Role.INSPECTOR, council=None,
        accept_url_for=lambda token: tokens.append(token) or f"/invitations/{token}")
    # A member council with nothing in it, for pages that list councils (it may leave).
    empty_council = CouncilFactory()
    # A third organisation registers with B's company number: a dispute for a commissioner.
    provider_b.organisation.company_number = "07654321"
    links: list[str] = []
    request_registration(
        organisation_name="Claimant Ltd", company_number="07654321", full_name="Claire Mant",
        email="claimant@example.org", password="the claimant's passphrase", client="world",
        links=RegistrationLinks(confirm_url_for=lambda token: links.append(token) or token,
                                sign_in="/sign-in", register="/register-organisation"))
    claimant = confirm_registration(links[0], password="the claimant's passphrase",
                                    client="world")
    dispute = open_company_number_claim(claimant.organisation)
    # A member of staff who is none of the actors: commissioners sign them out everywhere and
    # reset their authenticator without ending the actors' own sessions.
    colleague = UserFactory(inspector=True, email="colleague@example.org")
    # The colleague has forgotten their password, and is changing their e-mail address: links
    # to follow (whoever follows them changes no actor's account).
    account_links: list[str] = []
    request_password_reset(colleague.email, client="world",
                           link_for=lambda token: account_links.append(token) or token)
    request_email_change(colleague, new_email="colleague.new@example.org",
                         password=TEST_PASSWORD, client="world",
                         link_for=lambda token: account_links.append(token) or token)

    # Provider A's team: a member (an actor), a colleague to remove, an invitation waiting.
    member = UserFactory(role=Role.PROVIDER, organisation=organisation,
                         email="member@provider-a.example.org")
    leaving = UserFactory(role=Role.PROVIDER, organisation=organisation,
                          email="leaving@provider-a.example.org")
    team_invitation = invite_colleague(
        journey.provider, email="joining@provider-a.example.org", full_name="Jo Ining",
        administrator=False, accept_url_for=lambda token: f"/invitations/{token}")

    link = case.properties[0]
    home = link.home
    # Provider A asks to change what was accredited about its property: a change to decide.
    change = update_property(journey.provider, home, PropertyDetails(
        **{**details_as_asked(home), "bed_spaces": home.bed_spaces + 1}))
    sampled = samples_for(case)[0].files[0]
    _, items = checklist_for(link)
    _, file_items = checklist_for(sampled)
    # A commissioner's draft of the next property inspection version, copied from version 1.
    draft = start_draft(journey.commissioner, "property_inspection", copy_of=1)
    db.session.commit()
    ids = {
        "case_id": case.id,
        "link_id": link.id,
        "sampled_id": sampled.id,
        "condition_id": case.conditions[0].id,
        "action": "suspend",
        "evidence_id": evidence.id,
        "property_id": home.id,
        "change_id": change.id,
        "entry_id": organisation.roster[0].id,
        "person_id": organisation.people[0].id,
        "organisation_id": organisation.id,
        "check_id": check.id,
        "invitation_id": invitation.id,
        "user_id": colleague.id,
        "account_id": provider_b.id,  # a provider account a commissioner may reset
        "member_id": leaving.id,  # A's colleague its administrator or a commissioner removes
        "team_invitation_id": team_invitation.id,
        "dispute_id": dispute.id,
        "council_id": empty_council.id,
        "token": tokens[1],
        "reset_token": account_links[0],
        "email_change_token": account_links[1],
        "kind": "property_inspection",
        "requirement": "insurance_certificate",
        "document": "gas_safety_certificate",
        "version": 1,
        "item_id": items[0].id,
        "file_item_id": file_items[0].id,  # a sampled file's checklist has items of its own
        "conflict_id": 1,
        "draft_id": draft.id,
        "draft_section": draft.definition["sections"][0]["id"],
        "draft_item": draft.definition["items"][0]["id"],
        "step_date": draft.definition["schedule"][-1]["effective_from"],
        "photo_client_id": "5b6f0e0a-3c1d-4e2f-8a9b-0c1d2e3f4a5b",  # no photo has it
        "service_uuid": service_id(organisation),
        "location_uuid": service_at_location_id(organisation, home.local_authority),
        "taxonomy_uuid": TAXONOMY_ID,
        "term_uuid": term_id(home.category),
        "anything": "organizations",
        "filename": "favicon.svg",
    }
    users = {
        PROVIDER_A: journey.provider,
        PROVIDER_A_MEMBER: member,
        PROVIDER_B: provider_b,
        INSPECTOR: journey.inspector,
        OTHER_INSPECTOR: other_inspector,
        COMMISSIONER: journey.commissioner,
        SOCIAL_WORKER: social_worker,
    }
    return World(users=users, ids=ids)
