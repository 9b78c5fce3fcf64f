"""Inspectors' private calendar links: a random secret in the address of their visits' feed
(``stages/calendar.py``), shown once, stored only as a hash.

One link works at a time: making a new one withdraws the old. A link stops working when it is
withdrawn, when its account is deactivated or closed, and when every token of the account is
withdrawn (``tokens.revoke_every_token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from .. import audit
from ..database import utcnow
from ..errors import NotPermitted
from ..extensions import db
from .models import CalendarLink, Role, User

PREFIX = "cal_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_link(user: User) -> CalendarLink | None:
    """``user``'s working calendar link, if any."""
    return db.session.scalar(sa.select(CalendarLink).where(
        CalendarLink.user_id == user.id, CalendarLink.revoked_at.is_(None)))


def create_link(actor: User, *, with_addresses: bool) -> str:
    """A new calendar link for ``actor`` (an inspector), replacing any other; the token is
    returned once and only its hash kept. Audited; commits."""
    if actor.role is not Role.INSPECTOR:
        raise NotPermitted("Only inspectors have a calendar of their visits.")
    replaced = _withdraw(actor, actor, reason="replaced")
    token = PREFIX + secrets.token_urlsafe(32)
    link = CalendarLink(user_id=actor.id, token_hash=_hash(token),
                        with_addresses=bool(with_addresses))
    db.session.add(link)
    db.session.flush()
    audit.record("calendar_link.created", actor=actor, subject=link,
                 details={"with_addresses": link.with_addresses, "replaced": replaced})
    db.session.commit()
    return token


def revoke_link(actor: User) -> bool:
    """Withdraw ``actor``'s calendar link. Audited; commits. Returns whether there was one."""
    withdrawn = _withdraw(actor, actor, reason="withdrawn")
    db.session.commit()
    return bool(withdrawn)


def revoke_every_link(user: User, *, actor: User | None, reason: str) -> int:
    """Withdraw ``user``'s calendar links (their account closes, or every token is
    withdrawn). Audited; the caller commits."""
    return _withdraw(user, actor or user, reason=reason)


def _withdraw(user: User, actor: User, *, reason: str) -> int:
    links = db.session.scalars(sa.select(CalendarLink).where(
        CalendarLink.user_id == user.id, CalendarLink.revoked_at.is_(None))).all()
    for link in links:
        link.revoked_at = utcnow()
        audit.record("calendar_link.revoked", actor=actor, subject=link,
                     details={"user_id": user.id, "reason": reason})
    return len(links)


def user_for_link(token: str) -> tuple[CalendarLink | None, str | None]:
    """The link a token opens and why it does not work (None: it works). Looked up by hash,
    and the hash compared again in constant time; the token itself is never kept or logged."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None, "unknown link"
    digest = _hash(token)
    link = db.session.scalar(sa.select(CalendarLink).where(CalendarLink.token_hash == digest))
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        return None, "unknown link"
    if link.revoked_at is not None:
        return link, "withdrawn"
    if not link.user.is_active or link.user.role is not Role.INSPECTOR:
        return link, "account deactivated"
    return link, None
