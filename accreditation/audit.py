"""Append-only, hash-chained audit events.

Every event stores the hash of the one before it, and its own hash covers its content
and that link, so editing, inserting or deleting a row with plain SQL breaks the chain
at that point. A one-row ``audit_chain_head`` table holds the sequence number and hash of
the newest event; appending updates that row first, which serialises writers on every
backend (a row lock on PostgreSQL, the write lock on SQLite), so the chain never forks,
and it lets ``verify`` notice events deleted from the end.

Events are written in the caller's transaction: a state change and its event commit or
roll back together.

Some refusals can be caused by anyone, without signing in, as often as they like: a form sent
without its token, a sign-in attempt while throttled, an ended session or a withdrawn token
sent again. Those go through ``record_repeatable``: the first of a kind from a client in an
hour is chained like any event, the repeats are only counted (``audit_repeat``: client, route,
reason, how many times, first and last), and at most ``REPEATS_CHAINED_PER_HOUR`` are chained
in any hour whatever the number of clients, so nobody can grow the chain at will. Everyone
signed in is audited at every refusal.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from .auth.models import Role, User
from .database import UTCDateTime, utcnow
from .extensions import db
from .proxies import client_address

GENESIS_HASH = "0" * 64
# Keys that must never be written into an audit event's details.
SECRET_KEY_PATTERN = re.compile(
    r"(^|_)(password|passphrase|passwd|token|secret|csrf|otp|totp|cookie|api_key)(_|$)", re.I)


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "details": self.details,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.content())


class AuditChainHead(db.Model):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)


# Refusals anyone can repeat at will (``record_repeatable``): the first of a kind from a client
# in REPEAT_WINDOW is chained, at most REPEATS_CHAINED_PER_HOUR in all; the counts are kept
# for REPEATS_KEPT_DAYS (removed by ``accreditation tick``).
REPEAT_WINDOW = timedelta(hours=1)
REPEATS_CHAINED_PER_HOUR = 50
REPEATS_KEPT_DAYS = 90
REFUSALS_COUNTED_ONLY = "audit.refusals_counted_only"


class AuditRepeat(db.Model):
    """One kind of refusal from one client on one route, counted from its first time for an
    hour. ``event_seq`` is the chained event recording the first (None when the hour's limit
    had been reached); the others are only counted here, outside the chain."""

    __tablename__ = "audit_repeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(80))
    client: Mapped[str] = mapped_column(sa.String(64))
    route: Mapped[str] = mapped_column(sa.String(200))  # "POST /invitations/<token>"
    reason: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(110))  # "user 12", or ""
    first_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    times: Mapped[int] = mapped_column()
    event_seq: Mapped[int | None] = mapped_column()

    __table_args__ = (
        sa.Index("ix_audit_repeat_client_action_first_at", "client", "action", "first_at"),
    )


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _check_details(details: dict[str, Any], path: str = "") -> None:
    for key, value in details.items():
        if SECRET_KEY_PATTERN.search(str(key)):
            raise ValueError(f"audit details must not carry secrets: {path}{key!r}")
        if isinstance(value, dict):
            _check_details(value, f"{path}{key}.")


def record(
    action: str,
    *,
    actor=None,
    subject=None,
    subject_type: str | None = None,
    subject_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction (flushes, never commits).

    ``subject`` may be a model instance (its table name and id are used). ``details`` must be
    JSON-serialisable and must not contain secrets: a key that looks like one raises.
    """
    details = dict(details or {})
    _check_details(details)
    address = client_address()
    if address and "client" not in details:
        details["client"] = address
    if subject is not None:
        subject_type = subject_type or subject.__tablename__
        subject_id = subject.id if subject_id is None else subject_id
    # Normalise through JSON so the hash is computed over exactly what is stored.
    details = json.loads(json.dumps(details, default=str))

    db.session.flush()  # the caller's pending changes first, as any query would
    connection = db.session.connection()
    seq, prev_hash = _advance_head(connection)
    event = AuditEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(getattr(actor, "role", None), "value", None),
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details,
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    connection.execute(sa.update(AuditChainHead).where(AuditChainHead.id == 1)
                       .values(last_hash=event.hash))
    db.session.add(event)
    db.session.flush()
    return event


def record_repeatable(
    action: str,
    *,
    reason: str,
    subject=None,
    subject_type: str | None = None,
    subject_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """For a refusal anyone can cause again and again without signing in: chain the first of
    its kind (action, reason, subject) from this client on this route in an hour, and count
    the rest in ``audit_repeat``; once ``REPEATS_CHAINED_PER_HOUR`` have been chained in the
    last hour, count only (the chain says so once, ``audit.refusals_counted_only``).

    In the caller's transaction, like ``record``; returns the event, or None if only counted.
    Outside a request there is no client to count by: the event is simply recorded.
    """
    if not has_request_context():
        return record(action, subject=subject, subject_type=subject_type,
                      subject_id=subject_id, details=details)
    if subject is not None:
        subject_type = subject_type or subject.__tablename__
        subject_id = subject.id if subject_id is None else subject_id
    rule = request.url_rule
    kind = {
        "action": action,
        "client": (client_address() or "unknown")[:64],
        "route": f"{request.method} {rule.rule if rule is not None else '(no route)'}"[:200],
        "reason": reason[:200],
        "subject": f"{subject_type} {subject_id}"[:110] if subject_type else "",
    }
    now = utcnow()
    since = now - REPEAT_WINDOW
    earlier = db.session.scalar(
        sa.select(AuditRepeat.id).where(
            *(getattr(AuditRepeat, name) == value for name, value in kind.items()),
            AuditRepeat.first_at > since)
        .order_by(AuditRepeat.first_at.desc()).limit(1))
    if earlier is not None:
        db.session.execute(sa.update(AuditRepeat).where(AuditRepeat.id == earlier)
                           .values(times=AuditRepeat.times + 1, last_at=now))
        return None
    chained = db.session.scalar(sa.select(sa.func.count()).select_from(AuditRepeat).where(
        AuditRepeat.first_at > since, AuditRepeat.event_seq.is_not(None)))
    event = None
    if chained < REPEATS_CHAINED_PER_HOUR:
        event = record(action, subject_type=subject_type, subject_id=subject_id,
                       details=details)
    elif not db.session.scalar(sa.select(sa.exists().where(
            AuditRepeat.first_at > since, AuditRepeat.event_seq.is_(None)))):
        record(REFUSALS_COUNTED_ONLY, details={"limit_per_hour": REPEATS_CHAINED_PER_HOUR})
    db.session.add(AuditRepeat(**kind, first_at=now, last_at=now, times=1,
                               event_seq=event.seq if event else None))
    db.session.flush()
    return event


def repeats_since(since: datetime) -> list[AuditRepeat]:
    """Counted refusals seen since ``since``, the latest first."""
    return list(db.session.scalars(sa.select(AuditRepeat).where(AuditRepeat.last_at >= since)
                                   .order_by(AuditRepeat.last_at.desc(), AuditRepeat.id.desc())))


def forget_repeats_older_than(days: int = REPEATS_KEPT_DAYS) -> int:
    """Delete counts last seen more than ``days`` ago (run from ``tick``); returns how many.
    The chained events stay."""
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(sa.delete(AuditRepeat).where(AuditRepeat.last_at < cutoff)).rowcount


_ADVANCE_HEAD = (
    sa.update(AuditChainHead).where(AuditChainHead.id == 1)
    .values(seq=AuditChainHead.seq + 1)
    .returning(AuditChainHead.seq, AuditChainHead.last_hash)
)


def _advance_head(connection: sa.Connection) -> tuple[int, str]:
    """Take the next sequence number and the newest event's hash, in one statement that also
    takes the head's write lock (a row lock on PostgreSQL, which waits for, then reads, a
    concurrent writer's committed head): two writers can never extend the same event."""
    row = connection.execute(_ADVANCE_HEAD).one_or_none()
    if row is None:  # the very first event
        connection.execute(sa.insert(AuditChainHead).values(id=1, seq=0,
                                                            last_hash=GENESIS_HASH))
        row = connection.execute(_ADVANCE_HEAD).one()
    return row.seq, row.last_hash


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"Audit chain intact: {self.checked} events verified."
        return f"Audit chain broken at event {self.broken_seq}: {self.reason}"


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain and report the first event that does not fit."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "event is missing (deleted)")
            if event.prev_hash != prev_hash:
                return VerifyResult(
                    False, checked, event.seq, "link to the previous event does not match"
                )
            if event.compute_hash() != event.hash:
                return VerifyResult(
                    False, checked, event.seq, "content was changed after it was written")
            prev_hash = event.hash
            expected_seq += 1
            checked += 1
            last_id = event.seq
    head = db.session.get(AuditChainHead, 1)
    head_seq = head.seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_seq != last_id or head_hash != prev_hash:
        return VerifyResult(
            False, checked, last_id + 1,
            f"the chain head expects {head_seq} events; later events are missing (deleted)",
        )
    return VerifyResult(True, checked)


# --- the trail in words ---------------------------------------------------------------------

# What each action says on the audit trail and a case's timeline. Every action the code
# records has one (``tests/test_audit_labels.py`` reads them from the source).
EVENT_LABELS = {
    "access.denied": "Access refused",
    "api_token.created": "API token created",
    "api_token.refused": "API token refused",
    "api_token.revoked": "API token withdrawn",
    "assessment.recorded": "Checklist answers recorded",
    "audit.refusals_counted_only": "Further refusals this hour counted, not listed",
    "company_number.dispute_resolved": "Disputed company number decided",
    "company_number.disputed": "Company number claimed by a second organisation",
    "registration.expired": "Registration link expired unused",
    "registration.link_sent_again": "Registration link sent again",
    "registration.refused": "Registration link refused",
    "registration.requested": "Registration requested",
    "registration.throttled": "Too many registration requests",
    "registration.verified": "Registration confirmed from the e-mailed link",
    "auth.authenticator_added": "Authenticator app set up",
    "auth.authenticator_replaced": "Authenticator app replaced",
    "auth.confirmation_failed": "Password or code not confirmed",
    "auth.identity_confirmed": "Password and code confirmed again",
    "auth.password_accepted": "Password accepted, code asked for",
    "auth.recovery_code_used": "Recovery code used",
    "auth.recovery_codes_replaced": "New recovery codes made",
    "auth.second_factor_failed": "Wrong authenticator code",
    "auth.session_expired": "Signed out after a time without use",
    "auth.session_refused": "Ended session used again, refused",
    "auth.sign_in_failed": "Sign-in failed",
    "auth.sign_in_throttled": "Sign-in refused after too many failures",
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "auth.password_reset_requested": "Password reset link asked for",
    "auth.password_reset_throttled": "Too many requests to reset a password",
    "auth.password_reset_refused": "Password reset link refused",
    "auth.password_reset": "Password reset from the e-mailed link",
    "auth.email_change_refused": "Link to confirm a new email address refused",
    "case.started": "Application started",
    "case.bundle_taken": "Decision bundle downloaded",
    "case.submit": "Application submitted",
    "case.inspector_assigned": "Inspector assigned",
    "case.pass_due_diligence": "Due diligence passed",
    "case.complete_file_sampling": "File sampling completed",
    "case.complete_property_inspections": "Property inspections completed",
    "case.return_due_diligence": "Returned to the provider for more information",
    "case.return_file_sampling": "Returned to the provider for more information",
    "case.return_property_inspection": "Returned to the provider for more information",
    "case.return_answered": "Provider answered what was asked",
    "case.resubmit_due_diligence": "Provider sent the information asked for",
    "case.resubmit_file_sampling": "Provider sent the information asked for",
    "case.resubmit_property_inspection": "Provider sent the information asked for",
    "case.fail": "Refused at this stage",
    "case.accredit": "Accredited",
    "case.refuse": "Refused",
    "case.withdraw": "Application withdrawn",
    "case.require_reassessment": "Reassessment required",
    "case.confirm_reassessment": "Reassessment confirmed",
    "case.suspend": "Accreditation suspended",
    "case.reinstate": "Accreditation reinstated",
    "case.revoke": "Accreditation revoked",
    "case.expire": "Accreditation expired",
    "case.restore_awaiting_decision": "Put back to await a decision",
    "case.restore_due_diligence": "Put back to due diligence",
    "case.restore_file_sampling": "Put back to file sampling",
    "case.restore_property_inspection": "Put back to property inspection",
    "case.restore_accredited": "Accreditation put back in force",
    "case.restore_reassessment_due": "Accreditation put back in force, reassessment due",
    "case.restore_suspended": "Put back to suspended",
    "proposal.made": "Notice sent: adverse decision proposed",
    "proposal.representations": "Provider made representations",
    "proposal.decided": "Notice decided",
    "proposal.lapsed": "Notice lapsed",
    "review.requested": "Provider asked for a review",
    "review.decided": "Review decided",
    "checklist.published": "Checklist version published",
    "checklist.retired": "Checklist version retired",
    "checklist_draft.created": "Checklist draft started",
    "checklist_draft.edited": "Checklist draft changed",
    "checklist_draft.discarded": "Checklist draft discarded",
    "checklist_draft.submitted": "Checklist draft submitted for approval",
    "checklist_draft.approved": "Checklist draft approved",
    "company_check.made": "Companies House checked",
    "council.joined": "Council joined the consortium",
    "council.left": "Council left the consortium",
    "councils.loaded": "List of local authorities loaded",
    "organisation.company_number_changed": "Company number corrected",
    "condition.responded": "Provider responded to a condition",
    "condition.confirmed": "Condition confirmed as met",
    "demo_data.loaded": "Demo data loaded",
    "evidence.uploaded": "Evidence file uploaded",
    "evidence.upload_refused": "Evidence file refused",
    "evidence.scanned": "Evidence file scanned for viruses",
    "evidence.downloaded": "Evidence file downloaded",
    "evidence.download_refused": "Evidence file download refused",
    "evidence.removed": "Evidence file removed",
    "evidence.withdrawn": "Inspection photo withdrawn",
    "evidence.withdraw_refused": "Inspection photo not withdrawn",
    "evidence.orphans_swept": "Stored files without a record removed",
    "file_sample.drawn": "File sample drawn",
    "inspection.submitted": "Inspection submitted",
    "inspection.submit_refused": "Inspection not submitted",
    "inspection.changes_rejected": "Answers from a tablet refused",
    "inspection.conflict_resolved": "Differing answers resolved",
    "inspection.acknowledged": "Provider's representative signed for the findings",
    "inspection.acknowledgement_declined": "Provider's representative declined to sign",
    "invitation.sent": "Staff invitation sent",
    "invitation.accepted": "Invitation accepted",
    "invitation.withdrawn": "Staff invitation withdrawn",
    "keys.resealed": "Authenticator secrets sealed with a new key",
    "organisation.registered": "Organisation registered",
    "organisation.details_updated": "Organisation details changed",
    "organisation.person_added": "Director or manager added",
    "organisation.person_removed": "Director or manager removed",
    "organisation.insurance_and_policies_set": "Insurance and policies saved",
    "property.added": "Property added",
    "property.updated": "Property changed",
    "property.removed": "Property removed",
    "property.landlord_arrangements_set": "Landlord and lease arrangements saved",
    "property.vacancies_updated": "Vacancies updated",
    "property.change_requested": "Change to an accredited property asked for",
    "property.change_approved": "Change to an accredited property approved",
    "property.change_refused": "Change to an accredited property not approved",
    "property.change_withdrawn": "Change to an accredited property withdrawn",
    "referral.checked": "Referral check recorded",
    "register.exported": "Register search downloaded",
    "roster.entry_added": "File added to the list of files",
    "roster.entry_removed": "File removed from the list of files",
    "user.created": "Account created",
    "user.password_changed": "Password changed",
    "user.email_change_requested": "New email address asked for, link sent",
    "user.email_change_throttled": "Too many requests to change an email address",
    "user.email_changed": "Email address changed from the e-mailed link",
    "user.sessions_ended": "Signed out everywhere",
    "user.authenticator_reset": "Authenticator app reset",
    "user.deactivated": "Account deactivated",
    "user.reactivated": "Account reactivated",
    "team.invitation_sent": "Colleague invited to the organisation",
    "team.invitation_withdrawn": "Invitation to a colleague withdrawn",
    "team.member_removed": "Colleague's access removed",
    "team.access_changed": "Colleague made an administrator or a member",
    "access.metrics_refused": "Metrics asked for without their token, refused",
    "visit.planned": "Visit to a property planned",
    "calendar_link.created": "Private calendar link made",
    "calendar_link.revoked": "Private calendar link withdrawn",
    "access.calendar_refused": "Calendar feed asked for with a wrong or withdrawn link, refused",
}
# Done by someone not signed in (yet); any other event without a person is the service's own.
_NOT_SIGNED_IN = ("auth.", "access.", "api_token.refused")


def event_label(action: str) -> str:
    """What ``action`` says in words ("File sample drawn")."""
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    subject, _, verb = action.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}"


@dataclass(frozen=True)
class EventLine:
    """An event as a person reads it: when, who, what."""

    event: AuditEvent
    who: str

    @property
    def what(self) -> str:
        return event_label(self.event.action)


def event_lines(events: list[AuditEvent]) -> list[EventLine]:
    """``events`` with the name and role of whoever did each (the role they had then)."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    people = {user.id: user.full_name for user in db.session.scalars(
        sa.select(User).where(User.id.in_(ids)))} if ids else {}
    roles = {role.value: role.label.lower() for role in Role}
    lines = []
    for event in events:
        if event.actor_id is None:
            who = ("Someone not signed in" if event.action.startswith(_NOT_SIGNED_IN)
                   else "The service")
        else:
            name = people.get(event.actor_id, "A deleted account")
            role = roles.get(event.actor_role or "")
            who = f"{name} ({role})" if role else name
        lines.append(EventLine(event, who))
    return lines
