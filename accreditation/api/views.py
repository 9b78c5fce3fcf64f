from __future__ import annotations

import math
from datetime import date

import sqlalchemy as sa
from flask import jsonify, request
from flask_login import current_user

from .. import clock
from ..auth.models import Role
from ..auth.permissions import allow, public
from ..cases import access as case_access
from ..cases.actions import ActionInput, api_actions, perform
from ..cases.models import Case, CaseProperty
from ..checklists import KINDS
from ..errors import NotFound
from ..extensions import db
from ..stages.file_sampling import record_file_assessment
from ..stages.models import SampledFile
from ..stages.property_inspection import record_property_inspection
from ..standards.operations import current_checklist
from . import bp
from .openapi import document
from .schemas import (
    ANSWERS_REQUEST,
    PAGE_NUMBER,
    PAGE_SIZE,
    TRANSITION_REQUEST,
    query_integer,
    validated,
)

CASE_ROLES = (Role.PROVIDER, Role.INSPECTOR, Role.COMMISSIONER)


def _actor():
    return current_user._get_current_object()


def case_json(case: Case) -> dict:
    return {
        "id": case.id,
        "reference": case.reference,
        "organisation": {"id": case.organisation_id, "name": case.organisation.name},
        "status": case.status.value,
        "version": case.version,
        "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
        "status_changed_at": case.status_changed_at.isoformat(),
        "inspector_id": case.inspector_id,
        "return": ({"message": case.return_message, "due_on": case.return_due_on.isoformat()}
                   if case.return_message else None),
        "accredited_on": case.accredited_on.isoformat() if case.accredited_on else None,
        "expires_on": case.expires_on.isoformat() if case.expires_on else None,
        "properties": [{
            "id": link.id, "property_id": link.property_id, "name": link.home.name,
            "category": link.home.category.value, "outcome": link.outcome.value,
            "accredited": link.accredited,
            "mark": link.assessment.percent if link.assessment else None,
        } for link in case.properties],
        "actions": api_actions(_actor(), case),
    }


def _page_arguments() -> tuple[int, int]:
    return query_integer("page", PAGE_NUMBER, 1), query_integer("size", PAGE_SIZE, 20)


@bp.route("/cases")
@allow(*CASE_ROLES)
def list_cases():
    page, size = _page_arguments()
    query = sa.select(Case)
    user = _actor()
    query = query.where(case_access.visible_cases(user))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    cases = db.session.scalars(query.order_by(Case.id).offset((page - 1) * size).limit(size))
    return jsonify(total_items=total, total_pages=math.ceil(total / size) if total else 0,
                   page_number=page, size=size, contents=[case_json(case) for case in cases])


@bp.route("/cases/<int:case_id>")
@allow(*CASE_ROLES)
def get_case(case_id: int):
    return jsonify(case_json(case_access.case_for(_actor(), case_id)))


@bp.route("/cases/<int:case_id>/transitions", methods=["POST"])
@allow(*CASE_ROLES)
def transition(case_id: int):
    body = validated(TRANSITION_REQUEST, request.get_json(silent=True))
    case = case_access.case_for(_actor(), case_id)
    data = ActionInput(
        message=body.get("message"), reasons=body.get("reasons"), response=body.get("response"),
        due_on=date.fromisoformat(body["due_on"]) if "due_on" in body else None)
    perform(_actor(), case, body["action"], data, body["expected_version"])
    return jsonify(case_json(case))


def assessment_json(assessment) -> dict:
    result = assessment.score
    return {"assessment_id": assessment.id, "passed": result.passed, "percent": result.percent,
            "checklist_version": result.version, "step": result.step.effective_from.isoformat(),
            "failed_items": list(result.failed_items), "reasons": list(result.reasons)}


def _assessed_on(body: dict) -> date:
    return date.fromisoformat(body["assessed_on"]) if "assessed_on" in body else clock.today()


@bp.route("/cases/<int:case_id>/properties/<int:link_id>/inspection", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def inspect_property(case_id: int, link_id: int):
    body = validated(ANSWERS_REQUEST, request.get_json(silent=True))
    case = case_access.case_for(_actor(), case_id)
    link = db.session.get(CaseProperty, link_id)
    if link is None or link.case_id != case.id:
        raise NotFound("That property is not in this application.")
    assessment = record_property_inspection(_actor(), link, body["answers"], _assessed_on(body))
    return jsonify(assessment_json(assessment)), 201


@bp.route("/cases/<int:case_id>/files/<int:sampled_id>/assessment", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def assess_file(case_id: int, sampled_id: int):
    body = validated(ANSWERS_REQUEST, request.get_json(silent=True))
    case = case_access.case_for(_actor(), case_id)
    sampled = db.session.get(SampledFile, sampled_id)
    if sampled is None or sampled.sample.case_id != case.id:
        raise NotFound("That file is not in this application's sample.")
    record_file_assessment(_actor(), sampled, body["answers"], _assessed_on(body))
    return jsonify(assessment_json(sampled.assessment)), 201


@bp.route("/checklists/<kind>")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def checklist(kind: str):
    if kind not in KINDS:
        raise NotFound("There is no checklist of that kind.")
    record = current_checklist(kind)
    return jsonify(kind=kind, version=record.version, fingerprint=record.fingerprint,
                   definition=record.definition)


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify(document())

