from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import AuditEvent, event_lines
from ..auth import operations
from ..auth.forms import CompanyNumberDecisionForm, InviteStaffForm
from ..auth.models import Invitation, Role, User
from ..auth.permissions import allow
from ..auth.sessions import confirmation_required
from ..auth.views import council_choices
from ..cases import operations as case_operations
from ..cases.models import Case
from ..councils import Council, members
from ..database import utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_error, whole_number
from ..providers import operations as provider_operations
from ..providers.forms import CompanyNumberForm, PropertyChangeDecisionForm, show_problems
from ..providers.models import (
    CompanyNumberDispute,
    Organisation,
    Property,
    PropertyChange,
    PropertyChangeStatus,
    open_company_number_claim,
    open_company_number_disputes,
)
from ..routing import external_url
from ..stages import declarations
from . import bp
from . import operations as admin_operations
from .forms import JoinConsortiumForm, LeaveConsortiumForm

AUDIT_PAGE_SIZE = 50
DECIDED_CHANGES_SHOWN = 20


def _count(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))



def _record(model, record_id: int, missing: str, *, refuse=None):
    """The ``model`` record with that id, or a 404 saying what is ``missing`` (also when
    ``refuse`` says the record is not one this page is about)."""
    record = db.session.get(model, record_id)
    if record is None or (refuse is not None and refuse(record)):
        raise NotFound(missing)
    return record

@bp.route("/")
@allow(Role.COMMISSIONER)
def home():
    counts = {
        "organisations": _count(sa.select(Organisation.id)),
        "properties": _count(sa.select(Property.id)),
        "staff": _count(sa.select(User.id).where(User.role != Role.PROVIDER)),
        "pending_invitations": _count(
            sa.select(Invitation.id).where(
                Invitation.role != Role.PROVIDER, Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow())),
        "property_changes": _count(sa.select(PropertyChange.id).where(
            PropertyChange.status == PropertyChangeStatus.PENDING)),
        "disputes": _count(sa.select(CompanyNumberDispute.id).where(
            CompanyNumberDispute.resolved_at.is_(None))),
    }
    return render_template("admin/home.html", counts=counts, notices=case_operations
                           .notices_waiting_for(current_user._get_current_object()))


@bp.route("/staff", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def staff():
    form = InviteStaffForm()
    form.council_id.choices = council_choices()
    if form.validate_on_submit():
        council = (db.session.get(Council, int(form.council_id.data))
                   if form.council_id.data else None)
        try:
            operations.invite_staff(
                current_user._get_current_object(), email=form.email.data,
                full_name=form.full_name.data, role=Role(form.role.data), council=council,
                accept_url_for=lambda token: external_url("auth.accept_invitation", token=token),
            )
        except ValidationFailed as error:
            show_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("admin.staff"))
    users = db.session.scalars(
        sa.select(User).where(User.role != Role.PROVIDER)
        .order_by(User.is_active.desc(), User.role, User.full_name)
    ).all()
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.role != Role.PROVIDER)
        .order_by(Invitation.created_at.desc()).limit(50)
    ).all()
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "admin/staff.html", form=form, users=users, invitations=invitations,
        needing_new_inspector=admin_operations.needing_new_inspector(),
    ), status


@bp.route("/councils", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def councils():
    """The consortium's member councils, and a council joining."""
    form = JoinConsortiumForm()
    status = 200
    if form.validate_on_submit():
        council_id = whole_number(form.council_id.data)
        council = db.session.get(Council, council_id) if council_id else None
        try:
            admin_operations.join_consortium(current_user._get_current_object(), council)
        except ValidationFailed as error:
            show_error(form, error)
            status = 400
        else:
            flash(f"{council.name} is now a member of the consortium. You can invite its "
                  "staff.", "success")
            return redirect(url_for("admin.councils"))
    elif form.is_submitted():
        status = 400
    staff = dict(db.session.execute(
        sa.select(User.council_id, sa.func.count(User.id))
        .where(User.is_active, User.council_id.is_not(None)).group_by(User.council_id)).all())
    return render_template("admin/councils.html", form=form, members=members(),
                           staff=staff), status


@bp.route("/councils/<int:council_id>/leave", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def leave_council(council_id: int):
    """Asks before a council leaves the consortium, saying what it means for its staff."""
    council = _record(Council, council_id, "That council is not a member of the consortium.",
                      refuse=lambda record: not record.in_consortium)
    form = LeaveConsortiumForm()
    if form.validate_on_submit():
        effect = admin_operations.leave_consortium(current_user._get_current_object(), council)
        closed = len(effect.social_workers)
        flash(f"{council.name} has left the consortium."
              + (f" {closed} social worker account{'s' if closed != 1 else ''} closed, and "
                 "their holders told by email." if closed else ""), "success")
        return redirect(url_for("admin.councils"))
    return render_template("admin/leave_council.html", form=form,
                           effect=admin_operations.leaving(council))


@bp.route("/invitations/<int:invitation_id>/withdraw", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def withdraw_invitation(invitation_id: int):
    invitation = _record(Invitation, invitation_id, "That invitation does not exist.")
    operations.revoke_invitation(current_user._get_current_object(), invitation)
    flash(f"Invitation to {invitation.email} withdrawn.", "success")
    return redirect(url_for("admin.staff"))


def _staff_member(user_id: int) -> User:
    user = _record(User, user_id, "That member of staff does not exist.",
                   refuse=lambda record: record.role is Role.PROVIDER)
    return user


@bp.route("/staff/<int:user_id>/end-sessions", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def end_sessions(user_id: int):
    user = _staff_member(user_id)
    operations.end_sessions(current_user._get_current_object(), user)
    flash(f"{user.full_name} has been signed out on every device, and their tablets' access "
          "withdrawn.", "success")
    return redirect(url_for("admin.staff"))


@bp.route("/staff/<int:user_id>/deactivate", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def deactivate_staff(user_id: int):
    return _deactivate(_staff_member(user_id), back=url_for("admin.staff"))


@bp.route("/staff/<int:user_id>/reactivate", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def reactivate_staff(user_id: int):
    user = _staff_member(user_id)
    try:
        admin_operations.reactivate_account(current_user._get_current_object(), user)
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        flash(f"{user.full_name}'s account is active again: they can sign in.", "success")
    return redirect(url_for("admin.staff"))


def _deactivate(user: User, *, back: str):
    try:
        cases = admin_operations.deactivate_account(current_user._get_current_object(), user)
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        waiting = (f" {len(cases)} application{'s' if len(cases) != 1 else ''} "
                   f"({', '.join(case.reference for case in cases)}) "
                   f"need{'s' if len(cases) == 1 else ''} another inspector." if cases else "")
        flash(f"{user.full_name}'s account is deactivated: they have been signed out and "
              f"cannot sign in.{waiting}", "success")
    return redirect(back)


@bp.route("/staff/<int:user_id>/reset-authenticator", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def reset_authenticator(user_id: int):
    return _reset_authenticator(
        _staff_member(user_id), "They will set up a new one when they next sign in.",
        back=url_for("admin.staff"))


def _provider_account(account_id: int) -> User:
    user = _record(User, account_id, "That provider account does not exist.",
                   refuse=lambda record: record.role is not Role.PROVIDER)
    return user


@bp.route("/providers/accounts/<int:account_id>/reset-authenticator", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def reset_provider_authenticator(account_id: int):
    return _reset_authenticator(
        _provider_account(account_id), "They can sign in with their password, and add a new "
        "app from their account page.", back=url_for("admin.providers"))


def _reset_authenticator(user: User, what_next: str, *, back: str):
    try:
        operations.reset_authenticator(current_user._get_current_object(), user)
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        flash(f"{user.full_name}'s authenticator app has been removed. {what_next}", "success")
    return redirect(back)


@bp.route("/providers")
@allow(Role.COMMISSIONER)
def providers():
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    # Only accounts that added an app: the ones a commissioner may need to reset.
    with_authenticator = db.session.scalars(
        sa.select(User).where(User.role == Role.PROVIDER, User.totp_secret.is_not(None))
        .order_by(User.full_name)).all()
    return render_template("admin/providers.html", organisations=organisations,
                           with_authenticator=with_authenticator,
                           disputes=open_company_number_disputes())


def _organisation(organisation_id: int) -> Organisation:
    return _record(Organisation, organisation_id,
                   "We could not find that provider. Check the address and try again.")


def _provider_page(organisation: Organisation, form: CompanyNumberForm, status: int = 200):
    return render_template(
        "admin/provider.html", organisation=organisation, form=form,
        declarations=declarations.grouped(organisation),
        claim=open_company_number_claim(organisation),
        accounts=sorted(organisation.users, key=lambda user: (not user.is_active,
                                                              user.full_name))), status


@bp.route("/providers/<int:organisation_id>")
@allow(Role.COMMISSIONER)
def provider(organisation_id: int):
    """One provider: what it declared, its properties, applications and accounts."""
    organisation = _organisation(organisation_id)
    return _provider_page(organisation, CompanyNumberForm(
        formdata=None, company_number=organisation.company_number))


@bp.route("/providers/<int:organisation_id>/accounts/<int:member_id>/deactivate",
          methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def deactivate_provider_account(organisation_id: int, member_id: int):
    organisation = _organisation(organisation_id)
    user = _record(User, member_id, "That provider account does not exist.",
                   refuse=lambda record: record.organisation_id != organisation.id)
    return _deactivate(user, back=url_for("admin.provider", organisation_id=organisation.id))


@bp.route("/providers/<int:organisation_id>/company-number", methods=["POST"])
@allow(Role.COMMISSIONER)
def correct_company_number(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = CompanyNumberForm()
    if form.validate_on_submit():
        try:
            provider_operations.correct_company_number(
                current_user._get_current_object(), organisation, form.company_number.data)
        except ValidationFailed as error:
            show_problems(form, error)
        else:
            number = organisation.company_number
            flash(f"The company number of {organisation.name} is now {number}." if number
                  else f"{organisation.name} now has no company number.", "success")
            return redirect(url_for("admin.provider", organisation_id=organisation.id))
    return _provider_page(organisation, form, 400)


@bp.route("/providers/disputes/<int:dispute_id>", methods=["POST"])
@allow(Role.COMMISSIONER)
@confirmation_required
def resolve_company_number_dispute(dispute_id: int):
    dispute = _record(CompanyNumberDispute, dispute_id,
                      "That disputed company number does not exist.")
    form = CompanyNumberDecisionForm()
    if form.validate_on_submit():
        try:
            operations.resolve_company_number_dispute(
                current_user._get_current_object(), dispute, keep=form.keep.data or "")
        except ValidationFailed as error:
            flash(error.message, "error")
        else:
            loser = dispute.claimant if dispute.kept_by_id == dispute.holder_id else dispute.holder
            flash(f"Company number {dispute.company_number} "
                  f"{'stays with' if loser is dispute.claimant else 'now belongs to'} "
                  f"{dispute.kept_by.name}. The accounts of {loser.name} have been closed and "
                  "its people told by email.", "success")
    return redirect(url_for("admin.providers"))


@bp.route("/property-changes")
@allow(Role.COMMISSIONER)
def property_changes():
    pending = db.session.scalars(
        sa.select(PropertyChange).where(PropertyChange.status == PropertyChangeStatus.PENDING)
        .order_by(PropertyChange.requested_at, PropertyChange.id)).all()
    decided = db.session.scalars(
        sa.select(PropertyChange).where(PropertyChange.status != PropertyChangeStatus.PENDING)
        .order_by(PropertyChange.id.desc()).limit(DECIDED_CHANGES_SHOWN)).all()
    return render_template("admin/property_changes.html", pending=pending, decided=decided)


@bp.route("/property-changes/<int:change_id>", methods=["GET", "POST"])
@allow(Role.COMMISSIONER)
def property_change(change_id: int):
    change = _record(PropertyChange, change_id,
                     "We could not find that change. Check the address and try again.")
    form = PropertyChangeDecisionForm()
    status = 200
    if form.validate_on_submit():
        try:
            provider_operations.decide_property_change(
                current_user._get_current_object(), change, approve=form.approve,
                reasons=form.reasons.data)
        except ValidationFailed as error:
            show_problems(form, error)
            status = 400
        else:
            verdict = "approved" if form.approve else "not approved"
            flash(f"The change to {change.home.name} is {verdict}. The provider has been "
                  "told by email.", "success")
            return redirect(url_for("admin.property_changes"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/property_change.html", change=change, form=form,
                           inspected=provider_operations.accredited_inspection(change.home)), \
        status


@bp.route("/audit")
@allow(Role.COMMISSIONER)
def audit_trail():
    before = request.args.get("before", type=int)
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(AUDIT_PAGE_SIZE)
    if before:
        query = query.where(AuditEvent.seq < before)
    events = db.session.scalars(query).all()
    return render_template("admin/audit.html", lines=event_lines(events),
                           subjects=_subjects(events), page_size=AUDIT_PAGE_SIZE)


# What an event's subject is called on the audit trail: by its name where it has one.
SUBJECT_NAMES = {
    "accreditation_case": ("Application", Case, lambda case: case.reference),
    "organisation": ("Organisation", Organisation, lambda organisation: organisation.name),
    "property": ("Property", Property, lambda home: home.name),
    "user": ("Account", User, lambda user: user.full_name),
}
SUBJECT_KINDS = {
    "api_token": "API token", "assessment": "Checklist answers", "case_property":
    "Property in an application", "checklist_version": "Checklist version", "company_check":
    "Companies House check", "corrective_action": "Condition", "evidence": "Evidence file",
    "file_sample": "File sample", "invitation": "Staff invitation", "property_change":
    "Change to a property", "roster_entry": "File on the list", "sampled_file": "Sampled file",
    "audit_event": "Referral check",
}


def _subjects(events) -> dict[int, str]:
    """Each event's subject in words ("Application ACC-00017", "Evidence file 12")."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.subject_type in SUBJECT_NAMES and (number := whole_number(event.subject_id)):
            wanted.setdefault(event.subject_type, set()).add(number)
        if number := whole_number((event.details or {}).get("case_id")):
            wanted.setdefault("accreditation_case", set()).add(number)
    names = {}
    for kind, ids in wanted.items():
        _, model, name = SUBJECT_NAMES[kind]
        names[kind] = {record.id: name(record) for record in db.session.scalars(
            sa.select(model).where(model.id.in_(ids)))}
    described = {}
    for event in events:
        if not event.subject_type:
            continue
        kind = event.subject_type
        label = SUBJECT_NAMES[kind][0] if kind in SUBJECT_NAMES else SUBJECT_KINDS.get(
            kind, kind.replace("_", " ").capitalize())
        name = names.get(kind, {}).get(whole_number(event.subject_id) or 0)
        described[event.id] = f"{label} {name or event.subject_id}"
        case = names.get("accreditation_case", {}).get(
            whole_number((event.details or {}).get("case_id")) or 0)
        if case and kind != "accreditation_case":
            described[event.id] += f", application {case}"
    return described
