"""Throttling per account and per client, kept in the database: signing in and registering.

App servers are stateless, so the attempts live in ``login_attempt``: a limit holds across
every worker and host. Unknown e-mail addresses are throttled like real accounts. Three limits,
each over the last ``LOGIN_WINDOW_SECONDS``:

- **one address, one account** (``LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT``): that address
  may not try that account again, even with the right password, until the window has passed.
  Nobody else is affected, so a stranger cannot lock the owner out.
- **one address, every account** (``LOGIN_MAX_FAILURES_PER_CLIENT``): that address may not
  sign in at all until the window has passed, so it cannot guess its way through many
  accounts.
- **one account, every address** (``LOGIN_MAX_FAILURES_PER_ACCOUNT``): guessing from many
  addresses only slows the account down. Beyond the limit it takes one attempt every
  window / limit seconds (``config.login_spacing_seconds``, 90 s by default), whoever makes
  it, so the owner waits that long at most; and an address where the account has signed in
  before (the second factor too, where there is one; within the 30 days attempts are kept) is
  not slowed at all. The password is not checked during the wait, so the guesses an account
  can take from elsewhere stay bounded (``config.failures_per_account_per_hour``).

Requests to register count every time (success says nothing about an address there), per
client and per e-mail address, apart from the sign-in limits (``purpose`` tells them apart).
So do requests for a link about one's own account (a new password, a new e-mail address),
each kind apart (``admit_account_email_request``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..config import login_spacing_seconds
from ..database import utcnow
from ..errors import TooManyAttempts
from ..extensions import db
from .models import (
    EMAIL_CHANGE_ATTEMPT,
    PASSWORD_RESET_ATTEMPT,
    REGISTRATION_ATTEMPT,
    SIGN_IN_ATTEMPT,
    LoginAttempt,
)


def account_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without checking the password, and for how long."""

    limit: str  # "client", "account and client" or "account"
    wait_seconds: int

    @property
    def slowed(self) -> bool:
        """The account is being slowed down (a short wait), not this address stopped."""
        return self.limit == "account"


def _attempts_since(column, value, since, *, purpose: str, failures_only: bool) -> int:
    query = sa.select(sa.func.count()).select_from(LoginAttempt).where(
        column == value, LoginAttempt.attempted_at >= since, LoginAttempt.purpose == purpose)
    if failures_only:
        query = query.where(LoginAttempt.succeeded.is_(False))
    return db.session.scalar(query)



def _failures(*conditions):
    return sa.select(LoginAttempt.attempted_at).where(
        *conditions, LoginAttempt.succeeded.is_(False),
        LoginAttempt.purpose == SIGN_IN_ATTEMPT).order_by(LoginAttempt.attempted_at.desc())


def _free_in(conditions, limit: int, now: datetime, window: timedelta) -> int | None:
    """Seconds until fewer than ``limit`` failures matching ``conditions`` are left in the
    window (the limit-th newest has aged out), or None if there are fewer already."""
    limit_th_newest = db.session.scalar(
        _failures(*conditions, LoginAttempt.attempted_at > now - window)
        .offset(limit - 1).limit(1))
    if limit_th_newest is None:
        return None
    return max(1, math.ceil((limit_th_newest + window - now).total_seconds()))


def _signed_in_from(key: str, client: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        LoginAttempt.account_key == key, LoginAttempt.client == client,
        LoginAttempt.succeeded.is_(True), LoginAttempt.purpose == SIGN_IN_ATTEMPT))) or False


def refusal_for(email: str, client: str) -> Refusal | None:
    """Why an attempt on this account from this client must wait, or None if it may go on."""
    config = current_app.config
    now, window = utcnow(), timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    key = account_key(email)
    wait = _free_in([LoginAttempt.client == client], config["LOGIN_MAX_FAILURES_PER_CLIENT"],
                    now, window)
    if wait:
        return Refusal("client", wait)
    wait = _free_in([LoginAttempt.client == client, LoginAttempt.account_key == key],
                    config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"], now, window)
    if wait:
        return Refusal("account and client", wait)
    # The account, from every address: once it has had its limit of failures (counted over
    # the limit x spacing, a little more than the window when it does not divide exactly),
    # one attempt every spacing at most, unless the account has signed in from here before.
    limit, spacing = config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], login_spacing_seconds(config)
    if _free_in([LoginAttempt.account_key == key], limit, now,
                timedelta(seconds=limit * spacing)) is None:
        return None
    latest = db.session.scalar(_failures(LoginAttempt.account_key == key).limit(1))
    wait = math.ceil((latest - now).total_seconds()) + spacing
    if wait <= 0 or _signed_in_from(key, client):
        return None
    return Refusal("account", wait)


def note_attempt(email: str, client: str, succeeded: bool) -> None:
    """Keep an attempt. A success means signed in (the second factor too, where there is
    one): an address where that happened is not slowed down by others' guessing."""
    db.session.add(LoginAttempt(account_key=account_key(email), client=client,
                                succeeded=succeeded, attempted_at=utcnow(),
                                purpose=SIGN_IN_ATTEMPT))


def _requests_throttled_by(email: str, client: str, *, purpose: str, prefix: str) -> str | None:
    config = current_app.config
    since = utcnow() - timedelta(seconds=config[f"{prefix}_WINDOW_SECONDS"])
    for limit, column, value, most in (
            ("address", LoginAttempt.account_key, account_key(email),
             config[f"{prefix}_MAX_PER_ADDRESS"]),
            ("client", LoginAttempt.client, client, config[f"{prefix}_MAX_PER_CLIENT"])):
        if _attempts_since(column, value, since, purpose=purpose,
                           failures_only=False) >= most:
            return limit
    return None


def registration_throttled_by(email: str, client: str) -> str | None:
    """'address' or 'client' if that has asked to register too often in the window, else
    None. The same for an address with an account as for one without."""
    return _requests_throttled_by(email, client, purpose=REGISTRATION_ATTEMPT,
                                  prefix="REGISTRATION")


# What each kind of request asks for, as the refusal says it.
ACCOUNT_EMAIL_REQUESTS = {
    PASSWORD_RESET_ATTEMPT: "reset a password",
    EMAIL_CHANGE_ATTEMPT: "change an email address",
}


def admit_account_email_request(email: str, client: str, purpose: str, *,
                                refused: Callable[[str], None]) -> None:
    """Count a request for a link about one's account (``purpose``: a new password, a new
    e-mail address), or refuse it if the address or the client (``refused`` is told which)
    has asked for one of this kind too often in the window: the same for an address with an
    account as for one without. ``refused`` records the refusal in the audit trail; it is
    committed before ``TooManyAttempts`` is raised."""
    what = ACCOUNT_EMAIL_REQUESTS[purpose]
    blocked = _requests_throttled_by(email, client, purpose=purpose, prefix="ACCOUNT_EMAIL")
    if blocked:
        refused(blocked)
        db.session.commit()
        raise TooManyAttempts(
            f"There have been too many requests to {what}. Wait "
            f"{account_email_window_minutes()} minutes and try again.")
    db.session.add(LoginAttempt(account_key=account_key(email), client=client, succeeded=True,
                                attempted_at=utcnow(), purpose=purpose))


def account_email_window_minutes() -> int:
    return max(1, current_app.config["ACCOUNT_EMAIL_WINDOW_SECONDS"] // 60)


def note_registration(email: str, client: str) -> None:
    """A request to register (or to send its e-mail again) that was let through."""
    db.session.add(LoginAttempt(account_key=account_key(email), client=client, succeeded=True,
                                attempted_at=utcnow(), purpose=REGISTRATION_ATTEMPT))


def registration_window_minutes() -> int:
    return max(1, current_app.config["REGISTRATION_WINDOW_SECONDS"] // 60)


def forget_older_than(days: int = 30) -> int:
    """Delete attempts older than ``days`` (run from ``tick``); returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return result.rowcount
