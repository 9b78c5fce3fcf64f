"""The open data feed: accredited providers as Open Referral UK (HSDS 3.0 UK profile) services.

Anyone may read it, without a key (other councils' directories, family information
services, search tools), so it says only what is public at provider level: the organisation
(name, Companies House number), that it is accredited and until when, the ages it serves,
its categories of accommodation (as terms of a published taxonomy) and the local authorities
it has accredited properties in. Never an address, a postcode, a property's name or anyone's
name: the homes of vulnerable young people must not be findable from here. A "location" is
a local authority area, nothing finer (no address, no coordinates).

Providers on the register (``status.py``, the one rule) are active services. A provider that
leaves it (suspended, revoked, expired) stays in the feed as an inactive service, with only
its name and organisation, and its ``last_modified`` moves then, so a consumer that syncs with
``modified_after`` can drop it. Providers never accredited are not in the feed at all. Ids are
UUIDs derived from the organisation's id (uuid5 in a fixed namespace), so they stay the same
from one request to the next. Responses are JSON (errors as problem objects), carry an ETag
and Last-Modified for conditional requests, may be cached for a few minutes, and carry
``Access-Control-Allow-Origin: *``. Which parameters each address accepts is in
``openreferral_query.py``.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .. import clock
from ..auth.permissions import public
from ..councils import Council
from ..errors import DomainError, NotFound
from ..extensions import csrf, db
from ..providers.models import CATEGORY_LABELS, AccommodationCategory, Organisation
from ..routing import external_url
from .index import RegisterProperty, RegisterProvider
from .openreferral_query import (
    DEFAULT_PER_PAGE,
    UK_PROFILE,
    BadParameter,
    document,
    read_query,
)
from .status import RegisterEntry, RegisterStatus, register_entry

log = logging.getLogger(__name__)

bp = Blueprint("openreferral", __name__, url_prefix="/openreferral")
csrf.exempt(bp)  # read-only: nothing here acts on a session, and writes are refused
WRITES = ["POST", "PUT", "PATCH", "DELETE"]

# Fixed for ever: changing it would change every id consumers hold.
NAMESPACE = uuid.UUID("6f1c2a0e-8a57-4c1e-9f0b-3d7a1e5c2b94")
HSDS_VERSION = "3.0"
CACHE_SECONDS = 300
NOT_FOUND = "There is no accredited provider with that id."
# Request headers a cross-origin reader may send (a CORS preflight is answered with these).
CORS_REQUEST_HEADERS = ("Accept", "Accept-Language", "Cache-Control", "Content-Language",
                        "Content-Type", "If-Modified-Since", "If-None-Match",
                        "X-Requested-With")

AGES = "young people aged 16 to 25 (care leavers, and 16 and 17 year olds in care)"


# --- ids ---------------------------------------------------------------------------------------

def _id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join([kind, *map(str, parts)])))


def service_id(organisation: Organisation) -> str:
    return _id("service", organisation.id)


def organization_id(organisation: Organisation) -> str:
    return _id("organization", organisation.id)


def service_at_location_id(organisation: Organisation, council: Council) -> str:
    return _id("service_at_location", organisation.id, council.id)


def location_id(council: Council) -> str:
    return _id("location", council.id)


# --- the taxonomy: the four categories of accommodation --------------------------------------

TAXONOMY_ID = _id("taxonomy", "accommodation_category")
TAXONOMY_NAME = "Supported accommodation categories (England) 2023"
TAXONOMY_DESCRIPTION = (
    "The four categories of supported accommodation for looked-after children and care "
    "leavers aged 16 and 17 in the Supported Accommodation (England) Regulations 2023, as "
    "the councils' accreditation scheme accredits properties in them.")
CATEGORY_DESCRIPTIONS = {
    AccommodationCategory.SINGLE_OCCUPANCY:
        "A home for one young person, with support from the provider.",
    AccommodationCategory.RING_FENCED_SHARED:
        "Shared accommodation where everyone living there is a looked-after child or care "
        "leaver placed by a council.",
    AccommodationCategory.NON_RING_FENCED_SHARED:
        "Shared accommodation where others living there may be neither looked-after "
        "children nor care leavers.",
    AccommodationCategory.SUPPORTED_LODGINGS:
        "A room in a host's home, with support from the host and the provider.",
}


def term_id(category: AccommodationCategory) -> str:
    return _id("taxonomy_term", "accommodation_category", category.value)


def term_object(category: AccommodationCategory) -> dict:
    identifier = term_id(category)
    return {"id": identifier, "name": CATEGORY_LABELS[category],
            "description": CATEGORY_DESCRIPTIONS[category], "taxonomy": TAXONOMY_NAME,
            "taxonomy_id": TAXONOMY_ID, "term": category.value,
            "term_uri": external_url("openreferral.taxonomy_term", term_uuid=identifier)}


def taxonomy_object(*, with_terms: bool) -> dict:
    result = {"id": TAXONOMY_ID, "name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION,
              "uri": external_url("openreferral.taxonomy", taxonomy_uuid=TAXONOMY_ID),
              "version": "2023"}
    if with_terms:
        result["taxonomy_terms"] = [term_object(category)
                                    for category in AccommodationCategory]
    return result


TERMS_OF_TAXONOMY = {TAXONOMY_ID: frozenset(term_id(category)
                                            for category in AccommodationCategory)}


# --- HSDS objects ------------------------------------------------------------------------------

def _organization(organisation: Organisation, *, nested: bool = False) -> dict:
    """The organisation; nested (in a full service) with its Companies House number."""
    org_id = organization_id(organisation)
    result = {
        "id": org_id,
        "name": organisation.name,
        "description": f"{organisation.name} provides supported accommodation for {AGES}.",
    }
    if nested and organisation.company_number:
        result["organization_identifiers"] = [{
            "id": _id("organization_identifier", organisation.id, "GB-COH"),
            "organization_id": org_id,
            "identifier_scheme": "GB-COH",  # org-id.guide: Companies House
            "identifier_type": "Company number",
            "identifier": organisation.company_number,
        }]
    return result


def _date(value) -> str:
    return f"{value:%-d %B %Y}"


def _age(homes: Iterable, pick, default: int) -> int:
    ages = [home.age_min if pick is min else home.age_max for home in homes]
    return pick(ages) if ages else default


def _councils(entry: RegisterEntry) -> list[Council]:
    """The local authorities it has accredited properties in, by name."""
    councils = {home.local_authority.id: home.local_authority for home in entry.properties}
    return sorted(councils.values(), key=lambda council: (council.name, council.id))


def _categories(entry: RegisterEntry) -> list[AccommodationCategory]:
    found = {home.category for home in entry.properties}
    return [category for category in AccommodationCategory if category in found]


def _active(entry: RegisterEntry, last_modified: datetime) -> dict:
    """The service's own fields (what the paged list carries), with its organisation."""
    organisation = entry.organisation
    homes = entry.properties
    labels = [CATEGORY_LABELS[category].lower() for category in _categories(entry)]
    count = len(homes)
    description = (
        f"Supported accommodation for {AGES}, accredited under the councils' accreditation "
        f"scheme for supported accommodation: {count} accredited "
        f"propert{'y' if count == 1 else 'ies'}"
        + (f" ({', '.join(labels)})" if labels else "") + ". Councils may "
        "refer young people only to accredited providers and their accredited properties; "
        "ask the provider or your council's placements team about vacancies.")
    return {
        "id": service_id(organisation),
        "organization_id": organization_id(organisation),
        "name": f"{organisation.name}: supported accommodation for young people",
        "description": description,
        "status": "active",
        "accreditations": f"Accredited until {_date(entry.expires_on)}.",
        "assured_date": entry.accredited_on.isoformat(),
        "minimum_age": _age(homes, min, 16),
        "maximum_age": _age(homes, max, 25),
        "last_modified": last_modified.isoformat(),
        "organization": _organization(organisation),
    }


def _inactive(organisation: Organisation, last_modified: datetime) -> dict:
    """A provider that left the register: enough for a consumer to find and drop it."""
    return {
        "id": service_id(organisation),
        "organization_id": organization_id(organisation),
        "name": f"{organisation.name}: supported accommodation for young people",
        "description": f"{organisation.name} is not accredited at present: councils may not "
                       "refer young people to it.",
        "status": "inactive",
        "last_modified": last_modified.isoformat(),
        "organization": _organization(organisation),
    }


def _location(council: Council) -> dict:
    """A local authority area, never a property: no address, no coordinates, no property's
    name."""
    return {
        "id": location_id(council),
        "location_type": "physical",
        "name": f"{council.name} (local authority area)",
        "description": f"Accredited properties in {council.name}. Addresses are not "
                       "published.",
        "external_identifier": council.ons_code,
        "external_identifier_type": "ONS GSS code",
    }


# --- what is published -------------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    """One provider as the feed publishes it, with what the filters read."""

    organisation: Organisation
    entry: RegisterEntry | None
    last_modified: datetime
    item: dict  # the one-to-one fields, as the paged list shows them
    councils: tuple[Council, ...]
    term_ids: frozenset[str]
    text: str  # what ``search`` looks in, folded

    @property
    def active(self) -> bool:
        return self.item["status"] == "active"

    def service_alone(self) -> dict:
        """The fully nested service, without its service at locations (as one of them
        nests it)."""
        organization = _organization(self.organisation, nested=True)
        if not self.active:
            return {**self.item, "organization": organization}
        sid = self.item["id"]
        categories = _categories(self.entry)
        return {
            **self.item,
            "organization": organization,
            "service_areas": [{
                "id": _id("service_area", self.organisation.id, council.id),
                "service_id": sid,
                "name": council.name,
                "service_area": f"Accredited properties in {council.name}.",
                "uri": "http://statistics.data.gov.uk/id/statistical-geography/"
                       f"{council.ons_code}",
            } for council in self.councils],
            "attributes": [{
                "id": _id("attribute", self.organisation.id, category.value),
                "link_id": sid,
                "link_type": "service",
                "taxonomy_term_id": term_id(category),
                "taxonomy_term": term_object(category),
            } for category in categories],
        }

    def service(self) -> dict:
        """The fully nested service, with where it is (local authority areas only)."""
        nested = self.service_alone()
        if self.active:
            nested["service_at_locations"] = [self.service_at_location(council)
                                              for council in self.councils]
        return nested

    def service_at_location(self, council: Council) -> dict:
        return {"id": service_at_location_id(self.organisation, council),
                "service_id": self.item["id"], "location_id": location_id(council),
                "location": _location(council)}


def _left_at(entry: RegisterEntry | None) -> datetime | None:
    """When a provider past its expiry date left the register, before ``tick`` marks it."""
    if entry is None or entry.status is not RegisterStatus.EXPIRED or entry.expires_on is None:
        return None
    return datetime.combine(entry.expires_on + timedelta(days=1), time(), UTC)


def _published() -> list[Published]:
    """Every provider that is or was on the register, by name, as the feed publishes it."""
    cached = g.get("openreferral_published")
    if cached is not None:
        return cached
    today = clock.today()
    changed = dict(db.session.execute(
        sa.select(RegisterProvider.organisation_id, RegisterProvider.modified_at)).all())
    changed_homes = dict(db.session.execute(
        sa.select(RegisterProperty.organisation_id, sa.func.max(RegisterProperty.modified_at))
        .group_by(RegisterProperty.organisation_id)).all())
    organisations = db.session.scalars(
        sa.select(Organisation)
        .join(RegisterProvider, RegisterProvider.organisation_id == Organisation.id)
        .order_by(Organisation.name, Organisation.id))
    published = []
    for organisation in organisations:
        entry = register_entry(organisation, today)
        times = [changed[organisation.id], changed_homes.get(organisation.id), _left_at(entry)]
        last_modified = max(_utc(moment) for moment in times if moment is not None)
        if entry is not None and entry.on_register:
            item = _active(entry, last_modified)
            councils = tuple(_councils(entry))
            terms = frozenset(term_id(category) for category in _categories(entry))
            words = [item["name"], item["description"], organisation.name,
                     *(CATEGORY_LABELS[category] for category in _categories(entry)),
                     *(council.name for council in councils)]
        else:
            item, councils, terms = _inactive(organisation, last_modified), (), frozenset()
            words = [item["name"], item["description"], organisation.name]
        published.append(Published(organisation, entry, last_modified, item, councils, terms,
                                   " ".join(words).casefold()))
    g.openreferral_published = published
    return published


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _matches(one: Published, query: dict) -> bool:
    item = one.item
    if any(word not in one.text for word in query.get("search", ())):
        return False
    if "taxonomy_term_id" in query and query["taxonomy_term_id"] not in one.term_ids:
        return False
    if "taxonomy_id" in query and not (
            one.term_ids & TERMS_OF_TAXONOMY.get(query["taxonomy_id"], frozenset())):
        return False
    if "minimum_age" in query and not (
            "minimum_age" in item and item["minimum_age"] >= query["minimum_age"]):
        return False
    if "maximum_age" in query and not (
            "maximum_age" in item and item["maximum_age"] <= query["maximum_age"]):
        return False
    if "organization_id" in query and item["organization_id"] != query["organization_id"]:
        return False
    return not ("modified_after" in query and one.last_modified < query["modified_after"])


def paged(items: list, page: int, per_page: int) -> dict:
    """The HSDS 3.0 paging envelope around one page of ``items``."""
    total = len(items)
    total_pages = math.ceil(total / per_page)
    contents = items[(page - 1) * per_page: page * per_page]
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(contents), "first_page": page == 1,
            "last_page": page >= total_pages, "empty": not contents, "contents": contents}


def _page(items: list, query: dict):
    return _json(paged(items, query.get("page", 1), query.get("per_page", DEFAULT_PER_PAGE)))


def _json(payload: dict):
    response = jsonify(payload)
    published = _published()
    if published:
        response.last_modified = max(one.last_modified for one in published)
    return response


def _find(value: str, candidates: dict, message: str):
    """The candidate whose id is ``value`` (a UUID in any of its spellings), or 404."""
    try:
        wanted = str(uuid.UUID(value)) if value.isascii() and len(value) <= 45 else None
    except ValueError:
        wanted = None
    if wanted not in candidates:
        raise NotFound(message)
    return candidates[wanted]


# --- the feed ----------------------------------------------------------------------------------

@bp.route("/", strict_slashes=False)  # the base address answers with or without its slash
@public
def index():
    read_query("index")
    return _json({"version": HSDS_VERSION, "profile": UK_PROFILE,
                  "openapi_url": external_url("openreferral.openapi")})


@bp.route("/openapi.json")
@public
def openapi():
    read_query("openapi")
    return _json(document(external_url("openreferral.index").rstrip("/")))


@bp.route("/services")
@public
def services():
    query = read_query("services")
    return _page([one.item for one in _published() if _matches(one, query)], query)


@bp.route("/services/<string:service_uuid>")
@public
def service(service_uuid: str):
    read_query("service")
    return _json(_find(service_uuid, {one.item["id"]: one for one in _published()},
                       NOT_FOUND).service())


@bp.route("/service_at_locations")
@public
def service_at_locations():
    query = read_query("service_at_locations")
    return _page([one.service_at_location(council) for one in _published()
                  if _matches(one, query) for council in one.councils], query)


@bp.route("/service_at_locations/<string:location_uuid>")
@public
def service_at_location(location_uuid: str):
    read_query("service_at_location")
    found = {service_at_location_id(one.organisation, council): (one, council)
             for one in _published() for council in one.councils}
    one, council = _find(location_uuid, found, NOT_FOUND)
    return _json({**one.service_at_location(council), "service": one.service_alone()})


@bp.route("/taxonomies")
@public
def taxonomies():
    return _page([taxonomy_object(with_terms=False)], read_query("taxonomies"))


@bp.route("/taxonomies/<string:taxonomy_uuid>")
@public
def taxonomy(taxonomy_uuid: str):
    read_query("taxonomy")
    return _json(_find(taxonomy_uuid, {TAXONOMY_ID: taxonomy_object(with_terms=True)},
                       "There is no taxonomy with that id."))


@bp.route("/taxonomy_terms")
@public
def taxonomy_terms():
    query = read_query("taxonomy_terms")
    return _page([term_object(category) for category in AccommodationCategory], query)


@bp.route("/taxonomy_terms/<string:term_uuid>")
@public
def taxonomy_term(term_uuid: str):
    read_query("taxonomy_term")
    return _json(_find(term_uuid, {term_id(category): term_object(category)
                                   for category in AccommodationCategory},
                       "There is no taxonomy term with that id."))


@bp.route("/<path:anything>")
@public
def unknown(anything: str):
    raise NotFound("There is nothing at this address. The feed starts at /openreferral/.")


@bp.route("/", methods=WRITES)
@bp.route("/<path:anything>", methods=WRITES)
@public
def read_only(anything: str = ""):
    raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"],
                           description="The open data feed is read-only.")


# --- JSON only, open to any origin, briefly cacheable --------------------------------------------

def _problem(status: int, title: str, detail: str, **extra):
    response = jsonify(type="about:blank", title=title, status=status, detail=detail, **extra)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    extra = {"parameter": error.field} if isinstance(error, BadParameter) else {}
    return _problem(error.status_code, error.title, error.message, **extra)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    response = _problem(error.code or 500, error.name, error.description or "")
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
def database_unavailable(error: OperationalError | InterfaceError):
    # Busy or restarting: a passing state, said as such (the app's pages say the same).
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()
    log.warning("database unavailable on the open data feed: %s", type(error.orig).__name__)
    response = _problem(503, "Sorry, the service is unavailable", "Try again in a few minutes.")
    response.headers["Retry-After"] = "30"
    return response


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _problem(500, "Sorry, there is a problem with the service", "Try again later.")


@bp.after_request
def open_data_headers(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Headers"] = ", ".join(CORS_REQUEST_HEADERS)
    if response.status_code == 200 and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        # Weak: the same JSON compressed or not is the same representation for a consumer.
        response.add_etag(weak=True)
        response.make_conditional(request)
    return response
