"""E-mails the service sends about cases, queued in the outbox in the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context

from ..auth.models import Role, User
from ..extensions import db
from ..routing import external_url
from .outbox import queue_email


def _service_name() -> str:
    return current_app.config["SERVICE_NAME"] if has_app_context() else "Accreditation"


def provider_recipients(organisation_id: int) -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).where(User.organisation_id == organisation_id,
                                    User.role == Role.PROVIDER, User.is_active)))


def notify_organisation(organisation_id: int, subject: str, body: str, *, what: str, link: str,
                        dedupe_key: str | None = None) -> int:
    """Queue ``body`` to every active user of a provider organisation; returns how many.

    The message ends "Sign in to <service> to see <what>:" and ``link``, a page on the
    service's own address (``routing.external_url``).
    """
    queued = 0
    for email in provider_recipients(organisation_id):
        key = f"{dedupe_key}:{email}" if dedupe_key else None
        message = queue_email(
            to=email, subject=subject,
            body=f"{body}\n\nSign in to {_service_name()} to see {what}:\n{link}\n",
            dedupe_key=key)
        queued += message is not None
    return queued


def notify_provider(case, subject: str, body: str, *, dedupe_key: str | None = None) -> int:
    """Queue ``body`` about a case to every active user of its organisation, with a link to the
    case's page (also when it is written by a command such as ``tick``)."""
    return notify_organisation(case.organisation_id, f"{case.reference}: {subject}", body,
                               what=f"your application {case.reference}",
                               link=external_url("cases.case_detail", case_id=case.id),
                               dedupe_key=dedupe_key)

