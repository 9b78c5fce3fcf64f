from __future__ import annotations

import unicodedata
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf
from wtforms.fields.choices import SelectChoice

from ..councils import Council
from ..errors import NotFound, TooManyAttempts, ValidationFailed
from ..extensions import db
from ..forms import show_error
from ..proxies import client_address
from ..routing import external_url
from . import bp, calendar_links, mfa, operations, sessions
from .forms import (
    AcceptInvitationForm,
    AuthenticatorForm,
    CalendarLinkForm,
    ChangePasswordForm,
    ConfirmIdentityForm,
    ConfirmRegistrationForm,
    RegisterProviderForm,
    SecondFactorForm,
    SendAgainForm,
    SignInForm,
)
from .models import Role, User
from .permissions import allow, public, signed_in

# Printable ASCII that may stand in a path and query as it is; anything else (non-ASCII
# letters, a backslash, quotes...) is percent-encoded before it goes in the Location header.
_SAFE_IN_NEXT = "/?&=%#:@!$'()*+,;~[]"


def _safe_next(target: str | None) -> str | None:
    r"""Only a plain path on this service, or None (the caller then goes to the home page).

    Never a redirect off the service and never a header that cannot be sent: a value with a
    control character or whitespace (browsers drop tabs and line breaks from an address, so
    ``/<tab>/evil.example`` is ``//evil.example`` to them), one that is not a path (``//host``,
    ``/\host``, ``https:...``) is refused; the rest is percent-encoded.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    if any(character.isspace() or unicodedata.category(character)[0] == "C"
           for character in target):
        return None
    target = quote(target, safe=_SAFE_IN_NEXT)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _client() -> str:
    return client_address() or "unknown"


def _check_credentials(form, check: Callable[[], object]) -> tuple[object, int | None]:
    """Run ``check`` (an operation that checks a password or code, or may be throttled) for a
    submitted, valid form.

    Returns what it returned and None when it succeeded; otherwise None and the status of the
    form shown again: 200 not yet sent, 400 with the reason on the form, 429 while throttled.
    """
    if not form.validate_on_submit():
        return None, 400 if form.is_submitted() else 200
    try:
        return check(), None
    except TooManyAttempts as error:
        form.form_errors.append(error.message)
        return None, 429
    except ValidationFailed as error:
        show_error(form, error)
        return None, 400


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    user, status = _check_credentials(form, lambda: operations.authenticate(
        form.email.data, form.password.data, client=_client()))
    if status is None:
        return redirect(sessions.begin(user, _safe_next(request.args.get("next"))))
    return render_template("auth/sign_in.html", form=form), status


def _pending_or_restart():
    """The person half-way through signing in; None (with a message) if there is none."""
    if current_user.is_authenticated:
        return None
    user = sessions.pending_user()
    if user is None:
        flash("Sign in again to continue: it has been more than 10 minutes, or you have "
              "not entered your password yet.", "info")
    return user


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def second_factor():
    user = _pending_or_restart()
    if user is None or not user.has_authenticator:
        return redirect(url_for("main.home" if current_user.is_authenticated else "auth.sign_in"))
    form = SecondFactorForm()
    _, status = _check_credentials(form, lambda: operations.verify_second_factor(
        user, form.code.data, client=_client()))
    if status is None:
        return redirect(sessions.finish(user))
    return render_template("auth/second_factor.html", form=form, user=user,
                           demo_code=_demo_code(user)), status


def _demo_code(user: User) -> str | None:
    """On the development demo only, the demo accounts' current code (their secret is
    published in the README), so the demo can be tried without an authenticator app."""
    if current_app.config["ENV_NAME"] != "development" or user.totp_secret != mfa.DEMO_TOTP_SECRET:
        return None
    return mfa.code_for(user.totp_secret, mfa.current_step())


def _authenticator_page(user: User, *, finish_sign_in: bool):
    """Set up (or replace) an authenticator app: a new secret as a QR code, confirmed by a
    code from the app; then the recovery codes, shown once."""
    secret = session.get(sessions.NEW_AUTHENTICATOR)
    if not secret:
        secret = session[sessions.NEW_AUTHENTICATOR] = mfa.new_secret()
    form = AuthenticatorForm()
    if form.validate_on_submit():
        try:
            codes = operations.add_authenticator(user, secret=secret, code=form.code.data)
        except ValidationFailed as error:
            show_error(form, error)
        else:
            session.pop(sessions.NEW_AUTHENTICATOR, None)
            next_url = sessions.finish(user) if finish_sign_in else url_for("auth.account")
            return _recovery_codes_page(codes, next_url)
    uri = mfa.provisioning_uri(user.email, secret)
    status = 400 if form.errors or form.form_errors else 200
    response = make_response(render_template(
        "auth/authenticator.html", form=form, qr_code=mfa.qr_code_svg(uri),
        secret=mfa.spaced_secret(secret), replacing=user.has_authenticator,
        signing_in=finish_sign_in), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _recovery_codes_page(codes: list[str], next_url: str):
    response = make_response(render_template(
        "auth/recovery_codes.html", codes=codes, next_url=next_url))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sign-in/authenticator", methods=["GET", "POST"])
@public
def set_up_authenticator():
    user = _pending_or_restart()
    if user is None:
        return redirect(url_for("main.home" if current_user.is_authenticated else "auth.sign_in"))
    if user.has_authenticator:
        return redirect(url_for("auth.second_factor"))
    return _authenticator_page(user, finish_sign_in=True)


@bp.route("/account")
@signed_in
def account():
    user = current_user._get_current_object()
    inspector = user.role is Role.INSPECTOR
    return render_template(
        "auth/account.html", user=user, needs_second_factor=mfa.required_for(user),
        recovery_codes_left=operations.unused_recovery_codes(user)
        if user.has_authenticator else 0,
        calendar_link=calendar_links.current_link(user) if inspector else None,
        calendar_form=CalendarLinkForm() if inspector else None)


@bp.route("/account/calendar", methods=["POST"])
@allow(Role.INSPECTOR)
def make_calendar_link():
    """A new private link to the inspector's calendar of visits, shown once."""
    form = CalendarLinkForm()
    if not form.validate():
        return redirect(url_for("auth.account"))
    token = calendar_links.create_link(current_user._get_current_object(),
                                       with_addresses=form.with_addresses.data)
    response = make_response(render_template(
        "auth/calendar_link.html", address=external_url("stages.calendar_feed", token=token),
        with_addresses=form.with_addresses.data))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/calendar/withdraw", methods=["POST"])
@allow(Role.INSPECTOR)
def withdraw_calendar_link():
    if calendar_links.revoke_link(current_user._get_current_object()):
        flash("Your calendar link has been withdrawn: calendars that use it get no more "
              "visits.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/session/keep-alive", methods=["POST"])
@signed_in
def keep_alive():
    """'Stay signed in' on the sign-out warning: the request itself counts as activity
    (``sessions.expire_old_sessions``); the answer says how long the session now has, with a
    fresh form token, so a form left open for longer than a token lasts can still be sent."""
    return {**sessions.time_left(), "csrf_token": generate_csrf()}


@bp.route("/account/authenticator", methods=["GET", "POST"])
@signed_in
@sessions.confirmation_required
def replace_authenticator():
    return _authenticator_page(current_user._get_current_object(), finish_sign_in=False)


@bp.route("/account/recovery-codes", methods=["POST"])
@signed_in
@sessions.confirmation_required
def new_recovery_codes():
    try:
        codes = operations.replace_recovery_codes(current_user._get_current_object())
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("auth.account"))
    return _recovery_codes_page(codes, url_for("auth.account"))


@bp.route("/account/confirm", methods=["GET", "POST"])
@signed_in
def confirm_identity():
    user = current_user._get_current_object()
    form = ConfirmIdentityForm()
    if not user.has_authenticator:
        del form.code
    _, status = _check_credentials(form, lambda: operations.confirm_identity(
        user, password=form.password.data,
        code=form.code.data if user.has_authenticator else None, client=_client()))
    if status is None:
        sessions.note_confirmed()
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.account"))
    return render_template("auth/confirm_identity.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    user = current_user._get_current_object()
    operations.record_sign_out(user)
    sessions.end()
    if user.role in (Role.INSPECTOR, Role.COMMISSIONER):
        # Its script removes from a shared tablet what this person's inspections left there.
        return redirect(url_for("stages.signed_out"))
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


# The address the "Check your email" page speaks of: only what the person typed, so the
# session says nothing about whether the address has an account.
REGISTERING = "registering"


def _registration_links() -> operations.RegistrationLinks:
    return operations.RegistrationLinks(
        confirm_url_for=lambda token: external_url("auth.confirm_registration", token=token),
        sign_in=external_url("auth.sign_in"),
        register=external_url("auth.register_provider"))


@bp.route("/register-organisation", methods=["GET", "POST"])
@public
def register_provider():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterProviderForm()
    email, status = _check_credentials(form, lambda: operations.request_registration(
        organisation_name=form.organisation_name.data, company_number=form.company_number.data,
        full_name=form.full_name.data, email=form.email.data, password=form.password.data,
        client=_client(), links=_registration_links()))
    if status is None:
        session[REGISTERING] = email
        return redirect(url_for("auth.registration_sent"))
    return render_template("auth/register.html", form=form), status


@bp.route("/register-organisation/check-your-email", methods=["GET", "POST"])
@public
def registration_sent():
    email = session.get(REGISTERING)
    if current_user.is_authenticated or not isinstance(email, str):
        return redirect(url_for("auth.register_provider"))
    form = SendAgainForm()
    _, status = _check_credentials(form, lambda: operations.send_registration_email_again(
        email, client=_client(), links=_registration_links()))
    if status is None:
        flash("We have sent the email again.", "success")
        return redirect(url_for("auth.registration_sent"))
    return render_template("auth/check_email.html", form=form, email=email,
                           hours=current_app.config["REGISTRATION_LINK_HOURS"]), status


@bp.route("/register-organisation/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_registration(token: str):
    form = ConfirmRegistrationForm()
    try:
        registration = operations.find_open_registration(token)
        user, status = _check_credentials(form, lambda: operations.confirm_registration(
            token, password=form.password.data, client=_client()))
    except NotFound as error:  # the link does not work, or no longer
        return render_template("auth/registration_unusable.html", message=error.message), 404
    if status is None:
        next_url = sessions.begin(user)  # a fresh session: the address typed goes with it
        flash("Your organisation is registered. You can now apply for accreditation.",
              "success")
        return redirect(next_url)
    response = make_response(render_template(
        "auth/confirm_registration.html", form=form, registration=registration,
        number_taken=operations.company_number_registered(registration.company_number)),
        status)
    response.headers["Cache-Control"] = "no-store"
    return response


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
            flash("Your account is active.", "success")
            return redirect(sessions.begin(user))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation), status


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    _, status = _check_credentials(form, lambda: operations.change_password(
        user, current_password=form.current_password.data,
        new_password=form.password.data, client=_client()))
    if status is None:
        sessions.start(user)  # this session carries on; every other one has ended
        flash("Your password has been changed. You have been signed out everywhere else.",
              "success")
        return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), status


def council_choices() -> list[SelectChoice]:
    councils = db.session.scalars(
        sa.select(Council).where(Council.in_consortium).order_by(Council.name)
    ).all()
    return [SelectChoice("", "Select a council")] + [
        SelectChoice(str(council.id), council.name) for council in councils]
