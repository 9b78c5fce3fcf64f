"""The OpenAPI 3.1 description of ``/api/v1``: what the API promises, in one place."""

from __future__ import annotations

from functools import cache

from ..checklists import KINDS
from ..register.api_docs import (
    REGISTER_SCHEMAS,
    VACANCIES_REQUEST,
    VACANCIES_RESPONSE,
    register_paths,
)
from ..workflow import CaseStatus
from .schemas import (
    ACKNOWLEDGEMENT_RECEIPT,
    ACKNOWLEDGEMENT_REQUEST,
    ANSWER_CHANGES_REQUEST,
    ANSWERS_REQUEST,
    CHANGE_RESULTS,
    CLIENT_ID,
    INSPECTION,
    INSPECTION_LIST,
    PAGE_NUMBER,
    PAGE_SIZE,
    PHOTO_RECEIPT,
    PHOTO_TYPES,
    PHOTO_UPLOAD,
    PHOTO_WITHDRAWAL,
    RECORD_ID,
    SUBMIT_INSPECTION_REQUEST,
    TRANSITION_REQUEST,
)

PROBLEM = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"}},
}

CASE = {
    "type": "object",
    "required": ["id", "reference", "status", "version", "properties", "actions"],
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string"},
        "organisation": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}}},
        "status": {"type": "string", "enum": [status.value for status in CaseStatus]},
        "version": {"type": "integer", "description": "Send it back as expected_version."},
        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
        "status_changed_at": {"type": "string", "format": "date-time"},
        "inspector_id": {"type": ["integer", "null"]},
        "return": {"type": ["object", "null"], "properties": {
            "message": {"type": "string"}, "due_on": {"type": "string", "format": "date"}}},
        "accredited_on": {"type": ["string", "null"], "format": "date"},
        "expires_on": {"type": ["string", "null"], "format": "date"},
        "properties": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "property_id": {"type": "integer"},
            "name": {"type": "string"}, "category": {"type": "string"},
            "outcome": {"type": "string", "enum": ["pending", "passed", "failed"]},
            "accredited": {"type": "boolean"}, "mark": {"type": ["string", "null"]}}}},
        "actions": {"type": "array", "items": {"type": "string"},
                    "description": "What the caller may do to the case now."},
    },
}

ASSESSMENT_RESULT = {
    "type": "object",
    "required": ["assessment_id", "passed"],
    "properties": {
        "assessment_id": {"type": "integer"}, "passed": {"type": "boolean"},
        "percent": {"type": ["string", "null"]}, "checklist_version": {"type": "integer"},
        "step": {"type": "string", "format": "date"},
        "failed_items": {"type": "array", "items": {"type": "string"}},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}


def _problems(*statuses: int) -> dict:
    descriptions = {400: "Invalid request", 401: "No valid bearer token",
                    403: "Not permitted", 404: "Not found (or not yours to see)",
                    409: "Not possible in the case's current state, or changed by someone else",
                    422: "Invalid request"}
    return {str(status): {"description": descriptions[status], "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status in statuses}


def _json(schema_ref: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _path_ids(*names: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": RECORD_ID,
             "description": "Larger than the maximum, the address is unknown (404)."}
            for name in names]


@cache
def document() -> dict:
    secured = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Accommodation accreditation API", "version": "1.0.0",
                 "description": "Applications for accreditation and their inspections, for "
                                "inspectors' tablets and council systems. Authenticate with "
                                "a bearer token (accreditation tokens create)."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": PROBLEM, "Case": CASE, "AssessmentResult": ASSESSMENT_RESULT,
                "TransitionRequest": TRANSITION_REQUEST, "AnswersRequest": ANSWERS_REQUEST,
                "VacanciesRequest": VACANCIES_REQUEST, "Vacancies": VACANCIES_RESPONSE,
                **REGISTER_SCHEMAS,
                "Inspection": INSPECTION, "InspectionList": INSPECTION_LIST,
                "AnswerChangesRequest": ANSWER_CHANGES_REQUEST, "ChangeResults": CHANGE_RESULTS,
                "PhotoUpload": PHOTO_UPLOAD, "PhotoReceipt": PHOTO_RECEIPT,
                "PhotoWithdrawal": PHOTO_WITHDRAWAL,
                "AcknowledgementRequest": ACKNOWLEDGEMENT_REQUEST,
                "AcknowledgementReceipt": ACKNOWLEDGEMENT_RECEIPT,
                "SubmitInspectionRequest": SUBMIT_INSPECTION_REQUEST,
                "CasePage": {"type": "object",
                             "required": ["total_items", "total_pages", "page_number", "size",
                                          "contents"],
                             "properties": {
                                 "total_items": {"type": "integer"},
                                 "total_pages": {"type": "integer"},
                                 "page_number": {"type": "integer"},
                                 "size": {"type": "integer"},
                                 "contents": {"type": "array",
                                              "items": {"$ref": "#/components/schemas/Case"}}}},
            },
        },
        "paths": {
            **register_paths(_json, _problems, secured),
            "/cases": {"get": {
                "summary": "Applications the caller may see", "security": secured,
                "parameters": [
                    {"name": "page", "in": "query", "schema": PAGE_NUMBER},
                    {"name": "size", "in": "query", "schema": PAGE_SIZE}],
                "responses": {"200": _json("CasePage"), **_problems(400, 401, 403)}}},
            "/cases/{case_id}": {"get": {
                "summary": "One application", "security": secured,
                "parameters": _path_ids("case_id"),
                "responses": {"200": _json("Case"), **_problems(401, 403, 404)}}},
            "/cases/{case_id}/transitions": {"post": {
                "summary": "Move an application on (return, resubmit, suspend now...)",
                "security": secured, "parameters": _path_ids("case_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/TransitionRequest"}}}},
                "responses": {"200": _json("Case"), **_problems(400, 401, 403, 404, 409)}}},
            "/cases/{case_id}/properties/{link_id}/inspection": {"post": {
                "summary": "Record a property's inspection answers", "security": secured,
                "parameters": _path_ids("case_id", "link_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AnswersRequest"}}}},
                "responses": {"201": _json("AssessmentResult", "Recorded"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/cases/{case_id}/files/{sampled_id}/assessment": {"post": {
                "summary": "Record a sampled file's answers", "security": secured,
                "parameters": _path_ids("case_id", "sampled_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AnswersRequest"}}}},
                "responses": {"201": _json("AssessmentResult", "Recorded"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/properties/{property_id}/vacancies": {"put": {
                "summary": "Set a property's vacancies now (a provider's own properties only)",
                "security": secured, "parameters": _path_ids("property_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/VacanciesRequest"}}}},
                "responses": {"200": _json("Vacancies"), **_problems(400, 401, 403, 404)}}},
            # The tablet's inspection sync: every write is safe to send again (client_id).
            "/inspector/inspections": {"get": {
                "summary": "The caller's property inspections, now and coming next, and the "
                           "sampled files to assess at file sampling, with the server's draft "
                           "answers, photos and open conflicts",
                "security": secured,
                "responses": {"200": _json("InspectionList"), **_problems(401, 403, 404)}}},
            "/inspections/{link_id}/answers": {"post": {
                "summary": "Send answers changed on a device (1 to 200); one result each: "
                           "applied, conflict (kept for the inspector) or rejected",
                "security": secured, "parameters": _path_ids("link_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AnswerChangesRequest"}}}},
                "responses": {"200": _json("ChangeResults"), **_problems(400, 401, 403, 404)}}},
            "/inspections/{link_id}/photos": {"post": {
                "summary": "Add a photo to a checklist item (201; 200 with the same body when "
                           "the client_id was received before)",
                "security": secured, "parameters": _path_ids("link_id"),
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"$ref": "#/components/schemas/PhotoUpload"},
                    "encoding": {"file": {"contentType": PHOTO_TYPES}}}}},
                "responses": {"201": _json("PhotoReceipt", "Stored"),
                              "200": _json("PhotoReceipt", "Received before; nothing stored"),
                              "413": {**_problems(400)["400"],
                                      "description": "The photo is too large"},
                              **_problems(400, 401, 403, 404, 409)}}},
            "/inspections/{link_id}/photos/{photo_client_id}/withdraw": {"post": {
                "summary": "Withdraw a photo before the inspection is submitted: it no longer "
                           "counts for its item (one marked \"photo required\" needs another); "
                           "the file and the record are kept. Only whoever sent the photo may "
                           "withdraw it (403). Safe to send again: a photo withdrawn before "
                           "answers 200 with replayed true. Once the inspection is submitted, "
                           "409",
                "security": secured,
                "parameters": [*_path_ids("link_id"), {
                    "name": "photo_client_id", "in": "path", "required": True,
                    "schema": CLIENT_ID,
                    "description": "The client_id the photo was sent with; not a UUID: 400; "
                                   "no such photo of this inspection: 404."}],
                "responses": {"200": _json("PhotoWithdrawal", "Withdrawn (now or before)"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/inspections/{link_id}/acknowledgement": {"post": {
                "summary": "The provider's acknowledgement on site: the representative's "
                           "name, role and drawn signature, or that they declined to sign "
                           "(201; 200 with the same body when the client_id was received "
                           "before). Every problem is named at once (400). Kept with the "
                           "findings as the server has them. Only before the inspection is "
                           "submitted (409 after)",
                "security": secured, "parameters": _path_ids("link_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AcknowledgementRequest"}}}},
                "responses": {"201": _json("AcknowledgementReceipt", "Stored"),
                              "200": _json("AcknowledgementReceipt",
                                           "Received before; nothing stored"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/inspections/{link_id}/submit": {"post": {
                "summary": "Submit the inspection: score the draft answers (201; 200 with the "
                           "same result when already submitted)",
                "security": secured, "parameters": _path_ids("link_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SubmitInspectionRequest"}}}},
                "responses": {"201": _json("AssessmentResult", "Scored"),
                              "200": _json("AssessmentResult", "Submitted before"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/inspections/files/{sampled_id}/answers": {"post": {
                "summary": "Send a sampled file's answers changed on a device, as for a "
                           "property's inspection",
                "security": secured, "parameters": _path_ids("sampled_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/AnswerChangesRequest"}}}},
                "responses": {"200": _json("ChangeResults"), **_problems(400, 401, 403, 404)}}},
            "/inspections/files/{sampled_id}/submit": {"post": {
                "summary": "Submit a sampled file's assessment: score its draft answers (201; "
                           "200 with the same result when already submitted)",
                "security": secured, "parameters": _path_ids("sampled_id"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SubmitInspectionRequest"}}}},
                "responses": {"201": _json("AssessmentResult", "Scored"),
                              "200": _json("AssessmentResult", "Submitted before"),
                              **_problems(400, 401, 403, 404, 409)}}},
            "/checklists/{kind}": {"get": {
                "summary": "The checklist version in force", "security": secured,
                "parameters": [{"name": "kind", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(KINDS)}}],
                "responses": {"200": {"description": "The definition",
                                      "content": {"application/json": {"schema": {
                                          "type": "object"}}}},
                              **_problems(401, 403, 404)}}},
        },
    }
