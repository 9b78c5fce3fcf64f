"""axe-core in Chromium on every page each role's journeys visit (the inspector's, the provider's,
the commissioner's, the social worker's and registering), at 320 px wide and at desktop width:
no serious or critical violations of WCAG 2.2 AA, nothing wider than a 320 px screen (1.4.10
Reflow), no id used twice (a label or an error link finds the wrong element) and no name on an
element that has no role to carry it.

Pages are found from the app's routes (GET routes under /provider, /register, /commissioner and
/cases, with ids filled in from the data made here), so a page added later is checked without
editing this file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accreditation.register.operations import record_referral_check
from accreditation.stages.file_sampling import samples_for

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from ..services import unavailable
from ..test_registration import confirmation_link
from .conftest import sign_in
from .inspection_helpers import TABLET, file_ready, inspection_ready

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SKIP = {
    "/register/export.csv",  # not a page
    # Only there once a notice is given (the sweep's applications have none; proposing needs
    # ?kind=): checked with axe where there is one, in tests/e2e/test_adverse_decision.py.
    "/cases/<int:case_id>/propose", "/cases/<int:case_id>/notice",
    "/cases/<int:case_id>/representations", "/cases/<int:case_id>/notice/decision",
    "/cases/<int:case_id>/review", "/cases/<int:case_id>/review/decision",
}
DOWNLOADS = (".pdf", ".zip")  # files to save, not pages (tests/e2e/test_decision_bundle.py)
WIDTHS = [(320, 640), (1280, 800)]  # a small phone (or 400% zoom), and a desktop

# What axe does not report: the page wider than the screen, ids used twice, and aria-label on
# an element with no role (a screen reader ignores it).
PAGE_PROBLEMS = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll("body *")].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && !clipped(e);
    });
    problems.push({rule: "reflow", help: `page is ${root.scrollWidth}px wide`,
                   nodes: wide.slice(-5).map((e) => e.outerHTML.slice(0, 120))});
  }
  const seen = {};
  document.querySelectorAll("[id]").forEach((e) => { seen[e.id] = (seen[e.id] || 0) + 1; });
  const twice = Object.keys(seen).filter((id) => seen[id] > 1);
  if (twice.length) problems.push({rule: "duplicate-id", help: "ids used twice", nodes: twice});
  const unnamed = [...document.querySelectorAll(
    "div[aria-label]:not([role]), span[aria-label]:not([role]), p[aria-label]:not([role])")];
  if (unnamed.length) problems.push({rule: "aria-label-on-generic", help: "aria-label needs a role",
                                     nodes: unnamed.map((e) => e.outerHTML.slice(0, 120))});
  return problems;
}"""


def pages_under(app, prefix: str, ids: dict) -> list[str]:
    """The GET pages under ``prefix``, with each id argument taken from ``ids``."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "GET" not in rule.methods or rule.rule in SKIP \
                or rule.rule.endswith(DOWNLOADS):
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
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", TAGS)
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
    commissioner = UserFactory(commissioner=True)
    e2e_db.session.flush()
    check = record_referral_check(social_worker, accredited.organisation, reference="REF-1")
    e2e_db.session.commit()
    return journey, link, accredited, social_worker, sampling, sampled_file, commissioner, check


def at_both_widths(page) -> list:
    """The page's problems at each of WIDTHS, as it stands (not loaded again: the screen
    turned or the page zoomed, as a person does)."""
    found = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        found += [{**problem, "width": width}
                  for problem in serious_violations(page) + page.evaluate(PAGE_PROBLEMS)]
    return found


def check_pages(browser, live_server, user, paths) -> dict:
    """Each page at each of WIDTHS: {path: problems (each naming its width)}."""
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
            if violations := at_both_widths(page):
                found[path] = violations
        return found
    finally:
        context.close()


def test_every_role_s_pages_have_no_serious_violations_at_320_px_and_desktop(
        people, browser, live_server, e2e_app):
    journey, link, accredited, social_worker, sampling, sampled_file, commissioner, check = people
    inspector_pages = ["/inspections/", f"/inspections/{link.id}",
                       f"/inspections/{link.id}/summary", f"/inspections/{link.id}/acknowledgement",
                       f"/cases/{journey.case.id}",
                       f"/cases/{journey.case.id}/properties/{link.id}/inspection",
                       f"/cases/{journey.case.id}/properties/{link.id}/visit", "/account"]
    file_pages = [f"/inspections/files/{sampled_file.id}",
                  f"/inspections/files/{sampled_file.id}/summary",
                  f"/cases/{sampling.case.id}/file-sampling",
                  f"/cases/{sampling.case.id}/files/{sampled_file.id}"]
    home_id = journey.case.properties[0].property_id
    provider_pages = pages_under(e2e_app, "/provider", {"property_id": home_id}) + [
        "/account", "/evidence/required/insurance_certificate",
        f"/evidence/properties/{home_id}/required/gas_safety_certificate"]
    register_pages = pages_under(e2e_app, "/register", {
        "organisation_id": accredited.organisation.id, "check_id": check.id})
    accredited_case = accredited.case
    case_ids = {"case_id": accredited_case.id, "link_id": accredited_case.properties[0].id,
                "sampled_id": samples_for(accredited_case)[0].files[0].id}
    commissioner_pages = (pages_under(e2e_app, "/commissioner", {})
                          + [path for path in pages_under(e2e_app, "/cases", case_ids)
                             # decided already; a signature is an image, not a page
                             if not path.endswith(("/decision", "/signature"))]
                          + [f"/cases/{journey.case.id}/due-diligence",
                             f"/evidence/cases/{accredited_case.id}"])
    assert len(provider_pages) >= 10 and len(register_pages) >= 4
    assert len(commissioner_pages) >= 12
    found = {}
    found |= check_pages(browser, live_server, journey.inspector, inspector_pages)
    found |= check_pages(browser, live_server, sampling.inspector, file_pages)
    found |= check_pages(browser, live_server, journey.provider, provider_pages)
    found |= check_pages(browser, live_server, social_worker, register_pages)
    found |= check_pages(browser, live_server, commissioner, commissioner_pages)
    print("checked:", *inspector_pages, *file_pages, *provider_pages, *register_pages,
          *commissioner_pages)
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
        found["/register-organisation"] = at_both_widths(page)
        page.fill("#organisation_name", "Harbour Lights Housing Ltd")
        page.fill("#company_number", "09876543")
        page.fill("#full_name", "Daniel Byrne")
        page.fill("#email", "daniel@harbourlights.example.org")
        page.fill("#password", TEST_PASSWORD)
        page.fill("#confirm_password", TEST_PASSWORD)
        page.click("button:has-text('Create account')")
        page.wait_for_selector("h1:has-text('Check your email')")
        found["check your email"] = at_both_widths(page)
        link = confirmation_link("daniel@harbourlights.example.org")
        e2e_db.session.rollback()  # the read ends here: the server goes on writing
        page.goto(link)
        found["confirm your registration"] = at_both_widths(page)
        page.fill("#password", TEST_PASSWORD)
        page.click("button:has-text('Confirm and continue')")
        page.wait_for_selector("text=Your organisation is registered")
        found["/provider/ while the number is disputed"] = at_both_widths(page)
    finally:
        context.close()
    found |= check_pages(browser, live_server, commissioner,
                         ["/commissioner/", "/commissioner/providers"])
    found = {page: violations for page, violations in found.items() if violations}
    assert found == {}, json.dumps(found, indent=1)
