"""Referral checks: a social worker records, before a referral, that they checked the register.

The check is an audit event (hash-chained, so it cannot be changed later) holding the
provider's register status at that moment, as ``status.register_entry`` saw it: the status,
the case in force, its expiry, the accredited properties and the checklist versions the
provider was assessed against. A later review can then prove that the referral went to a
provider that was accredited at the time, or that the social worker was warned it was not.

Checking a provider that is not on the register is still recorded, and the confirmation
says clearly not to refer. Nothing about the young person is asked for or kept: only the
social worker's own reference for the referral (a case number, say).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from werkzeug.routing import BuildError
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from .. import audit, clock
from ..audit import AuditEvent
from ..auth.models import Role, User
from ..auth.permissions import allow, record_denial
from ..errors import NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..forms import show_error, whole_number
from ..providers.models import Organisation, Property
from ..standards.models import Assessment, PublishedChecklist
from . import bp
from .status import RegisterEntry, RegisterStatus, register_entry

ACTION = "referral.checked"
CHECKING_ROLES = (Role.SOCIAL_WORKER, Role.COMMISSIONER)
REFERENCE_MAX = 40
REFERENCE = re.compile(r"^[A-Za-z0-9/\- ]+$")
CHECKS_PER_PAGE = 25
NOT_FOUND = "We could not find that page. Check the address and try again."


# --- the operation -----------------------------------------------------------------------------

def clean_reference(raw: str | None) -> str:
    """The social worker's reference, trimmed and with runs of spaces made one, or
    ValidationFailed saying what to change."""
    reference = re.sub(r"\s+", " ", raw or "").strip()
    if not reference:
        raise ValidationFailed("Enter your reference for this referral, like your case number",
                               field="reference")
    if len(reference) > REFERENCE_MAX:
        raise ValidationFailed(f"Your reference must be {REFERENCE_MAX} characters or fewer",
                               field="reference")
    if not REFERENCE.match(reference):
        raise ValidationFailed("Your reference can only include letters, numbers, spaces, "
                               "hyphens (-) and slashes (/)", field="reference")
    return reference


def checklist_versions(entry: RegisterEntry | None) -> list[dict]:
    """The checklist versions (and threshold steps) the deciding case was assessed against."""
    if entry is None:
        return []
    rows = db.session.execute(
        sa.select(PublishedChecklist.kind, PublishedChecklist.version,
                  Assessment.step_effective_from)
        .join(Assessment, Assessment.checklist_version_id == PublishedChecklist.id)
        .where(Assessment.case_id == entry.case.id).distinct())
    return [{"kind": kind, "version": version, "step_effective_from": step.isoformat()}
            for kind, version, step in sorted(rows)]


def register_snapshot(organisation: Organisation) -> dict:
    """What the register says about this provider now, as plain JSON facts."""
    entry = register_entry(organisation)
    if entry is None:
        snapshot = {"status": RegisterStatus.NOT_ACCREDITED.value, "case_id": None,
                    "case_reference": None, "decision": None, "accredited_on": None,
                    "expires_on": None, "property_ids": [], "open_conditions": 0}
    else:
        snapshot = entry.snapshot()
    snapshot["on_register"] = RegisterStatus(snapshot["status"]).on_register
    snapshot["checklists"] = checklist_versions(entry)
    return snapshot


def record_referral_check(actor: User, organisation: Organisation, *, reference: str | None,
                          property_id: int | None = None) -> AuditEvent:
    """Record that ``actor`` checked ``organisation`` on the register for a referral.

    The event stores the register status at this moment (whatever it is: a provider that is
    not on the register is recorded too) and the social worker's own reference; the property,
    if one is named, must be one of the provider's properties on the register now. Commits.
    """
    if actor.role not in CHECKING_ROLES:
        raise NotPermitted("Only council social workers and commissioners record referral "
                           "checks.")
    reference = clean_reference(reference)
    snapshot = register_snapshot(organisation)
    if property_id is not None and property_id not in snapshot["property_ids"]:
        raise ValidationFailed(
            f"Select one of {organisation.name}'s accredited properties, or none",
            field="property_id")
    event = audit.record(ACTION, actor=actor, subject=organisation, details={
        "reference": reference,
        "organisation_name": organisation.name,
        "property_id": property_id,
        "checked_on": clock.today().isoformat(),
        "register": snapshot,
    })
    db.session.commit()
    return event


# --- reading checks back -----------------------------------------------------------------------

@dataclass(frozen=True)
class ReferralCheck:
    """One recorded check, as its audit event holds it."""

    event: AuditEvent

    @property
    def id(self) -> int:
        return self.event.id

    @property
    def check_reference(self) -> str:
        """Printable: the event's number and the start of its chained hash, so a printout can
        be matched to the audit trail (and a changed event would no longer match)."""
        return f"RC-{self.event.id:06d}-{self.event.hash[:8].upper()}"

    @property
    def checked_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def reference(self) -> str:
        return self.event.details["reference"]

    @property
    def organisation_id(self) -> int:
        return int(self.event.subject_id)

    @property
    def organisation_name(self) -> str:
        return self.event.details["organisation_name"]

    @property
    def register(self) -> dict:
        return self.event.details["register"]

    @property
    def status(self) -> RegisterStatus:
        return RegisterStatus(self.register["status"])

    @property
    def on_register(self) -> bool:
        return self.status.on_register

    @property
    def property_id(self) -> int | None:
        return self.event.details.get("property_id")

    @property
    def expires_on(self) -> date | None:
        raw = self.register.get("expires_on")
        return date.fromisoformat(raw) if raw else None


def get_check_for(user: User, check_id: int) -> ReferralCheck:
    """One of ``user``'s own checks; anyone else's answers 404 (and is audited)."""
    event = db.session.get(AuditEvent, check_id)
    if event is None or event.action != ACTION:
        raise NotFound(NOT_FOUND)
    if event.actor_id != user.id:
        record_denial("referral check recorded by someone else",
                      subject_type="audit_event", subject_id=str(check_id))
        raise NotFound(NOT_FOUND)
    return ReferralCheck(event)


def checks_by(user: User, page: int = 1,
              per_page: int = CHECKS_PER_PAGE) -> tuple[list[ReferralCheck], int]:
    """``user``'s own checks, newest first: one page of them and the number of pages."""
    query = sa.select(AuditEvent).where(AuditEvent.action == ACTION,
                                        AuditEvent.actor_id == user.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    events = db.session.scalars(query.order_by(AuditEvent.seq.desc())
                                .offset((page - 1) * per_page).limit(per_page))
    return [ReferralCheck(event) for event in events], max(math.ceil(total / per_page), 1)


# --- the pages ---------------------------------------------------------------------------------

NO_PROPERTY = ""


class ReferralCheckForm(FlaskForm):
    reference = StringField(
        "Your reference for this referral", widget=GovTextInput(),
        description="Your own case number or referral number, so you can find this check "
                    "again. Never enter the young person's name or other details about them.")
    property_id = SelectField("Property (optional)", widget=GovSelect(),
                              validate_choice=False, coerce=str)
    record = SubmitField("Record the check", widget=GovSubmitInput())

    def __init__(self, *args, properties: tuple[Property, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.property_id.choices = [SelectChoice(NO_PROPERTY, "No particular property")] + [
            SelectChoice(str(home.id), f"{home.name}, {home.town} {home.postcode_district}")
            for home in properties]

    def chosen_property_id(self) -> int | None:
        raw = (self.property_id.data or "").strip()
        if raw == NO_PROPERTY:
            return None
        number = whole_number(raw)
        # -1 is never a property id: the operation says to pick one from the list.
        return -1 if number is None else number


def _actor() -> User:
    return current_user._get_current_object()


def _register_page(organisation: Organisation) -> str:
    """The provider's page on the register, where the check is started from."""
    try:
        return url_for("register.provider", organisation_id=organisation.id)
    except BuildError:  # without the register's provider pages, the register itself
        return url_for("register.home")


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(NOT_FOUND)
    return organisation


@bp.route("/providers/<int:organisation_id>/referral-check", methods=["GET", "POST"])
@allow(*CHECKING_ROLES)
def referral_check(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    entry = register_entry(organisation)
    properties = entry.properties if entry else ()
    form = ReferralCheckForm(properties=properties)
    status = 200
    if form.validate_on_submit():
        try:
            event = record_referral_check(_actor(), organisation,
                                          reference=form.reference.data,
                                          property_id=form.chosen_property_id())
        except ValidationFailed as error:
            show_error(form, error)
            status = 400
        else:
            return redirect(url_for("register.referral_check_record", check_id=event.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "register/referral_check.html", organisation=organisation, entry=entry,
        status=entry.status if entry else RegisterStatus.NOT_ACCREDITED,
        form=form, back=_register_page(organisation)), status


@bp.route("/referral-checks/<int:check_id>")
@allow(*CHECKING_ROLES)
def referral_check_record(check_id: int):
    check = get_check_for(_actor(), check_id)
    home = db.session.get(Property, check.property_id) if check.property_id else None
    return render_template("register/referral_check_record.html", check=check, home=home)


@bp.route("/referral-checks")
@allow(*CHECKING_ROLES)
def referral_checks():
    page = request.args.get("page", "1")
    page = whole_number(page, maximum=100_000) or 1
    checks, pages = checks_by(_actor(), page)
    return render_template("register/referral_checks.html", checks=checks, page=page,
                           pages=pages)
