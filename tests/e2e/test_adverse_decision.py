"""Through the browser: commissioner A proposes to revoke an accredited provider (ticking the
failed checklist items), the provider makes representations with a file, commissioner B
decides, the provider asks for a review with a file, and commissioner C overturns the
decision. Every page visited is checked with axe and read as text (no markup shown)."""

from __future__ import annotations

import re

from accreditation.cases.models import Case
from accreditation.workflow import CaseStatus

from ..cases.journey import Journey
from ..evidence.samples import pdf
from ..factories import TEST_PASSWORD, UserFactory, publish_first_checklists
from .conftest import screenshot, sign_in
from .test_accredited_property_change import looks_right, person


def text_of(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main"))


def choose_file(page, label: str, path) -> None:
    """Pick a file the way a person does: the file picker opens and they choose one."""
    with page.expect_file_chooser() as chooser:
        page.get_by_label(label).click()
    chooser.value.set_files(str(path))


def test_a_revocation_with_notice_representations_decision_and_review(
        e2e_db, browser, live_server, tmp_path):
    publish_first_checklists()
    journey = Journey(properties=2, staff_files=5, young_people_files=1)
    case = journey.all_the_way(failing_properties=1)  # one property passed, one did not
    reviewer = UserFactory(commissioner=True)
    e2e_db.session.commit()
    answer, grounds = tmp_path / "fire-door-certificate.pdf", tmp_path / "grounds.pdf"
    answer.write_bytes(pdf())
    grounds.write_bytes(pdf())
    case_path = f"/cases/{case.id}"

    contexts = []
    try:
        # Commissioner A proposes to revoke.
        context, a = person(browser, live_server)
        contexts.append(context)
        sign_in(a, journey.commissioner.email, TEST_PASSWORD)
        a.goto(case_path)
        looks_right(a)
        a.get_by_role("link", name="Propose to revoke").click()
        looks_right(a)
        boxes = a.get_by_role("checkbox")
        assert boxes.count() >= 1
        first_item = a.locator("input[type=checkbox] + label").first.inner_text().strip()
        boxes.first.check()
        a.get_by_label("Reasons").fill("Fire doors were wedged open at the inspection.")
        a.get_by_role("button", name="Send the notice").click()
        a.wait_for_selector("text=Notice sent")
        looks_right(a)
        shown = text_of(a)
        assert "Notice: revocation proposed" in shown
        assert "Accredited: revocation proposed" in shown
        screenshot(a, "adverse-proposed")

        # The provider, in a browser of its own, reads the notice and answers with a file.
        context, provider = person(browser, live_server)
        contexts.append(context)
        sign_in(provider, journey.provider.email, TEST_PASSWORD)
        provider.goto("/provider/")
        looks_right(provider)
        assert "We propose to revoke your accreditation" in text_of(provider)
        provider.get_by_role("button", name="Read the notice and respond").click()
        looks_right(provider)
        provider.get_by_role("link", name="Read the notice (printable)").click()
        looks_right(provider)
        notice = text_of(provider)
        assert "Fire doors were wedged open at the inspection." in notice
        assert first_item in notice
        provider.goto(case_path)
        provider.get_by_role("link", name="Make representations").click()
        looks_right(provider)
        provider.get_by_label("Your representations").fill(
            "The doors now close by themselves: the certificate is attached.")
        choose_file(provider, "Upload a file (optional)", answer)
        provider.get_by_role("button", name="Send representations").click()
        provider.wait_for_selector("text=Representations sent")
        looks_right(provider)

        # Commissioner B, who neither proposed it nor inspected, decides.
        context, b = person(browser, live_server)
        contexts.append(context)
        sign_in(b, journey.deciding_commissioner.email, TEST_PASSWORD)
        b.goto("/commissioner/")
        looks_right(b)
        assert "Representations to read" in text_of(b)
        b.get_by_role("link", name=re.compile(case.reference)).click()
        looks_right(b)
        b.get_by_role("link", name="Decide the notice").click()
        looks_right(b)
        assert "fire-door-certificate.pdf" in text_of(b)
        b.get_by_label("Confirm the proposal").check()
        b.get_by_label("How each representation was considered").fill(
            "The certificate predates the inspection, so it does not answer the concern.")
        b.get_by_role("button", name="Record decision").click()
        b.wait_for_selector("text=Decision recorded")
        looks_right(b)
        assert "Revoked" in text_of(b)
        e2e_db.session.rollback()  # read what the server has written since
        assert e2e_db.session.get(Case, case.id).status is CaseStatus.REVOKED

        # The provider asks for a review, with a file.
        provider.goto("/provider/")
        looks_right(provider)
        assert "You can ask for the decision to be reviewed" in text_of(provider)
        provider.get_by_role("button", name="Read the decision").click()
        looks_right(provider)
        provider.get_by_role("link", name="Ask for a review").click()
        looks_right(provider)
        assert "The certificate predates the inspection" in text_of(provider)
        provider.get_by_label("Your grounds for a review").fill(
            "The certificate is dated after the inspection: please look again.")
        choose_file(provider, "Upload a file (optional)", grounds)
        provider.get_by_role("button", name="Ask for a review").click()
        provider.wait_for_selector("text=Review asked for")
        looks_right(provider)

        # Commissioner C, involved in none of it, overturns the decision.
        context, c = person(browser, live_server)
        contexts.append(context)
        sign_in(c, reviewer.email, TEST_PASSWORD)
        c.goto("/commissioner/")
        looks_right(c)
        assert "Review to decide" in text_of(c)
        c.get_by_role("link", name=re.compile(case.reference)).click()
        looks_right(c)
        c.get_by_role("link", name="Decide the review").click()
        looks_right(c)
        assert "grounds.pdf" in text_of(c)
        c.get_by_label("Overturn the decision").check()
        c.get_by_label("Reasons").fill("The certificate is dated after the inspection.")
        c.get_by_role("button", name="Record the review").click()
        c.wait_for_selector("text=Review recorded")
        looks_right(c)
        assert "Accredited" in text_of(c)
        screenshot(c, "adverse-review-overturned")
        e2e_db.session.rollback()  # read what the server has written since
        assert e2e_db.session.get(Case, case.id).status is CaseStatus.ACCREDITED

        provider.goto(case_path)
        looks_right(provider)
        assert "Review: decision overturned" in text_of(provider)
    finally:
        for context in contexts:
            context.close()
