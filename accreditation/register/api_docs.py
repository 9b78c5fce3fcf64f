"""The register's part of the OpenAPI document (``/api/v1/openapi.json``)."""

from __future__ import annotations

from ..api.schemas import RECORD_ID, integer
from ..providers.models import AccommodationCategory
from ..providers.operations import MAX_BED_SPACES
from .query import FILTER_STATUSES, MAX_AGE, MAX_PAGE, MAX_SIZE, MAX_TEXT, MIN_AGE, SORTS
from .status import RegisterStatus

STATUS = {"type": "string", "enum": [status.value for status in RegisterStatus],
          "description": "accredited, accredited_with_conditions and reassessment_due are on "
                         "the register; the others mean the entry has left it (do not refer)."}
DATE = {"type": ["string", "null"], "format": "date"}

REGISTER_PROPERTY = {
    "type": "object",
    "required": ["id", "provider_id", "name", "status", "on_register", "modified_at"],
    "properties": {
        "id": {"type": "integer"},
        "provider_id": {"type": "integer"},
        "provider_name": {"type": "string"},
        "name": {"type": "string"},
        "status": STATUS,
        "on_register": {"type": "boolean"},
        "town": {"type": "string"},
        "postcode_district": {"type": "string"},
        "address": {"type": ["object", "null"], "description":
                    "The full address, for council staff only; null once the property has "
                    "left the register.", "properties": {
                        "line_1": {"type": "string"}, "line_2": {"type": ["string", "null"]},
                        "town": {"type": "string"}, "postcode": {"type": "string"}}},
        "local_authority": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "ons_code": {"type": "string"}}},
        "category": {"type": "string",
                     "enum": [category.value for category in AccommodationCategory]},
        "bed_spaces": {"type": "integer"},
        "age_min": {"type": "integer"},
        "age_max": {"type": "integer"},
        "who_for": {"type": "string"},
        "vacancies": {"type": "integer"},
        "vacancies_updated_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_on": DATE,
        "modified_at": {"type": "string", "format": "date-time",
                        "description": "When what the register shows for it last changed."},
    },
}

REGISTER_PROVIDER = {
    "type": "object",
    "required": ["id", "name", "status", "on_register", "modified_at", "properties"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "status": STATUS,
        "status_label": {"type": "string"},
        "on_register": {"type": "boolean"},
        "decision": {"type": ["string", "null"],
                     "enum": ["accredited", "accredited_with_conditions", None]},
        "accredited_on": DATE,
        "expires_on": DATE,
        "open_conditions": {"type": "integer"},
        "properties_on_register": {"type": "integer"},
        "modified_at": {"type": "string", "format": "date-time"},
        "register_url": {"type": "string", "description": (
            "The provider's register page, on the service's own address.")},
        "properties": {"type": "array", "description":
                       "Its properties that match the query (for the change feed: all of its "
                       "properties the register knows, with their own status).",
                       "items": {"$ref": "#/components/schemas/RegisterProperty"}},
    },
}


def _page_of(ref: str) -> dict:
    return {"type": "object",
            "required": ["total_items", "total_pages", "page_number", "size", "contents"],
            "properties": {
                "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
                "page_number": {"type": "integer"}, "size": {"type": "integer"},
                "contents": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}}}


REGISTER_SCHEMAS = {
    "RegisterProvider": REGISTER_PROVIDER, "RegisterProperty": REGISTER_PROPERTY,
    "RegisterProviderPage": _page_of("RegisterProvider"),
    "RegisterPropertyPage": _page_of("RegisterProperty"),
}

CHANGE_FEED = (
    "Without modified_after: a search of the register (only providers and properties on it "
    "now). With modified_after: a change feed of every entry whose register entry changed "
    "after that moment, oldest change first, INCLUDING entries that left the register "
    "(status suspended, revoked, expired or not_accredited, on_register false): remove "
    "those from your copy. Keep the largest modified_at you have seen and pass it as "
    "modified_after next time. Changes are recorded on every write that alters what the "
    "register shows (decisions, suspensions, expiries by the daily tick, property and "
    "vacancy edits).")

PARAMETERS = [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_TEXT},
     "description": "Words that must start words of the provider name, property name, town "
                    "or local authority; a postcode district (N1, SE15) matches exactly."},
    {"name": "local_authority", "in": "query", "schema": RECORD_ID,
     "description": "A council's id, as local_authority.id in the results. The councils are "
                    "the service's own list (not fixed here): the id of no council is "
                    "refused (400)."},
    {"name": "category", "in": "query", "schema": REGISTER_PROPERTY["properties"]["category"]},
    {"name": "age", "in": "query", "schema": integer(MIN_AGE, MAX_AGE),
     "description": "A young person's age: properties whose age range includes it."},
    {"name": "who_for", "in": "query", "schema": {"type": "string", "maxLength": MAX_TEXT}},
    {"name": "vacancies", "in": "query", "schema": {"type": "boolean"},
     "description": "true: only properties with vacancies now."},
    {"name": "status", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": STATUS},
     "description": "Repeat or comma-separate; any status. Only entries with these "
                    "statuses are answered; without it a search answers those on the "
                    "register (" + ", ".join(status.value for status in FILTER_STATUSES)
                    + ") and the change feed every status."},
    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)},
     "description": "Ignored by the change feed, which is oldest change first."},
    {"name": "modified_after", "in": "query", "schema": {"type": "string", "format":
                                                         "date-time"},
     "description": "ISO 8601 date-time (without an offset it is taken as UTC). " + CHANGE_FEED},
    {"name": "page", "in": "query", "schema": integer(1, MAX_PAGE)},
    {"name": "size", "in": "query", "schema": integer(1, MAX_SIZE)},
]


def register_paths(json, problems, secured) -> dict:
    return {
        "/register/providers": {"get": {
            "summary": "Search the register of accredited providers, or follow its changes",
            "description": CHANGE_FEED, "security": secured, "parameters": PARAMETERS,
            "responses": {"200": json("RegisterProviderPage"), **problems(400, 401, 403)}}},
        "/register/properties": {"get": {
            "summary": "Search the register's accredited properties, or follow their changes",
            "description": CHANGE_FEED, "security": secured, "parameters": PARAMETERS,
            "responses": {"200": json("RegisterPropertyPage"), **problems(400, 401, 403)}}},
    }


# --- PUT /api/v1/properties/{id}/vacancies: a provider's own systems ---------------------------

VACANCIES_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["vacancies"],
    "properties": {
        "vacancies": integer(0, MAX_BED_SPACES, description="Vacancies now: 0 up to the "
                             "property's bed spaces (bed_spaces), which is at most "
                             f"{MAX_BED_SPACES}."),
    },
}

VACANCIES_RESPONSE = {
    "type": "object",
    "required": ["id", "name", "bed_spaces", "vacancies", "vacancies_updated_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "bed_spaces": {"type": "integer"},
        "vacancies": {"type": "integer"},
        "vacancies_updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
