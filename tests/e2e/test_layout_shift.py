"""Signed-in pages do not move after they appear (CLS under 0.05, as measured on a phone-sized
tablet with a slow processor), and the inspection page does not block the main thread for long."""

from __future__ import annotations

import statistics

import pytest

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, UserFactory
from .conftest import sign_in
from .inspection_helpers import inspection_ready
from .speed import measure, phone_context

CLS_LIMIT = 0.05
# bench/page_speed.py holds the page to Lighthouse's "good" total blocking time on mobile
# (200 ms) on a quiet machine; here, among other tests sharing the processor, the limit only
# catches a page that blocks as long as initialising every item at load did.
BLOCKING_LIMIT_MS = 400


@pytest.fixture
def people(e2e_db):
    journey, link = inspection_ready()
    accredited = Journey(properties=1, staff_files=5, young_people_files=1)
    accredited.all_the_way()
    social_worker = UserFactory(social_worker=True)
    commissioner = UserFactory(commissioner=True)
    e2e_db.session.commit()
    return journey, link, accredited, social_worker, commissioner


def measured(browser, live_server, user, paths) -> list[dict]:
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_in(page, user.email, TEST_PASSWORD)
        return [measure(page, path) for path in paths]
    finally:
        context.close()


def test_signed_in_pages_do_not_shift_on_a_phone_sized_tablet(people, browser, live_server):
    journey, link, accredited, social_worker, commissioner = people
    results = (
        measured(browser, live_server, journey.provider,
                 ["/provider/", "/provider/application", "/provider/properties"])
        + measured(browser, live_server, commissioner,
                   ["/commissioner/", "/cases/", f"/cases/{accredited.case.id}"])
        + measured(browser, live_server, social_worker,
                   ["/register/", f"/register/providers/{accredited.organisation.id}"])
        + measured(browser, live_server, journey.inspector,
                   ["/inspections/", f"/inspections/{link.id}"]))
    for result in results:
        print(result)
    assert [r for r in results if r["cls"] >= CLS_LIMIT] == []


def test_the_inspection_page_does_not_block_the_main_thread(people, browser, live_server):
    journey, link, *_ = people
    runs = measured(browser, live_server, journey.inspector, [f"/inspections/{link.id}"] * 3)
    print(*runs, sep="\n")
    assert statistics.median(run["blocking_ms"] for run in runs) < BLOCKING_LIMIT_MS, runs
