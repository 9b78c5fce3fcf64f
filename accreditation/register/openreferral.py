"""The open data feed: accredited providers as Open Referral UK / HSDS 3.0 services.

Anyone may read it, without a key (other councils' directories, family information
services, search tools), so it says only what is public at provider level: the organisation
(name, Companies House number), that it is accredited and until when, the ages it serves,
its categories of accommodation and the local authorities it has accredited properties in.
Never an address, a postcode, a property's name or anyone's name: the homes of vulnerable
young people must not be findable from here.

Only providers on the register (``status.py``, the one rule) are listed; a suspended,
revoked or expired provider disappears at once. Ids are UUIDs derived from the
organisation's id (uuid5 in a fixed namespace), so they stay the same from one request to
the next and consumers can follow changes. Responses are JSON (errors as problem objects),
may be cached for a few minutes, and carry ``Access-Control-Allow-Origin: *``.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..auth.permissions import public
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import csrf, db
from ..providers.models import Organisation
from .status import RegisterEntry, organisations_on_register, register_entry

log = logging.getLogger(__name__)

bp = Blueprint("openreferral", __name__, url_prefix="/openreferral")
csrf.exempt(bp)  # read-only: nothing here acts on a session, and writes are refused
WRITES = ["POST", "PUT", "PATCH", "DELETE"]

# Fixed for ever: changing it would change every id consumers hold.
NAMESPACE = uuid.UUID("6f1c2a0e-8a57-4c1e-9f0b-3d7a1e5c2b94")
HSDS_VERSION = "3.0"
HSDS_OPENAPI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
CACHE_SECONDS = 300
NOT_FOUND = "There is no accredited provider with that id."

AGES = "young people aged 16 to 25 (care leavers, and 16 and 17 year olds in care)"


# --- ids ---------------------------------------------------------------------------------------

def _id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join([kind, *map(str, parts)])))


def service_id(organisation: Organisation) -> str:
    return _id("service", organisation.id)


def organization_id(organisation: Organisation) -> str:
    return _id("organization", organisation.id)


# --- HSDS objects ------------------------------------------------------------------------------

def _organization(organisation: Organisation) -> dict:
    org_id = organization_id(organisation)
    result = {
        "id": org_id,
        "name": organisation.name,
        "description": f"{organisation.name} provides supported accommodation for {AGES}.",
    }
    if organisation.company_number:
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


def _one_to_one(entry: RegisterEntry) -> dict:
    """The service's own fields (what the paged list carries), with its organisation."""
    organisation = entry.organisation
    homes = entry.properties
    categories = sorted({home.category.label for home in homes})
    count = len(homes)
    description = (
        f"Supported accommodation for {AGES}, accredited under the councils' accreditation "
        f"scheme for supported accommodation: {count} accredited "
        f"propert{'y' if count == 1 else 'ies'}"
        + (f" ({', '.join(categories).lower()})" if categories else "") + ". Councils may "
        "refer young people only to accredited providers and their accredited properties; "
        "ask the provider or your council's placements team about vacancies.")
    service = {
        "id": service_id(organisation),
        "organization_id": organization_id(organisation),
        "name": f"{organisation.name}: supported accommodation for young people",
        "description": description,
        "status": "active",
        "accreditations": f"Accredited until {_date(entry.expires_on)}.",
        "assured_date": entry.accredited_on.isoformat(),
        "eligibility_description": (
            f"Young people aged {_age(homes, min, 16)} to {_age(homes, max, 25)}."),
        "minimum_age": _age(homes, min, 16),
        "maximum_age": _age(homes, max, 25),
        "last_modified": entry.case.status_changed_at.isoformat(),
        "organization": _organization(organisation),
    }
    return service


def _age(homes: Iterable, pick, default: int) -> int:
    ages = [home.age_min if pick is min else home.age_max for home in homes]
    return pick(ages) if ages else default


def _service_areas(entry: RegisterEntry) -> list[dict]:
    """The local authorities it has accredited properties in: the name, nothing finer."""
    councils = {home.local_authority.id: home.local_authority for home in entry.properties}
    sid = service_id(entry.organisation)
    return [{
        "id": _id("service_area", entry.organisation.id, council.id),
        "service_id": sid,
        "name": council.name,
        "description": f"Accredited properties in {council.name}.",
        "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{council.ons_code}",
    } for council in sorted(councils.values(), key=lambda council: council.name)]


def service_json(entry: RegisterEntry) -> dict:
    """The fully nested HSDS service for one provider on the register."""
    return {**_one_to_one(entry), "service_areas": _service_areas(entry)}


def service_list_item(entry: RegisterEntry) -> dict:
    return _one_to_one(entry)


# --- the feed ----------------------------------------------------------------------------------

def _entries() -> list[RegisterEntry]:
    entries = (register_entry(organisation) for organisation in organisations_on_register())
    return [entry for entry in entries if entry is not None and entry.on_register]


def _whole_number(name: str, default: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or (high and int(raw) > high):
        limit = f" from 1 to {high}" if high else " of 1 or more"
        raise ValidationFailed(f"{name} must be a whole number{limit}.")
    return int(raw)


def paged(items: list, page: int, per_page: int) -> dict:
    """The HSDS 3.0 paging envelope around one page of ``items``."""
    total = len(items)
    total_pages = math.ceil(total / per_page)
    contents = items[(page - 1) * per_page: page * per_page]
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(contents), "first_page": page == 1,
            "last_page": page >= total_pages, "empty": not contents, "contents": contents}


@bp.route("/")
@public
def index():
    return jsonify(version=HSDS_VERSION, openapi_url=HSDS_OPENAPI)


@bp.route("/services")
@public
def services():
    page = _whole_number("page", 1)
    per_page = _whole_number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    entries = _entries()
    envelope = paged(entries, page, per_page)
    envelope["contents"] = [service_list_item(entry) for entry in envelope["contents"]]
    return jsonify(envelope)


@bp.route("/services/<string:service_uuid>")
@public
def service(service_uuid: str):
    try:
        wanted = str(uuid.UUID(service_uuid))
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    for entry in _entries():
        if service_id(entry.organisation) == wanted:
            return jsonify(service_json(entry))
    raise NotFound(NOT_FOUND)


@bp.route("/<path:anything>")
@public
def unknown(anything: str):
    raise NotFound("There is nothing at this address. The feed is at /openreferral/services.")


@bp.route("/", methods=WRITES)
@bp.route("/<path:anything>", methods=WRITES)
@public
def read_only(anything: str = ""):
    raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"],
                           description="The open data feed is read-only.")


# --- JSON only, open to any origin, briefly cacheable --------------------------------------------

def _problem(status: int, title: str, detail: str):
    response = jsonify(type="about:blank", title=title, status=status, detail=detail)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    return _problem(error.status_code, error.title, error.message)


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
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
