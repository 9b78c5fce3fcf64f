"""Through Debian's Chromium at an iPad's size, with touch: a property inspection carried out
partly without signal, sent when the connection returns, with every answer and photo arriving on
the server exactly once; a send cut off after the server saved it; two tablets changing the same
answer; and the whole outbox sent ten times over."""

from __future__ import annotations

import socket

import pytest

from accreditation.stages import inspection_drafts

from ..cases.journey import photograph_required_items
from ..factories import TEST_PASSWORD
from .conftest import screenshot, submit_sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    answers_for,
    assert_answers_shown,
    eventually,
    inspection_ready,
    jpeg,
    open_inspection,
    server_counts,
    wait_until_sent,
)

OUTBOX = "/static/js/inspector/outbox.mjs"


@pytest.fixture
def ready(e2e_db):
    return inspection_ready()


def test_an_inspection_survives_going_offline_and_reloading(ready, new_page):
    journey, link = ready
    answers = list(answers_for(link).items())
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    screenshot(page, "tablet-checklist")

    online, offline, rest = answers[:5], answers[5:25], answers[25:]
    for item_id, value in online:
        answer(page, item_id, value)
    assert eventually(lambda: server_counts(link)["drafts"] == 5)

    page.context.set_offline(True)
    for item_id, value in offline:
        answer(page, item_id, value)
    photo_items = [online[0][0], offline[0][0]]
    page.set_input_files(f"#{photo_items[0]}-photo", files=[jpeg(colour="teal")])
    page.set_input_files(f"#{photo_items[1]}-photo", files=[jpeg(colour="navy")])
    page.wait_for_selector("[data-sync-status][data-pending='22']", state="attached")
    assert "20 answers and 2 photos saved on this tablet, not sent yet" in \
        page.inner_text("[data-sync-status]")
    assert server_counts(link)["drafts"] == 5

    page.reload()  # no signal: the saved page, with the tablet's answers over it
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    page.wait_for_selector("[data-sync-status][data-pending='22']", state="attached")
    assert_answers_shown(page, online + offline)
    assert page.locator("img.app-photo").count() == 2
    assert page.inner_text("[data-progress]") == f"25 of {len(answers)} answered"
    screenshot(page, "tablet-offline-after-reload")

    page.context.set_offline(False)
    wait_until_sent(page)
    counts = server_counts(link)
    assert counts == {"drafts": 25, "changes": 25, "photos": 2, "conflicts": 0}
    screenshot(page, "tablet-back-online")

    for item_id, value in rest:
        answer(page, item_id, value)
    assert eventually(lambda: server_counts(link)["drafts"] == len(answers))
    photograph_required_items(journey.inspector, link)  # taken on another tablet
    page.click("a:has-text('Check answers and submit') >> nth=0")
    page.wait_for_selector("text=Check your answers before submitting")
    assert "Not answered (" not in page.inner_text("main")
    screenshot(page, "tablet-summary")
    page.click("button:has-text('Submit inspection')")
    page.wait_for_selector("text=inspection submitted")
    counts = server_counts(link)
    assert counts["changes"] == len(answers) and counts["photos"] == 2 + len(
        [item for item in inspection_drafts.checklist_for(link)[1] if item.photo_required])


class DropReplyOnce:
    """Around the live server's app: the first request to send answers is carried out in full
    (the server commits it), then the connection is cut before the reply goes out, as when the
    signal drops at the wrong moment."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.dropped = 0

    def __call__(self, environ, start_response):
        if self.dropped or not environ["PATH_INFO"].endswith("/answers"):
            return self.wsgi_app(environ, start_response)
        self.dropped += 1
        response = self.wsgi_app(environ, lambda *args, **kwargs: None)
        b"".join(response)
        getattr(response, "close", lambda: None)()
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        return []


def test_a_send_cut_off_after_the_server_saved_it_is_sent_again_safely(
        ready, new_page, e2e_app, monkeypatch):
    journey, link = ready
    answers = list(answers_for(link).items())[:8]
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    cut = DropReplyOnce(e2e_app.wsgi_app)
    monkeypatch.setattr(e2e_app, "wsgi_app", cut)
    page.context.set_offline(True)
    for item_id, value in answers:
        answer(page, item_id, value)
    page.context.set_offline(False)
    assert eventually(lambda: cut.dropped == 1)
    assert eventually(lambda: server_counts(link)["drafts"] == 8)
    # The tablet never heard back from that send; it sends again (by itself, or when asked)
    # and the server answers from what it stored: each answer marked sent, none twice.
    page.evaluate(f"import('{OUTBOX}').then((outbox) => outbox.sync())")
    wait_until_sent(page)
    assert server_counts(link) == {"drafts": 8, "changes": 8, "photos": 0, "conflicts": 0}
    assert page.locator("[data-state]:has-text('Sent.')").count() >= 8


def test_a_send_asked_for_while_one_is_failing_gets_a_round_of_its_own(ready, new_page):
    """The connection comes back (and the tablet asks to send) while a send is still failing:
    the answer goes at once, not half a minute later when the tablet next tries by itself."""
    journey, link = ready
    item_id, value = next(iter(answers_for(link).items()))
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    held = []  # the first send waits here; later ones go through
    page.route("**/answers", lambda route: route.continue_() if held else held.append(route))
    answer(page, item_id, value)
    while not held:
        page.wait_for_timeout(50)
    page.evaluate(f"import('{OUTBOX}').then((outbox) => {{ outbox.sync(); }})")
    with page.expect_request(lambda request: request.url.endswith("/answers"), timeout=5_000):
        held[0].abort("internetdisconnected")
    wait_until_sent(page)
    assert server_counts(link) == {"drafts": 1, "changes": 1, "photos": 0, "conflicts": 0}


def test_two_tablets_changing_the_same_answer_show_a_conflict(ready, new_page):
    journey, link = ready
    first, second = (new_page(viewport=TABLET, has_touch=True) for _ in range(2))
    open_inspection(first, journey, link)
    open_inspection(second, journey, link)  # both saw the item unanswered
    answer(first, "manager_named", "yes")
    assert eventually(lambda: server_counts(link)["drafts"] == 1)
    answer(second, "manager_named", "no")
    second.wait_for_selector("#item-manager_named [data-local-conflict]:not([hidden])")
    assert "Another device changed this answer to “Yes”" in \
        second.inner_text("#item-manager_named")
    assert server_counts(link)["conflicts"] == 1
    screenshot(second, "tablet-conflict-seen")

    second.reload()
    second.wait_for_selector("text=Keep yours")
    screenshot(second, "tablet-conflict-choose")
    second.click("#item-manager_named button:has-text('Keep yours')")
    second.wait_for_selector("text=Your answer was kept")
    assert second.locator("#item-manager_named input[value='no']").is_checked()
    assert server_counts(link)["conflicts"] == 0


# Sends every answer and photo the tablet ever recorded again, under the same ids and as the
# tablet sends them (outbox.mjs), with its token: the server answers each from what it stored.
REPLAY_ALL = """async () => {
  const store = await import("/static/js/inspector/store.mjs");
  const headers = { Accept: "application/json",
                    Authorization: `Bearer ${(await store.meta("token")).token}` };
  const device = await store.deviceId();
  const changes = (await store.all("changes")).sort((a, b) => a.at - b.at);
  let replayed = 0;
  for (const link of new Set(changes.map((c) => c.link_id))) {
    const response = await fetch(`/api/v1/inspections/${link}/answers`, {
      method: "POST", credentials: "omit",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ device_id: device, changes: changes
        .filter((c) => c.link_id === link).map((c) => ({ client_id: c.client_id,
          item_id: c.item_id, value: c.value, note: c.note, base_revision: c.base_revision })) }),
    });
    replayed += (await response.json()).results.filter((r) => r.replayed).length;
  }
  const photos = await store.all("photos");
  for (const photo of photos.filter((p) => p.blob)) {
    const form = new FormData();
    form.append("client_id", photo.client_id);
    form.append("item_id", photo.item_id);
    form.append("file", photo.blob, photo.name);
    const response = await fetch(`/api/v1/inspections/${photo.link_id}/photos`,
                                 { method: "POST", credentials: "omit", headers, body: form });
    if (response.status === 200) replayed += 1;
  }
  return { changes: changes.length, photos: photos.length, replayed };
}"""


def test_sending_the_whole_outbox_ten_times_stores_everything_once(ready, new_page):
    journey, link = ready
    answers = list(answers_for(link).items())[:12]
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    for item_id, value in answers:
        answer(page, item_id, value)
    page.set_input_files(f"#{answers[0][0]}-photo", files=[jpeg(800, 600)])
    wait_until_sent(page)
    assert eventually(lambda: server_counts(link)["photos"] == 1)
    before = server_counts(link)
    for _ in range(10):
        replay = page.evaluate(REPLAY_ALL)
        assert replay == {"changes": 12, "photos": 1, "replayed": 13}
    assert server_counts(link) == before == {"drafts": 12, "changes": 12, "photos": 1,
                                             "conflicts": 0}


def test_answers_wait_on_the_tablet_while_the_inspector_must_sign_in_again(
        ready, new_page, e2e_db):
    from accreditation.auth.models import ApiToken
    from accreditation.database import utcnow

    journey, link = ready
    answers = list(answers_for(link).items())[:3]
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    page.context.set_offline(True)
    for item_id, value in answers:
        answer(page, item_id, value)
    # While offline the session ends and the tablet's token is withdrawn.
    page.context.clear_cookies()
    e2e_db.session.commit()  # a fresh transaction sees the token the page bought
    tokens = e2e_db.session.scalars(e2e_db.select(ApiToken)).all()
    assert tokens and {token.name for token in tokens} == {"tablet"}
    for token in tokens:
        token.revoked_at = utcnow()
    e2e_db.session.commit()
    page.context.set_offline(False)
    page.wait_for_selector("text=Sign in again to send 3 saved answers")
    assert page.is_visible("[data-sign-in] a:has-text('Sign in again')")
    assert server_counts(link)["drafts"] == 0
    screenshot(page, "tablet-sign-in-again")

    page.click("[data-sign-in] a")
    submit_sign_in(page, journey.inspector.email, TEST_PASSWORD)
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    wait_until_sent(page)
    assert server_counts(link) == {"drafts": 3, "changes": 3, "photos": 0, "conflicts": 0}
