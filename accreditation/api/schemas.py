"""JSON Schemas of the API's request bodies: validated on the way in, published in OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import request
from jsonschema import Draft202012Validator

from ..cases.actions import API_ACTIONS
from ..errors import ValidationFailed
from ..evidence.content import IMAGE_KINDS, KINDS
from ..forms import whole_number
from ..routing import MAX_RECORD_ID


def integer(minimum: int = 0, maximum: int = MAX_RECORD_ID, **annotations: Any) -> dict:
    """The JSON Schema of a whole number the API reads or answers with. Numbers are bounded as
    the forms bound them (``forms.whole_number``): by what the database holds
    (``MAX_RECORD_ID``), or less where a rule says so. The one definition for request bodies,
    path ids and query parameters: the document publishes it, the requests are checked by it."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum, **annotations}


# A record's id, also every {..._id} in a path (``routing.RecordIdConverter``: past it, 404).
RECORD_ID = integer(1)
# GET /cases: pages of up to 100; page numbers far past any real list are refused, which keeps
# the offset within the database's.
PAGE_NUMBER = integer(1, 100_000)
PAGE_SIZE = integer(1, 100)


def query_integer(name: str, schema: dict, default: int) -> int:
    """The whole-number query parameter ``name``, read by the forms' rule within ``schema``'s
    bounds (``default`` when it is not sent); anything else is a 400 problem."""
    raw = request.args.get(name)
    if raw is None:
        return default
    number = whole_number(raw, maximum=schema["maximum"])
    if number is None or number < schema["minimum"]:
        raise ValidationFailed(f"{name} must be a whole number from {schema['minimum']} to "
                               f"{schema['maximum']}.", field=name)
    return number


TRANSITION_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["action", "expected_version"],
    "properties": {
        "action": {"type": "string", "enum": list(API_ACTIONS)},
        "expected_version": integer(
            1, description="The case version you last saw (conflict check)."),
        "message": {"type": "string", "minLength": 1, "maxLength": 4000,
                    "description": "return: what the provider needs to send (required, and "
                                   "more than spaces)."},
        "due_on": {"type": "string", "format": "date",
                   "description": "return: the date the provider must answer by (required, "
                                  "and after today). require_reassessment: the date the "
                                  "reassessment is due by (required, and after today)."},
        "reasons": {"type": "string", "minLength": 1, "maxLength": 4000,
                    "description": "suspend (at once, for safeguarding; the provider is sent "
                                   "a notice it may answer): why (required, and more than "
                                   "spaces). require_reassessment: why (optional). Refusing "
                                   "and revoking are proposed on the pages, never here."},
        "response": {"type": "string", "minLength": 1, "maxLength": 4000,
                     "description": "resubmit: what the provider has sent or changed "
                                    "(required, and more than spaces)."},
    },
}

ANSWER_VALUE = {"anyOf": [{"type": "string", "maxLength": 2000}, {"type": "number"},
                          {"type": "null"}]}

ANSWERS_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["answers"],
    "properties": {
        "answers": {"type": "object", "additionalProperties": ANSWER_VALUE,
                    "propertyNames": {"pattern": "^[a-z0-9_]{1,80}$"}, "maxProperties": 300,
                    "description": "Item id -> answer. Every id must be an item of the "
                                   "checklist version in force (GET /checklists/{kind}), "
                                   "answered as its answer_type allows (yes_no: yes, no or "
                                   "not_applicable; graded: 0 to 3; number: as its unit "
                                   "allows, never below 0, whole months and days, up to 2 "
                                   "decimal places of m² and £ million; free_text); "
                                   "anything else is refused (400), naming the item."},
        "assessed_on": {"type": "string", "format": "date",
                        "description": "The day of the assessment (default today): the "
                                       "checklist version and threshold step in force that "
                                       "day score it. A day before any version was in force "
                                       "is refused (404)."},
    },
}

CLIENT_ID = {"type": "string", "format": "uuid",
             "description": "A UUID made on the device for this change, photo or submission: "
                            "sending it again is answered with the first result."}
ITEM_ID = {"type": "string", "pattern": "^[a-z0-9_]{1,80}$"}

ANSWER_CHANGES_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["device_id", "changes"],
    "properties": {
        "device_id": {"type": "string", "minLength": 1, "maxLength": 64,
                      "pattern": "^[^\\x00]*$",
                      "description": "Names the tablet (made on it once): one device's own "
                                     "changes never conflict with each other."},
        "changes": {"type": "array", "minItems": 1, "maxItems": 200, "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["client_id", "item_id", "value", "base_revision"],
            "properties": {
                "client_id": CLIENT_ID,
                "item_id": ITEM_ID,
                "value": {**ANSWER_VALUE,
                          "description": "The answer, as the item's answer_type allows (a "
                                         "number: as its unit allows, never below 0, whole "
                                         "months and days, up to 2 decimal places of m² "
                                         "and £ million); anything else is rejected, "
                                         "naming the item."},
                "note": {"type": ["string", "null"], "maxLength": 2000},
                "base_revision": integer(
                    description="The item's revision the device last saw (0: none)."),
            }}},
    },
}

SUBMIT_INSPECTION_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["client_id"],
    "properties": {"client_id": CLIENT_ID},
}

NULLABLE_TEXT = {"type": ["string", "null"]}

ACKNOWLEDGEMENT_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["client_id", "declined"],
    "properties": {
        "client_id": CLIENT_ID,
        "declined": {"type": "boolean", "description": "True: the provider's representative "
                     "declined to sign (a signature is then refused, 400)."},
        "name": {**NULLABLE_TEXT, "maxLength": 120, "description": "The representative's "
                 "name; required unless declined."},
        "role": {**NULLABLE_TEXT, "maxLength": 120, "description": "Their role; required "
                 "unless declined."},
        "reason": {**NULLABLE_TEXT, "maxLength": 1000, "description": "The reason they gave "
                   "for declining (only when declined)."},
        "signed_at": {"type": "string", "format": "date-time", "description": "When it was "
                      "given on the device, with its offset: at most 10 minutes ahead of the "
                      "server and 30 days old (400 otherwise). Missing: when it arrives."},
        "signature_png": {**NULLABLE_TEXT, "contentEncoding": "base64",
                          "contentMediaType": "image/png", "maxLength": 270_000,
                          "description": "The drawn signature, a PNG of at most 200,000 bytes "
                                         "and 2000 pixels a side, base64; re-encoded without "
                                         "metadata. Optional."},
    },
}

ACKNOWLEDGEMENT_RECEIPT = {
    "type": "object",
    "required": ["client_id", "acknowledgement_id", "declined", "signed_at", "findings"],
    "properties": {"client_id": {"type": "string"}, "acknowledgement_id": RECORD_ID,
                   "declined": {"type": "boolean"},
                   "signed_at": {"type": "string", "format": "date-time"},
                   "signed": {"type": "boolean", "description": "A signature was kept."},
                   "findings": {"type": "integer", "description": "How many findings (items "
                                "that did not pass, with their notes) were kept with it, as "
                                "the server had the answers when it arrived."}},
}

_validators = {id(schema): Draft202012Validator(
    schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for schema in (TRANSITION_REQUEST, ANSWERS_REQUEST, ANSWER_CHANGES_REQUEST,
                   SUBMIT_INSPECTION_REQUEST, ACKNOWLEDGEMENT_REQUEST)}


def validated(schema: dict, body: Any) -> dict:
    """``body`` if it matches ``schema``; otherwise ValidationFailed naming the first problem."""
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    errors = sorted(_validators[id(schema)].iter_errors(body), key=lambda e: list(e.path))
    if errors:
        raise ValidationFailed(problem_message(errors[0]))
    return body


TYPE_WORDS = {"integer": "a whole number", "number": "a number", "string": "text",
              "boolean": "true or false", "object": "a JSON object", "array": "a list",
              "null": "null"}


def problem_message(error) -> str:
    """What is wrong with a request body, in words, naming the field (by its path in the body)
    and the rule it breaks, never echoing the value sent (jsonschema's own messages are
    Python representations of it)."""
    where = "/".join(str(part) for part in error.absolute_path)
    field = where or "The request body"
    rule, value = error.validator, error.validator_value
    inside = f"{where}/" if where else ""
    if rule == "required":
        missing = [name for name in value if name not in error.instance] or list(value)
        return f"{inside}{missing[0]} is required."
    if rule == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(name) for name in error.instance if name not in known)
        return f"{inside}{', '.join(extra) or 'that field'}: not a field of this request."
    if rule == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        return f"{field} must be {' or '.join(TYPE_WORDS.get(kind, kind) for kind in kinds)}."
    if rule == "enum":
        return f"{field} must be one of: {', '.join(str(choice) for choice in value)}."
    if rule in ("minimum", "maximum"):
        return f"{field} must be at {'least' if rule == 'minimum' else 'most'} {value}."
    if rule == "minLength":
        return (f"{field} must not be empty." if value == 1
                else f"{field} must be at least {value} characters long.")
    if rule == "maxLength":
        return f"{field} must be at most {value} characters long."
    if rule == "format" and value == "date":
        return f"{field} must be a date written as YYYY-MM-DD, for example 2027-03-27."
    if rule == "format" and value == "uuid":
        return f"{field} must be a UUID, for example 123e4567-e89b-12d3-a456-426614174000."
    if rule == "pattern":
        return f"{field} must match the pattern {value}."
    if rule in ("maxProperties", "maxItems", "minProperties", "minItems"):
        bound = "most" if rule.startswith("max") else "least"
        return f"{field} must have at {bound} {value} {'entry' if value == 1 else 'entries'}."
    if rule == "propertyNames":
        return f"{field} has a name that is not allowed: see the API's description of it."
    if rule in ("anyOf", "oneOf"):
        return f"{field} must be text, a number or null." if value == ANSWER_VALUE["anyOf"] \
            else f"{field} is not a value this field takes."
    return f"{field} is not in the form the API's description gives."


# --- what the tablet's sync API answers (published in OpenAPI; tests validate responses) ------

_NULLABLE_TEXT = {"type": ["string", "null"]}

INSPECTION = {
    "type": "object",
    "required": ["kind", "path", "case_id", "case_reference", "organisation",
                 "checklist", "answers", "photos", "conflicts", "submitted"],
    "description": "A property's inspection (kind property: link_id and property) or a "
                   "sampled file's assessment (kind file: sampled_id and file).",
    "properties": {
        "kind": {"type": "string", "enum": ["property", "file"]},
        "path": {"type": "string", "description": "Where its routes are under "
                 "/inspections/: '{link_id}' or 'files/{sampled_id}'."},
        "link_id": {**RECORD_ID, "description": "The property in the application: the "
                                                 "{link_id} of the inspection routes."},
        "sampled_id": {**RECORD_ID, "description": "The sampled file: the {sampled_id} of "
                                                   "the file assessment routes."},
        "file": {"type": "object", "required": ["reference", "role", "file_type"],
                 "properties": {"reference": {"type": "string"}, "role": {"type": "string"},
                                "file_type": {"type": "string"},
                                "started_on": {"type": "string", "format": "date"}}},
        "case_id": RECORD_ID,
        "case_reference": {"type": "string"},
        "property": {"type": "object", "required": ["name", "address", "postcode", "category"],
                     "properties": {"name": {"type": "string"}, "address": {"type": "string"},
                                    "postcode": {"type": "string"},
                                    "category": {"type": "string"}}},
        "organisation": {"type": "object", "required": ["name"],
                         "properties": {"name": {"type": "string"}}},
        "checklist": {"type": "object", "required": ["kind", "version", "fingerprint"],
                      "description": "The version in force: GET /checklists/{kind} has it.",
                      "properties": {"kind": {"type": "string"},
                                     "version": integer(1),
                                     "fingerprint": {"type": "string"}}},
        "answers": {"type": "object", "description": "item id -> the server's draft answer",
                    "additionalProperties": {
                        "type": "object", "required": ["value", "note", "revision"],
                        "properties": {"value": ANSWER_VALUE, "note": _NULLABLE_TEXT,
                                       "revision": integer(1)}}},
        "photos": {"type": "object", "description": "item id -> photos received",
                   "additionalProperties": {"type": "array", "items": {
                       "type": "object", "required": ["evidence_id", "client_id"],
                       "properties": {"evidence_id": RECORD_ID,
                                      "client_id": _NULLABLE_TEXT}}}},
        "conflicts": {"type": "array", "description": "Changes that arrived after someone "
                      "else changed the same answer: the inspector chooses which to keep.",
                      "items": {"type": "object",
                                "required": ["conflict_id", "item_id", "client_id", "value",
                                             "server_value", "server_revision"],
                                "properties": {
                                    "conflict_id": RECORD_ID,
                                    "item_id": {"type": "string"},
                                    "client_id": {"type": "string"},
                                    "value": ANSWER_VALUE, "note": _NULLABLE_TEXT,
                                    "base_revision": integer(),
                                    "server_value": ANSWER_VALUE,
                                    "server_note": _NULLABLE_TEXT,
                                    "server_revision": integer(),
                                    "created_at": {"type": "string",
                                                   "format": "date-time"}}}},
        "submitted": {"type": "boolean"},
        "inspectable": {"type": "boolean", "description": "Whether answers are accepted now "
                        "(false for applications whose inspections come next, and once "
                        "submitted)."},
    },
}

INSPECTION_LIST = {
    "type": "object", "required": ["contents"],
    "properties": {"contents": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Inspection"}}},
}

CHANGE_RESULTS = {
    "type": "object", "required": ["results"],
    "properties": {"results": {"type": "array", "items": {
        "type": "object",
        "required": ["client_id", "status", "item_id", "revision", "replayed"],
        "properties": {
            "client_id": {"type": "string"},
            "status": {"type": "string", "enum": ["applied", "conflict", "rejected"]},
            "item_id": {"type": "string"},
            "revision": {**integer(), "type": ["integer", "null"],
                         "description": "After the change (applied), or the server's "
                                        "(conflict)."},
            "server_value": ANSWER_VALUE, "server_note": _NULLABLE_TEXT,
            "message": {"type": ["string", "null"], "description": "Why it was rejected."},
            "replayed": {"type": "boolean",
                         "description": "This client_id was received before: the result "
                                        "is the stored one and nothing changed."}}}}},
}

PHOTO_RECEIPT = {
    "type": "object", "required": ["client_id", "evidence_id", "item_id"],
    "properties": {"client_id": {"type": "string"}, "evidence_id": RECORD_ID,
                   "item_id": {"type": "string"},
                   "marks_up": {"type": ["string", "null"],
                                "description": "The client_id of the photo it marks up."}},
}

PHOTO_WITHDRAWAL = {
    "type": "object", "required": ["client_id", "evidence_id", "item_id", "withdrawn_at"],
    "properties": {"client_id": {"type": "string", "description": "The photo's client_id."},
                   "evidence_id": RECORD_ID, "item_id": {"type": "string"},
                   "withdrawn_at": {"type": "string", "format": "date-time"},
                   "replayed": {"type": "boolean", "description": "True when the photo had "
                                "been withdrawn before: nothing changed."}},
}

# What a photo may be (the evidence checks' image kinds), for the upload's encoding.
PHOTO_TYPES = ", ".join(kind.content_type for kind in KINDS.values() if kind.kind in IMAGE_KINDS)

PHOTO_UPLOAD = {
    "type": "object", "required": ["client_id", "item_id", "file"],
    "properties": {"client_id": CLIENT_ID,
                   "item_id": {**ITEM_ID, "description": "An item of the property's "
                               "inspection checklist that applies to its category; any "
                               "other is refused (400)."},
                   "marks_up": {**CLIENT_ID, "description": "Optional: the client_id of a "
                                "photo of the same item, sent before, that this one is a "
                                "marked-up copy of (an arrow or a circle drawn on it); the "
                                "original is kept. Any other is refused (400)."},
                   "file": {"type": "string", "contentMediaType": "application/octet-stream",
                            "description": "A JPEG, PNG or HEIC photo, sent with a file name; "
                                           "any other file is refused (400), a file over the "
                                           "service's size limit (20 MB unless configured "
                                           "otherwise) too (413). Location and other "
                                           "metadata are removed."}},
}
