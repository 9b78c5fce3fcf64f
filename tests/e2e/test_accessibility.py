"""axe-core in Chromium on every inspector page, every provider page and the register pages,
and on the pages of registering: no serious or critical violations of WCAG 2.2 AA.

Pages are found from the app's routes (GET routes under /provider and /register, with ids filled
in from the data made here), so a page added later is checked without editing this file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from ..services import unavailable
from ..test_registration import confirmation_link
from .conftest import sign_in
from .inspection_helpers import TABLET, file_ready, inspection_ready

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SKIP = {"/register/export.csv"}  # not a page


def pages_under(app, prefix: str, ids: dict) -> list[str]:
    """The GET pages under ``prefix``, with each id argument taken from ``ids``."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "GET" not in rule.methods or rule.rule in SKIP:
            continue
        if not all(argument in ids for argument in rule.arguments):
            continue
        with app.test_request_context():
            from flask import url_for
            paths.append(url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments}))
    return sorted(set(paths))


def serious_violations(page) -> list[dict]:
    if not AXE.exists():
        unavailable(f"axe-core not found at {AXE}: run npm ci (make assets)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    assert result["passes"], "axe checked nothing"
    return [{"rule": violation["id"], "impact": violation["impact"],
             "help": violation["help"],
             "nodes": [node["target"] for node in violation["nodes"]][:5]}
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")]


@pytest.fixture
def people(e2e_db):
    journey, link = inspection_ready()
    sampling, sampled_file = file_ready()
    accredited = Journey(properties=1, staff_files=5, young_people_files=1)
    accredited.all_the_way()
    social_worker = UserFactory(social_worker=True)
    e2e_db.session.commit()
    return journey, link, accredited, social_worker, sampling, sampled_file


def check_pages(browser, live_server, user, paths) -> dict:
    # The CSP forbids injected scripts, as it should; this context lets axe in, for the test only.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, has_touch=True,
                                  viewport={"width": TABLET[0], "height": TABLET[1]})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, user.email, TEST_PASSWORD)
        found = {}
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.ok, (path, response and response.status)
            violations = serious_violations(page)
            if violations:
                found[path] = violations
        return found
    finally:
        context.close()


def test_inspector_provider_and_register_pages_have_no_serious_violations(
        people, browser, live_server, e2e_app):
    journey, link, accredited, social_worker, sampling, sampled_file = people
    inspector_pages = ["/inspections/", f"/inspections/{link.id}",
                       f"/inspections/{link.id}/summary", f"/cases/{journey.case.id}",
                       f"/cases/{journey.case.id}/properties/{link.id}/inspection"]
    file_pages = [f"/inspections/files/{sampled_file.id}",
                  f"/inspections/files/{sampled_file.id}/summary",
                  f"/cases/{sampling.case.id}/file-sampling",
                  f"/cases/{sampling.case.id}/files/{sampled_file.id}"]
    provider_pages = pages_under(e2e_app, "/provider", {
        "property_id": journey.case.properties[0].property_id})
    register_pages = pages_under(e2e_app, "/register", {
        "organisation_id": accredited.organisation.id})
    assert len(provider_pages) >= 10 and register_pages
    found = {}
    found |= check_pages(browser, live_server, journey.inspector, inspector_pages)
    found |= check_pages(browser, live_server, sampling.inspector, file_pages)
    found |= check_pages(browser, live_server, journey.provider, provider_pages)
    found |= check_pages(browser, live_server, social_worker, register_pages)
    print("checked:", *inspector_pages, *file_pages, *provider_pages, *register_pages)
    assert found == {}, json.dumps(found, indent=1)


def test_registration_pages_and_a_disputed_company_number_have_no_serious_violations(
        e2e_db, browser, live_server):
    OrganisationFactory(name="First Claim Ltd", company_number="09876543")
    commissioner = UserFactory(commissioner=True)
    e2e_db.session.commit()
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    found = {}
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/register-organisation")
        found["/register-organisation"] = serious_violations(page)
        page.fill("#organisation_name", "Harbour Lights Housing Ltd")
        page.fill("#company_number", "09876543")
        page.fill("#full_name", "Daniel Byrne")
        page.fill("#email", "daniel@harbourlights.example.org")
        page.fill("#password", TEST_PASSWORD)
        page.fill("#confirm_password", TEST_PASSWORD)
        page.click("button:has-text('Create account')")
        page.wait_for_selector("h1:has-text('Check your email')")
        found["check your email"] = serious_violations(page)
        link = confirmation_link("daniel@harbourlights.example.org")
        e2e_db.session.rollback()  # the read ends here: the server goes on writing
        page.goto(link)
        found["confirm your registration"] = serious_violations(page)
        page.fill("#password", TEST_PASSWORD)
        page.click("button:has-text('Confirm and continue')")
        page.wait_for_selector("text=Your organisation is registered")
        found["/provider/ while the number is disputed"] = serious_violations(page)
    finally:
        context.close()
    found |= check_pages(browser, live_server, commissioner,
                         ["/commissioner/", "/commissioner/providers"])
    found = {page: violations for page, violations in found.items() if violations}
    assert found == {}, json.dumps(found, indent=1)
