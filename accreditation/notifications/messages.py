"""E-mails the service sends about cases, queued in the outbox in the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context

from ..auth.models import Role, User
from ..extensions import db
from .outbox import queue_email


def _service_name() -> str:
    return current_app.config["SERVICE_NAME"] if has_app_context() else "Accreditation"


def provider_recipients(organisation_id: int) -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).where(User.organisation_id == organisation_id,
                                    User.role == Role.PROVIDER, User.is_active)))


def notify_provider(case, subject: str, body: str, *, dedupe_key: str | None = None) -> int:
    """Queue ``body`` to every active user of the case's organisation; returns how many."""
    queued = 0
    for email in provider_recipients(case.organisation_id):
        key = f"{dedupe_key}:{email}" if dedupe_key else None
        message = queue_email(
            to=email, subject=f"{case.reference}: {subject}",
            body=(f"{body}\n\nSign in to {_service_name()} to see your application "
                  f"{case.reference}.\n"),
            dedupe_key=key)
        queued += message is not None
    return queued

