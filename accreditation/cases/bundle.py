"""A decision's bundle: everything the decision rests on, in one zip that can be checked offline.

The zip holds the letters (each decision's, and each notice of a proposed refusal, suspension
or revocation with its representations and decision) and inspection reports (PDF), the
checklist versions the assessments were made under (YAML, with their fingerprints), every
assessment's answers and stored result, each file sample's seed, roster and its hash (all a
redraw needs), the evidence manifest (name, version, SHA-256, who uploaded it and when; the
files themselves only when asked for), the case's audit events with their hashes and the links
of the chain from the first of them to the head, and ``manifest.json`` with every other file's
SHA-256.

``make`` reads the database; ``verify`` is pure: it needs the zip's bytes and nothing else (no
database, no settings), and raises ``BundleProblem`` naming the first thing that does not hold.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import yaml

from ..audit import AuditChainHead, AuditEvent, chain_hash
from ..checklists import ChecklistVersion, compile_checklist, fingerprint
from ..database import utcnow
from ..evidence.operations import evidence_for_case, is_downloadable, storage
from ..extensions import db
from ..pdf import render_pdf
from ..stages.file_sampling import draw, roster_hash
from ..stages.models import samples_for
from ..stages.reports import report_context
from ..standards.models import Assessment, PublishedChecklist
from ..standards.verification import difference
from . import letters
from .models import Case

FORMAT = "accreditation-decision-bundle/1"
MANIFEST = "manifest.json"
ASSESSMENTS = "assessments.json"
SAMPLES = "file-samples.json"
EVIDENCE = "evidence.json"
AUDIT = "audit-trail.json"
# A bundle is read into memory to be checked: refuse one that would unpack to more than this.
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def case_events(case: Case) -> list[AuditEvent]:
    """What happened to the case, oldest first: its own events and those of its parts (not
    the refusals of people who tried to see it)."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(sa.or_(
            sa.and_(AuditEvent.subject_type == "accreditation_case",
                    AuditEvent.subject_id == str(case.id)),
            AuditEvent.details["case_id"].as_string() == str(case.id),
        )).where(AuditEvent.action != "access.denied").order_by(AuditEvent.seq)))


def filename(case: Case) -> str:
    return f"{case.reference}-decision-bundle.zip"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- making ------------------------------------------------------------------------------------

def make(case: Case, *, with_evidence: bool = False) -> bytes:
    """The bundle of ``case`` as zip bytes (inside a request context: the letters are printed
    from their pages' templates). ``PdfUnavailable`` when they cannot be printed."""
    files: dict[str, bytes] = {}
    for number, decision in enumerate(case.decisions, start=1):
        files[f"letters/decision-letter-{number}.pdf"] = letters.letter_pdf(case, decision)
    for number, proposal in enumerate(case.proposals, start=1):
        files[f"letters/notice-{number}.pdf"] = letters.notice_pdf(case, proposal)
    for link in case.properties:
        if link.assessment is not None:
            files[f"letters/inspection-report-{link.id}.pdf"] = render_pdf(
                "stages/inspection_report.html", **report_context(case, link))
    assessments = list(db.session.scalars(
        sa.select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id)))
    versions = {a.checklist_version_id for a in assessments}
    for published in db.session.scalars(sa.select(PublishedChecklist).where(
            PublishedChecklist.id.in_(versions)).order_by(PublishedChecklist.id)):
        files[_checklist_path(published.kind, published.version)] = yaml.safe_dump(
            {"kind": published.kind, "version": published.version,
             "fingerprint": published.fingerprint, "definition": published.definition},
            sort_keys=False, allow_unicode=True).encode()
    by_version = {p.id: p for p in db.session.scalars(
        sa.select(PublishedChecklist).where(PublishedChecklist.id.in_(versions)))}
    files[ASSESSMENTS] = _json([_assessment(a, by_version[a.checklist_version_id])
                                for a in assessments])
    files[SAMPLES] = _json([{
        "file_type": sample.file_type.value, "seed": sample.seed,
        "roster_hash": sample.roster_hash, "roster": sample.roster, "size": sample.size,
        "rule": sample.rule, "drawn_at": sample.drawn_at.isoformat(),
        "files": [sampled.reference for sampled in sample.files],
    } for sample in samples_for(case)])
    manifest, evidence_files = _evidence(case, with_evidence)
    files[EVIDENCE] = _json(manifest)
    files.update(evidence_files)
    files[AUDIT] = _json(_audit(case))
    return to_zip(files, case={"id": case.id, "reference": case.reference,
                               "organisation": case.organisation.name},
                  with_evidence=with_evidence)


def _checklist_path(kind: str, version: int) -> str:
    return f"checklists/{kind}-v{version}.yaml"


def _assessment(assessment: Assessment, published: PublishedChecklist) -> dict:
    return {
        "id": assessment.id, "kind": assessment.kind,
        "checklist": _checklist_path(published.kind, published.version),
        "step_effective_from": assessment.step_effective_from.isoformat(),
        "property_id": assessment.property_id, "subject_ref": assessment.subject_ref,
        "category": assessment.category, "file_type": assessment.file_type,
        "assessed_on": assessment.assessed_on.isoformat(),
        "answers": assessment.answers, "result": assessment.result,
        "passed": assessment.passed, "percent": assessment.percent,
    }


def _evidence(case: Case, with_evidence: bool) -> tuple[list[dict], dict[str, bytes]]:
    manifest, files = [], {}
    for entry in evidence_for_case(case):
        chain = [entry.current, *entry.history]  # newest first
        for version, record in zip(range(len(chain), 0, -1), chain, strict=True):
            item = {"id": record.id, "name": record.display_filename, "version": version,
                    "current": record is entry.current, "sha256": record.sha256,
                    "bytes": record.size_bytes, "purpose": record.purpose.value,
                    "uploaded_by": record.uploaded_by.full_name,
                    "uploaded_at": record.created_at.isoformat(), "file": None}
            if with_evidence and is_downloadable(record):
                path = f"evidence/{record.id}-{_UNSAFE.sub('_', record.display_filename)}"
                with storage().open(record.storage_key) as stream:
                    files[path] = stream.read()
                item["file"] = path
            manifest.append(item)
    manifest.sort(key=lambda item: item["id"])
    return manifest, files


def _audit(case: Case) -> dict:
    # The head first: events appended while the bundle is made come after it.
    head = db.session.scalars(sa.select(AuditChainHead).limit(1)).first()
    head_seq = head.seq if head else 0
    events = [event for event in case_events(case) if event.seq <= head_seq]
    links = []
    if events:
        # Every link from the first of the case's events to the head: hashes only, so the
        # events of other cases are not disclosed, yet each of this case's can be found in
        # the chain that ends at the head.
        links = [{"seq": seq, "prev_hash": prev, "hash": hashed} for seq, prev, hashed in
                 db.session.execute(sa.select(AuditEvent.seq, AuditEvent.prev_hash,
                                              AuditEvent.hash)
                                    .where(AuditEvent.seq >= events[0].seq,
                                           AuditEvent.seq <= head_seq)
                                    .order_by(AuditEvent.seq))]
    return {"head": {"seq": head_seq, "hash": head.last_hash if head else None},
            "events": [{**event.content(), "prev_hash": event.prev_hash, "hash": event.hash}
                       for event in events],
            "links": links}


def to_zip(files: dict[str, bytes], **about: Any) -> bytes:
    """A zip of ``files`` and their manifest (pure)."""
    manifest = {"format": FORMAT, "made_at": utcnow().isoformat(), **about,
                "files": [{"path": path, "sha256": _sha256(data), "bytes": len(data)}
                          for path, data in sorted(files.items())]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, _json(manifest))
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
    return out.getvalue()


# --- checking (pure) ---------------------------------------------------------------------------

class BundleProblem(Exception):
    """The first thing in a bundle that does not hold."""


@dataclass(frozen=True)
class Checked:
    files: int
    checklists: int
    assessments: int
    samples: int
    evidence_files: int
    events: int

    def message(self) -> str:
        return (f"The bundle holds: {self.files} files match the manifest, "
                f"{self.checklists} checklist versions match their fingerprints, "
                f"{self.assessments} assessments re-score to their stored results, "
                f"{self.samples} file samples redraw the same files, "
                f"{self.evidence_files} evidence files match their SHA-256, and "
                f"{self.events} audit events recompute and link up to the chain head.")


def verify(data: bytes) -> Checked:
    """Check a bundle from its bytes alone; ``BundleProblem`` names the first failure."""
    files = _unpack(data)
    count = _check_manifest(files)
    checklists = _check_checklists(files)
    assessments = _check_assessments(files, checklists)
    samples = _check_samples(files)
    evidence = _check_evidence(files)
    events = _check_audit(files)
    return Checked(count, len(checklists), assessments, samples, evidence, events)


def _unpack(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise BundleProblem("the bundle unpacks to more than 4 GB")
        files: dict[str, bytes] = {}
        for info in infos:
            if info.filename in files:
                raise BundleProblem(f"{info.filename}: appears twice in the bundle")
            files[info.filename] = archive.read(info)
        return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        # zipfile names a file whose bytes do not match its own CRC: say which.
        raise BundleProblem(f"the bundle is not a readable zip: {error}") from None


def _load(files: dict[str, bytes], path: str) -> Any:
    if path not in files:
        raise BundleProblem(f"{path}: missing from the bundle")
    try:
        return json.loads(files[path])
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleProblem(f"{path}: not readable JSON ({error})") from None


def _check_manifest(files: dict[str, bytes]) -> int:
    manifest = _load(files, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleProblem(f"{MANIFEST}: not a decision bundle of the format {FORMAT}")
    listed = {}
    try:
        for entry in manifest["files"]:
            listed[entry["path"]] = entry["sha256"]
    except (KeyError, TypeError):
        raise BundleProblem(f"{MANIFEST}: its list of files is not readable") from None
    for path in sorted(set(files) - {MANIFEST}):
        if path not in listed:
            raise BundleProblem(f"{path}: not listed in {MANIFEST}")
        if _sha256(files[path]) != listed[path]:
            raise BundleProblem(f"{path}: its SHA-256 differs from the one in {MANIFEST}")
    for path in sorted(set(listed) - set(files)):
        raise BundleProblem(f"{path}: listed in {MANIFEST} but missing from the bundle")
    return len(listed)


def _check_checklists(files: dict[str, bytes]) -> dict[str, tuple[ChecklistVersion, dict]]:
    checked = {}
    for path in sorted(p for p in files if p.startswith("checklists/")):
        try:
            held = yaml.safe_load(files[path])
            version = ChecklistVersion.from_dict(held["definition"])
            stated = held["fingerprint"]
        except (yaml.YAMLError, KeyError, TypeError, ValueError, UnicodeDecodeError) as error:
            raise BundleProblem(f"{path}: not a readable checklist version ({error})") from None
        if fingerprint(version) != stated:
            raise BundleProblem(f"{path}: the definition does not give its fingerprint "
                                f"{stated}")
        if (version.kind, version.version) != (held.get("kind"), held.get("version")):
            raise BundleProblem(f"{path}: names {held.get('kind')} v{held.get('version')} "
                                f"but holds {version.kind} v{version.version}")
        checked[path] = (version, held)
    return checked


def _check_assessments(files: dict[str, bytes],
                       checklists: dict[str, tuple[ChecklistVersion, dict]]) -> int:
    compiled = {}
    records = _load(files, ASSESSMENTS)
    for record in _each(records, ASSESSMENTS):
        where = f"{ASSESSMENTS}: assessment {record.get('id')}"
        path = record.get("checklist")
        if path not in checklists:
            raise BundleProblem(f"{where}: its checklist version {path} is not in the bundle")
        version, held = checklists[path]
        if path not in compiled:
            compiled[path] = compile_checklist(version)
        try:
            # Held only in memory, never added to a session: the same comparison
            # ``accreditation decisions verify`` makes against the database.
            published = PublishedChecklist(kind=version.kind, version=version.version,
                                           fingerprint=held["fingerprint"],
                                           definition=held["definition"])
            stored = Assessment(
                id=record["id"], kind=record["kind"],
                step_effective_from=date.fromisoformat(record["step_effective_from"]),
                category=record["category"], file_type=record["file_type"],
                answers=record["answers"], result=record["result"],
                passed=record["passed"], percent=record["percent"])
        except (KeyError, TypeError, ValueError) as error:
            raise BundleProblem(f"{where}: not readable ({error})") from None
        found = difference(stored, compiled[path], published)
        if found is not None:
            raise BundleProblem(f"{where}: {found.what}")
    return len(records)


def _each(records: Any, path: str) -> Iterator[dict]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise BundleProblem(f"{path}: not a list of records")
    yield from records


def _check_samples(files: dict[str, bytes]) -> int:
    samples = _load(files, SAMPLES)
    for sample in _each(samples, SAMPLES):
        where = f"{SAMPLES}: the {sample.get('file_type')} sample"
        try:
            roster, seed, size, drawn = (sample["roster"], sample["seed"], sample["size"],
                                         sample["files"])
            if roster_hash(roster) != sample["roster_hash"]:
                raise BundleProblem(f"{where}: the roster does not give its hash "
                                    f"{sample['roster_hash']}")
            again = [entry["reference"] for entry in draw(roster, seed, size)]
        except (KeyError, TypeError, ValueError) as error:
            raise BundleProblem(f"{where}: not readable ({error})") from None
        if again != drawn:
            raise BundleProblem(f"{where}: drawing again from its seed and roster gives "
                                f"{', '.join(again)}, not {', '.join(map(str, drawn))}")
    return len(samples)


def _check_evidence(files: dict[str, bytes]) -> int:
    records = _load(files, EVIDENCE)
    held = 0
    for record in _each(records, EVIDENCE):
        path = record.get("file")
        if path is None:
            continue
        if path not in files:
            raise BundleProblem(f"{EVIDENCE}: {path} is missing from the bundle")
        if _sha256(files[path]) != record.get("sha256"):
            raise BundleProblem(f"{path}: its SHA-256 differs from the one the evidence "
                                f"record {record.get('id')} keeps")
        held += 1
    return held


def _check_audit(files: dict[str, bytes]) -> int:
    trail = _load(files, AUDIT)
    try:
        events, links, head = trail["events"], trail["links"], trail["head"]
        by_seq = {}
        previous = None
        for link in links:
            if previous is not None and (link["seq"] != previous["seq"] + 1
                                         or link["prev_hash"] != previous["hash"]):
                raise BundleProblem(f"{AUDIT}: the chain is broken at event {link['seq']}")
            by_seq[link["seq"]] = link
            previous = link
        for event in events:
            content = {key: event[key] for key in (
                "seq", "occurred_at", "actor_id", "actor_role", "action", "subject_type",
                "subject_id", "details")}
            if chain_hash(event["prev_hash"], content) != event["hash"]:
                raise BundleProblem(f"{AUDIT}: event {event['seq']} ({event['action']}) "
                                    "does not give its hash")
            link = by_seq.get(event["seq"])
            if link is None or (link["prev_hash"], link["hash"]) != (event["prev_hash"],
                                                                     event["hash"]):
                raise BundleProblem(f"{AUDIT}: event {event['seq']} is not linked into "
                                    "the chain")
        if links and (previous["seq"], previous["hash"]) != (head["seq"], head["hash"]):
            raise BundleProblem(f"{AUDIT}: the chain does not end at the head "
                                f"(event {head['seq']}, {head['hash']})")
    except (KeyError, TypeError) as error:
        raise BundleProblem(f"{AUDIT}: not readable ({error})") from None
    return len(events)


