"""The register's routes in the API: ``/api/v1/register/...`` for council systems (search and
change feed), and ``PUT /api/v1/properties/{id}/vacancies`` for providers' own systems."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import jsonify, request
from flask_login import current_user
from jsonschema import Draft202012Validator

from .. import clock
from ..auth.models import Role
from ..auth.permissions import allow
from ..councils import Council
from ..errors import ValidationFailed
from ..extensions import db
from ..providers.models import Property
from ..register.access import REGISTER_ROLES, may_see_addresses
from ..register.api_docs import PARAMETERS, VACANCIES_REQUEST
from ..register.index import RegisterProperty, RegisterProvider
from ..register.operations import ensure_own_property, set_vacancies
from ..register.query import InvalidQuery, parse_query
from ..register.search import search_properties, search_providers
from ..register.status import RegisterStatus
from ..routing import external_url
from . import bp


def effective_status(status: RegisterStatus, expires_on: date | None,
                     today: date) -> RegisterStatus:
    """An entry past its expiry date is expired even before the daily tick records it."""
    if status.on_register and (expires_on is None or expires_on < today):
        return RegisterStatus.EXPIRED
    return status


def _when(value):
    return value.isoformat() if value else None


class _Lookup:
    """Councils and (for council staff) addresses of a page of properties, in two queries."""

    def __init__(self, rows: list[RegisterProperty]):
        ids = sorted({row.property_id for row in rows})
        self.councils = {council.id: council for council in db.session.scalars(
            sa.select(Council).where(Council.id.in_({row.local_authority_id for row in rows})))}
        self.homes = {}
        if ids and may_see_addresses(current_user):
            self.homes = {home.id: home for home in db.session.scalars(
                sa.select(Property).where(Property.id.in_(ids)))}


def _property_json(row, today: date, council_name: str | None, ons_code: str | None,
                   address: dict | None) -> dict:
    status = effective_status(row.status, row.expires_on, today)
    on_register = status.on_register
    return {
        "id": row.property_id, "provider_id": row.organisation_id,
        "provider_name": row.provider_name, "name": row.name, "status": status.value,
        "on_register": on_register, "town": row.town,
        "postcode_district": row.postcode_district,
        "address": address if on_register else None,
        "local_authority": {"id": row.local_authority_id, "name": council_name,
                            "ons_code": ons_code},
        "category": row.category.value, "bed_spaces": row.bed_spaces, "age_min": row.age_min,
        "age_max": row.age_max, "who_for": row.who_for, "vacancies": row.vacancies,
        "vacancies_updated_at": _when(row.vacancies_updated_at),
        "expires_on": _when(row.expires_on), "modified_at": row.modified_at.isoformat(),
    }


def property_json(row: RegisterProperty, lookup: _Lookup, today: date) -> dict:
    home = lookup.homes.get(row.property_id)
    council = lookup.councils.get(row.local_authority_id)
    address = {"line_1": home.address_line_1, "line_2": home.address_line_2,
               "town": home.town, "postcode": home.postcode} if home else None
    return _property_json(row, today, council.name if council else None,
                          council.ons_code if council else None, address)


def search_row_json(row, today: date) -> dict:
    """A row of ``search_properties``: its council and (if it was asked for) its address."""
    address = getattr(row, "address_postcode", None)
    address = {"line_1": row.address_line_1, "line_2": row.address_line_2,
               "town": row.address_town, "postcode": address} if address else None
    return _property_json(row, today, row.council_name, row.council_ons_code, address)


def provider_json(provider: RegisterProvider, homes: list[RegisterProperty], lookup: _Lookup,
                  today: date) -> dict:
    status = effective_status(provider.status, provider.expires_on, today)
    return {
        "id": provider.organisation_id, "name": provider.name, "status": status.value,
        "status_label": status.label, "on_register": status.on_register,
        "decision": provider.decision, "accredited_on": _when(provider.accredited_on),
        "expires_on": _when(provider.expires_on), "open_conditions": provider.open_conditions,
        "properties_on_register": provider.properties_on_register if status.on_register else 0,
        "modified_at": provider.modified_at.isoformat(),
        "register_url": external_url("register.provider",
                                     organisation_id=provider.organisation_id),
        "properties": [property_json(home, lookup, today) for home in homes],
    }


# Documented parameters whose empty value is no value (every one but the free texts).
_NOT_EMPTY = tuple(parameter["name"] for parameter in PARAMETERS
                   if parameter["schema"].get("type") != "string"
                   or {"enum", "format"} & set(parameter["schema"]))


def _query():
    """The request's register query. A parameter sent empty ("page=") is refused (400), as
    its documented schema says; the register's pages, whose forms send their blank fields,
    read those as not given."""
    empty = [name for name in _NOT_EMPTY
             if name in request.args and not "".join(request.args.getlist(name)).strip()]
    if empty:
        raise InvalidQuery({name: f"{name} is empty: give a value or leave it out."
                            for name in empty})
    return parse_query(request.args, change_feed=True)


@bp.route("/register/providers")
@allow(*REGISTER_ROLES)
def register_providers():
    today = clock.today()
    query = _query()
    page = search_providers(query, today=today)
    lookup = _Lookup([home for item in page.items for home in item.properties])
    return jsonify(page.envelope([provider_json(item.provider, item.properties, lookup, today)
                                  for item in page.items]))


@bp.route("/register/properties")
@allow(*REGISTER_ROLES)
def register_properties():
    today = clock.today()
    query = _query()
    # One query for the page's rows, their councils and (for council staff) addresses.
    page = search_properties(query, today=today, addresses=may_see_addresses(current_user))
    return jsonify(page.envelope([search_row_json(row, today) for row in page.items]))


# --- PUT /api/v1/properties/{id}/vacancies -----------------------------------------------------

_request_validator = Draft202012Validator(VACANCIES_REQUEST)


def vacancies_json(property_: Property) -> dict:
    updated = property_.vacancies_updated_at
    return {"id": property_.id, "name": property_.name, "bed_spaces": property_.bed_spaces,
            "vacancies": property_.vacancies,
            "vacancies_updated_at": updated.isoformat() if updated else None}


def _requested_vacancies() -> int:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    errors = sorted(_request_validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "body"
        raise ValidationFailed(f"{where}: {errors[0].message}")
    return int(body["vacancies"])  # JSON Schema counts 2.0 as an integer too


@bp.route("/properties/<int:property_id>/vacancies", methods=["PUT"])
@allow(Role.PROVIDER)
def put_vacancies(property_id: int):
    actor = current_user._get_current_object()
    # Checked before the body, so a stranger's property answers 404 whatever was sent.
    property_ = ensure_own_property(actor, db.session.get(Property, property_id))
    set_vacancies(actor, property_, _requested_vacancies(), via="api")
    return jsonify(vacancies_json(property_))
