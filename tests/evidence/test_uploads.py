"""Evidence through the pages, as a browser uses them: upload, download (streamed from local
disk, or a presigned S3 link), specific refusals with nothing stored, who may download what,
the inspectors' photo endpoint and its ``next``, history, locking, quota and quarantine."""

from __future__ import annotations

import hashlib
import io
import re
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.permissions import rule_for
from accreditation.cases import operations as case_operations
from accreditation.evidence import office_checks, operations
from accreditation.evidence.errors import ALLOWED_TYPES_MESSAGE
from accreditation.evidence.models import Evidence, EvidencePurpose, ScanStatus
from accreditation.evidence.scanning import ClamdScanner
from accreditation.evidence.views import SANDBOX_POLICY, safe_next
from accreditation.extensions import db

from ..factories import PropertyFactory, UserFactory
from ..services import free_port
from . import samples
from .conftest import EVIDENCE_MAX_BYTES, MAX_CONTENT_LENGTH, multipart_body
from .test_images import encode, exif_with_gps, marked_photo

PDF = samples.pdf()


def post_form(client, url: str, fields: dict[str, str], data: bytes | None = None,
              filename: str = "", *, form_page: str | None = None):
    """POST a form with a file as a browser would: multipart, with the page's CSRF token."""
    page = form_page or url
    body, content_type = multipart_body(
        {**fields, "csrf_token": client.csrf_token(page)},
        {"file": (filename, data)} if data is not None else {})
    return client.post(url, data=body, content_type=content_type,
                       headers={"Referer": f"https://localhost{page}"})


def post_upload(client, data: bytes, filename: str, purpose: str = "policy", **fields):
    return post_form(client, "/evidence/", {"purpose": purpose, **fields}, data, filename)


def rows() -> list[Evidence]:
    return list(db.session.scalars(sa.select(Evidence).order_by(Evidence.id)))


def stored_files(app_storage) -> list[str]:
    """Every file under the storage root (or in the bucket), temp files included."""
    if app_storage.backend == "local":
        root = app_storage.root
        return sorted(str(path) for path in root.rglob("*") if path.is_file()) \
            if root.exists() else []
    return sorted(app_storage.list_keys(""))


def denials() -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.denied")))


def upload_as(user, data: bytes = PDF, filename: str = "policy.pdf", *,
              purpose=EvidencePurpose.POLICY, **links) -> Evidence:
    from werkzeug.datastructures import FileStorage

    organisation = links["case"].organisation if "case" in links else user.organisation
    return operations.upload_evidence(user, organisation, FileStorage(io.BytesIO(data), filename),
                                      purpose=purpose, **links)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture
def provider(app):
    return UserFactory(provider=True)


@pytest.fixture
def people(app):
    """A provider's application with an inspector assigned, and everyone around it."""
    provider = UserFactory(provider=True)
    commissioner = UserFactory(commissioner=True)
    inspector = UserFactory(inspector=True)
    case = case_operations.start_application(provider)
    # Assigned as passing due diligence does; who may see evidence is what is tested here.
    case.inspector = inspector
    db.session.commit()
    return {
        "case": case, "own provider": provider, "assigned inspector": inspector,
        "commissioner": commissioner, "other provider": UserFactory(provider=True),
        "unassigned inspector": UserFactory(inspector=True),
        "social worker": UserFactory(social_worker=True),
    }


# --- the page ----------------------------------------------------------------------------------

def test_the_evidence_page_has_a_govuk_upload_form(client, provider):
    client.sign_in(provider)
    page = client.get("/evidence/")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert re.search(r'<input class="govuk-file-upload[^"]*" id="file" name="file" type="file"',
                     page.text), page.text
    assert '<select class="govuk-select" id="purpose" name="purpose"' in page.text
    assert "Gas safety certificate" in page.text
    assert "No files yet." in page.text


def test_every_evidence_route_declares_who_may_use_it(app):
    routes = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("evidence.")]
    assert {rule.endpoint for rule in routes} == {
        "evidence.provider_evidence", "evidence.case_evidence", "evidence.add_photo",
        "evidence.download", "evidence.remove", "evidence.condition_evidence",
        "evidence.required_evidence", "evidence.required_property_evidence"}
    assert all(rule_for(app.view_functions[rule.endpoint]) for rule in routes)


def test_a_form_without_its_csrf_token_is_refused(client, provider, app_storage):
    client.sign_in(provider)
    response = client.post("/evidence/", data={"purpose": "policy",
                                               "file": (io.BytesIO(PDF), "p.pdf")})
    assert response.status_code == 400
    assert rows() == [] and stored_files(app_storage) == []


# --- round trips -------------------------------------------------------------------------------

def test_upload_then_download_streams_an_attachment_from_local_disk(client, provider):
    client.sign_in(provider)
    response = post_upload(client, PDF, "Gas safety 2026.pdf", "gas_safety_certificate")
    assert response.status_code == 303
    assert response.headers["Location"] == "/evidence/"
    page = client.get("/evidence/").text
    assert "Gas safety 2026.pdf has been uploaded." in page
    [evidence] = rows()
    assert f'href="/evidence/{evidence.id}/download"' in page
    with client.get(f"/evidence/{evidence.id}/download") as download:
        assert download.status_code == 200
        assert download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Length"] == str(len(PDF))
        assert download.headers["Content-Disposition"] == (
            'attachment; filename="Gas safety 2026.pdf"')
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == SANDBOX_POLICY
        assert download.headers["Cache-Control"] == "no-store"


def test_a_providers_upload_goes_with_its_application_in_progress(client, people):
    client.sign_in(people["own provider"])
    assert post_upload(client, PDF, "lease.pdf", "lease").status_code == 303
    [evidence] = rows()
    assert evidence.case_id == people["case"].id


@pytest.mark.parametrize("evidence_backend", ["s3"])
def test_upload_then_download_redirects_to_a_presigned_s3_link(client, provider, app_storage,
                                                               seaweedfs):
    client.sign_in(provider)
    assert post_upload(client, PDF, "Zoë's lease.pdf", "lease").status_code == 303
    [evidence] = rows()
    assert app_storage.exists(evidence.storage_key)
    response = client.get(f"/evidence/{evidence.id}/download")
    assert response.status_code == 302
    link = response.headers["Location"]
    assert link.startswith(seaweedfs.endpoint_url + "/") and "X-Amz-Signature=" in link
    assert "X-Amz-Expires=60" in link
    status, headers, body = fetch(link)
    assert status == 200 and body == PDF
    assert headers["Content-Disposition"].startswith('attachment; filename="Zoe\'s lease.pdf"')
    assert headers["Content-Type"] == "application/pdf"
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "evidence.downloaded")).one()
    assert event.details["via"] == "presigned_url" and "X-Amz" not in str(event.details)


# --- refusals, with nothing stored -------------------------------------------------------------

@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    samples.write_zip_bomb(path, megabytes=200)
    return path.read_bytes()


REFUSED = {
    "html": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "notes.pdf",
             ALLOWED_TYPES_MESSAGE),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "logo.svg", ALLOWED_TYPES_MESSAGE),
    "exe": (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(500) + b"This program cannot be run",
            "certificate.pdf.exe", ALLOWED_TYPES_MESSAGE),
    "oversize": (b"%PDF-1.7\n" + bytes(EVIDENCE_MAX_BYTES), "scan.pdf",
                 "The file must be smaller than 1 MB"),
    "zip bomb": (None, "policy.docx", office_checks.TOO_LARGE_MESSAGE),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_files_get_the_specific_message_and_nothing_is_stored(
        client, provider, app_storage, zip_bomb, name):
    data, filename, message = REFUSED[name]
    client.sign_in(provider)
    response = post_upload(client, zip_bomb if data is None else data, filename)
    assert response.status_code == (413 if name == "oversize" else 400)
    assert 'class="govuk-error-summary"' in response.text
    assert f'<a href="#file">{message}</a>' in response.text.replace("&#39;", "'")
    assert "Error: Evidence files" in response.text  # the page title says so too
    assert rows() == [] and stored_files(app_storage) == []
    # The attempt is in the audit trail, with the reason and nothing of the file.
    [refused] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "evidence.upload_refused")).all()
    assert refused.actor_id == provider.id and refused.details["reason"].startswith(message)
    assert filename not in str(refused.details)


def test_a_missing_file_or_purpose_is_asked_for(client, provider):
    client.sign_in(provider)
    response = post_form(client, "/evidence/", {"purpose": ""}, b"", "")
    assert response.status_code == 400
    assert '<a href="#purpose">Choose what the file is</a>' in response.text
    assert '<a href="#file">Choose a file to upload</a>' in response.text


def test_an_over_limit_request_is_a_friendly_413_and_nothing_is_stored(client, provider,
                                                                        app_storage):
    client.sign_in(provider)
    response = post_upload(client, b"%PDF-1.7\n" + bytes(MAX_CONTENT_LENGTH), "huge.pdf")
    assert response.status_code == 413
    assert "The file is too large" in response.text
    assert "The file must be smaller than 1 MB. Nothing was saved." in response.text
    assert 'href="/evidence/"' in response.text
    assert rows() == [] and stored_files(app_storage) == []


def test_a_photo_is_stored_without_its_location(client, provider, app_storage):
    client.sign_in(provider)
    photo = encode(marked_photo((200, 100)), "JPEG", exif=exif_with_gps())
    assert post_upload(client, photo, "IMG_1.jpg", "photo").status_code == 303
    [evidence] = rows()
    with app_storage.open(evidence.storage_key) as stream:
        stored = stream.read()
    assert b"GPS" not in stored and b"Exif" not in stored
    with client.get(f"/evidence/{evidence.id}/download") as download:
        assert download.data == stored and download.headers["Content-Type"] == "image/jpeg"


# --- who may download what ---------------------------------------------------------------------

ACCESS = {
    "own provider": 200, "other provider": 404, "assigned inspector": 200,
    "unassigned inspector": 404, "commissioner": 200, "social worker": 403,
}


@pytest.mark.parametrize("who", list(ACCESS))
def test_who_may_download(client, people, who):
    evidence = upload_as(people["own provider"], case=people["case"])
    user = people[who]
    client.sign_in(user)
    with client.get(f"/evidence/{evidence.id}/download") as response:
        assert response.status_code == ACCESS[who]
        if ACCESS[who] == 200:
            assert response.data == PDF
        else:
            assert PDF not in response.data
    denied = [event for event in denials() if event.actor_id == user.id]
    downloaded = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "evidence.downloaded")).all()
    if ACCESS[who] == 200:
        assert denied == [] and [event.actor_id for event in downloaded] == [user.id]
    else:
        assert len(denied) == 1 and downloaded == []
        if ACCESS[who] == 404:
            assert denied[0].subject_type == "evidence"
            assert denied[0].subject_id == str(evidence.id)


def test_an_unknown_file_is_a_plain_404(client, provider):
    client.sign_in(provider)
    assert client.get("/evidence/999999/download").status_code == 404


@pytest.mark.parametrize("who, status", [
    ("assigned inspector", 200), ("commissioner", 200), ("unassigned inspector", 404),
    ("own provider", 403), ("social worker", 403)])
def test_an_applications_files_page_is_for_its_staff(client, people, who, status):
    upload_as(people["own provider"], filename="lease.pdf", purpose=EvidencePurpose.LEASE,
              case=people["case"])
    client.sign_in(people[who])
    response = client.get(f"/evidence/cases/{people['case'].id}")
    assert response.status_code == status
    assert ("lease.pdf" in response.text) == (status == 200)


# --- the inspectors' photo endpoint ------------------------------------------------------------

NEXT = "/cases/1/properties/2/inspection?item=fire_doors"


def post_photo(client, case, data: bytes, **fields):
    return post_form(client, f"/evidence/cases/{case.id}/photos", fields, data, "IMG_7.HEIC",
                     form_page=f"/evidence/cases/{case.id}")


def test_an_inspector_posts_a_photo_and_goes_back_to_the_page_it_came_from(client, people):
    case, inspector = people["case"], people["assigned inspector"]
    client.sign_in(inspector)
    response = post_photo(client, case, samples.image("HEIF"), next=NEXT)
    assert response.status_code == 303 and response.headers["Location"] == NEXT
    [photo] = rows()
    assert (photo.case_id, photo.item_id, photo.property_id) == (case.id, None, None)
    assert (photo.purpose, photo.content_type) == (EvidencePurpose.PHOTO, "image/jpeg")
    assert photo.display_filename == "IMG_7.jpg" and photo.uploaded_by_id == inspector.id


@pytest.mark.parametrize("next_url", [
    "https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "cases/1", "/cases/1\r\nSet-Cookie: x=1", "", "http:/evil.example"])
def test_the_photo_endpoint_only_goes_back_within_the_site(client, people, next_url):
    case = people["case"]
    client.sign_in(people["assigned inspector"])
    response = post_photo(client, case, samples.jpeg(), next=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/evidence/cases/{case.id}"
    assert safe_next(next_url) is None


def test_a_refused_photo_comes_back_with_the_reason_and_nothing_stored(client, people,
                                                                       app_storage):
    case = people["case"]
    client.sign_in(people["assigned inspector"])
    response = post_photo(client, case, PDF, next=NEXT)
    assert response.status_code == 303 and response.headers["Location"] == NEXT
    page = client.get(f"/evidence/cases/{case.id}").text
    assert "The photo must be a JPEG, PNG or HEIC file" in page
    assert rows() == [] and stored_files(app_storage) == []


def test_a_checklist_items_photo_is_not_taken_by_the_evidence_page(client, people,
                                                                   app_storage):
    """A checklist item's photo has one door, its inspection's: not this one, which would
    skip the checks that the item is on the checklist and the inspection still open."""
    case = people["case"]
    home = PropertyFactory(organisation=case.organisation)
    client.sign_in(people["assigned inspector"])
    response = post_photo(client, case, samples.jpeg(), item_id="not_a_question",
                          property_id=str(home.id), next=NEXT)
    assert response.status_code == 303 and response.headers["Location"] == NEXT
    page = client.get(f"/evidence/cases/{case.id}").text
    assert "from the property&#39;s inspection page. Nothing was saved." in page
    assert rows() == [] and stored_files(app_storage) == []


def test_an_unassigned_inspector_cannot_post_photos(client, people, app_storage):
    case, stranger = people["case"], people["unassigned inspector"]
    client.sign_in(stranger)
    # The CSRF token is the session's: take it from any page with a form.
    response = post_form(client, f"/evidence/cases/{case.id}/photos", {}, samples.jpeg(),
                         "x.jpg", form_page="/account/password")
    assert response.status_code == 404
    assert rows() == [] and stored_files(app_storage) == []
    assert any(event.actor_id == stranger.id and event.subject_type == "accreditation_case"
               for event in denials())


def test_an_over_limit_photo_goes_back_to_the_inspection(client, people):
    case = people["case"]
    client.sign_in(people["assigned inspector"])
    response = post_form(client, f"/evidence/cases/{case.id}/photos?next=/cases/{case.id}", {},
                         b"\xff\xd8\xff" + bytes(MAX_CONTENT_LENGTH), "big.jpg",
                         form_page=f"/evidence/cases/{case.id}")
    assert response.status_code == 413
    assert f'href="/cases/{case.id}"' in response.text
    assert rows() == []


# --- history, locking, quota, quarantine -------------------------------------------------------

def test_a_new_version_through_the_page_keeps_the_old_one_in_the_history(client, provider):
    first = upload_as(provider, filename="safeguarding v1.pdf")
    client.sign_in(provider)
    page = client.get(f"/evidence/?replace={first.id}").text
    assert "Upload a new version of safeguarding v1.pdf" in page
    response = post_upload(client, samples.pdf(b"% v2\n"), "safeguarding v2.pdf",
                           supersedes=str(first.id))
    assert response.status_code == 303
    page = client.get("/evidence/").text
    assert "Earlier versions (1)" in page
    assert page.index("safeguarding v2.pdf") < page.index("safeguarding v1.pdf")
    second = rows()[1]
    assert second.supersedes_id == first.id and not rows()[0].is_current


def test_another_organisations_file_cannot_be_replaced(client, provider):
    theirs = upload_as(UserFactory(provider=True))
    client.sign_in(provider)
    assert client.get(f"/evidence/?replace={theirs.id}").status_code == 404
    assert len(denials()) == 1


def test_a_locked_file_cannot_be_replaced_through_the_page(client, people):
    provider, case = people["own provider"], people["case"]
    evidence = upload_as(provider, filename="lease.pdf", purpose=EvidencePurpose.LEASE,
                         case=case)
    operations.lock_case_evidence(case)
    db.session.commit()
    client.sign_in(provider)
    page = client.get("/evidence/").text
    assert "Submitted" in page and "Upload a new version" not in page
    response = post_upload(client, PDF, "lease 2.pdf", "lease", supersedes=str(evidence.id))
    assert response.status_code == 409
    assert "lease.pdf was sent with a stage of the application that has been submitted" \
        in response.text
    assert len(rows()) == 1


def test_removing_a_file_through_the_page(client, provider, app_storage):
    evidence = upload_as(provider)
    client.sign_in(provider)
    response = client.submit(f"/evidence/{evidence.id}/remove", form_page="/evidence/")
    assert response.status_code == 303 and response.headers["Location"] == "/evidence/"
    assert rows() == [] and stored_files(app_storage) == []
    assert "policy.pdf has been removed." in client.get("/evidence/").text


def test_staff_see_remove_buttons_only_for_what_they_added(client, people):
    case, inspector = people["case"], people["assigned inspector"]
    theirs = upload_as(people["own provider"], case=case)
    mine = upload_as(inspector, samples.jpeg(), "hall.jpg", purpose=EvidencePurpose.PHOTO,
                     case=case)
    client.sign_in(inspector)
    page = client.get(f"/evidence/cases/{case.id}").text
    assert f'action="/evidence/{mine.id}/remove"' in page
    assert f'action="/evidence/{theirs.id}/remove"' not in page
    response = client.submit(f"/evidence/{mine.id}/remove",
                             {"next": f"/evidence/cases/{case.id}"},
                             form_page=f"/evidence/cases/{case.id}")
    assert response.headers["Location"] == f"/evidence/cases/{case.id}"
    assert rows() == [theirs]


def test_the_quota_message_is_shown_on_the_file(app, client, provider, app_storage):
    upload_as(provider)
    app.config["EVIDENCE_QUOTA_BYTES"] = len(PDF) + 100
    client.sign_in(provider)
    response = post_upload(client, PDF, "another.pdf")
    assert response.status_code == 400
    assert re.search(r'<a href="#file">Your organisation has used [^<]+ of its [^<]+ of '
                     r"evidence storage, so this file \([^)]+\) does not fit", response.text)
    assert len(rows()) == 1 and len(stored_files(app_storage)) == 1


def test_with_the_scanner_unreachable_a_file_is_kept_back(app, client, provider):
    app.extensions["evidence_scanner"] = ClamdScanner(f"tcp://127.0.0.1:{free_port()}",
                                                      timeout=2)
    client.sign_in(provider)
    assert post_upload(client, PDF, "fire risk.pdf", "fire_risk_assessment").status_code == 303
    page = client.get("/evidence/").text
    assert "It can be downloaded once it has been checked for viruses." in page
    assert "Waiting for a virus check" in page
    [evidence] = rows()
    assert evidence.scan_status is ScanStatus.ERROR
    assert f"/evidence/{evidence.id}/download" not in page
    response = client.get(f"/evidence/{evidence.id}/download")
    assert response.status_code == 409
    assert "waiting for a virus check" in response.text
    assert PDF not in response.data


def test_an_infected_file_is_quarantined_and_said_so(app, client, provider, clamd_url):
    from .test_scanning import EICAR

    app.extensions["evidence_scanner"] = ClamdScanner(clamd_url, timeout=5)
    client.sign_in(provider)
    assert post_upload(client, samples.pdf(b"% " + EICAR + b"\n"), "x.pdf").status_code == 303
    page = client.get("/evidence/").text
    assert "Our virus scanner found a threat in x.pdf" in page and "Virus found" in page
    [evidence] = rows()
    assert client.get(f"/evidence/{evidence.id}/download").status_code == 409


def test_the_storage_in_use_is_shown(client, provider):
    upload_as(provider)
    client.sign_in(provider)
    page = client.get("/evidence/").text
    assert f"Your organisation is using {len(PDF)} bytes of its 50 MB of storage" in page


def test_a_provider_sends_evidence_for_a_condition_and_the_inspector_sees_it(app, client):
    from datetime import timedelta

    from accreditation.cases import operations as case_operations
    from accreditation.cases.models import DecisionOutcome
    from tests.cases.journey import TODAY, Journey
    from tests.factories import publish_first_checklists

    from .samples import png

    publish_first_checklists()
    journey = Journey()
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    condition = case_operations.NewCondition("damp_and_mould", "Damp and mould", "Treat it.",
                                          TODAY + timedelta(days=28))
    journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[condition])
    (action,) = journey.case.conditions
    client.sign_in(journey.provider)
    token = client.csrf_token("/provider/conditions")
    response = client.post(f"/evidence/conditions/{action.id}",
                           headers={"Referer": "https://localhost/provider/conditions"},
                           data={"csrf_token": token,
                                 "file": (io.BytesIO(png()), "treated wall.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert "treated wall" in client.get("/provider/conditions").text
    inspector = app.test_client()
    inspector.sign_in(journey.inspector)
    assert "treated wall" in inspector.get(f"/cases/{journey.case.id}").text

    # Another provider cannot tell an existing condition from a missing one, file or not.
    other = app.test_client()
    other.sign_in(UserFactory(provider=True))
    token = other.csrf_token("/evidence/")
    for condition_id in (action.id, action.id + 1000):
        response = other.post(f"/evidence/conditions/{condition_id}",
                              headers={"Referer": "https://localhost/evidence/"},
                              data={"csrf_token": token}, content_type="multipart/form-data")
        assert response.status_code == 404
    assert len(denials()) == 1


def test_a_file_one_byte_over_the_limit_is_a_413_with_a_clear_message(app, client, provider,
                                                                       app_storage):
    limit = app.config["EVIDENCE_MAX_BYTES"]
    client.sign_in(provider)
    document = b"%PDF-1.7\n" + b"0" * (limit - len(b"%PDF-1.7\n") + 1)
    assert len(document) == limit + 1
    response = post_upload(client, document, "just-too-big.pdf")
    assert response.status_code == 413
    assert "The file must be smaller than" in response.text
    assert rows() == [] and stored_files(app_storage) == []


# Large enough for the framework to keep the upload in a file on disk (over 500 KB): it is
# checked where it is, not copied.
LARGE_PADDING = b"%" + b"0" * 100 + b"\n"


def _large_pdf(objects: bytes = b"") -> bytes:
    return samples.pdf(objects + LARGE_PADDING * 7000)


def test_a_large_document_is_stored_whole_with_the_digest_it_was_checked_with(
        client, provider, app_storage):
    document = _large_pdf()
    client.sign_in(provider)
    assert post_upload(client, document, "big-policy.pdf").status_code == 303
    [record] = rows()
    assert record.sha256 == hashlib.sha256(document).hexdigest()
    assert record.size_bytes == len(document)
    with app_storage.open(record.storage_key) as stored:
        assert stored.read() == document
    assert len(stored_files(app_storage)) == 1


def test_a_large_refused_pdf_leaves_nothing_behind(client, provider, app_storage):
    script = b"4 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    client.sign_in(provider)
    response = post_upload(client, _large_pdf(script), "big-policy.pdf")
    assert response.status_code == 400
    assert "The selected file contains scripts" in response.text
    assert rows() == [] and stored_files(app_storage) == []
