"""Signed-in pages do not move after they appear (CLS under 0.05, as measured on a phone-sized
tablet with a slow processor). How long a page blocks the main thread is a time, measured
where the machine is quiet: ``bench/page_speed.py`` and ``bench/lighthouse.py``."""

from __future__ import annotations

import pytest

from ..cases.journey import Journey
from ..factories import TEST_PASSWORD, UserFactory
from .conftest import sign_in
from .inspection_helpers import inspection_ready
from .speed import measure, phone_context

CLS_LIMIT = 0.05


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
