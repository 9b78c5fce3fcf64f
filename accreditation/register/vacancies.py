"""Vacancies: how many bed spaces a provider has free in each property, kept current by the
provider, so that social workers searching the register know where to ask first.

Vacancies are not application data: a provider may change them at any time, also while its
application is being assessed (the freeze in ``providers.operations`` does not apply). Only the
provider's own staff set them, for their own organisation's properties; another organisation's
property is refused like a missing one, and the attempt is audited.

The same operation serves the provider's property page and the JSON API
(``PUT /api/v1/properties/{id}/vacancies``) for providers' own systems.
"""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request
from flask_login import current_user
from jsonschema import Draft202012Validator

from .. import audit, clock
from ..api import bp as api_bp
from ..auth.models import Role, User
from ..auth.permissions import allow
from ..database import utcnow
from ..errors import NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..providers.models import Property

NOT_FOUND = "We could not find that property. Check the address and try again."


def vacancies_problem(property_: Property, vacancies: int | None) -> str | None:
    """What is wrong with ``vacancies`` for this property, or None when it can be recorded."""
    if vacancies is None:
        return f"Enter how many vacancies {property_.name} has now, or 0 if it is full"
    if not 0 <= vacancies <= property_.bed_spaces:
        return (f"The number of vacancies must be between 0 and {property_.bed_spaces}, "
                f"the number of bed spaces at {property_.name}")
    return None


def _ensure_own_property(actor: User, property_: Property | None) -> Property:
    if actor.role is not Role.PROVIDER or actor.organisation_id is None:
        raise NotPermitted("Only the provider's own staff can update its vacancies.")
    if property_ is None:
        raise NotFound(NOT_FOUND)
    if property_.organisation_id != actor.organisation_id:
        db.session.rollback()
        audit.record("access.denied", actor=actor, subject=property_,
                     details={"reason": "record belongs to another organisation",
                              "attempted": "property.vacancies_updated"})
        db.session.commit()
        raise NotFound(NOT_FOUND)
    return property_


def set_vacancies(actor: User, property_: Property | None, vacancies: int | None, *,
                  via: str = "web") -> Property:
    """Record how many vacancies the property has now (0 to its bed spaces).

    Allowed whatever the state of the provider's application. Saving the same number again
    is a confirmation that it is still right: the time of the update moves on either way.
    Writes one audit event (the numbers only) and commits.
    """
    property_ = _ensure_own_property(actor, property_)
    problem = vacancies_problem(property_, vacancies)
    if problem:
        raise ValidationFailed(problem, field="vacancies")
    previous = property_.vacancies
    property_.vacancies = vacancies
    property_.vacancies_updated_at = utcnow()
    audit.record("property.vacancies_updated", actor=actor, subject=property_,
                 details={"vacancies": vacancies, "previous": previous,
                          "bed_spaces": property_.bed_spaces, "via": via})
    db.session.commit()
    return property_


def vacancies_age_days(property_: Property, today=None) -> int | None:
    """Whole days since the vacancies were last updated (None if never)."""
    updated: datetime | None = property_.vacancies_updated_at
    if updated is None:
        return None
    return max(((today or clock.today()) - updated.date()).days, 0)


def vacancies_age_text(property_: Property, today=None) -> str:
    """How fresh the vacancies are, for people: 'updated today', 'updated 1 day ago',
    'updated 12 days ago', or 'never updated'."""
    days = vacancies_age_days(property_, today)
    if days is None:
        return "never updated"
    if days == 0:
        return "updated today"
    return f"updated {days} day{'' if days == 1 else 's'} ago"


# --- JSON API: PUT /api/v1/properties/{id}/vacancies -------------------------------------------

VACANCIES_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["vacancies"],
    "properties": {
        "vacancies": {"type": "integer", "minimum": 0,
                      "description": "Vacancies now: 0 up to the property's bed spaces."},
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


@api_bp.route("/properties/<int:property_id>/vacancies", methods=["PUT"])
@allow(Role.PROVIDER)
def put_vacancies(property_id: int):
    actor = current_user._get_current_object()
    # Checked before the body, so a stranger's property answers 404 whatever was sent.
    property_ = _ensure_own_property(actor, db.session.get(Property, property_id))
    set_vacancies(actor, property_, _requested_vacancies(), via="api")
    return jsonify(vacancies_json(property_))
