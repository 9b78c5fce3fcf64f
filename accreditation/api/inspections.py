"""The tablet's sync API: property inspections and sampled files' assessments with their
draft answers, photos (properties), submission. A property's routes are under
``/inspections/{link_id}``, a sampled file's under ``/inspections/files/{sampled_id}``; both
are served by the same functions, parametrised by the subject.

Every write is safe to send again: changes, photos and submissions carry a ``client_id`` made
on the device, and a repeat is answered with the first result (photos: 200 instead of 201).
The operations in ``stages.inspection_drafts`` do the work; this module only translates.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from flask import jsonify, request
from flask_login import current_user

from ..auth.models import Role
from ..auth.permissions import allow
from ..cases.models import CaseProperty
from ..errors import ValidationFailed
from ..stages import inspection_drafts as drafts
from ..stages.models import SampledFile
from ..standards.operations import current_checklist
from . import bp
from .schemas import (
    ACKNOWLEDGEMENT_REQUEST,
    ANSWER_CHANGES_REQUEST,
    SUBMIT_INSPECTION_REQUEST,
    validated,
)
from .views import assessment_json

_ITEM_ID = re.compile(r"[a-z0-9_]{1,80}")


def _actor():
    return current_user._get_current_object()


def _address(home) -> str:
    return ", ".join(part for part in (home.address_line_1, home.address_line_2, home.town)
                     if part)


def _conflict_json(conflict) -> dict:
    change = conflict.change
    return {"conflict_id": conflict.id, "item_id": conflict.item_id,
            "client_id": change.client_id, "value": change.value, "note": change.note,
            "base_revision": change.base_revision, "server_value": conflict.server_value,
            "server_note": conflict.server_note, "server_revision": conflict.server_revision,
            "created_at": conflict.created_at.isoformat()}


def _subject_json(link: CaseProperty | SampledFile) -> dict:
    if isinstance(link, SampledFile):
        sample = link.sample
        return {"kind": "file", "path": f"files/{link.id}", "sampled_id": link.id,
                "file": {"reference": link.reference, "role": link.role,
                         "file_type": sample.file_type.value,
                         "started_on": link.started_on.isoformat()}}
    home = link.home
    return {"kind": "property", "path": str(link.id), "link_id": link.id,
            "property": {"name": home.name, "address": _address(home),
                         "postcode": home.postcode, "category": home.category.value}}


def inspection_json(link: CaseProperty | SampledFile) -> dict:
    checklist = current_checklist(drafts.checklist_kind(link))
    case = drafts.case_of(link)
    return {
        **_subject_json(link),
        "case_id": case.id,
        "case_reference": case.reference,
        "organisation": {"name": case.organisation.name},
        "checklist": {"kind": checklist.kind, "version": checklist.version,
                      "fingerprint": checklist.fingerprint},
        "answers": {item_id: {"value": draft.value, "note": draft.note,
                              "revision": draft.revision}
                    for item_id, draft in sorted(drafts.drafts_for(link).items())},
        "photos": {item_id: [{"evidence_id": photo.id, "client_id": photo.client_id}
                             for photo in photos]
                   for item_id, photos in sorted(drafts.photos_for(link).items())},
        "conflicts": [_conflict_json(conflict) for conflict in drafts.open_conflicts(link)],
        "submitted": drafts.is_submitted(link),
        "inspectable": drafts.is_inspectable(link),
    }


@bp.route("/inspector/inspections")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def inspector_inspections():
    subjects = [*drafts.inspections_for(_actor()), *drafts.file_assessments_for(_actor())]
    return jsonify(contents=[inspection_json(link) for link in subjects])


def _load(link_id: int, sampled_id: int | None) -> CaseProperty | SampledFile:
    if sampled_id is not None:
        return drafts.get_file_assessment_for(_actor(), sampled_id)
    return drafts.get_inspection_for(_actor(), link_id)


@bp.route("/inspections/<int:link_id>/answers", methods=["POST"])
@bp.route("/inspections/files/<int:sampled_id>/answers", methods=["POST"],
          defaults={"link_id": None})
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def save_inspection_answers(link_id: int | None, sampled_id: int | None = None):
    body = validated(ANSWER_CHANGES_REQUEST, request.get_json(silent=True))
    link = _load(link_id, sampled_id)
    changes = [drafts.AnswerChange(
        client_id=change["client_id"], item_id=change["item_id"], value=change["value"],
        note=change.get("note"), base_revision=change["base_revision"])
        for change in body["changes"]]
    results = drafts.save_answers(_actor(), link, changes, device_id=body["device_id"])
    return jsonify(results=[result.to_json() for result in results])


@bp.route("/inspections/<int:link_id>/photos", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def add_inspection_photo(link_id: int):
    client_id = request.form.get("client_id", "")
    item_id = request.form.get("item_id", "")
    if not _ITEM_ID.fullmatch(item_id):
        raise ValidationFailed("item_id: give the checklist item the photo is for.",
                               field="item_id")
    link = drafts.get_inspection_for(_actor(), link_id)
    photo, created = drafts.add_item_photo(_actor(), link, item_id, client_id,
                                           request.files.get("file"),
                                           marks_up=request.form.get("marks_up") or None)
    body = {"client_id": photo.client_id, "evidence_id": photo.id, "item_id": photo.item_id,
            "marks_up": photo.marks_up.client_id if photo.marks_up else None}
    return jsonify(body), 201 if created else 200


@bp.route("/inspections/<int:link_id>/photos/<photo_client_id>/withdraw", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def withdraw_inspection_photo(link_id: int, photo_client_id: str):
    link = drafts.get_inspection_for(_actor(), link_id)
    photo, withdrawn = drafts.withdraw_item_photo(_actor(), link, photo_client_id)
    return jsonify(client_id=photo.client_id, evidence_id=photo.id, item_id=photo.item_id,
                   withdrawn_at=photo.withdrawn_at.isoformat(), replayed=not withdrawn)


def acknowledgement_json(record) -> dict:
    return {"client_id": record.client_id, "acknowledgement_id": record.id,
            "declined": record.declined, "signed_at": record.signed_at.isoformat(),
            "signed": record.signature_png is not None, "findings": len(record.findings)}


@bp.route("/inspections/<int:link_id>/acknowledgement", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def record_acknowledgement(link_id: int):
    body = validated(ACKNOWLEDGEMENT_REQUEST, request.get_json(silent=True))
    signature = None
    if body.get("signature_png"):
        try:
            signature = base64.b64decode(body["signature_png"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("signature_png: give the PNG in base64.",
                                   field="signature_png") from None
    signed_at = None
    if body.get("signed_at"):
        signed_at = datetime.fromisoformat(body["signed_at"].replace("Z", "+00:00"))
        if signed_at.tzinfo is None:
            raise ValidationFailed("signed_at: give the time with its offset.",
                                   field="signed_at")
        signed_at = signed_at.astimezone(UTC)
    link = drafts.get_inspection_for(_actor(), link_id)
    record, created = drafts.record_acknowledgement(_actor(), link, drafts.Acknowledgement(
        client_id=body["client_id"], declined=body["declined"], name=body.get("name"),
        role=body.get("role"), reason=body.get("reason"), signature_png=signature,
        signed_at=signed_at))
    return jsonify(acknowledgement_json(record)), 201 if created else 200


@bp.route("/inspections/<int:link_id>/submit", methods=["POST"])
@bp.route("/inspections/files/<int:sampled_id>/submit", methods=["POST"],
          defaults={"link_id": None})
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def submit_inspection(link_id: int | None, sampled_id: int | None = None):
    body = validated(SUBMIT_INSPECTION_REQUEST, request.get_json(silent=True))
    link = _load(link_id, sampled_id)
    assessment, created = drafts.submit_inspection_once(_actor(), link, body["client_id"])
    return jsonify(assessment_json(assessment)), 201 if created else 200
