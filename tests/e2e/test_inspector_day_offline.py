"""An inspector's day on a tablet, played as the inspector plays it: preparing on a fresh
tablet as the documentation says, settling answers changed on another device, signing out
without signal, a connection that never answers, items that need a photo, and a long stretch
of answering without touching the rest of the service."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.audit import AuditEvent
from accreditation.auth.models import ApiToken
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.models import InspectionSubmission

from ..cases.journey import photograph_required_items
from ..factories import TEST_PASSWORD
from .conftest import screenshot, sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    answers_for,
    eventually,
    inspection_ready,
    jpeg,
    open_inspection,
    server_counts,
    wait_until_sent,
)


def _answer_on_server(journey, link, answers: dict) -> None:
    """Answers given earlier (on another visit to the page), on the server already."""
    changes = [inspection_drafts.AnswerChange(client_id=str(uuid.uuid4()), item_id=item_id,
                                              value=value, note=None, base_revision=0)
               for item_id, value in answers.items()]
    inspection_drafts.save_answers(journey.inspector, link, changes)
    db.session.commit()


def _submit_all(journey, link) -> None:
    """Another property's inspection, answered and submitted on the server already."""
    _answer_on_server(journey, link, answers_for(link))
    photograph_required_items(journey.inspector, link)
    inspection_drafts.submit_inspection(journey.inspector, link)
    db.session.commit()


@pytest.fixture
def ready(e2e_db):
    return inspection_ready()


@pytest.fixture
def two_properties(e2e_db):
    """An application at property inspection with two properties, one already submitted."""
    journey, link = inspection_ready(properties=2)
    done = journey.case.properties[1]
    _submit_all(journey, done)
    return journey, link, done


def prepare_as_documented(page, journey, expected: str) -> None:
    """Sign in on the tablet while it has a connection, land on *Your inspections* and wait
    until it says the inspections are saved on the tablet."""
    sign_in(page, journey.inspector.email, TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Your inspections")).to_be_visible()
    expect(page.locator("[data-offline-note]")).to_contain_text(expected, timeout=20_000)


def test_preparing_as_documented_saves_each_open_inspection_for_working_offline(
        two_properties, new_page):
    journey, link, done = two_properties
    page = new_page(viewport=TABLET, has_touch=True)
    prepare_as_documented(page, journey, "saved on this tablet")
    note = page.inner_text("[data-offline-note]")
    assert note.startswith("1 inspection saved on this tablet"), note  # not the submitted one

    page.context.set_offline(True)
    page.click(f"a:has-text('{link.home.name}')")
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    expect(page.get_by_role("heading", name="You are offline")).to_have_count(0)
    forms = page.locator("form[data-item]")
    assert forms.count() == len(inspection_drafts.checklist_for(link)[1])
    item_id, value = next(iter(answers_for(link).items()))
    answer(page, item_id, value)
    page.wait_for_selector("[data-sync-status][data-pending='1']", state="attached")
    screenshot(page, "tablet-prepared-offline")

    page.context.set_offline(False)
    wait_until_sent(page)
    assert eventually(lambda: server_counts(link)["drafts"] == 1)


def _draft(link, item_id):
    db.session.commit()  # a new transaction sees what the live server committed
    return inspection_drafts.drafts_for(link).get(item_id)


def test_a_settled_conflict_stays_settled_on_the_tablet_that_showed_it(ready, new_page):
    journey, link = ready
    first, second = (new_page(viewport=TABLET, has_touch=True) for _ in range(2))
    open_inspection(first, journey, link)
    open_inspection(second, journey, link)  # both saw these items unanswered
    # Two items answered differently on each tablet, the first tablet's arriving first.
    for item_id in ("manager_named", "fire_risk_assessment"):
        answer(first, item_id, "yes")
    assert eventually(lambda: server_counts(link)["drafts"] == 2)
    for item_id in ("manager_named", "fire_risk_assessment"):
        answer(second, item_id, "no")
    assert eventually(lambda: server_counts(link)["conflicts"] == 2)

    second.reload()
    second.click("#item-manager_named button:has-text('Keep this one')")
    second.wait_for_selector("text=The other device's answer was kept")
    second.click("#item-fire_risk_assessment button:has-text('Keep yours')")
    second.wait_for_selector("text=Your answer was kept")
    wait_until_sent(second)
    # The tablet shows the answer chosen, each item as sent, and nothing left to settle.
    assert second.locator("#item-manager_named input[value='yes']").is_checked()
    assert second.locator("#item-fire_risk_assessment input[value='no']").is_checked()
    assert "changed on another device" not in second.inner_text("[data-sync-status]")
    assert second.locator("#item-manager_named [data-local-conflict]").is_hidden()

    # Its next edit of either item keeps the answer chosen.
    for item_id in ("manager_named", "fire_risk_assessment"):
        second.fill(f"#{item_id}-note", "Checked with the manager.")
        second.locator(f"#{item_id}-note").blur()
    wait_until_sent(second)
    assert eventually(lambda: _draft(link, "manager_named").note == "Checked with the manager.")
    assert eventually(
        lambda: _draft(link, "fire_risk_assessment").note == "Checked with the manager.")
    assert _draft(link, "manager_named").value == "yes"
    assert _draft(link, "fire_risk_assessment").value == "no"
    assert server_counts(link)["conflicts"] == 0

    # The rest answered on the server; the submitted score counts the answers chosen.
    rest = {item_id: value for item_id, value in answers_for(link).items()
            if item_id not in ("manager_named", "fire_risk_assessment")}
    _answer_on_server(journey, link, rest)
    photograph_required_items(journey.inspector, link)
    second.click("a:has-text('Check answers and submit') >> nth=0")
    second.click("button:has-text('Submit inspection')")
    second.wait_for_selector("text=inspection submitted")
    db.session.commit()
    db.session.refresh(link)
    assert link.assessment.answers["manager_named"] == "yes"
    assert link.assessment.answers["fire_risk_assessment"] == "no"


def _signed_out_events(user) -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.signed_out", AuditEvent.actor_id == user.id))


def test_signing_out_without_signal_ends_the_session_when_the_tablet_is_next_online(
        ready, new_page):
    from .test_shared_tablet import KEPT, saved_pages

    journey, link = ready
    inspector = journey.inspector
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    page.context.set_offline(True)
    item_id, value = next(iter(answers_for(link).items()))
    answer(page, item_id, value)
    page.wait_for_selector("[data-sync-status][data-pending='1']", state="attached")

    page.click(".app-sign-out button")
    page.click("button:has-text('Sign out anyway')")
    expect(page.get_by_role("heading", name="You have signed out on this tablet")).to_be_visible()
    assert "not reachable" not in page.content().lower()  # no browser error page
    assert "when this tablet next has a connection" in page.inner_text("main")
    screenshot(page, "tablet-signed-out-offline")
    # Nobody can open the inspector's pages here now, but they are not gone before the server
    # has ended the session.
    kept = page.evaluate(KEPT)
    assert f"/inspections/{link.id}" in saved_pages(kept)
    assert "inspector-user" not in kept["cached"]
    assert _signed_out_events(inspector) == 0

    page.context.set_offline(False)
    page.wait_for_url("**/inspections/signed-out")
    page.wait_for_selector("html[data-forgotten]", state="attached")
    assert _signed_out_events(inspector) == 1
    db.session.expire_all()
    assert all(token.revoked_at for token in db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == inspector.id)))
    kept = page.evaluate(KEPT)
    assert saved_pages(kept) == []
    assert kept["databases"][f"accreditation-inspections-u{inspector.id}"]["changes"] == \
        ["pending"]
    page.goto("/inspections/")
    assert "/sign-in" in page.url  # the session has ended



def test_a_connection_that_never_answers_leaves_no_button_doing_nothing(
        ready, new_page, e2e_app, monkeypatch):
    # The service's setting, shortened so that each wait for no answer is short.
    monkeypatch.setitem(e2e_app.config, "TABLET_TIME_LIMIT_SECONDS", 3)
    journey, link = ready
    answers = answers_for(link)
    last_id, last_value = list(answers.items())[-1]
    _answer_on_server(journey, link, {k: v for k, v in answers.items() if k != last_id})
    photograph_required_items(journey.inspector, link)
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    stalled = lambda route: None  # noqa: E731 - the request is never answered
    page.route("**/api/v1/inspections/*/answers", stalled)
    answer(page, last_id, last_value)
    page.wait_for_selector("[data-sync-status][data-pending='1']", state="attached")

    # Sign out: the tablet stops waiting and says what has not been sent.
    page.click(".app-sign-out button")
    warning = page.locator("[data-sign-out-warning]")
    expect(warning).to_contain_text("1 answer has not been sent yet", timeout=10_000)
    page.click("button:has-text('Stay signed in')")

    page.click("a:has-text('Check answers and submit') >> nth=0")
    page.wait_for_selector("text=Check your answers before submitting")
    page.click("button:has-text('Submit inspection')")
    message = page.locator("[data-submit-message]")
    expect(message).to_contain_text("Sending your answers", timeout=3_000)
    expect(message).to_contain_text("did not answer within 3 seconds", timeout=10_000)
    expect(message).to_contain_text("saved on this tablet")
    status = page.inner_text("[data-sync-status]")
    assert "1 answer saved on this tablet, not sent yet" in status
    assert "not answering" in status
    assert "Checking" not in status
    expect(page.get_by_role("button", name="Submit inspection")).to_be_enabled()
    assert server_counts(link)["drafts"] == len(answers) - 1
    screenshot(page, "tablet-submit-no-answer")

    # The answer goes once the connection answers; the submission itself is given the same
    # time limit, and pressing again submits once.
    page.unroute("**/api/v1/inspections/*/answers")
    wait_until_sent(page)
    page.route("**/submit", stalled)
    page.click("button:has-text('Submit inspection')", no_wait_after=True)
    expect(message).to_contain_text("submit again when you have a better connection",
                                    timeout=10_000)
    page.unroute("**/submit")
    page.click("button:has-text('Submit inspection')")
    page.wait_for_selector("text=inspection submitted")
    db.session.commit()
    assert inspection_drafts.is_submitted(link)

    # A sign-out the server never answers: signed out on the tablet, and on the server once
    # it answers.
    page.context.route("**/sign-out", stalled)  # the service worker's requests too
    page.click(".app-sign-out button")
    expect(page.get_by_role("heading", name="You have signed out on this tablet")).to_be_visible(
        timeout=10_000)
    assert "not answering" in page.inner_text("main")
    assert _signed_out_events(journey.inspector) == 0
    page.context.unroute("**/sign-out")
    page.wait_for_url("**/inspections/signed-out", timeout=45_000)
    assert eventually(lambda: _signed_out_events(journey.inspector) == 1)


def _photo_items(link) -> list:
    return [item for item in inspection_drafts.checklist_for(link)[1] if item.photo_required]


def test_items_that_need_a_photo_cannot_be_submitted_without_one(ready, new_page):
    journey, link = ready
    _answer_on_server(journey, link, answers_for(link))
    needed = _photo_items(link)
    assert {item.id for item in needed} >= {"smoke_heat_alarms", "fire_doors"}
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    assert page.locator("#item-smoke_heat_alarms").get_by_text(
        "Photo (required for this item)").is_visible()

    page.click("a:has-text('Check answers and submit') >> nth=0")
    warning = page.locator("[data-photos-needed]")
    expect(warning).to_contain_text(f"Photos needed ({len(needed)})")
    for item in needed:
        expect(warning.get_by_role("link", name=item.title)).to_be_visible()
    page.click("button:has-text('Submit inspection')")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Your inspection was not submitted")
    for item in needed:
        expect(summary.get_by_role("link", name=f"{item.title}: add a photo")).to_be_visible()
    assert not inspection_drafts.is_submitted(link)
    screenshot(page, "tablet-photos-needed")

    warning.get_by_role("link", name=needed[0].title).click()
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    for n, item in enumerate(needed):
        page.set_input_files(f"#{item.id}-photo", files=[jpeg(400, 300, ("teal", "navy")[n % 2])])
    sent = eventually(lambda: server_counts(link)["photos"] == len(needed), timeout=60)
    assert sent, (server_counts(link), page.inner_text("[data-sync-status]"),
                  page.locator("[data-photos]").all_inner_texts())
    wait_until_sent(page, timeout=60_000)
    page.click("a:has-text('Check answers and submit') >> nth=0")
    expect(page.locator("[data-photos-needed]")).to_have_count(0)
    page.click("button:has-text('Submit inspection')")
    page.wait_for_selector("text=inspection submitted")
    db.session.commit()
    db.session.refresh(link)
    submissions = db.session.scalars(sa.select(InspectionSubmission)).all()
    assert [submission.assessment_id for submission in submissions] == [link.assessment_id]


def keeps_going(page, action) -> None:
    """``action`` tells the server the page is in use, and the page takes in its answer (the
    session's new end, shared with the browser's other tabs)."""
    ends = "() => window.localStorage.getItem('accreditation:session-ends-at')"
    before = page.evaluate(ends)
    with page.expect_response("**/session/keep-alive"):
        action()
    page.wait_for_function(f"before => ({ends})() !== before", arg=before)


def test_answering_keeps_the_session_going_and_the_warning_never_blocks_a_tap(ready, new_page):
    journey, link = ready
    (first_id, first), (second_id, second), (third_id, third) = list(
        answers_for(link).items())[:3]
    page = new_page(viewport=TABLET, has_touch=True)
    page.clock.install()
    open_inspection(page, journey, link)
    dialog = page.locator("dialog[data-session-timeout]")

    # Half an hour of answering, a tap every twenty minutes: no warning, the session goes on.
    # (Each time, the server's answer is taken in before the clock moves on, as it is when
    # minutes pass for real.)
    page.clock.fast_forward("20:00")
    keeps_going(page, lambda: answer(page, first_id, first))
    page.clock.fast_forward("20:00")
    expect(dialog).to_be_hidden()
    keeps_going(page, lambda: answer(page, second_id, second))
    page.clock.fast_forward("20:00")
    expect(dialog).to_be_hidden()

    # Left alone for long enough, the warning comes; the next tap on the page keeps the
    # session going and lands where it was aimed.
    form = page.locator(f"#item-{third_id}")
    radio_id = form.locator(f"input[value='{third}']").get_attribute("id")
    target = form.locator(f"label[for='{radio_id}']")
    target.evaluate("label => label.scrollIntoView({block: 'end'})")  # clear of the dialog
    page.clock.fast_forward("09:00")
    expect(dialog).to_be_visible()
    screenshot(page, "tablet-session-warning")
    box, warning = target.bounding_box(), dialog.bounding_box()
    assert box["y"] > warning["y"] + warning["height"], "the answer is beside the warning"
    with page.expect_response("**/session/keep-alive"):  # a finger, where the answer is
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#item-{third_id} input[value='{third}']")).to_be_checked()
    wait_until_sent(page)
    assert eventually(lambda: server_counts(link)["drafts"] == 3)


def test_the_tablet_says_what_happened_to_each_answer_and_only_for_this_inspection(
        e2e_db, new_page):
    journey, link = inspection_ready(properties=2)
    other = journey.case.properties[1]
    first, second = (new_page(viewport=TABLET, has_touch=True) for _ in range(2))
    open_inspection(first, journey, link)
    open_inspection(second, journey, link)
    answer(first, "manager_named", "yes")
    assert eventually(lambda: server_counts(link)["drafts"] == 1)
    answer(second, "manager_named", "no")
    second.wait_for_selector("#item-manager_named [data-local-conflict]:not([hidden])")
    wait_until_sent(second)
    state = second.inner_text("#item-manager_named [data-state]")
    assert state != "Sent." and "another device changed this answer first" in state
    assert "1 answer changed on another device" in second.inner_text("[data-sync-status]")

    # Another inspection on the same tablet: nothing of the first one's conflict.
    second.goto(f"/inspections/{other.id}")
    second.wait_for_selector(f"[data-inspection='{other.id}']")
    wait_until_sent(second)
    expect(second.locator("[data-sync-text]")).to_contain_text(
        "Everything you entered has been sent.")
    assert "changed on another device" not in second.inner_text("[data-sync-status]")
    number = second.locator("form[data-type='number']").first
    number.locator("[name='value']").fill("twelve")
    number.locator("[name='value']").blur()
    expect(number.locator("[data-state]")).to_contain_text("Not accepted")
    status = second.locator("[data-sync-text]")
    expect(status).to_contain_text("1 answer not accepted: see the marked items.")
    assert "Everything you entered has been sent" not in status.inner_text()
    second.context.set_offline(True)
    expect(status).to_contain_text("You are offline. Nothing is waiting to be sent.")


def test_offline_the_list_and_check_answers_show_what_the_tablet_holds(ready, new_page):
    journey, link = ready
    answers = list(answers_for(link).items())
    _, items = inspection_drafts.checklist_for(link)
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    for item_id, value in answers[:2]:
        answer(page, item_id, value)
    wait_until_sent(page)
    page.context.set_offline(True)
    for item_id, value in answers[2:5]:
        answer(page, item_id, value)
    page.wait_for_selector("[data-sync-status][data-pending='3']", state="attached")

    page.click("a:has-text('Check answers and submit') >> nth=0")
    page.wait_for_selector("text=Check your answers before submitting")
    row = page.locator(f"[data-summary-item='{answers[2][0]}']")
    expect(row).to_contain_text("Yes")
    expect(row).to_contain_text("saved on this tablet, not sent yet")
    expect(page.locator("[data-summary-progress]")).to_contain_text(f"5 of {len(items)} answered")

    page.goto("/inspections/")  # the list, saved on the tablet
    page.wait_for_selector("text=Property inspections")
    expect(page.locator(f"[data-progress-of='{link.id}']")).to_have_text(
        f"5 of {len(items)} answered")


def test_without_javascript_a_refused_number_stays_with_its_message_in_view(
        ready, browser, live_server):
    journey, link = ready
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  viewport={"width": TABLET[0], "height": TABLET[1]})
    try:
        page = context.new_page()
        sign_in(page, journey.inspector.email, TEST_PASSWORD)
        page.goto(f"/inspections/{link.id}")
        number = page.locator("form[data-type='number']").first
        item_id = number.get_attribute("data-item")
        number.locator("[name='value']").fill("twelve")
        number.locator("[name='note']").fill("Measured twice.")
        number.get_by_role("button", name="Save").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_in_viewport()
        form = page.locator(f"#item-{item_id}")
        assert form.locator("[name='value']").input_value() == "twelve"
        assert form.locator("[name='note']").input_value() == "Measured twice."
        message = form.locator(".govuk-error-message")
        expect(message).to_be_visible()
        summary.get_by_role("link").first.click()
        expect(form.locator("[name='value']")).to_be_in_viewport()
        assert _draft(link, item_id) is None

        # Saving an item with nothing new says so.
        untouched = page.locator("form[data-type='yes_no']").first
        untouched_id = untouched.get_attribute("data-item")
        untouched.get_by_role("button", name="Save").click()
        items = inspection_drafts.checklist_for(link)[1]
        name = next(item.title for item in items if item.id == untouched_id)
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"{name}: nothing to save")
    finally:
        context.close()
