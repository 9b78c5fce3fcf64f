"""Changing one's own e-mail address (operations).

The person confirms their password and gives the new address; a link goes to it, and the
address changes only when the link is followed (it works once, for ``EMAIL_CHANGE_LINK_HOURS``,
and only while the password is the one it was sent under). The old address is then told.

An address that already has an account is never given to a second one, and the person asking
is not told: they see the same page, and the new address gets an e-mail in both cases (with the
link if it is free; saying it already has an account if not), so the form cannot be used to
find out who has an account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..database import utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..notifications.outbox import queue_email
from . import throttle
from .models import EMAIL_CHANGE, EMAIL_CHANGE_ATTEMPT, AccountLink, User
from .operations import confirm_password
from .password_reset import find_open_link, new_link, spend_link

EMAIL_CHANGE_LINK_UNUSABLE = (
    "This link has expired or has already been used. Sign in and change your email address "
    "again to get a new link.")


ADDRESS_TAKEN = ("An account with this email address already exists, so the address was not "
                 "changed.")


def link_hours() -> int:
    return current_app.config["EMAIL_CHANGE_LINK_HOURS"]


def request_email_change(user: User, *, new_email: str, password: str, client: str,
                         link_for: Callable[[str], str]) -> str:
    """A signed-in person asks to change their e-mail address to ``new_email``, with their
    password; returns the new address, normalised.

    Nothing changes yet: a link to confirm goes to the new address (earlier links stop
    working), or, if that address already has an account, an e-mail saying so and nothing
    else; the caller cannot tell which. A wrong password counts towards the account's sign-in
    limit; requests are throttled per new address and per client (``TooManyAttempts``).
    Audited and committed.
    """
    new_email = throttle.normalise_email(new_email)
    if new_email == user.email:
        raise ValidationFailed("Enter an email address that is different from your current one",
                               field="email")
    confirm_password(user, password, client)
    throttle.admit_account_email_request(
        new_email, client, EMAIL_CHANGE_ATTEMPT,
        refused=lambda limit: audit.record("user.email_change_throttled", actor=user,
                                           subject=user, details={"limit": limit}))
    taken = db.session.scalar(sa.select(User.id).where(User.email == new_email)) is not None
    token = new_link(None if taken else user, purpose=EMAIL_CHANGE,
                     lifetime=timedelta(hours=link_hours()), new_email=new_email)
    service = current_app.config["SERVICE_NAME"]
    asked = (f"Someone with an account with {service} asked to use this email address for "
             "it.")
    if taken:
        queue_email(to=new_email, subject=f"Your email address and {service}", body=(
            f"{asked} This address already has an account with {service}, so nothing has "
            "changed.\n\nIf it was you, you already have an account with this address: sign in "
            "with it. If you did not ask, you can ignore this email.\n"))
    else:
        queue_email(to=new_email, subject=f"Confirm your new email address for {service}", body=(
            f"{asked} To confirm this is your address, open this link:\n{link_for(token)}\n\n"
            f"Your address changes only when you do. The link works once and expires in "
            f"{link_hours()} hours. If you did not ask, you can ignore this email: nothing "
            "will change.\n"))
    audit.record("user.email_change_requested", actor=user, subject=user,
                 details={"address_in_use": taken})
    db.session.commit()
    return new_email


def find_open_email_change(token: str) -> AccountLink:
    """The e-mail change a link is for, while it works; ``NotFound`` otherwise."""
    return find_open_link(token, EMAIL_CHANGE, unusable=EMAIL_CHANGE_LINK_UNUSABLE)


def confirm_email_change(token: str) -> User:
    """Follow the link sent to a new address: the account's address becomes it, the link and
    every other link sent about the account stop working, and the old address is told.
    ``NotFound`` when the link does not work (any more), or the address has had an account
    made since (nothing changes then). Returns the account."""
    link = find_open_email_change(token)
    user, new_email = link.user, link.new_email
    spend_link(link, EMAIL_CHANGE_LINK_UNUSABLE)
    if db.session.scalar(sa.select(User.id).where(User.email == new_email)) is not None:
        audit.record("auth.email_change_refused", subject=user,
                     details={"reason": "address has an account", "link_id": link.id})
        db.session.commit()
        raise NotFound(ADDRESS_TAKEN)
    old_email, user.email = user.email, new_email
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # an account made with the address at this very moment
        db.session.rollback()
        raise NotFound(ADDRESS_TAKEN) from None
    db.session.execute(sa.update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None)).values(used_at=utcnow()))
    service = current_app.config["SERVICE_NAME"]
    queue_email(to=old_email, subject=f"Your email address for {service} has been changed",
                body=(f"The email address of your account with {service} was changed just now "
                      f"to {new_email}. From now on, sign in with that address; emails about "
                      "your account go there.\n\nIf you did not do this, contact the "
                      "commissioning team straight away.\n"))
    audit.record("user.email_changed", actor=user, subject=user, details={"link_id": link.id})
    db.session.commit()
    return user
