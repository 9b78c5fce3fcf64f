"""The history of the standard: every version and step, who published it, and how many met each
step on the day it took effect and meet it now."""

from datetime import date

from accreditation.standards.impact import standard_history
from accreditation.standards.operations import current_checklist

from ..checklists.helpers import failing_answer
from ..factories import PropertyFactory, UserFactory
from .test_assessments_and_impact import good_answers, inspect


def _scenario(rng):
    """Two properties inspected on 2 November 2026, one failing an item that becomes critical on
    4 January 2027; a third inspected after that day. All three pass and are accredited."""
    escape_routes = current_checklist("property_inspection", date(2026, 11, 2)).checklist.item(
        "escape_routes")
    inspect(PropertyFactory(), good_answers("single_occupancy", rng))
    weak = good_answers("single_occupancy", rng)
    weak["escape_routes"] = failing_answer(escape_routes)
    assert inspect(PropertyFactory(), weak).passed
    inspect(PropertyFactory(), good_answers("single_occupancy", rng), on=date(2027, 1, 20))


def test_each_step_in_force_says_how_many_met_it_on_the_day_and_now(published_checklists, rng):
    _scenario(rng)
    history = standard_history(date(2027, 2, 1))
    inspection_v1 = next(entry for entry in history
                         if (entry.record.kind, entry.record.version) == ("property_inspection", 1))
    first, second, *later = inspection_v1.steps
    assert (first.step.effective_from, first.in_force) == (date(2026, 9, 1), True)
    # Nothing had been inspected by 1 September 2026.
    assert (first.met_on_the_day, first.assessed_on_the_day) == (0, 0)
    assert (first.meet_now, first.assessed_now) == (3, 3)
    # On 4 January 2027 the two inspected properties were judged; one fails the new critical item.
    assert second.step.effective_from == date(2027, 1, 4)
    assert (second.met_on_the_day, second.assessed_on_the_day) == (1, 2)
    assert (second.meet_now, second.assessed_now) == (2, 3)
    assert later and not any(row.in_force for row in later)
    assert [e.record.kind for e in history] == sorted(e.record.kind for e in history)


def test_the_history_page_shows_versions_steps_and_counts(client, published_checklists, rng,
                                                          monkeypatch):
    _scenario(rng)
    monkeypatch.setattr("accreditation.clock.today", lambda: date(2027, 2, 1))
    client.sign_in(UserFactory(commissioner=True))
    checklists = client.get("/commissioner/checklists").text
    assert 'href="/commissioner/checklists/history"' in checklists
    response = client.get("/commissioner/checklists/history")
    assert response.status_code == 200
    page = response.text
    assert "History of the standard" in page
    assert "Property inspection – version 1" in page
    assert "Property inspection – version 2" in page
    assert "by an administrator, from the command line" in page
    assert "1 of 2 properties" in page
    assert "2 of 3 properties" in page
    assert "Not yet in force" in page


def test_the_history_page_names_who_published(client, app):
    from accreditation.checklists import DEFINITIONS_DIR
    from accreditation.standards.operations import publish_definitions

    commissioner = UserFactory(commissioner=True, full_name="Ada Lovelace")
    publish_definitions(commissioner, DEFINITIONS_DIR / "due_diligence" / "v1.yaml")
    client.sign_in(commissioner)
    page = client.get("/commissioner/checklists/history").text
    assert "Due diligence – version 1" in page
    assert "by Ada Lovelace" in page
