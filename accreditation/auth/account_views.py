"""Pages for links about one's own account: a forgotten password, a new e-mail address.

Thin, like every view: parse, call one operation (``password_reset.py``, ``email_change.py``),
render or redirect. The addresses of the links carry their token (``secret_paths.py``).
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from ..errors import NotFound
from ..routing import external_url
from . import bp, email_change, password_reset, sessions
from .forms import ChangeEmailForm, ConfirmEmailChangeForm, ForgottenPasswordForm, ResetPasswordForm
from .permissions import public, signed_in
from .views import _check_credentials, _client


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sign-in/forgotten-password", methods=["GET", "POST"])
@public
def forgotten_password():
    form = ForgottenPasswordForm()
    _, status = _check_credentials(form, lambda: password_reset.request_password_reset(
        form.email.data, client=_client(),
        link_for=lambda token: external_url("auth.reset_password", token=token)))
    if status is None:
        return redirect(url_for("auth.password_reset_sent"))
    return render_template("auth/forgotten_password.html", form=form), status


@bp.route("/sign-in/forgotten-password/check-your-email")
@public
def password_reset_sent():
    return render_template("auth/password_reset_sent.html",
                           minutes=password_reset.link_minutes())


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        password_reset.find_open_password_reset(token)
        _, status = _check_credentials(form, lambda: password_reset.reset_password(
            token, password=form.password.data))
    except NotFound as error:  # the link does not work, or no longer
        return _no_store((render_template("auth/link_unusable.html", message=error.message,
                                          again=url_for("auth.forgotten_password")), 404))
    if status is None:
        if current_user.is_authenticated:
            sessions.end()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("auth.sign_in"))
    return _no_store((render_template("auth/reset_password.html", form=form), status))


@bp.route("/account/email", methods=["GET", "POST"])
@signed_in
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    new_email, status = _check_credentials(form, lambda: email_change.request_email_change(
        user, new_email=form.email.data, password=form.password.data, client=_client(),
        link_for=lambda token: external_url("auth.confirm_email_change", token=token)))
    if status is None:
        flash(f"We have sent an email to {new_email}. Open the link in it to confirm the "
              "address: your email address changes only when you do. The link expires in "
              f"{email_change.link_hours()} hours.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/change_email.html", form=form, user=user), status


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token: str):
    form = ConfirmEmailChangeForm()
    try:
        link = email_change.find_open_email_change(token)
        new_email = link.new_email
        user, status = _check_credentials(
            form, lambda: email_change.confirm_email_change(token))
    except NotFound as error:
        return _no_store((render_template("auth/link_unusable.html", message=error.message,
                                          again=None), 404))
    if status is None:
        flash(f"Your email address is now {user.email}. Sign in with it from now on.",
              "success")
        return redirect(url_for("auth.account" if current_user.is_authenticated
                                else "auth.sign_in"))
    return _no_store((render_template("auth/confirm_email_change.html", form=form,
                                      new_email=new_email), status))
