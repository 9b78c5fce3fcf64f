"""Sign-in throttling per account and per client, kept in the database.

App servers are stateless, so the attempts live in ``login_attempt``: a limit holds across
every worker and host. Unknown e-mail addresses are throttled like real accounts.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..database import utcnow
from ..extensions import db
from .models import LoginAttempt


def account_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _failures_since(column, value, since) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginAttempt).where(
            column == value,
            LoginAttempt.attempted_at >= since,
            LoginAttempt.succeeded.is_(False),
        )
    )


def throttled_by(email: str, client: str) -> str | None:
    """'account' or 'client' if that has had too many failures in the window, else None."""
    config = current_app.config
    since = utcnow() - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    if _failures_since(LoginAttempt.account_key, account_key(email), since) >= config[
        "LOGIN_MAX_FAILURES_PER_ACCOUNT"
    ]:
        return "account"
    if _failures_since(LoginAttempt.client, client, since) >= config[
        "LOGIN_MAX_FAILURES_PER_CLIENT"
    ]:
        return "client"
    return None


def note_attempt(email: str, client: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(account_key=account_key(email), client=client,
                                succeeded=succeeded, attempted_at=utcnow()))


def window_minutes() -> int:
    return max(1, current_app.config["LOGIN_WINDOW_SECONDS"] // 60)


def forget_older_than(days: int = 30) -> int:
    """Delete attempts older than ``days`` (run from ``tick``); returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return result.rowcount
