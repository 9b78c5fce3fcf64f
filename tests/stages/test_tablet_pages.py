"""The inspector's tablet pages as plain forms (JavaScript off), the device token, the service
worker and the web app manifest."""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from accreditation import clock
from accreditation.auth.models import ApiToken
from accreditation.checklists import Item
from accreditation.evidence.models import Evidence
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.forms import answer_choices, answer_label, parse_answer
from accreditation.stages.models import ChangeLogEntry, DraftAnswer

from ..cases.journey import best_answers, photograph_required_items
from ..factories import UserFactory


def page_of(client, link) -> str:
    response = client.get(f"/inspections/{link.id}")
    assert response.status_code == 200, response.text
    return response.text


def post_item(client, link, item_id, data, **kwargs):
    return client.submit(f"/inspections/{link.id}/items/{item_id}", data,
                         form_page=f"/inspections/{link.id}", **kwargs)


def draft(link, item_id) -> DraftAnswer | None:
    db.session.expire_all()
    return inspection_drafts.drafts_for(link).get(item_id)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def inspector(client, journey):
    client.sign_in(journey.inspector)
    return client


def test_the_list_shows_each_assigned_property_with_its_progress(inspector, inspection):
    page = inspector.get("/inspections/").text
    assert inspection.home.name in page
    assert "0 of 54 answered" in page or re.search(r"0 of \d+ answered", page)
    assert "Not started" in page
    assert f'href="/inspections/{inspection.id}"' in page


def test_a_property_scored_on_its_checklist_page_is_listed_with_its_answers(
        inspector, journey, inspection):
    from accreditation.stages.property_inspection import record_property_inspection

    answers = best_answers("property_inspection", category=inspection.home.category.value)
    record_property_inspection(journey.inspector, inspection, answers, clock.today())
    _, items = inspection_drafts.checklist_for(inspection)
    answered = sum(1 for item in items if answers.get(item.id) not in (None, ""))
    page = inspector.get("/inspections/").text
    assert "Submitted" in page
    assert answered and f"{answered} of {len(items)} answered" in page


def test_an_upcoming_inspection_can_be_read_but_not_answered_yet(client, journey):
    journey.submit()
    journey.pass_due_diligence()  # file sampling comes first
    link = journey.case.properties[0]
    client.sign_in(journey.inspector)
    assert "Upcoming" in client.get("/inspections/").text
    page = page_of(client, link)
    assert "This inspection opens when the application reaches the property inspection" in page
    assert 'type="radio" value="yes" disabled' in page
    assert "Submit inspection" not in client.get(f"/inspections/{link.id}/summary").text


def test_the_checklist_page_is_by_section_with_guidance_one_tap_answers_and_photos(
        inspector, inspection):
    page = page_of(inspector, inspection)
    _, items = inspection_drafts.checklist_for(inspection)
    assert re.search(rf"0 of {len(items)} answered", page)
    for title in ("Leadership and management", "Protection", "Accommodation", "Support"):
        assert title in page
    assert page.count('class="govuk-details__summary-text">Guidance') >= len(items) // 2
    assert page.count('accept="image/*" capture="environment"') == len(items)
    assert 'type="radio" value="yes"' in page
    assert 'rel="manifest"' in page and 'name="csrf-token"' in page
    assert "js/inspector/inspection.mjs" in page


def test_an_answer_posted_without_javascript_is_saved_once(inspector, inspection):
    response = post_item(inspector, inspection, "manager_named",
                         {"value": "yes", "note": "Manny, on site", "base_revision": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/inspections/{inspection.id}#item-manager_named")
    saved = draft(inspection, "manager_named")
    assert (saved.value, saved.note, saved.revision) == ("yes", "Manny, on site", 1)
    # Pressing Save again with nothing changed records nothing.
    post_item(inspector, inspection, "manager_named",
              {"value": "yes", "note": "Manny, on site", "base_revision": "1"})
    assert db.session.scalar(sa.select(sa.func.count(ChangeLogEntry.id))) == 1
    page = page_of(inspector, inspection)
    assert re.search(r"1 of \d+ answered", page)
    assert 'value="yes" checked' in page


def test_graded_and_number_answers_are_stored_as_numbers(inspector, inspection):
    post_item(inspector, inspection, "staffing_matches_model", {"value": "2", "base_revision": "0"})
    assert draft(inspection, "staffing_matches_model").value == 2
    number_item = next(item for item in inspection_drafts.checklist_for(inspection)[1]
                       if item.answer_type == "number" and item.unit == "m²")
    post_item(inspector, inspection, number_item.id, {"value": "19.5", "base_revision": "0"})
    assert draft(inspection, number_item.id).value == 19.5
    months = next(item for item in inspection_drafts.checklist_for(inspection)[1]
                  if item.answer_type == "number" and item.unit == "months")
    post_item(inspector, inspection, months.id, {"value": "1,000", "base_revision": "0"})
    assert draft(inspection, months.id).value == 1000


def test_a_wrong_answer_is_refused_with_a_message(inspector, inspection):
    response = post_item(inspector, inspection, "manager_named",
                         {"value": "maybe", "base_revision": "0"}, follow_redirects=True)
    assert "choose one of the answers" in response.text
    assert draft(inspection, "manager_named") is None


def test_a_photo_posted_without_javascript_is_added_to_the_item(inspector, inspection):
    response = post_item(inspector, inspection, "manager_named", {
        "value": "", "base_revision": "0",
        "photo": (io.BytesIO(jpeg()), "board.jpg", "image/jpeg")},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    photos = db.session.scalars(
        sa.select(Evidence).where(Evidence.item_id == "manager_named")).all()
    assert len(photos) == 1
    assert (f'src="/inspections/{inspection.id}/photos/{photos[0].id}" alt="Photo 1 of '
            in response.text)


def test_a_stale_answer_from_another_device_is_shown_and_can_be_settled(
        inspector, journey, inspection):
    post_item(inspector, inspection, "manager_named", {"value": "yes", "base_revision": "0"})
    # Another tablet, offline since before that answer, says "no".
    [result] = inspection_drafts.save_answers(journey.inspector, inspection, [
        inspection_drafts.AnswerChange(str(uuid.uuid4()), "manager_named", "no", "Not on site", 0)],
        device_id="other-tablet")
    assert result.status == "conflict"
    page = page_of(inspector, inspection)
    assert "Another device changed this answer" in page
    assert "Keep yours" in page and "Keep this one" in page
    conflict = inspection_drafts.open_conflicts(inspection)[0]
    response = inspector.submit(f"/inspections/{inspection.id}/conflicts/{conflict.id}",
                                {"keep": "mine"}, form_page=f"/inspections/{inspection.id}")
    assert response.status_code == 302
    assert (draft(inspection, "manager_named").value, draft(inspection, "manager_named").note) \
        == ("no", "Not on site")
    assert inspection_drafts.open_conflicts(inspection) == []
    assert "Another device changed this answer" not in page_of(inspector, inspection)


def test_the_summary_lists_what_is_missing_and_submitting_waits_for_it(
        inspector, journey, inspection):
    summary = inspector.get(f"/inspections/{inspection.id}/summary").text
    assert "Not answered (" in summary and "Submit inspection" in summary
    response = inspector.submit(f"/inspections/{inspection.id}/submit",
                                {"client_id": str(uuid.uuid4())},
                                form_page=f"/inspections/{inspection.id}/summary",
                                follow_redirects=True)
    assert "Your inspection was not submitted" in response.text
    _, items = inspection_drafts.checklist_for(inspection)
    first = next(item for item in items if item.scored)
    # Each question still to answer is a link to it, and the next one is offered.
    assert (f'<a href="/inspections/{inspection.id}#item-{first.id}">{first.title}: answer '
            "this question</a>") in response.text
    assert "Go to the next unanswered question" in response.text
    answers = best_answers("property_inspection", category=inspection.home.category.value)
    inspection_drafts.save_answers(journey.inspector, inspection, [
        inspection_drafts.AnswerChange(str(uuid.uuid4()), item_id, value, None, 0)
        for item_id, value in answers.items()])
    summary = inspector.get(f"/inspections/{inspection.id}/summary").text
    assert "Photos needed (4)" in summary
    photograph_required_items(journey.inspector, inspection)
    summary = inspector.get(f"/inspections/{inspection.id}/summary").text
    assert "Photos needed" not in summary
    assert "Yes" in summary and "3 – good" in summary
    submit_id = re.search(r'name="client_id" value="([^"]+)"', summary).group(1)
    for _ in range(2):  # a double tap: the second changes nothing
        response = inspector.submit(f"/inspections/{inspection.id}/submit",
                                    {"client_id": submit_id},
                                    form_page=f"/inspections/{inspection.id}/summary",
                                    follow_redirects=True)
        assert "inspection submitted" in response.text
    db.session.expire_all()
    assert inspection.assessment is not None and inspection.assessment.passed
    page = page_of(inspector, inspection)
    assert "This inspection has been submitted" in page
    assert "Submitted" in inspector.get("/inspections/").text


def test_the_device_token_needs_the_session_and_the_csrf_header(inspector, inspection):
    csrf = re.search(r'name="csrf-token" content="([^"]+)"',
                     inspector.get("/inspections/").text).group(1)
    headers = {"Referer": "https://localhost/inspections/"}
    assert inspector.post("/inspections/device-token", headers=headers).status_code == 400
    response = inspector.post("/inspections/device-token",
                              headers={**headers, "X-CSRFToken": csrf})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = response.json["token"]
    record = db.session.scalars(sa.select(ApiToken)).one()
    assert record.name == "tablet" and record.expires_at is not None
    # The token works for the API; the session cookie alone does not.
    api = inspector.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    # Signing out withdraws it: a tablet left behind sends nothing more in their name.
    inspector.submit("/sign-out", form_page="/inspections/")
    api = inspector.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    db.session.expire_all()
    assert db.session.scalars(sa.select(ApiToken)).one().revoked_at is not None


@pytest.mark.parametrize("role", ["provider", "social_worker"])
def test_other_roles_get_no_device_token(client, role):
    client.sign_in(UserFactory(**{role: True}))
    response = client.post("/inspections/device-token")
    assert response.status_code in (400, 403)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_another_inspector_cannot_open_the_inspection(client, inspection):
    client.sign_in(UserFactory(inspector=True))
    for path in (f"/inspections/{inspection.id}", f"/inspections/{inspection.id}/summary"):
        response = client.get(path)
        assert response.status_code == 404
        assert inspection.home.name not in response.text


def test_the_service_worker_is_served_for_the_inspections_scope(client):
    response = client.get("/inspections/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "/static/dist/app.css" in response.text
    assert re.match(r'const VERSION = "[0-9a-f]{16}";', response.text)
    manifest = client.get("/inspections/manifest.webmanifest")
    assert manifest.json["scope"] == "/inspections/"
    assert manifest.json["start_url"] == "/inspections/"


def test_the_service_worker_keeps_every_module_the_kept_scripts_import(app, client):
    """Offline, a script whose import is missing from the cache does not run at all."""
    from pathlib import Path

    shell = set(json.loads(re.search(r"const SHELL = (\[.*?\]);",
                                     client.get("/inspections/service-worker.js").text)[1]))
    static = Path(app.static_folder)
    for url in [url for url in shell if url.endswith(".mjs")]:
        script = static / url.removeprefix("/static/")
        for imported in re.findall(r'^import .* from "([^"]+)";', script.read_text(), re.M):
            target = imported if imported.startswith("/") else \
                "/static/" + str((script.parent / imported).resolve().relative_to(static))
            assert target in shell, f"{url} imports {imported}, which is not kept offline"


def test_tablet_pages_say_whose_they_are_so_a_shared_tablet_keeps_people_apart(
        inspector, inspection, journey):
    page = inspector.get(f"/inspections/{inspection.id}")
    assert page.headers["X-Inspector-User"] == str(journey.inspector.id)
    assert f'data-user="{journey.inspector.id}"' in page.text
    assert "data-sign-out-warning" in page.text

    response = inspector.submit("/sign-out", form_page=f"/inspections/{inspection.id}")
    assert response.headers["Location"] == "/inspections/signed-out"
    signed_out = inspector.get("/inspections/signed-out")
    assert signed_out.status_code == 200
    assert signed_out.headers["X-Inspector-User"] == ""  # no one: no saved page may be shown
    assert "data-signed-out" in signed_out.text
    assert inspection.home.name not in signed_out.text
    away = inspector.get(f"/inspections/{inspection.id}")
    assert away.status_code == 302 and away.headers["X-Inspector-User"] == ""


def test_people_who_do_not_inspect_sign_out_to_the_sign_in_page(client):
    client.sign_in(UserFactory(provider=True))
    response = client.submit("/sign-out", form_page="/accessibility")
    assert response.headers["Location"] == "/sign-in"


@pytest.mark.parametrize("answer_type, allow_na", [
    ("yes_no", False), ("yes_no", True), ("graded", False), ("graded", True)])
def test_every_one_tap_answer_reads_back_as_itself(answer_type, allow_na):
    item = Item(id="x", section="s", text="?", answer_type=answer_type,
                allow_not_applicable=allow_na)
    for value, label in answer_choices(item):
        parsed = parse_answer(item, value)
        assert answer_label(item, parsed) == label


@given(st.one_of(st.integers(0, 10**4),
                 st.floats(0, 1e4, allow_nan=False).map(lambda f: round(f, 2))))
def test_a_typed_number_is_stored_as_the_number_typed(number):
    item = Item(id="x", section="s", text="?", answer_type="number", unit="m²")
    parsed = parse_answer(item, str(number))
    assert parsed == number
    assert isinstance(parsed, int) == float(number).is_integer()


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=1201),
                 st.decimals(allow_nan=False, allow_infinity=False, places=1)
                 .filter(lambda d: d != d.to_integral_value()),
                 st.sampled_from(["1e3", "-0.5", "12 months", "1_000", "\u0661\u0662", "NaN"])))
def test_a_typed_number_the_item_does_not_allow_is_refused_naming_the_item(text):
    item = Item(id="dbs", section="s", text="?", label="Age of DBS check",
                answer_type="number", unit="months")
    with pytest.raises(ValueError, match=r"^Age of DBS check must be"):
        parse_answer(item, str(text))


def test_a_file_is_assessed_on_the_tablet_pages_without_javascript(inspector, sampled_file):
    home = inspector.get("/inspections/")
    assert "File sampling visits" in home.text
    assert f"/inspections/files/{sampled_file.id}" in home.text
    page = inspector.get(f"/inspections/files/{sampled_file.id}")
    assert page.status_code == 200
    assert f"File {sampled_file.reference}" in page.text
    assert f'data-inspection="files/{sampled_file.id}"' in page.text
    assert 'type="file"' not in page.text  # no photos of files
    answers = best_answers("file_sampling", file_type=sampled_file.sample.file_type.value)
    for item_id, value in answers.items():
        inspector.submit(f"/inspections/files/{sampled_file.id}/items/{item_id}",
                         {"value": str(value), "base_revision": "0"},
                         form_page=f"/inspections/files/{sampled_file.id}")
    assert set(inspection_drafts.drafts_for(sampled_file)) == set(answers)
    summary = inspector.get(f"/inspections/files/{sampled_file.id}/summary")
    assert "Submit inspection" in summary.text
    response = inspector.submit(f"/inspections/files/{sampled_file.id}/submit",
                                {"client_id": str(uuid.uuid4())},
                                form_page=f"/inspections/files/{sampled_file.id}/summary")
    assert response.status_code == 302
    db.session.refresh(sampled_file)
    assert sampled_file.assessment is not None and sampled_file.assessment.passed


def test_another_inspector_cannot_open_a_file(client, sampled_file):
    client.sign_in(UserFactory(inspector=True))
    for path in (f"/inspections/files/{sampled_file.id}",
                 f"/inspections/files/{sampled_file.id}/summary"):
        response = client.get(path)
        assert response.status_code == 404
        assert sampled_file.reference not in response.text
