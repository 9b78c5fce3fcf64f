"""Forgotten passwords: a link by e-mail to set a new one (operations).

Asking never says whether an address has an account: the answer is the same, and takes about
as long, either way (the same queries and writes, less the link and the e-mail). The link works
once, for ``PASSWORD_RESET_LINK_MINUTES``, and only while the password is the one it was sent
under. Following it sets a new password under today's rules, ends every session and withdraws
every API and tablet token of the account, and tells the address. It never signs anyone in: a
second factor is still asked for at the next sign-in. Requests are throttled per address and
per client, apart from sign-ins. Only a hash of a link's token is stored; no token goes into
the audit trail.

Links about one's own account (this, and confirming a new e-mail address in
``email_change.py``) are kept as ``AccountLink`` rows; ``find_open_link`` and ``spend_link``
are shared by both.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from ..notifications.outbox import queue_email
from . import throttle
from .models import PASSWORD_RESET, PASSWORD_RESET_ATTEMPT, AccountLink, User
from .operations import _duration, _require_new_password, _token_hash
from .passwords import hash_password
from .tokens import revoke_every_token

# A message, not a secret:
PASSWORD_RESET_LINK_UNUSABLE = ("This link has expired or has already been used. Ask for a "  # noqa: S105
                                "new link to reset your password.")


def password_fingerprint(user: User) -> str:
    """What binds a link to the password it was sent under (the hash is salted: a new
    password, even the same one again, changes it)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()


def new_link(user: User | None, *, purpose: str, lifetime: timedelta,
             new_email: str | None = None) -> str:
    """A new one-off token for ``user``'s link of this kind; earlier unused ones of the kind
    stop working. Only its hash is kept. With no user the same statements run and nothing is
    kept, so that asking about an address without an account takes about as long."""
    token = secrets.token_urlsafe(32)
    token_hash = _token_hash(token)
    db.session.execute(sa.update(AccountLink).where(
        AccountLink.user_id == (user.id if user else None), AccountLink.purpose == purpose,
        AccountLink.used_at.is_(None)).values(used_at=utcnow()))
    if user is not None:
        db.session.add(AccountLink(
            user_id=user.id, purpose=purpose, token_hash=token_hash, new_email=new_email,
            password_fingerprint=password_fingerprint(user), expires_at=utcnow() + lifetime))
    return token


def find_open_link(token: str, purpose: str, *, unusable: str) -> AccountLink:
    """The link of this kind a token is for, while it works; ``NotFound`` (``unusable``)
    otherwise. A link that once worked is refused in the audit trail (counted rather than
    each chained, as anyone holding it can send it again); made-up ones are noise."""
    link = db.session.scalar(sa.select(AccountLink).where(
        AccountLink.token_hash == _token_hash(token), AccountLink.purpose == purpose))
    if link is None:
        raise NotFound(unusable)
    reason = ("already used" if link.used_at is not None else
              "expired" if link.expires_at <= utcnow() else
              "password changed since" if link.password_fingerprint != password_fingerprint(
                  link.user) else
              "account deactivated" if not link.user.is_active else None)
    if reason is not None:
        audit.record_repeatable(
            "auth.password_reset_refused" if purpose == PASSWORD_RESET
            else "auth.email_change_refused", reason=reason, subject=link.user,
                                details={"reason": reason, "link_id": link.id})
        db.session.commit()
        raise NotFound(unusable)
    return link


def spend_link(link: AccountLink, message: str) -> None:
    """Mark the link used. Of two requests racing with one link, only the one that marks it
    goes on; the other is refused (``NotFound`` with ``message``)."""
    if db.session.execute(sa.update(AccountLink).where(
            AccountLink.id == link.id, AccountLink.used_at.is_(None))
            .values(used_at=utcnow())).rowcount != 1:
        db.session.rollback()
        raise NotFound(message)


def link_minutes() -> int:
    return current_app.config["PASSWORD_RESET_LINK_MINUTES"]


def request_password_reset(email: str, *, client: str, link_for: Callable[[str], str]) -> None:
    """Someone who has forgotten their password gives their e-mail address.

    An account that can sign in gets a link to set a new password (earlier links stop
    working); an address without one (or of a closed account) gets nothing. The caller learns
    nothing either way, and the work done is the same but for the link and the e-mail, so the
    time taken says nothing either. Throttled per address and per client
    (``TooManyAttempts``); audited and committed.
    """
    email = throttle.normalise_email(email)
    throttle.admit_account_email_request(
        email, client, PASSWORD_RESET_ATTEMPT,
        refused=lambda limit: audit.record_repeatable(
            "auth.password_reset_throttled", reason=f"limit: {limit}", details={"limit": limit}))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and not user.is_active:
        user = None
    token = new_link(user, purpose=PASSWORD_RESET,
                     lifetime=timedelta(minutes=link_minutes()))
    if user is None:
        audit.record("auth.password_reset_requested", details={"account": False})
    else:
        service = current_app.config["SERVICE_NAME"]
        queue_email(to=email, subject=f"Reset your password for {service}", body=(
            f"Someone, we hope you, asked to reset the password of your account with "
            f"{service}.\n\nTo choose a new password, open this link:\n{link_for(token)}\n\n"
            f"The link works once and expires in {_duration(link_minutes() * 60)}. If you did "
            "not ask, you can ignore this email: your password has not changed.\n"))
        audit.record("auth.password_reset_requested", subject=user, details={"account": True})
    db.session.commit()


def find_open_password_reset(token: str) -> AccountLink:
    """The forgotten-password link a token is for, while it works; ``NotFound`` otherwise."""
    return find_open_link(token, PASSWORD_RESET, unusable=PASSWORD_RESET_LINK_UNUSABLE)


def reset_password(token: str, *, password: str) -> User:
    """Follow a forgotten-password link with a new password (today's rules,
    ``ValidationFailed`` otherwise). The link then stops working; every session of the account
    ends and every API and tablet token is withdrawn; the address is told. Nobody is signed in:
    the person signs in with the new password (and their second factor, if they have one).
    ``NotFound`` when the link does not work (any more). Returns the account."""
    link = find_open_password_reset(token)
    _require_new_password(password)
    user = link.user
    spend_link(link, PASSWORD_RESET_LINK_UNUSABLE)
    user.password_hash = hash_password(password)
    user.session_generation += 1
    withdrawn = revoke_every_token(user, actor=user, reason="password reset")
    service = current_app.config["SERVICE_NAME"]
    queue_email(to=user.email, subject=f"Your password for {service} has been changed", body=(
        f"The password of your account with {service} was changed just now, from a link "
        "to reset it sent to this address. You have been signed out everywhere, and any API "
        "or tablet access has been withdrawn.\n\nIf you did not do this, contact the "
        "commissioning team straight away.\n"))
    audit.record("auth.password_reset", actor=user, subject=user,
                 details={"link_id": link.id, "tokens_withdrawn": withdrawn})
    db.session.commit()
    return user


def forget_old_links(days: int = 30) -> int:
    """Remove forgotten-password and e-mail change links that expired more than ``days`` ago
    (run from ``tick``; a link sent again after that is refused like a made-up one). The
    caller commits. Returns how many."""
    return db.session.execute(sa.delete(AccountLink).where(
        AccountLink.expires_at < utcnow() - timedelta(days=days))).rowcount or 0
