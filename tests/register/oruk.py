"""The Open Referral UK profile's schemas, and the checks its validator makes, offline.

Every response of the open data feed is checked the way the Open Referral UK validator checks a
feed (its HSDS-UK-3.0 test profile): the root's meta information, then each list endpoint as a
paged envelope whose items match the profile's list schema, saving the items' ids, then each
item by id against the profile's full schema. Formats are checked (uuid, uri, email, date-time),
and no object may carry a field the profile does not define (the profile removes some of the
international fields, such as ``eligibility_description``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import accreditation

SCHEMAS = Path(__file__).parent / "oruk_schemas"
UK = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
NAMES = ["compiled/service.json", "compiled/service_list.json",
         "compiled/service_at_location.json", "compiled/service_at_location_list.json",
         "taxonomy.json", "taxonomy_term.json"]
RAW = {name: json.loads((SCHEMAS / name).read_text()) for name in NAMES}
OPENAPI = json.loads((SCHEMAS / "openapi.json").read_text())
REGISTRY = Registry().with_resources([
    (UK + name, Resource.from_contents(contents, default_specification=DRAFT202012))
    for name, contents in RAW.items()])

# The international HSDS 3.0 schemas the app ships (accreditation/data/openreferral): a UK
# profile service must be a valid HSDS 3.0 service too.
HSDS_SCHEMAS = Path(accreditation.__file__).parent / "data" / "openreferral"
HSDS = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
HSDS_REGISTRY = Registry().with_resources([
    # The compiled service schema as published, with its nested objects as definitions.
    (HSDS + "compiled/service.json", Resource.from_contents(
        json.loads((HSDS_SCHEMAS / "service_with_definitions.json").read_text()),
        default_specification=DRAFT202012)),
    (HSDS + "compiled/service_list.json", Resource.from_contents(
        json.loads((HSDS_SCHEMAS / "service_list.json").read_text()),
        default_specification=DRAFT202012)),
])

FORMATS = FormatChecker()


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    return not isinstance(value, str) or (
        "T" in value and datetime.fromisoformat(value).tzinfo is not None)


@FORMATS.checks("uri")
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


@FORMATS.checks("email")
def _email(value) -> bool:
    return not isinstance(value, str) or value.count("@") == 1


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": UK + name}, registry=REGISTRY, format_checker=FORMATS)


# What the validator checks each address against (its HSDS-UK-3.0 test profile).
ITEM_SCHEMAS = {
    "/services": "compiled/service_list.json",
    "/services/{id}": "compiled/service.json",
    "/service_at_locations": "compiled/service_at_location_list.json",
    "/service_at_locations/{id}": "compiled/service_at_location.json",
    "/taxonomies": "taxonomy.json",
    "/taxonomies/{id}": "taxonomy.json",
    "/taxonomy_terms": "taxonomy_term.json",
    "/taxonomy_terms/{id}": "taxonomy_term.json",
}
VALIDATORS = {path: validator(name) for path, name in ITEM_SCHEMAS.items()}
INTERNATIONAL = {
    path: Draft202012Validator({"$ref": HSDS + name}, registry=HSDS_REGISTRY,
                               format_checker=FORMATS)
    for path, name in (("/services", "compiled/service_list.json"),
                       ("/services/{id}", "compiled/service.json"))}
PAGE = Draft202012Validator(OPENAPI["components"]["schemas"]["Page"], format_checker=FORMATS)
ROOT = Draft202012Validator(
    OPENAPI["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
    format_checker=FORMATS)
ENVELOPE = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"}


def _properties(schema: dict) -> dict:
    """The object schema ``schema`` describes, following the profile's references between
    its files and into arrays."""
    if "$ref" in schema:
        schema = RAW[schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("type") == "array":
        return _properties(schema["items"])
    return schema


def unknown_fields(value, schema: dict, path: str = "") -> list[str]:
    """Fields the UK profile does not define (its schemas allow extra fields; we add none)."""
    schema = _properties(schema)
    properties = schema.get("properties", {})
    found = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, dict):
            continue
        for key, inner in item.items():
            if key not in properties:
                found.append(f"{path}/{key}")
            elif isinstance(inner, dict | list):
                found += unknown_fields(inner, properties[key], f"{path}/{key}")
    return found


def check_item(path: str, item: dict) -> None:
    """One item as the address ``path`` (e.g. ``/services/{id}``) must give it."""
    VALIDATORS[path].validate(item)
    if path in INTERNATIONAL:
        INTERNATIONAL[path].validate(item)
    assert unknown_fields(item, RAW[ITEM_SCHEMAS[path]]) == [], path


def check_page(path: str, page: dict) -> None:
    """A paged list as ``path`` must give it: the envelope, and every item."""
    PAGE.validate(page)
    assert set(page) == ENVELOPE, path
    assert page["size"] == len(page["contents"])
    assert page["empty"] == (not page["contents"])
    for item in page["contents"]:
        check_item(path, item)


def check_root(root: dict) -> None:
    ROOT.validate(root)
    assert set(root) == {"version", "profile", "openapi_url"}


LISTS = ["/services", "/taxonomies", "/taxonomy_terms", "/service_at_locations"]


def replay_validator(client, base: str = "/openreferral") -> dict[str, list[str]]:
    """The validator's checks against the feed at ``base``: returns the ids it saw per list.

    Root discovery; every list endpoint asked for its first, a middle and its last page
    with ``page`` alone (as the validator does), then paged through (each page valid, the
    counts adding up, no id twice, ids the same on every page size); every saved id fetched
    by id and valid. Required (services) and optional (taxonomies, terms, service at locations)
    endpoints alike must pass: the feed offers them all.
    """
    root = client.get(base)
    assert root.status_code == 200, "the base address answers without its slash"
    assert root.headers["Access-Control-Allow-Origin"] == "*"
    check_root(root.json)
    assert float(root.json["version"]) == 3.0
    seen: dict[str, list[str]] = {}
    for path in LISTS:
        first = client.get(base + path)
        assert first.status_code == 200, path
        assert first.headers["Access-Control-Allow-Origin"] == "*"
        check_page(path, first.json)
        # As the validator pages: ``page`` alone, the first, a middle and the last page.
        pages = first.json["total_pages"]
        for number in {1, pages // 2 if pages > 2 else 1, max(pages, 1)}:
            page = client.get(f"{base}{path}?page={number}")
            assert page.status_code == 200, (path, number)
            check_page(path, page.json)
            assert page.json["page_number"] == number
        ids: list[str] = []
        per_page = 2
        total_pages = max(1, -(-first.json["total_items"] // per_page))
        for number in range(1, total_pages + 1):
            page = client.get(f"{base}{path}?page={number}&per_page={per_page}").json
            check_page(path, page)
            assert page["page_number"] == number and page["total_pages"] == (
                total_pages if first.json["total_items"] else 0)
            assert page["first_page"] == (number == 1)
            assert page["last_page"] == (number == total_pages)
            ids += [item["id"] for item in page["contents"]]
        assert len(ids) == len(set(ids)) == first.json["total_items"], path
        assert ids == [item["id"] for item in client.get(
            f"{base}{path}?per_page=100").json["contents"]][:len(ids)]
        for identifier in ids:
            response = client.get(f"{base}{path}/{identifier}")
            assert response.status_code == 200, (path, identifier)
            check_item(path + "/{id}", response.json)
            assert response.json["id"] == identifier
        seen[path] = ids
    return seen
