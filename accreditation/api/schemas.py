"""JSON Schemas of the API's request bodies: validated on the way in, published in OpenAPI."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from ..cases.actions import ACTIONS as CASE_ACTIONS
from ..errors import ValidationFailed

# The API offers the same actions as the pages (assigning an inspector is done on the pages).
ACTIONS = sorted(set(CASE_ACTIONS) - {"assign_inspector"})

TRANSITION_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["action", "expected_version"],
    "properties": {
        "action": {"type": "string", "enum": ACTIONS},
        "expected_version": {"type": "integer", "minimum": 1,
                             "description": "The case version you last saw (conflict check)."},
        "message": {"type": "string", "minLength": 1, "maxLength": 4000},
        "due_on": {"type": "string", "format": "date"},
        "reasons": {"type": "string", "minLength": 1, "maxLength": 4000},
        "response": {"type": "string", "minLength": 1, "maxLength": 4000},
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
                    "propertyNames": {"pattern": "^[a-z0-9_]{1,80}$"}, "maxProperties": 300},
        "assessed_on": {"type": "string", "format": "date"},
    },
}

_validators = {id(schema): Draft202012Validator(
    schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for schema in (TRANSITION_REQUEST, ANSWERS_REQUEST)}


def validated(schema: dict, body: Any) -> dict:
    """``body`` if it matches ``schema``; otherwise ValidationFailed naming the first problem."""
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    errors = sorted(_validators[id(schema)].iter_errors(body), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.absolute_path) or "body"
        raise ValidationFailed(f"{where}: {error.message}")
    return body
