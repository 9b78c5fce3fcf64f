"""Bearer tokens for the JSON API: created for a user, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .. import audit
from ..database import utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from .calendar_links import revoke_every_link
from .models import ApiToken, User

PREFIX = "acc_"
# The name of the short-lived tokens the tablet pages get for their outbox.
TABLET_TOKEN_NAME = "tablet"  # noqa: S105 (a label, not a secret)
# When a token was last used is kept to the nearest few minutes: writing it on every request
# would make each API call a write, and make concurrent calls with one token queue on its row.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, *, actor: User | None = None,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the token (never stored or shown again).
    With ``expires_at`` the token stops working at that time."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name that says what uses it", field="name")
    if not user.is_active:
        raise ValidationFailed("That account is deactivated.")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=name[:80], token_hash=_hash(token),
                      expires_at=expires_at)
    db.session.add(record)
    db.session.flush()
    details = {"user_id": user.id, "name": record.name}
    if expires_at is not None:
        details["expires_at"] = expires_at.isoformat()
    audit.record("api_token.created", actor=actor, subject=record, details=details)
    db.session.commit()
    return record, token


def revoke_token(token_id: int, *, actor: User | None = None) -> ApiToken:
    record = db.session.get(ApiToken, token_id)
    if record is None or record.revoked_at is not None:
        raise NotFound("There is no active token with that id.")
    record.revoked_at = utcnow()
    audit.record("api_token.revoked", actor=actor, subject=record,
                 details={"user_id": record.user_id})
    db.session.commit()
    return record


def user_for_token(token: str) -> User | None:
    """The active user an unrevoked token belongs to, or None. Marks the token as used (to
    within ``LAST_USED_RESOLUTION``; the caller commits if the session is dirty)."""
    if not token.startswith(PREFIX):
        return None
    # The token and its user in one query (every API request pays for this).
    record = db.session.scalar(sa.select(ApiToken).options(joinedload(ApiToken.user))
                               .where(ApiToken.token_hash == _hash(token)))
    if record is None:
        return None
    now = utcnow()
    refused = ("revoked" if record.revoked_at is not None else
               "account deactivated" if not record.user.is_active else
               "expired" if record.expires_at is not None and record.expires_at <= now else None)
    if refused:
        # A token that once worked is being replayed: kept in the audit trail (tokens nobody
        # ever had are not: anyone can send noise), its repeats counted, not each chained.
        audit.record_repeatable("api_token.refused", reason=refused, subject=record,
                                details={"user_id": record.user_id, "reason": refused})
        db.session.commit()
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        record.last_used_at = now
    return record.user


def revoke_tablet_tokens(user: User, *, actor: User | None = None,
                         reason: str = "signed out") -> int:
    """When ``user``'s sessions end (sign-out, or a commissioner ending them): withdraw every
    working tablet token, so a tablet left behind sends nothing more in their name (what it
    keeps waits for their next sign-in). Audited; the caller commits. Returns how many."""
    records = db.session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.name == TABLET_TOKEN_NAME,
        ApiToken.revoked_at.is_(None)))
    count = 0
    for record in records:
        record.revoked_at = utcnow()
        audit.record("api_token.revoked", actor=actor or user, subject=record,
                     details={"user_id": user.id, "reason": reason})
        count += 1
    return count


def revoke_every_token(user: User, *, actor: User | None = None, reason: str) -> int:
    """Withdraw every working token of ``user``, the API's and the tablets': when their account
    closes, or a new password is set from a forgotten-password link (whoever had the old one may
    have made tokens). Audited; the caller commits. Returns how many."""
    records = db.session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    count = 0
    for record in records:
        record.revoked_at = utcnow()
        audit.record("api_token.revoked", actor=actor or user, subject=record,
                     details={"user_id": user.id, "reason": reason})
        count += 1
    # A calendar link is a token in an address: it goes too.
    return count + revoke_every_link(user, actor=actor, reason=reason)
