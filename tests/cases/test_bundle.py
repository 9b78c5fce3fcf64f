"""A decision's bundle: commissioners and the case's own provider download it (others are
refused and audited), ``accreditation decisions bundle`` writes it, and ``verify-bundle``
checks it with nothing but the zip: a changed byte in any file, an answer, a seed, a
checklist or an audit event is found and named."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.cases import bundle
from accreditation.cases import operations as bundle_operations
from accreditation.cases.models import ProposalKind
from accreditation.command import cli
from accreditation.extensions import db

from ..factories import UserFactory
from ..pdfs import need_chromium, read_pdf


@pytest.fixture
def decided(journey):
    need_chromium()
    journey.all_the_way()
    return journey


@pytest.fixture
def taken(app, decided):
    client = app.test_client()
    client.sign_in(decided.commissioner)
    response = client.get(f"/cases/{decided.case.id}/bundle.zip")
    assert response.status_code == 200, response.text
    return response.data


def unpack(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repacked(files: dict[str, bytes], *, new_manifest: bool = False) -> bytes:
    """The bundle's files zipped again; with a manifest written for them when asked (as
    someone who changed a record and covered it up would)."""
    if new_manifest:
        files = {path: data for path, data in files.items() if path != bundle.MANIFEST}
        return bundle.to_zip(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return out.getvalue()


def problem(data: bytes) -> str:
    with pytest.raises(bundle.BundleProblem) as raised:
        bundle.verify(data)
    return str(raised.value)


def test_a_commissioner_downloads_a_bundle_that_holds(app, decided, taken):
    files = unpack(taken)
    case = decided.case
    checked = bundle.verify(taken)
    assert checked.assessments == len(json.loads(files[bundle.ASSESSMENTS])) > 0
    assert checked.samples == 2 and checked.checklists == 3 and checked.events > 0
    assert read_pdf(files["letters/decision-letter-1.pdf"]).title.startswith(
        f"Decision letter {case.reference}")
    assert sum(path.startswith("letters/inspection-report-") for path in files) == 2
    evidence = json.loads(files[bundle.EVIDENCE])
    assert evidence and all(e["sha256"] and e["uploaded_by"] and e["file"] is None
                            for e in evidence)
    assert not any(path.startswith("evidence/") for path in files)
    # Taking it is audited, with the SHA-256 of what was taken.
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "case.bundle_taken")).one()
    assert event.actor_id == decided.commissioner.id
    assert event.details["sha256"] == bundle._sha256(taken)


def test_a_bundle_holds_each_notice_and_its_decision(app, decided):
    decided.adverse(ProposalKind.REVOCATION, reasons="The fire doors were wedged open.")
    commissioner = UserFactory(commissioner=True)
    with app.test_request_context():
        data = bundle_operations.take_bundle(commissioner, decided.case)
    files = unpack(data)
    bundle.verify(data)
    (notice,) = [path for path in files if path.startswith("letters/notice-")]
    text = read_pdf(files[notice]).text
    assert "The fire doors were wedged open." in text
    assert "Considered; the reasons stand." in text  # the decision on it


def test_the_provider_downloads_its_own_and_nobody_else_does(app, decided):
    url = f"/cases/{decided.case.id}/bundle.zip"
    own = app.test_client()
    own.sign_in(decided.provider)
    response = own.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    bundle.verify(response.data)

    for stranger, status in ((UserFactory(provider=True), 404), (decided.inspector, 403)):
        client = app.test_client()
        client.sign_in(stranger)
        response = client.get(url)
        assert response.status_code == status
        assert b"PK" not in response.data[:2]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.actor_id == stranger.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.bundle_taken")) == 1


def test_the_case_page_links_to_the_bundle_for_those_who_may_take_it(app, decided):
    link = f'href="/cases/{decided.case.id}/bundle.zip"'
    for person, shown in ((decided.provider, True), (decided.commissioner, True),
                          (decided.inspector, False)):
        client = app.test_client()
        client.sign_in(person)
        assert (link in client.get(f"/cases/{decided.case.id}").text) is shown


def test_no_bundle_before_a_decision(app, journey, client):
    journey.submit()
    client.sign_in(journey.commissioner)
    assert client.get(f"/cases/{journey.case.id}/bundle.zip").status_code == 404


def test_the_command_writes_a_bundle_with_evidence_and_verify_bundle_needs_nothing_else(
        app, decided, runner, tmp_path, monkeypatch):
    out = tmp_path / "bundle.zip"
    result = runner.invoke(args=["decisions", "bundle", "--case", str(decided.case.id),
                                 "-o", str(out), "--with-evidence"])
    assert result.exit_code == 0, result.output
    files = unpack(out.read_bytes())
    held = [e for e in json.loads(files[bundle.EVIDENCE]) if e["file"]]
    assert held and all(path in files for path in (e["file"] for e in held))
    assert bundle.verify(out.read_bytes()).evidence_files == len(held)

    # No database, no settings: production settings missing altogether.
    for name in ("ACCREDITATION_DATABASE_URL", "ACCREDITATION_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCREDITATION_ENV", "production")
    # Flask's command sets FLASK_RUN_FROM_CLI in this process: undone after the test.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    offline = CliRunner()
    result = offline.invoke(cli, ["decisions", "verify-bundle", str(out)])
    assert result.exit_code == 0, result.output
    assert "The bundle holds" in result.output

    # A changed evidence file is named.
    path = held[0]["file"]
    files[path] = files[path] + b"x"
    changed = tmp_path / "changed.zip"
    changed.write_bytes(repacked(files, new_manifest=True))
    result = offline.invoke(cli, ["decisions", "verify-bundle", str(changed)])
    assert result.exit_code == 1
    assert path in result.output


def test_the_command_refuses_an_unknown_case(app, runner, tmp_path):
    result = runner.invoke(args=["decisions", "bundle", "--case", "999999", "-o",
                                 str(tmp_path / "x.zip")])
    assert result.exit_code != 0
    assert "There is no application 999999" in result.output


@settings(max_examples=25, derandomize=True)
@given(data=st.data())
def test_a_changed_byte_in_any_file_is_named(taken, data):
    files = unpack(taken)
    path = data.draw(st.sampled_from(sorted(p for p in files if p != bundle.MANIFEST)))
    position = data.draw(st.integers(0, len(files[path]) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = bytearray(files[path])
    changed[position] ^= flip
    files[path] = bytes(changed)
    message = problem(repacked(files))
    assert message.startswith(f"{path}:"), message


def test_a_changed_manifest_is_found(taken):
    files = unpack(taken)
    manifest = json.loads(files[bundle.MANIFEST])
    manifest["files"][0]["sha256"] = "0" * 64
    files[bundle.MANIFEST] = json.dumps(manifest).encode()
    assert manifest["files"][0]["path"] in problem(repacked(files))


@settings(max_examples=15, derandomize=True)
@given(data=st.data())
def test_a_changed_answer_is_named_even_under_a_new_manifest(taken, data):
    files = unpack(taken)
    assessments = json.loads(files[bundle.ASSESSMENTS])
    record = data.draw(st.sampled_from(assessments))
    yes_no = sorted(key for key, value in record["answers"].items() if value in ("yes", "no"))
    key = data.draw(st.sampled_from(yes_no))
    record["answers"][key] = "no" if record["answers"][key] == "yes" else "yes"
    files[bundle.ASSESSMENTS] = json.dumps(assessments).encode()
    message = problem(repacked(files, new_manifest=True))
    assert message.startswith(f"{bundle.ASSESSMENTS}: assessment {record['id']}:"), message


def test_a_changed_seed_roster_checklist_or_event_is_named(taken):
    def changed(path, edit) -> str:
        files = unpack(taken)
        files[path] = edit(files[path])
        return problem(repacked(files, new_manifest=True))

    def seed(raw):
        samples = json.loads(raw)
        samples[0]["seed"] = "0" * 32
        samples[0]["size"] = len(samples[0]["roster"]) - 1
        return json.dumps(samples).encode()
    assert "sample: drawing again" in changed(bundle.SAMPLES, seed)

    def roster(raw):
        samples = json.loads(raw)
        samples[0]["roster"][0]["role"] = "Someone else"
        return json.dumps(samples).encode()
    assert "roster does not give its hash" in changed(bundle.SAMPLES, roster)

    checklist = next(p for p in unpack(taken) if p.startswith("checklists/"))

    def definition(raw):
        held = yaml.safe_load(raw)
        held["definition"]["title"] = held["definition"]["title"] + " (changed)"
        return yaml.safe_dump(held).encode()
    assert changed(checklist, definition).startswith(f"{checklist}: the definition does not")

    def event(raw):
        trail = json.loads(raw)
        trail["events"][0]["details"]["changed"] = True
        return json.dumps(trail).encode()
    assert "does not give its hash" in changed(bundle.AUDIT, event)

    def unlinked(raw):
        trail = json.loads(raw)
        del trail["links"][1]
        return json.dumps(trail).encode()
    assert "the chain is broken" in changed(bundle.AUDIT, unlinked)

    def head(raw):
        trail = json.loads(raw)
        trail["head"]["hash"] = "f" * 64
        return json.dumps(trail).encode()
    assert "does not end at the head" in changed(bundle.AUDIT, head)


def test_what_is_not_a_bundle_is_refused_plainly(tmp_path):
    assert "not a readable zip" in problem(b"not a zip")
    assert "manifest.json: missing" in problem(repacked({"a.txt": b"a"}))
