"""The evidence each section of an application needs: uploaded from the section it belongs
to, counted on the task list, asked for before submitting, listed on check-answers, and shown
to the commissioner beside the due-diligence item it answers and to the inspector on the
property's inspection."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.cases import operations as case_operations
from accreditation.evidence import requirements
from accreditation.evidence.models import Evidence, EvidencePurpose
from accreditation.evidence.scanning import ClamdScanner
from accreditation.extensions import db
from accreditation.providers.models import (
    KEY_POLICIES,
    AccommodationCategory,
    Organisation,
    Property,
    Tenure,
)
from accreditation.workflow import CaseStatus

from ..cases.journey import Journey
from ..factories import PropertyFactory, UserFactory, attach_required_evidence
from . import samples
from .conftest import multipart_body
from .test_uploads import PDF, post_form

ORGANISATION_WIDE = ["insurance_certificate", *(f"policy_{name}" for name in KEY_POLICIES)]
EVERY_PROPERTY = ["gas_safety_certificate", "eicr", "fire_risk_assessment"]


@pytest.fixture
def draft(app, today, checklists) -> Journey:
    """An application in draft with every answer given, one owned property, no files yet."""
    journey = Journey(properties=1)
    journey.case = case_operations.start_application(journey.provider)
    return journey


def submit(journey: Journey) -> None:
    attach_required_evidence(journey.provider)
    case_operations.submit_application(journey.provider, journey.case,
                                       expected_version=journey.case.version)


def upload(client, url: str, filename: str = "certificate.pdf", data: bytes = PDF, **fields):
    """Choose a file with the page's file picker and press its button."""
    return post_form(client, url, fields, data, filename)


def statuses(page: str) -> dict[str, str]:
    """The task list as a person reads it: each section and its status."""
    found = re.findall(r'govuk-task-list__link"[^>]*>\s*([^<]+?)\s*</a>.*?'
                       r'govuk-task-list__status"[^>]*>\s*(?:<strong[^>]*>\s*)?'
                       r'([A-Za-z ]+?)\s*<', page, re.S)
    return {title.strip(): status.strip() for title, status in found}


def error_summary(page: str) -> list[tuple[str, str]]:
    summary = page[page.index("govuk-error-summary__list"):]
    summary = summary[:summary.index("</ul>")]
    return [(text.strip(), href.replace("&amp;", "&"))
            for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)]


def test_the_insurance_section_is_complete_only_with_its_certificate(client, draft):
    client.sign_in(draft.provider)
    assert statuses(client.get("/provider/application").text)["Insurance and policies"] \
        == "Incomplete"
    section = client.get("/provider/insurance-and-policies").text
    assert 'href="/evidence/required/insurance_certificate"' in section
    assert "Insurance certificate" in section and "Not uploaded" in section

    response = upload(client, "/evidence/required/insurance_certificate", "insurance.pdf")
    assert response.status_code == 303
    assert response.location == ("/provider/insurance-and-policies"
                                 "#evidence-insurance_certificate")
    section = client.get(response.location).text
    assert "insurance.pdf has been uploaded" in section
    # The policies are still to come: the section stays incomplete until they are.
    assert statuses(client.get("/provider/application").text)["Insurance and policies"] \
        == "Incomplete"
    for name in KEY_POLICIES:
        assert upload(client, f"/evidence/required/policy_{name}",
                      f"{name}.pdf").status_code == 303
    assert statuses(client.get("/provider/application").text)["Insurance and policies"] \
        == "Completed"
    [record] = db.session.scalars(sa.select(Evidence).where(
        Evidence.requirement == "insurance_certificate")).all()
    assert record.purpose is EvidencePurpose.INSURANCE_CERTIFICATE
    assert record.case_id == draft.case.id and record.property_id is None


def test_a_property_needs_its_safety_certificates_on_its_own_page(client, draft):
    home = draft.organisation.properties[0]
    client.sign_in(draft.provider)
    page = client.get(f"/provider/properties/{home.id}").text
    for key in EVERY_PROPERTY:
        assert f'href="/evidence/properties/{home.id}/required/{key}"' in page
    assert "HMO licence" not in page  # two bed spaces, single occupancy: no licence needed
    for key in EVERY_PROPERTY:
        response = upload(client, f"/evidence/properties/{home.id}/required/{key}")
        assert response.status_code == 303
        assert response.location == f"/provider/properties/{home.id}#evidence-{key}-{home.id}"
    assert statuses(client.get("/provider/application").text)["Properties"] == "Completed"
    assert {(record.requirement, record.property_id) for record in db.session.scalars(
        sa.select(Evidence))} == {(key, home.id) for key in EVERY_PROPERTY}


def test_a_leased_or_shared_property_needs_its_lease_and_hmo_licence(client, draft):
    home = draft.organisation.properties[0]
    home.category, home.bed_spaces = AccommodationCategory.RING_FENCED_SHARED, 6
    home.tenure, home.landlord_name, home.landlord_consent = Tenure.LEASED, "Estates", True
    db.session.commit()
    client.sign_in(draft.provider)
    landlords = client.get("/provider/landlord-arrangements").text
    assert f'href="/evidence/properties/{home.id}/required/lease"' in landlords
    assert f'href="/evidence/properties/{home.id}/required/hmo_licence"' in client.get(
        f"/provider/properties/{home.id}").text
    assert upload(client, f"/evidence/properties/{home.id}/required/lease").status_code == 303
    tasks = statuses(client.get("/provider/application").text)
    assert tasks["Landlord and lease arrangements"] == "Completed"


def test_a_file_refused_by_the_virus_scanner_does_not_count(app, client, draft, clamd_url):
    from .test_scanning import EICAR

    app.extensions["evidence_scanner"] = ClamdScanner(clamd_url, timeout=5)
    client.sign_in(draft.provider)
    upload(client, "/evidence/required/insurance_certificate", "nasty.pdf",
           samples.pdf(b"% " + EICAR + b"\n"))
    section = client.get("/provider/insurance-and-policies").text
    assert "Virus found" in section
    [piece] = requirements.needed(draft.organisation, sections=["insurance"])[:1]
    assert piece.files and not piece.uploaded


def test_submitting_without_evidence_names_each_missing_file_and_links_to_it(client, draft):
    home = draft.organisation.properties[0]
    client.sign_in(draft.provider)
    response = client.submit("/provider/application/submit",
                             {"expected_version": str(draft.case.version)})
    assert response.status_code == 400
    listed = error_summary(response.text)
    assert listed == [
        ("Upload the gas safety certificate for " + home.name,
         f"/evidence/properties/{home.id}/required/gas_safety_certificate"),
        ("Upload the electrical installation condition report (EICR) for " + home.name,
         f"/evidence/properties/{home.id}/required/eicr"),
        ("Upload the fire risk assessment for " + home.name,
         f"/evidence/properties/{home.id}/required/fire_risk_assessment"),
        ("Upload the insurance certificate", "/evidence/required/insurance_certificate"),
        *[(f"Upload the {title[0].lower() + title[1:]}", f"/evidence/required/policy_{name}")
          for name, title in KEY_POLICIES.items()],
    ]
    for _text, href in listed:
        page = client.get(href)
        assert page.status_code == 200, href
        assert 'type="file"' in page.text
    assert db.session.get(type(draft.case), draft.case.id).status is CaseStatus.DRAFT


def test_a_section_without_answers_is_named_and_linked_too(client, app, today, checklists):
    provider = UserFactory(provider=True)
    case = case_operations.start_application(provider)
    client.sign_in(provider)
    response = client.submit("/provider/application/submit",
                             {"expected_version": str(case.version)})
    listed = error_summary(response.text)
    assert ("Complete organisation details", "/provider/organisation") in listed
    assert ("Upload the insurance certificate", "/evidence/required/insurance_certificate") \
        in listed


def test_check_answers_lists_the_evidence_of_each_section(client, draft):
    attach_required_evidence(draft.provider)
    client.sign_in(draft.provider)
    page = client.get("/provider/application/submit").text
    home = draft.organisation.properties[0]
    for key in ORGANISATION_WIDE:
        assert f'id="evidence-{key}"' in page and f"{key}.pdf" in page
    for key in EVERY_PROPERTY:
        assert f'id="evidence-{key}-{home.id}"' in page
    assert "Not uploaded" not in page
    response = client.submit("/provider/application/submit",
                             {"expected_version": str(draft.case.version)})
    assert response.location == "/provider/application/submitted"


def test_the_commissioner_sees_the_certificate_beside_the_item_it_answers(client, draft):
    submit(draft)
    client.sign_in(draft.commissioner)
    page = client.get(f"/cases/{draft.case.id}/due-diligence").text
    certificate = db.session.scalars(sa.select(Evidence).where(
        Evidence.requirement == "insurance_certificate")).one()
    link = f'href="/evidence/{certificate.id}/download"'
    assert link in page
    # Beside the insurance items, before the public liability question.
    item = page.index('name="item_public_liability_cover"')
    assert page.rfind(link, 0, item) > page.rfind("</fieldset>", 0, item)
    policy = db.session.scalars(sa.select(Evidence).where(
        Evidence.requirement == "policy_safeguarding")).one()
    assert f'href="/evidence/{policy.id}/download"' in page
    download = client.get(f"/evidence/{certificate.id}/download")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_the_inspector_sees_the_propertys_certificates_on_its_inspection(client, draft):
    submit(draft)
    draft.pass_due_diligence()
    draft.complete_file_sampling()
    link = draft.case.properties[0]
    client.sign_in(draft.inspector)
    for page in (f"/inspections/{link.id}",
                 f"/cases/{draft.case.id}/properties/{link.id}/inspection"):
        text = client.get(page).text
        assert "Certificates the provider uploaded" in text, page
        for key in EVERY_PROPERTY:
            record = db.session.scalars(sa.select(Evidence).where(
                Evidence.requirement == key, Evidence.property_id == link.property_id)).one()
            assert f'href="/evidence/{record.id}/download"' in text


def test_a_file_can_be_replaced_and_removed_while_the_application_is_editable(client, draft):
    client.sign_in(draft.provider)
    url = "/evidence/required/insurance_certificate"
    upload(client, url, "first.pdf")
    first = db.session.scalars(sa.select(Evidence)).one()
    page = client.get(url).text
    assert "first.pdf" in page and f'href="{url}?replace={first.id}"' in page
    assert upload(client, url, "second.pdf", supersedes=str(first.id)).status_code == 303
    second = db.session.scalars(sa.select(Evidence).where(Evidence.id != first.id)).one()
    assert second.supersedes_id == first.id and second.requirement == "insurance_certificate"
    page = client.get(url).text
    assert "second.pdf" in page and "first.pdf" not in page
    response = client.submit(f"/evidence/{second.id}/remove", {"next": url}, form_page=url)
    assert response.location == url
    page = client.get(url).text
    assert "first.pdf" in page  # the earlier version is the latest again


def test_nothing_can_be_attached_while_the_application_is_assessed(client, draft):
    submit(draft)
    client.sign_in(draft.provider)
    url = "/evidence/required/insurance_certificate"
    page = client.get(url).text
    assert 'type="file"' not in page and "being assessed" in page
    before = db.session.scalar(sa.select(sa.func.count(Evidence.id)))
    response = upload(client, url)
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == before


def test_another_provider_cannot_see_or_attach_to_this_providers_property(client, draft):
    home = draft.organisation.properties[0]
    other = UserFactory(provider=True)
    client.sign_in(other)
    url = f"/evidence/properties/{home.id}/required/gas_safety_certificate"
    assert client.get(url).status_code == 404
    # The form of its own property's page, sent to the other organisation's address.
    own = PropertyFactory(organisation=other.organisation)
    body, content_type = multipart_body(
        {"csrf_token": client.csrf_token(
            f"/evidence/properties/{own.id}/required/gas_safety_certificate")},
        {"file": ("x.pdf", PDF)})
    response = client.post(url, data=body, content_type=content_type,
                           headers={"Referer": "https://localhost/"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    denied = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.denied")).all()
    assert len(denied) == 2


@pytest.mark.parametrize("url", [
    "/evidence/required/no_such_thing",
    "/evidence/required/gas_safety_certificate",  # needed for each property, not once
    "/evidence/properties/{home}/required/insurance_certificate",  # once, not per property
    "/evidence/properties/{home}/required/hmo_licence",  # a small single-occupancy home
])
def test_a_file_the_application_does_not_need_is_not_found(client, draft, url):
    client.sign_in(draft.provider)
    url = url.format(home=draft.organisation.properties[0].id)
    assert client.get(url).status_code == 404
    response = post_form(client, url, {}, PDF, "x.pdf",
                         form_page="/evidence/required/insurance_certificate")
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0


# --- the rule, for any organisation ------------------------------------------------------------

HOMES = st.lists(st.tuples(st.sampled_from(list(AccommodationCategory)),
                           st.integers(min_value=1, max_value=12),
                           st.sampled_from([None, *Tenure])), max_size=4)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(homes=HOMES)
def test_what_each_property_needs(app, homes):
    """Every property needs its gas, electrical and fire documents; a leased or managed one
    its lease; shared housing for 5 or more its HMO licence; the organisation its insurance
    certificate and each key policy, once. Each missing piece says what and where."""
    organisation = Organisation(id=None, name="Any Ltd")
    organisation.properties = [
        Property(id=index + 1, name=f"Home {index}", category=category, bed_spaces=beds,
                 tenure=tenure) for index, (category, beds, tenure) in enumerate(homes)]
    pieces = requirements.needed(organisation, SimpleNamespace(id=-1))
    expected = [(key, None) for key in ORGANISATION_WIDE]
    for home in organisation.properties:
        expected += [(key, home.id) for key in EVERY_PROPERTY]
        if home.tenure in (Tenure.LEASED, Tenure.MANAGEMENT_AGREEMENT):
            expected.append(("lease", home.id))
        if home.category in (AccommodationCategory.RING_FENCED_SHARED,
                             AccommodationCategory.NON_RING_FENCED_SHARED) and \
                home.bed_spaces >= 5:
            expected.append(("hmo_licence", home.id))
    assert sorted((piece.key, piece.home.id if piece.home else None) for piece in pieces) \
        == sorted(expected)
    for piece in pieces:
        assert not piece.uploaded
        assert piece.missing_message.startswith("Upload the ")
        if piece.home is not None:
            assert piece.missing_message.endswith(f" for {piece.home.name}")
        else:
            assert " for " not in piece.missing_message
        assert piece.requirement.section in {"insurance", "landlords", "properties"}


def test_a_returned_application_goes_back_only_with_the_documents_of_a_property_added(
        client, draft):
    submit(draft)
    case_operations.return_to_provider(
        draft.commissioner, draft.case, message="Add Albion House too.",
        due_on=draft.case.submitted_at.date() + timedelta(days=14),
        expected_version=draft.case.version)
    added = PropertyFactory(organisation=draft.organisation, name="Albion House",
                            tenure=Tenure.OWNED)
    client.sign_in(draft.provider)
    response = client.submit("/provider/application/resubmit", {
        "expected_version": str(draft.case.version), "response": "Added Albion House."},
        form_page="/provider/application")
    assert response.status_code == 400
    listed = error_summary(response.text)
    assert listed == [
        ("Upload the gas safety certificate for Albion House",
         f"/evidence/properties/{added.id}/required/gas_safety_certificate"),
        ("Upload the electrical installation condition report (EICR) for Albion House",
         f"/evidence/properties/{added.id}/required/eicr"),
        ("Upload the fire risk assessment for Albion House",
         f"/evidence/properties/{added.id}/required/fire_risk_assessment")]
    assert db.session.get(type(draft.case), draft.case.id).status \
        is CaseStatus.RETURNED_AT_DUE_DILIGENCE
    for _, address in listed:
        assert upload(client, address).status_code == 303
    response = client.submit("/provider/application/resubmit", {
        "expected_version": str(draft.case.version), "response": "Added Albion House."},
        form_page="/provider/application")
    assert response.status_code == 302
    assert added.id in {link.property_id for link in db.session.get(
        type(draft.case), draft.case.id).properties}
