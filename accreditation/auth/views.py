from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from ..councils import Council
from ..errors import TooManyAttempts, ValidationFailed
from ..extensions import db
from ..forms import show_error
from . import bp, operations
from .forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    RegisterProviderForm,
    SignInForm,
)
from .models import Role
from .permissions import public, signed_in


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never redirect a user off the service."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(user) -> None:
    # A fresh session on every sign-in: nothing from before it (incl. a planted id) survives.
    session.clear()
    login_user(user)
    session.permanent = False


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(
                form.email.data, form.password.data, client=request.remote_addr or "unknown"
            )
        except TooManyAttempts as error:
            form.form_errors.append(error.message)
            status = 429
        except ValidationFailed as error:
            show_error(form, error)
            status = 400
        else:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    user = current_user._get_current_object()
    operations.record_sign_out(user)
    logout_user()
    session.clear()
    if user.role in (Role.INSPECTOR, Role.COMMISSIONER):
        # Its script removes from a shared tablet what this person's inspections left there.
        return redirect(url_for("stages.signed_out"))
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/register-organisation", methods=["GET", "POST"])
@public
def register_provider():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterProviderForm()
    if form.validate_on_submit():
        try:
            user = operations.register_provider(
                organisation_name=form.organisation_name.data,
                company_number=form.company_number.data,
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        except ValidationFailed as error:
            show_error(form, error)
        else:
            _start_session(user)
            flash("Your organisation is registered. You can now apply for accreditation.",
                  "success")
            return redirect(url_for("main.home"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    try:
        invitation = operations.find_open_invitation(token)
    except ValidationFailed as error:
        return render_template("auth/invitation_unusable.html", message=error.message), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = operations.accept_invitation(token, password=form.password.data)
        except ValidationFailed as error:
            show_error(form, error)
        else:
            if current_user.is_authenticated:
                logout_user()
            _start_session(user)
            flash("Your account is active.", "success")
            return redirect(url_for("main.home"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation), status


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            operations.change_password(
                user, current_password=form.current_password.data,
                new_password=form.password.data,
            )
        except ValidationFailed as error:
            show_error(form, error)
        else:
            _start_session(user)  # this session carries on; every other one has ended
            flash("Your password has been changed. You have been signed out everywhere else.",
                  "success")
            return redirect(url_for("main.home"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/change_password.html", form=form), status


def council_choices() -> list[SelectChoice]:
    councils = db.session.scalars(
        sa.select(Council).where(Council.in_consortium).order_by(Council.name)
    ).all()
    return [SelectChoice("", "Select a council")] + [
        SelectChoice(str(council.id), council.name) for council in councils]
