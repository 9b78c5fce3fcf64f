"""The team page of a provider organisation: who has access, invitations, removing access."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.models import Invitation, Role, User
from ..auth.permissions import allow, get_visible_or_404
from ..auth.sessions import confirmation_required
from ..errors import ValidationFailed
from ..forms import show_error
from ..providers.forms import ConfirmForm
from ..routing import external_url
from . import bp, operations
from .forms import ADMINISTRATOR, MEMBER, ChangeAccessForm, InviteColleagueForm


def _actor() -> User:
    return current_user._get_current_object()


@bp.route("/team")
@allow(Role.PROVIDER)
def team():
    actor = _actor()
    return render_template("teams/team.html", team=operations.team_of(actor.organisation),
                           administrator=operations.is_team_administrator(actor),
                           button=ConfirmForm())


@bp.route("/team/invite", methods=["GET", "POST"])
@allow(Role.PROVIDER)
@confirmation_required
def invite():
    operations.ensure_team_administrator(_actor())
    form = InviteColleagueForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.invite_colleague(
                _actor(), email=form.email.data, full_name=form.full_name.data,
                administrator=form.access.data == ADMINISTRATOR,
                accept_url_for=lambda token: external_url("auth.accept_invitation", token=token))
        except ValidationFailed as error:
            show_error(form, error)
            status = 400
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("teams.team"))
    elif form.is_submitted():
        status = 400
    return render_template("teams/invite.html", form=form), status


def _button(operation, success: str):
    """A button with nothing to fill in: the outcome is a message on the team page."""
    if not ConfirmForm().validate_on_submit():
        flash("Your form was incomplete. Try again.", "error")
    else:
        try:
            operation()
        except ValidationFailed as error:
            flash(error.message, "error")
        else:
            flash(success, "success")
    return redirect(url_for("teams.team"))


@bp.route("/team/<int:member_id>/remove", methods=["POST"])
@allow(Role.PROVIDER)
@confirmation_required
def remove(member_id: int):
    member = get_visible_or_404(User, member_id)
    return _button(lambda: operations.remove_from_team(_actor(), member),
                   f"{member.full_name} no longer has access, and has been signed out.")


@bp.route("/team/invitations/<int:team_invitation_id>/withdraw", methods=["POST"])
@allow(Role.PROVIDER)
@confirmation_required
def withdraw_invitation(team_invitation_id: int):
    invitation = get_visible_or_404(Invitation, team_invitation_id)
    return _button(lambda: operations.withdraw_invitation(_actor(), invitation),
                   f"Invitation to {invitation.email} withdrawn.")


@bp.route("/team/<int:member_id>/access", methods=["POST"])
@allow(Role.PROVIDER)
@confirmation_required
def change_access(member_id: int):
    member = get_visible_or_404(User, member_id)
    form = ChangeAccessForm()
    if not form.validate_on_submit() or form.access.data not in (ADMINISTRATOR, MEMBER):
        operations.ensure_team_administrator(_actor())
        flash("Your form was incomplete. Try again.", "error")
        return redirect(url_for("teams.team"))
    administrator = form.access.data == ADMINISTRATOR
    return _button(
        lambda: operations.change_access(_actor(), member, administrator=administrator),
        f"{member.full_name} is now {'an administrator' if administrator else 'a member'}.")
