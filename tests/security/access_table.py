"""Who may use each endpoint: the access matrix, one entry per endpoint, written out by hand.

The ids in each route's address are provider A's objects (see ``world.py``), so for every
endpoint the table says which actors may use it (``may``) and which actors have a role that
may use the endpoint but get 404 because the object is not theirs (``hidden``). Everyone else
who is signed in gets 403; an anonymous visitor is sent to sign in (pages) or gets 401 (API).
The table is deliberately not derived from the routes' decorators: it is the second opinion.

A new route without an entry here fails ``test_access_matrix.py``: add it below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .world import (
    ACTORS,
    ANONYMOUS,
    COMMISSIONER,
    INSPECTOR,
    OTHER_INSPECTOR,
    PROVIDER_A,
    PROVIDER_A_MEMBER,
    PROVIDER_B,
    SOCIAL_WORKER,
)


@dataclass(frozen=True)
class Access:
    may: frozenset[str]
    hidden: frozenset[str] = frozenset()
    # Form fields (pages) or JSON body (API) for a request that changes something: enough
    # for the request to reach the permission decision, whatever the validation says after.
    body: dict = field(default_factory=dict)
    # The allowed request may find the object missing or gone (an answer conflict that is
    # not there, a page that needs state the world does not have): 404 is accepted.
    may_miss: bool = False


def entry(*may: str, hidden: tuple[str, ...] = (), body: dict | None = None,
          may_miss: bool = False) -> Access:
    return Access(frozenset(may), frozenset(hidden), body or {}, may_miss)


EVERYONE = ACTORS
SIGNED_IN = tuple(actor for actor in ACTORS if actor != ANONYMOUS)
# Everyone in provider A's team, administrator or member: the same on everything but the team.
TEAM_A = (PROVIDER_A, PROVIDER_A_MEMBER)
PROVIDERS = (*TEAM_A, PROVIDER_B)
# Organisation administrators: A's and B's (a member is refused, 403).
ADMINISTRATORS = (PROVIDER_A, PROVIDER_B)
INSPECTORS = (INSPECTOR, OTHER_INSPECTOR)
REGISTER_READERS = (INSPECTOR, OTHER_INSPECTOR, COMMISSIONER, SOCIAL_WORKER)
# Provider A's application: its provider, its inspector and commissioners; provider B and the
# other inspector have the role but not the application.
ON_CASE_A = dict(hidden=(PROVIDER_B, OTHER_INSPECTOR))
STAFF_ON_CASE_A = dict(hidden=(OTHER_INSPECTOR,))
OWNED_BY_A = dict(hidden=(PROVIDER_B,))

ANSWERS = {"answers": {"manager_named": "yes"}}
# Stand-ins for uploaded files: the request carries a small valid file of that kind.
PDF = "<a PDF file>"
PHOTO = "<a PNG photo>"
CLIENT_ID = "7d0a4a4e-4a49-4a9f-9a52-0e4a3c1b2d11"

ACCESS: dict[str, Access] = {
    # --- public pages and feeds -----------------------------------------------------------
    "main.home": entry(*EVERYONE),
    "main.accessibility": entry(*EVERYONE),
    "main.cookies": entry(*EVERYONE),
    "main.privacy": entry(*EVERYONE),
    "main.healthz": entry(*EVERYONE),
    # Prometheus's bearer token, not a person's role: off (404) while no token is set.
    "main.metrics_page": entry(*EVERYONE, may_miss=True),
    "static": entry(*EVERYONE),
    "auth.sign_in": entry(*EVERYONE),
    "auth.register_provider": entry(*EVERYONE),
    "auth.registration_sent": entry(*EVERYONE),
    # The world's token is an invitation's: no registration has it.
    "auth.confirm_registration": entry(*EVERYONE, may_miss=True),
    "auth.accept_invitation": entry(*EVERYONE),
    # Links about one's own account (the world's colleague's): whoever follows one first uses
    # it up, so later requests may find it gone.
    "auth.forgotten_password": entry(*EVERYONE),
    "auth.password_reset_sent": entry(*EVERYONE),
    "auth.reset_password": entry(*EVERYONE, may_miss=True),
    "auth.confirm_email_change": entry(*EVERYONE, may_miss=True),
    # Half-way through signing in: without a pending sign-in, back to the sign-in page.
    "auth.second_factor": entry(*EVERYONE),
    "auth.set_up_authenticator": entry(*EVERYONE),
    "openreferral.index": entry(*EVERYONE),
    "openreferral.services": entry(*EVERYONE),
    "openreferral.service": entry(*EVERYONE),
    "openreferral.openapi": entry(*EVERYONE),
    "openreferral.service_at_locations": entry(*EVERYONE),
    "openreferral.service_at_location": entry(*EVERYONE),
    "openreferral.taxonomies": entry(*EVERYONE),
    "openreferral.taxonomy": entry(*EVERYONE),
    "openreferral.taxonomy_terms": entry(*EVERYONE),
    "openreferral.taxonomy_term": entry(*EVERYONE),
    "openreferral.unknown": entry(*EVERYONE, may_miss=True),
    "openreferral.read_only": entry(*EVERYONE),
    "stages.inspector_manifest": entry(*EVERYONE),
    "stages.service_worker": entry(*EVERYONE),
    "stages.signed_out": entry(*EVERYONE),
    # A private calendar link's token, not a session: the world's token is no calendar's.
    "stages.calendar_feed": entry(*EVERYONE, may_miss=True),
    "api.openapi": entry(*EVERYONE),

    # --- any signed-in user ---------------------------------------------------------------
    "auth.change_password": entry(*SIGNED_IN),
    "auth.sign_out": entry(*SIGNED_IN),
    "auth.keep_alive": entry(*SIGNED_IN),
    "auth.account": entry(*SIGNED_IN),
    "auth.make_calendar_link": entry(*INSPECTORS, body={"with_addresses": "y"}),
    "auth.withdraw_calendar_link": entry(*INSPECTORS),
    "auth.confirm_identity": entry(*SIGNED_IN),
    "auth.replace_authenticator": entry(*SIGNED_IN),
    "auth.new_recovery_codes": entry(*SIGNED_IN),
    "auth.change_email": entry(*SIGNED_IN),

    # --- provider pages: their own organisation only ------------------------------------
    "providers.home": entry(*PROVIDERS),
    "providers.application": entry(*PROVIDERS),
    "providers.start_application": entry(*PROVIDERS),
    "providers.resubmit": entry(*PROVIDERS),
    "providers.check_and_submit": entry(*PROVIDERS),
    "providers.submitted": entry(*PROVIDERS),
    "providers.withdraw": entry(*PROVIDERS),
    "providers.conditions": entry(*PROVIDERS),
    "providers.respond_to_condition": entry(*TEAM_A, **OWNED_BY_A,
                                            body={"response": "Treated."}),
    "providers.rosters": entry(*PROVIDERS),
    # Removals: the first of A's team removes it; after that it is gone for the other.
    "providers.remove_roster_entry": entry(*TEAM_A, **OWNED_BY_A, may_miss=True),
    "providers.insurance_and_policies": entry(*PROVIDERS),
    "providers.landlords": entry(*PROVIDERS),
    "providers.organisation_details": entry(*PROVIDERS),
    "providers.add_person": entry(*PROVIDERS),
    "providers.remove_person": entry(*TEAM_A, **OWNED_BY_A, may_miss=True),
    "providers.properties": entry(*PROVIDERS),
    "providers.add_property": entry(*PROVIDERS),
    "providers.property_detail": entry(*TEAM_A, **OWNED_BY_A),
    "providers.edit_property": entry(*TEAM_A, **OWNED_BY_A),
    "providers.landlord_arrangements": entry(*TEAM_A, **OWNED_BY_A),
    "providers.remove_property": entry(*TEAM_A, **OWNED_BY_A, may_miss=True),
    "providers.update_vacancies": entry(*TEAM_A, **OWNED_BY_A, body={"vacancies": "1"}),
    "providers.withdraw_property_change": entry(*TEAM_A, **OWNED_BY_A, may_miss=True),
    "standards.provider_gap_report": entry(*PROVIDERS),
    # The team: everyone sees it; administrators manage it, their own organisation's only.
    "teams.team": entry(*PROVIDERS),
    "teams.invite": entry(*ADMINISTRATORS, body={
        "full_name": "New Colleague", "email": "new.colleague@example.org",
        "access": "member"}),
    # A's administrator removes the colleague a commissioner has deactivated already.
    "teams.remove": entry(PROVIDER_A, **OWNED_BY_A),
    "teams.change_access": entry(PROVIDER_A, **OWNED_BY_A, body={"access": "administrator"}),
    "teams.withdraw_invitation": entry(PROVIDER_A, **OWNED_BY_A),
    "evidence.provider_evidence": entry(*PROVIDERS,
                                        body={"file": PDF, "purpose": "insurance_certificate"}),
    "evidence.condition_evidence": entry(*TEAM_A, **OWNED_BY_A, body={"file": PDF}),
    # What an application needs: each provider its own; a property's only its owner's team.
    "evidence.required_evidence": entry(*PROVIDERS, body={"file": PDF}),
    "evidence.required_property_evidence": entry(*TEAM_A, **OWNED_BY_A, body={"file": PDF}),

    # --- applications (cases) -------------------------------------------------------------
    "cases.case_list": entry(*INSPECTORS, COMMISSIONER),
    "cases.case_detail": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    # The world's action is "suspend": the case's provider and inspector may use other
    # actions of this address, but are refused this one by the operation (403, audited).
    "cases.case_action": entry(COMMISSIONER, **ON_CASE_A,
                               body={"reasons": "Concern.", "expected_version": "1"}),
    "cases.decision_letter": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    "cases.decision_letter_pdf": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    "cases.decision_bundle": entry(*TEAM_A, COMMISSIONER, **OWNED_BY_A),
    "cases.decision": entry(COMMISSIONER),
    "cases.confirm_condition": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    # The notice of an adverse decision. The world's case has no notice (and the proposal
    # page needs ``?kind=``), so the people allowed may find nothing there (404).
    "cases.propose": entry(COMMISSIONER, may_miss=True,
                           body={"reasons": "Concern.", "version": "1"}),
    "cases.notice": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A, may_miss=True),
    "cases.notice_pdf": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A, may_miss=True),
    "cases.representations": entry(*TEAM_A, **OWNED_BY_A, may_miss=True,
                                   body={"text": "We disagree.", "file": PDF}),
    "cases.proposal_decision": entry(COMMISSIONER, may_miss=True,
                                     body={"decision": "confirm", "consideration": "Read.",
                                           "version": "1"}),
    "cases.review_request": entry(*TEAM_A, **OWNED_BY_A, may_miss=True,
                                  body={"grounds": "Unfair.", "file": PDF}),
    "cases.review_decision": entry(COMMISSIONER, may_miss=True,
                                   body={"outcome": "upheld", "reasons": "Fair.",
                                         "version": "1"}),
    "stages.due_diligence_page": entry(COMMISSIONER),
    "stages.company_check": entry(COMMISSIONER),
    "stages.pass_due_diligence": entry(COMMISSIONER),
    "stages.file_sampling_page": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.draw_samples": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.file_assessment": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.property_inspection_page": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.plan_visit": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                               body={"visit_on": ["1", "12", "2026"], "starts": "9:30am"}),
    "stages.add_inspection_photo": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                         body={"file": PHOTO, "item_id": "manager_named"}),
    "stages.inspection_report": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    "stages.inspection_report_pdf": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    # The world's inspection has no signature: the allowed request finds none.
    "stages.acknowledgement_signature": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A,
                                              may_miss=True),
    "evidence.case_evidence": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "evidence.add_photo": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                body={"file": PHOTO}),
    "evidence.download": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    # The first allowed removal succeeds; after it the record is gone for the others.
    "evidence.remove": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A, may_miss=True),

    # --- inspections on tablets -----------------------------------------------------------
    "stages.inspector_home": entry(*INSPECTORS),
    "stages.inspection": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.inspection_summary": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    "stages.save_item": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                              body={"answer": "yes"}),
    "stages.resolve_answer_conflict": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                            may_miss=True),
    "stages.submit_inspection": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A),
    # The world's inspection has no photo at that id: the allowed request finds none.
    "stages.photo_thumbnail": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, may_miss=True),
    "stages.acknowledgement": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                    body={"name": "Sam", "role": "Manager"}),
    "stages.remove_photo": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, may_miss=True),
    "stages.device_token": entry(*INSPECTORS, COMMISSIONER),

    # --- commissioners --------------------------------------------------------------------
    "admin.home": entry(COMMISSIONER),
    "main.healthz_details": entry(COMMISSIONER),
    "admin.audit_trail": entry(COMMISSIONER),
    "admin.providers": entry(COMMISSIONER),
    "admin.provider": entry(COMMISSIONER),
    "admin.correct_company_number": entry(COMMISSIONER, body={"company_number": "SC765432"}),
    "admin.staff": entry(COMMISSIONER),
    "admin.withdraw_invitation": entry(COMMISSIONER),
    "admin.end_sessions": entry(COMMISSIONER),
    "admin.reset_authenticator": entry(COMMISSIONER),
    "admin.reset_provider_authenticator": entry(COMMISSIONER),
    "admin.deactivate_staff": entry(COMMISSIONER),
    "admin.reactivate_staff": entry(COMMISSIONER),
    "admin.deactivate_provider_account": entry(COMMISSIONER),
    "admin.property_changes": entry(COMMISSIONER),
    "admin.property_change": entry(COMMISSIONER, body={"decision": "refuse", "reasons": "No"}),
    "admin.resolve_company_number_dispute": entry(COMMISSIONER, body={"keep": "holder"}),
    "admin.councils": entry(COMMISSIONER, body={"council_id": ""}),
    # The member council leaves at the commissioner's post: the page is gone after it.
    "admin.leave_council": entry(COMMISSIONER, may_miss=True),
    "standards.checklists": entry(COMMISSIONER),
    # The standards workshop: commissioners only. A draft's item, section or step may have
    # been removed, or the draft discarded, by an earlier allowed request (404 or 409).
    "standards.start_draft": entry(COMMISSIONER,
                                   body={"start_from": "copy:property_inspection:1"}),
    "standards.draft": entry(COMMISSIONER),
    "standards.draft_details": entry(COMMISSIONER, body={"title": "Property inspection"}),
    "standards.add_section": entry(COMMISSIONER, body={"title": "New section"}),
    "standards.change_section": entry(COMMISSIONER, body={"title": "Renamed"}, may_miss=True),
    "standards.remove_section": entry(COMMISSIONER, may_miss=True),
    "standards.add_item": entry(COMMISSIONER, body={"text": "A new question?"}),
    "standards.change_item": entry(COMMISSIONER, body={"text": "Reworded?"}, may_miss=True),
    "standards.remove_item": entry(COMMISSIONER, may_miss=True),
    "standards.move_item": entry(COMMISSIONER, body={"direction": "down"}, may_miss=True),
    "standards.add_step": entry(COMMISSIONER, body={"pass_mark": "80"}),
    "standards.change_step": entry(COMMISSIONER, body={"pass_mark": "80"}, may_miss=True),
    "standards.remove_step": entry(COMMISSIONER, may_miss=True),
    "standards.submit_draft": entry(COMMISSIONER),
    "standards.approve_draft": entry(COMMISSIONER, body={"revision": "1"}),
    "standards.discard_draft": entry(COMMISSIONER),
    "standards.retire": entry(COMMISSIONER),
    "standards.impact": entry(COMMISSIONER),
    "standards.download_xlsx": entry(COMMISSIONER),
    "standards.download_yaml": entry(COMMISSIONER),
    "standards.history": entry(COMMISSIONER),
    "standards.import_draft": entry(COMMISSIONER),
    "standards.draft_xlsx": entry(COMMISSIONER),
    "standards.draft_yaml": entry(COMMISSIONER),

    # --- the register ---------------------------------------------------------------------
    "register.home": entry(*REGISTER_READERS),
    "register.export_csv": entry(*REGISTER_READERS),
    "register.provider": entry(*REGISTER_READERS),
    "register.referral_check": entry(COMMISSIONER, SOCIAL_WORKER,
                                     body={"reference": "CASE/99"}),
    "register.referral_checks": entry(COMMISSIONER, SOCIAL_WORKER),
    # A referral check is its author's own record: another commissioner gets 404.
    "register.referral_check_record": entry(SOCIAL_WORKER, hidden=(COMMISSIONER,)),

    # --- the JSON API (bearer tokens) -----------------------------------------------------
    "api.list_cases": entry(*PROVIDERS, *INSPECTORS, COMMISSIONER),
    "api.get_case": entry(*TEAM_A, INSPECTOR, COMMISSIONER, **ON_CASE_A),
    # Suspending is a commissioner's step: the case's provider and inspector see the case but
    # are refused the step itself (403, audited), before anything else is looked at.
    "api.transition": entry(COMMISSIONER, **ON_CASE_A,
                            body={"action": "suspend", "expected_version": 1,
                                  "reasons": "Concern."}),
    "api.assess_file": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, body=ANSWERS),
    "api.inspect_property": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, body=ANSWERS),
    "api.checklist": entry(*INSPECTORS, COMMISSIONER),
    "api.inspector_inspections": entry(*INSPECTORS, COMMISSIONER),
    "api.save_inspection_answers": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                         body={"device_id": "matrix", "changes": [{
                                             "client_id": CLIENT_ID, "item_id": "manager_named",
                                             "value": "yes", "base_revision": 0}]}),
    "api.add_inspection_photo": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, body={
        "file": PHOTO, "item_id": "manager_named", "client_id": CLIENT_ID}),
    "api.withdraw_inspection_photo": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                           may_miss=True),
    "api.record_acknowledgement": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A, body={
        "client_id": CLIENT_ID, "declined": True}),
    "api.submit_inspection": entry(INSPECTOR, COMMISSIONER, **STAFF_ON_CASE_A,
                                   body={"client_id": CLIENT_ID}),
    "api.put_vacancies": entry(*TEAM_A, **OWNED_BY_A, body={"vacancies": 1}),
    "api.register_providers": entry(*REGISTER_READERS),
    "api.register_properties": entry(*REGISTER_READERS),
}
