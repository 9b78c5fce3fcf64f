"""The open data feed's addresses and query parameters, and its own OpenAPI document.

One table says which parameters each address of the feed accepts and how each is read; the
views read their parameters through it and the OpenAPI document is written from it, so the
document describes exactly what the feed answers. A parameter the table does not list for an
address (one the Open Referral UK profile defines that the feed does not support, or a typing
mistake) is refused with a 400 problem naming it, never silently ignored; so is a value that
cannot be read, or a parameter given twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import request

from ..errors import ValidationFailed

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_SEARCH = 200
MAX_AGE = 120

UK_PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
UK_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"


class BadParameter(ValidationFailed):
    """A query parameter the address does not accept, or a value that cannot be read."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message, field=parameter)


# --- reading values ----------------------------------------------------------------------------

def _whole_number(name: str, high: int | None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        raw = raw.strip()
        # At most 9 digits: enough for any page, and never a number Python refuses to read.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1 or (
                high and int(raw) > high):
            limit = f" from 1 to {high}" if high else " of 1 or more"
            raise BadParameter(name, f"{name} must be a whole number{limit}.")
        return int(raw)
    return parse


def _uuid(name: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        try:
            if not raw.isascii() or len(raw) > 45:
                raise ValueError
            return str(uuid.UUID(raw.strip()))
        except ValueError:
            raise BadParameter(name, f"{name} must be an id (a UUID) from the feed.") from None
    return parse


_AGE = re.compile(r"\d{1,3}(\.\d{1,2})?")


def _age(name: str) -> Callable[[str], Decimal]:
    def parse(raw: str) -> Decimal:
        raw = raw.strip()
        if not (raw.isascii() and _AGE.fullmatch(raw)) or Decimal(raw) > MAX_AGE:
            raise BadParameter(name, f"{name} must be an age in years, from 0 to {MAX_AGE}.")
        return Decimal(raw)
    return parse


def _date_time(name: str) -> Callable[[str], datetime]:
    def parse(raw: str) -> datetime:
        raw = raw.strip()
        try:
            if not raw.isascii() or len(raw) > 40 or len(raw) < 10:
                raise ValueError
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise BadParameter(name, f"{name} must be a date and time in ISO 8601 format, "
                                     "for example 2026-12-07T09:30:00Z.") from None
        # A date alone means its start; a time without an offset is in UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return parse


def _search(name: str) -> Callable[[str], tuple[str, ...]]:
    def parse(raw: str) -> tuple[str, ...]:
        if len(raw) > MAX_SEARCH:
            raise BadParameter(name, f"{name} must be {MAX_SEARCH} characters or fewer.")
        return tuple(raw.casefold().split())
    return parse


# --- the table ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    schema: dict
    parse: Callable[[str], object]

    def openapi(self) -> dict:
        return {"name": self.name, "in": "query", "required": False,
                "description": self.description, "schema": self.schema}


PAGING = (
    Parameter("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1},
              _whole_number("page", None)),
    Parameter("per_page", f"Items on a page, from 1 to {MAX_PER_PAGE}.",
              {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
               "default": DEFAULT_PER_PAGE},
              _whole_number("per_page", MAX_PER_PAGE)),
)
FILTERS = (
    Parameter("search", "Services whose name, description, organisation, accommodation "
              "categories or local authority areas contain every word given (any case).",
              {"type": "string", "maxLength": MAX_SEARCH}, _search("search")),
    Parameter("taxonomy_term_id", "Services that carry this taxonomy term.",
              {"type": "string", "format": "uuid"}, _uuid("taxonomy_term_id")),
    Parameter("taxonomy_id", "Services that carry any term of this taxonomy.",
              {"type": "string", "format": "uuid"}, _uuid("taxonomy_id")),
    Parameter("minimum_age", "Services whose minimum age is at least this many years.",
              {"type": "number", "minimum": 0, "maximum": MAX_AGE}, _age("minimum_age")),
    Parameter("maximum_age", "Services whose maximum age is at most this many years.",
              {"type": "number", "minimum": 0, "maximum": MAX_AGE}, _age("maximum_age")),
    Parameter("organization_id", "Services of this organisation.",
              {"type": "string", "format": "uuid"}, _uuid("organization_id")),
    Parameter("modified_after", "Services changed on or after this date and time (ISO 8601; "
              "UTC unless an offset is given), including those that left the register, "
              "which are published as inactive.",
              {"type": "string", "format": "date-time"}, _date_time("modified_after")),
)


@dataclass(frozen=True)
class Address:
    """One address of the feed: its view, what it returns and the parameters it accepts."""

    path: str
    endpoint: str
    summary: str
    schema: str  # the UK profile's schema of one item
    paged: bool = False
    parameters: tuple[Parameter, ...] = ()


ADDRESSES = (
    Address("/services", "services", "Services: the providers on the register (one-to-one "
            "fields), and those that left it, as inactive.", "compiled/service_list.json",
            paged=True, parameters=PAGING + FILTERS),
    Address("/services/{id}", "service", "One service, fully nested.",
            "compiled/service.json"),
    Address("/service_at_locations", "service_at_locations", "Each active service in each "
            "local authority area where it has accredited properties (no address).",
            "compiled/service_at_location_list.json", paged=True,
            parameters=PAGING + FILTERS),
    Address("/service_at_locations/{id}", "service_at_location", "One service at a local "
            "authority area, fully nested.", "compiled/service_at_location.json"),
    Address("/taxonomies", "taxonomies", "The taxonomies the services' terms come from.",
            "taxonomy.json", paged=True, parameters=PAGING),
    Address("/taxonomies/{id}", "taxonomy", "One taxonomy, with its terms.", "taxonomy.json"),
    Address("/taxonomy_terms", "taxonomy_terms", "Every taxonomy term.", "taxonomy_term.json",
            paged=True, parameters=PAGING),
    Address("/taxonomy_terms/{id}", "taxonomy_term", "One taxonomy term.",
            "taxonomy_term.json"),
)
BY_ENDPOINT = {address.endpoint: address for address in ADDRESSES}


def read_query(endpoint: str) -> dict[str, object]:
    """This request's query parameters, read for ``endpoint`` (the view's name).

    Raises ``BadParameter`` for a parameter the address does not accept, one given twice, or
    a value that cannot be read.
    """
    address = BY_ENDPOINT.get(endpoint)
    accepted = {parameter.name: parameter for parameter in (address.parameters if address
                                                            else ())}
    values: dict[str, object] = {}
    for name in request.args:
        if name not in accepted:
            shown = name if len(name) <= 40 and name.isprintable() else name[:40] + "..."
            known = ", ".join(accepted) or "no parameters"
            raise BadParameter(name, f"The feed does not support the parameter {shown!r} "
                                     f"here. This address accepts {known}.")
        raws = request.args.getlist(name)
        if len(raws) > 1:
            raise BadParameter(name, f"{name} must be given once.")
        values[name] = accepted[name].parse(raws[0])
    return values


# --- the OpenAPI document ----------------------------------------------------------------------

PROBLEM = {"type": "object", "required": ["type", "title", "status", "detail"],
           "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                          "status": {"type": "integer"}, "detail": {"type": "string"},
                          "parameter": {"type": "string"}}}
PAGE = {"type": "object",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page",
                     "last_page", "empty", "contents"],
        "properties": {"total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
                       "page_number": {"type": "integer"}, "size": {"type": "integer"},
                       "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
                       "empty": {"type": "boolean"}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _operation(address: Address) -> dict:
    item = {"$ref": UK_SCHEMAS + address.schema}
    schema = ({"allOf": [{"$ref": "#/components/schemas/Page"}],
               "properties": {"contents": {"type": "array", "items": item}}}
              if address.paged else item)
    responses = {
        "200": {"description": address.summary,
                "content": {"application/json": {"schema": schema}}},
        "304": {"description": "Not modified since the ETag or date the request gave."},
        "400": _problem("A parameter this address does not accept, given twice, or a value "
                        "that cannot be read (the problem's `parameter` names it)."),
    }
    if not address.paged:
        responses["404"] = _problem("No item with that id.")
    operation = {"summary": address.summary, "operationId": address.endpoint,
                 "responses": responses}
    if address.parameters:
        operation["parameters"] = [parameter.openapi() for parameter in address.parameters]
    path = {"get": operation}
    if "{id}" in address.path:
        path["parameters"] = [{"name": "id", "in": "path", "required": True,
                               "schema": {"type": "string", "format": "uuid"}}]
    return path


def document(server: str) -> dict:
    """The feed's own OpenAPI document, for the feed served at ``server``."""
    root = {"get": {
        "summary": "Which version and profile of Open Referral the feed follows.",
        "operationId": "index",
        "responses": {"200": {"description": "The feed's version, profile and this document.",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "required": ["version", "profile",
                                                                 "openapi_url"],
                                  "properties": {
                                      "version": {"type": "string"},
                                      "profile": {"type": "string", "format": "uri"},
                                      "openapi_url": {"type": "string", "format": "uri"}}}}}},
                      "400": _problem("Any query parameter.")}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Accredited supported accommodation: open data feed",
            "version": "3.0",
            "description": (
                "Providers of supported accommodation for young people accredited by the "
                "councils' accreditation scheme, as Open Referral UK (HSDS 3.0 UK profile) "
                "services. Provider-level only: no address, postcode, property name or "
                "person's name. Parameters not listed for an address are refused with 400."),
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": server}],
        "externalDocs": {"description": "Open Referral UK profile", "url": UK_PROFILE},
        "components": {"schemas": {"Page": PAGE, "Problem": PROBLEM}},
        "paths": {"/": root, **{address.path: _operation(address) for address in ADDRESSES}},
    }
