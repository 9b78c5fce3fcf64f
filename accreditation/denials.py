"""The one way a refusal is kept: roll back, audit ``access.denied``, commit, then raise.

Whatever the caller had half-done is rolled back first, so that the only thing written is the
audit event; it is committed on its own so that it is kept whatever happens next. Refusals of
records that belong to someone else raise ``NotFound``, as everywhere, so ids are not confirmed.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import g, has_request_context, request
from flask_login import current_user

from . import audit
from .extensions import db
from .secret_paths import redact


def record_denial(actor, reason: str, *, subject=None, subject_type: str | None = None,
                  subject_id: Any = None, details: dict | None = None) -> None:
    """Keep an ``access.denied`` event (and only that) for ``actor``'s refused attempt.

    Every refusal of someone signed in is chained. Someone who is not can be refused as often
    as they like, so theirs go through ``audit.record_repeatable`` (the first of a kind from a
    client in an hour is chained, the rest counted)."""
    db.session.rollback()
    details = {"reason": reason, **(details or {})}
    if actor is None:
        audit.record_repeatable("access.denied", reason=reason, subject=subject,
                                subject_type=subject_type, subject_id=subject_id,
                                details=details)
    else:
        audit.record("access.denied", actor=actor, subject=subject, subject_type=subject_type,
                     subject_id=subject_id, details=details)
    db.session.commit()
    if has_request_context():
        g.denial_recorded = True  # the error handler must not audit the same refusal again


def refuse(actor, error: Exception, reason: str, *, subject=None,
           subject_type: str | None = None, subject_id: Any = None, **details) -> NoReturn:
    """Record the denial, then raise ``error`` (the message the person sees)."""
    record_denial(actor, reason, subject=subject, subject_type=subject_type,
                  subject_id=subject_id, details=details)
    raise error


def record_request_denial(reason: str, **details) -> None:
    """Audit the refusal of this request: its route, a record it asked for, or its form."""
    record_denial(current_user if current_user.is_authenticated else None, reason,
                  details={"endpoint": request.endpoint, "method": request.method,
                           "path": redact(request.path), **details})
