"""A tablet shared by inspectors: what one leaves on it is not shown to the next, and answers
not sent at sign-out wait, kept apart, for the inspector who gave them."""

from __future__ import annotations

import pytest

from ..factories import TEST_PASSWORD, UserFactory
from .conftest import screenshot, sign_in
from .inspection_helpers import (
    TABLET,
    answer,
    answers_for,
    eventually,
    inspection_ready,
    open_inspection,
    server_counts,
    wait_until_sent,
)

# What the tablet keeps, read from the page: databases with their unsent changes, and every
# saved response in every cache.
KEPT = """async () => {
  const databases = {};
  for (const { name } of await indexedDB.databases()) {
    databases[name] = await new Promise((resolve) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => {
        const db = request.result;
        const names = [...db.objectStoreNames];
        if (!names.includes("changes")) { db.close(); resolve({}); return; }
        const tx = db.transaction(names, "readonly");
        const out = {};
        let left = names.length;
        for (const store of names) {
          const all = tx.objectStore(store).getAll();
          all.onsuccess = () => {
            out[store] = all.result.map((row) => row.status || row.key || row.item_id);
            if (!--left) { db.close(); resolve(out); }
          };
        }
      };
    });
  }
  const cached = {};
  for (const name of await caches.keys()) {
    cached[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
  }
  return { databases, cached };
}"""


def sign_out(page) -> None:
    page.click(".app-sign-out button")
    page.wait_for_url("**/inspections/signed-out")
    page.wait_for_selector("html[data-forgotten]", state="attached")


def saved_pages(kept: dict) -> list[str]:
    return [path for name, paths in kept["cached"].items()
            if not name.startswith("inspector-shell-") for path in paths]


@pytest.fixture
def ready(e2e_db):
    journey, link = inspection_ready()
    other = UserFactory(inspector=True, full_name="Bea Other")
    e2e_db.session.commit()
    return journey, link, other


def test_the_next_inspector_on_a_tablet_sees_nothing_of_the_last(ready, new_page):
    journey, link, other = ready
    answers = list(answers_for(link).items())[:5]
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    page.context.set_offline(True)
    for item_id, value in answers:
        answer(page, item_id, value)
    page.context.set_offline(False)
    wait_until_sent(page)
    assert server_counts(link)["drafts"] == 5
    before = page.evaluate(KEPT)
    assert f"/inspections/{link.id}" in saved_pages(before)
    assert [name for name in before["databases"] if name.startswith("accreditation-inspections-u")]

    sign_out(page)
    kept = page.evaluate(KEPT)
    assert saved_pages(kept) == []  # no page, no list of addresses
    assert not [name for name in kept["databases"]
                if name.startswith("accreditation-inspections")]  # everything was sent
    screenshot(page, "tablet-signed-out")

    sign_in(page, other.email, TEST_PASSWORD)
    page.goto("/inspections/")
    page.wait_for_selector("html[data-offline-ready]")
    page.context.set_offline(True)
    page.goto(f"/inspections/{link.id}")
    page.wait_for_selector("text=You are offline")
    assert link.home.name not in page.content()
    assert link.home.postcode not in page.content()
    kept = page.evaluate(KEPT)
    assert not [path for path in saved_pages(kept) if path.startswith(f"/inspections/{link.id}")]
    assert list(kept["databases"]) == [f"accreditation-inspections-u{other.id}"]
    assert kept["databases"][f"accreditation-inspections-u{other.id}"]["items"] == []


def test_answers_unsent_at_sign_out_wait_for_their_inspector(ready, new_page):
    journey, link, other = ready
    inspector = journey.inspector
    answers = list(answers_for(link).items())[:3]
    page = new_page(viewport=TABLET, has_touch=True)
    open_inspection(page, journey, link)
    page.route("**/api/v1/inspections/*/answers", lambda route: route.abort())  # no signal
    for item_id, value in answers:
        answer(page, item_id, value)
    page.wait_for_selector("[data-sync-status][data-pending='3']", state="attached")

    page.click(".app-sign-out button")
    warning = page.wait_for_selector("[data-sign-out-warning]:not([hidden])")
    assert ("3 answers have not been sent yet. Sign out anyway? They will be kept on this "
            "tablet and sent when you next sign in here.") in warning.inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-sign-out-warning')")
    screenshot(page, "tablet-sign-out-unsent")
    page.click("button:has-text('Stay signed in')")
    assert page.is_hidden("[data-sign-out-warning]")
    page.click(".app-sign-out button")
    page.click("button:has-text('Sign out anyway')")
    page.wait_for_url("**/inspections/signed-out")
    page.wait_for_selector("html[data-forgotten]", state="attached")
    page.unroute("**/api/v1/inspections/*/answers")
    kept = page.evaluate(KEPT)
    mine = kept["databases"][f"accreditation-inspections-u{inspector.id}"]
    assert mine["changes"] == ["pending"] * 3
    assert "token" not in mine["meta"]
    assert saved_pages(kept) == []
    assert server_counts(link)["changes"] == 0

    # Someone else signs in here: the first inspector's answers are not sent with their token.
    sign_in(page, other.email, TEST_PASSWORD)
    page.goto("/inspections/")
    page.wait_for_selector("html[data-offline-ready]")
    wait_until_sent(page)
    assert page.inner_text("[data-sync-status]").startswith("Everything you entered has been sent")
    assert server_counts(link)["changes"] == 0
    kept = page.evaluate(KEPT)
    assert kept["databases"][f"accreditation-inspections-u{inspector.id}"]["changes"] == \
        ["pending"] * 3
    sign_out(page)

    # The inspector who gave them signs in again: they are sent, once.
    sign_in(page, inspector.email, TEST_PASSWORD)
    page.goto(f"/inspections/{link.id}")
    page.wait_for_selector(f"[data-inspection='{link.id}']")
    wait_until_sent(page)
    assert eventually(lambda: server_counts(link)["drafts"] == 3)
    assert server_counts(link) == {"drafts": 3, "changes": 3, "photos": 0, "conflicts": 0}
    for item_id, value in answers:
        assert page.locator(f"#item-{item_id} input[name='value'][value='{value}']").is_checked()
