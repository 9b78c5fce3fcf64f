"""Due diligence is done with what the provider declared in view: beside each checklist item
it answers, on the case page, and on the commissioners' page of each provider."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from accreditation.checklists import DEFINITIONS_DIR, load_definition
from accreditation.extensions import db
from accreditation.providers.models import KEY_POLICIES, Organisation, Tenure
from accreditation.stages.declarations import DECLARATION_LABELS, ITEM_DECLARATIONS

from ..factories import UserFactory
from ..providers.conftest import last_event


def visible(html: str) -> str:
    """The page's text as a person reads it (tags gone, spaces collapsed)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).replace("&#39;", "'") \
        .replace("&amp;", "&").replace("&#34;", '"').replace("&quot;", '"')


def declared_beside(page: str, item_text: str) -> str:
    """What the page shows between a checklist question and the one before it."""
    before, _, _ = page.partition(item_text)
    return before[-700:]


@pytest.fixture
def declared(journey):
    """An application at due diligence whose provider declared everything, a lease included."""
    organisation = journey.organisation
    organisation.company_number = "09876543"
    organisation.ico_registration_number = "ZA123456"
    organisation.professional_indemnity_pounds = 2_500_000
    leased = organisation.properties[0]
    leased.tenure = Tenure.LEASED
    leased.landlord_name = "Northern Estates Ltd"
    leased.lease_ends_on = date(2029, 3, 31)
    leased.landlord_consent = True
    leased.age_min, leased.age_max = 16, 17
    db.session.commit()
    journey.submit()
    return journey


def test_each_checklist_item_shows_what_the_provider_declared_for_it(app, declared, client):
    journey = declared
    client.sign_in(journey.commissioner)
    page = visible(client.get(f"/cases/{journey.case.id}/due-diligence").text)
    leased = journey.organisation.properties[0]

    beside = declared_beside(page, "What is the limit of indemnity of the professional "
                                   "indemnity insurance")
    assert "Professional indemnity cover £2.5 million" in beside
    assert "Insurer Example Mutual" in beside
    assert "Insurance expires 30 September 2027" in beside

    beside = declared_beside(page, "What is the limit of indemnity of the employer's liability")
    assert "Employer's liability cover £10 million" in beside

    beside = declared_beside(page, "For every property declared, is there a title, a lease")
    assert (f"{leased.name}: leased from Northern Estates Ltd; the lease ends on 31 March "
            "2029; the landlord has agreed to its use for young people") in beside

    beside = declared_beside(page, "Is the organisation registered with the Information "
                                   "Commissioner's Office")
    assert "ICO registration number ZA123456" in beside
    assert "Data protection policy: last reviewed 1 June 2026" in beside

    beside = declared_beside(page, "Is the registered (or service) manager fit and proper")
    assert "Registered manager Manny Manager" in beside
    beside = declared_beside(page, "Have the directors provided enhanced DBS checks")
    assert "Directors Dana Director" in beside
    beside = declared_beside(page, "Is there a safeguarding policy covering young people")
    assert "Safeguarding policy: last reviewed 1 June 2026" in beside
    beside = declared_beside(page, "is it registered with Ofsted as a provider")
    assert f"{leased.name} (ages 16 to 17)" in beside
    beside = declared_beside(page, "Is the organisation's status \"active\" on the Companies")
    assert "Company number 09876543" in beside
    assert "Registered office 1 High Street, London N1 1AA" in beside


def test_the_case_page_shows_the_declarations_to_staff_only(app, declared, client):
    journey = declared
    client.sign_in(journey.commissioner)
    page = visible(client.get(f"/cases/{journey.case.id}").text)
    assert "What the provider declared" in page
    for text in ("Registered office 1 High Street, London N1 1AA", "ICO registration number "
                 "ZA123456", "Professional indemnity cover £2.5 million",
                 "Registered manager Manny Manager", "Northern Estates Ltd"):
        assert text in page
    provider = app.test_client()
    provider.sign_in(journey.provider)
    assert "What the provider declared" not in provider.get(f"/cases/{journey.case.id}").text


def test_the_providers_list_links_to_each_providers_page(app, declared, client):
    journey = declared
    organisation = journey.organisation
    client.sign_in(journey.commissioner)
    providers = client.get("/commissioner/providers").text
    link = re.search(rf'<a class="govuk-link" href="([^"]+)">{re.escape(organisation.name)}</a>',
                     providers)
    assert link, "the organisation's name is not a link"
    page = client.get(link.group(1))
    assert page.status_code == 200
    text = visible(page.text)
    assert organisation.name in text
    assert "ICO registration number ZA123456" in text  # what it declared
    assert organisation.properties[0].name in text  # its properties
    assert journey.case.reference in text  # its applications
    assert journey.provider.email in text  # its accounts
    assert f'href="/cases/{journey.case.id}"' in page.text


def test_a_provider_page_that_does_not_exist_is_not_found(app, client):
    client.sign_in(UserFactory(commissioner=True))
    assert client.get("/commissioner/providers/999999").status_code == 404


# --- what the provider is asked -------------------------------------------------------------

def insurance_form(**changes) -> dict:
    fields = {"insurer": "Example Mutual", "public_liability_millions": "5",
              "employers_liability_millions": "10", "professional_indemnity_millions": "2",
              "insurance_expires_on": ["30", "9", "2027"],
              **{f"policy_{name}": ["1", "6", "2026"] for name in KEY_POLICIES}}
    return {**fields, **changes}


@pytest.fixture
def provider_client(app, journey):
    browser = app.test_client()
    browser.sign_in(journey.provider)
    return browser


@pytest.mark.parametrize("typed, stored", [("2", 2_000_000), ("2.5", 2_500_000), ("0", 0),
                                           ("£1.25", 1_250_000), (" 10 ", 10_000_000)])
def test_the_provider_declares_its_professional_indemnity_cover(app, journey, provider_client,
                                                                typed, stored):
    journey.organisation.professional_indemnity_pounds = None
    response = provider_client.submit("/provider/insurance-and-policies", insurance_form(
        professional_indemnity_millions=typed))
    assert response.status_code == 302, visible(response.text)
    organisation = db.session.get(Organisation, journey.organisation.id)
    assert organisation.professional_indemnity_pounds == stored
    assert "professional_indemnity_pounds" in last_event(
        "organisation.insurance_and_policies_set").details["fields"]


@pytest.mark.parametrize("typed, message", [
    ("", "Enter your professional indemnity cover in millions of pounds, or 0 if you have none"),
    ("two", "Professional indemnity cover must be a number of millions, like 2 or 2.5"),
    ("-1", "Professional indemnity cover must be between £0 and £1000 million"),
    ("1e3", "Professional indemnity cover must be a number of millions, like 2 or 2.5"),
    ("2.555", "Professional indemnity cover can have up to 2 decimal places, like 2.25"),
])
def test_professional_indemnity_cover_that_is_not_a_cover_is_refused(
        app, journey, provider_client, typed, message):
    journey.organisation.professional_indemnity_pounds = None
    response = provider_client.submit("/provider/insurance-and-policies", insurance_form(
        professional_indemnity_millions=typed))
    assert response.status_code == 400
    assert message in visible(response.text)
    assert db.session.get(Organisation, journey.organisation.id) \
        .professional_indemnity_pounds is None


def details_form(**changes) -> dict:
    return {"registered_office": "1 High Street, London N1 1AA",
            "ico_registration_number": "ZA123456", **changes}


@pytest.mark.parametrize("typed, stored", [("ZA123456", "ZA123456"), ("za 123 456", "ZA123456"),
                                           ("Z1234567", "Z1234567"), ("ZB654321", "ZB654321")])
def test_the_provider_gives_its_ico_registration_number(app, journey, provider_client, typed,
                                                        stored):
    journey.organisation.ico_registration_number = None
    response = provider_client.submit("/provider/organisation", details_form(
        ico_registration_number=typed))
    assert response.status_code == 302, visible(response.text)
    assert db.session.get(Organisation, journey.organisation.id).ico_registration_number == stored
    assert "ico_registration_number" in last_event(
        "organisation.details_updated").details["fields"]


@pytest.mark.parametrize("typed, message", [
    ("", "Enter your ICO registration number"),
    ("12345678", "Enter your ICO registration number as it is on the ICO's register, like "
                 "ZA123456 or Z1234567"),
    ("ZA12345", "Enter your ICO registration number as it is on the ICO's register"),
    ("A1234567", "Enter your ICO registration number as it is on the ICO's register"),
])
def test_an_ico_registration_number_that_cannot_be_one_is_refused(app, journey, provider_client,
                                                                   typed, message):
    journey.organisation.ico_registration_number = None
    response = provider_client.submit("/provider/organisation", details_form(
        ico_registration_number=typed))
    assert response.status_code == 400
    assert message in visible(response.text)
    assert db.session.get(Organisation, journey.organisation.id).ico_registration_number is None


def test_the_task_list_needs_the_ico_number_and_professional_indemnity_cover(
        app, journey, provider_client):
    from accreditation.cases.operations import application_tasks

    organisation = journey.organisation
    organisation.ico_registration_number = organisation.professional_indemnity_pounds = None
    tasks = {task.key: task for task in application_tasks(organisation)}
    assert not tasks["organisation"].complete
    assert not tasks["insurance"].complete
    provider_client.submit("/provider/organisation", details_form())
    provider_client.submit("/provider/insurance-and-policies", insurance_form())
    organisation = db.session.get(Organisation, organisation.id)
    tasks = {task.key: task for task in application_tasks(organisation)}
    # The insurance certificate and the policies' documents are still to be uploaded.
    assert tasks["organisation"].complete and tasks["insurance"].answered


# --- the one mapping --------------------------------------------------------------------------

def test_the_mapping_names_real_items_and_real_declarations():
    versions = sorted((DEFINITIONS_DIR / "due_diligence").glob("v*.yaml"))
    items = {item.id for path in versions for item in load_definition(path).items}
    assert set(ITEM_DECLARATIONS) <= items
    named = {key for keys in ITEM_DECLARATIONS.values() for key in keys}
    assert named <= set(DECLARATION_LABELS)
    # Every declaration answers some item, so the due-diligence page shows all of them.
    assert set(DECLARATION_LABELS) <= named


def test_nothing_declared_reads_as_not_given(app, journey, client):
    journey.organisation.ico_registration_number = None
    journey.organisation.professional_indemnity_pounds = None
    db.session.commit()
    organisation = db.session.scalar(sa.select(Organisation))
    from accreditation.stages.declarations import declarations

    shown = {declaration.key: declaration for declaration in declarations(organisation)}
    assert shown["ico_registration_number"].lines == ("Not given",)
    assert shown["professional_indemnity_pounds"].lines == ("Not given",)
