"""The e-mail outbox: messages are queued in the sender's transaction and sent later.

Queueing in the same transaction means a message exists exactly when the change that
caused it committed; ``accreditation notifications send`` delivers what is due over SMTP.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..errors import Unavailable
from ..extensions import db

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # Reminders carry a key (e.g. "expiry:12:30d") so that running tick again sends none twice.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)


def queue_email(*, to: str, subject: str, body: str,
                dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue a message in the current transaction; with a ``dedupe_key`` already used, none."""
    if dedupe_key is not None and db.session.scalar(
            sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(recipient=to, subject=subject, body=body, dedupe_key=dedupe_key)
    db.session.add(message)
    return message


# PDFs a message carries are made when it is sent, from what its key names (its first part
# says which maker, the second what to make it from), so that the outbox holds no files. The
# feature that queues such messages registers its maker (``cases/letters.py``).
AttachmentMaker = Callable[[str], "tuple[str, bytes] | None"]
_MAKERS: dict[str, AttachmentMaker] = {}


def attachment_maker(kind: str) -> Callable[[AttachmentMaker], AttachmentMaker]:
    """Register the function that makes the PDF (its file name and bytes) for messages whose
    key starts ``<kind>:<what>:``."""
    def register(function: AttachmentMaker) -> AttachmentMaker:
        _MAKERS[kind] = function
        return function
    return register


def attachment(message: OutboxMessage) -> tuple[str, bytes] | None:
    """The PDF ``message`` carries, made now; ``Unavailable`` when it cannot be made."""
    kind, _, rest = (message.dedupe_key or "").partition(":")
    maker = _MAKERS.get(kind)
    if maker is None or not rest:
        return None
    what = rest.partition(":")[0]
    base = current_app.config["BASE_URL"] or "http://localhost"
    with current_app.test_request_context("/", base_url=base):
        return maker(what)


def _compose(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@accreditation>"
    email.set_content(message.body)
    attached = attachment(message)
    if attached is not None:
        filename, data = attached
        email.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return email


def send_due(limit: int = 100) -> tuple[int, int]:
    """Send queued messages; returns (sent, failed). With no SMTP host configured, messages
    are printed instead.

    One message at a time, each in short transactions of its own: it is claimed (its attempt
    counted) before it is made, and marked sent the moment the server has taken it. So no
    transaction or lock is held while a PDF is printed or the server answers, a run that
    stops part way never sends a delivered message again, and two runs at once (the command
    takes a lock too: ``periodic.exclusive``) never both send the same message.
    """
    due = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id).limit(limit)).all()
    db.session.commit()
    if not due:
        return 0, 0
    config = current_app.config
    if not config["SMTP_HOST"]:
        return _deliver(due, _print)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        return _deliver(due, lambda message: smtp.send_message(_compose(message)))


def _print(message: OutboxMessage) -> None:
    click.echo(f"--- To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}")
    if message.dedupe_key and message.dedupe_key.partition(":")[0] in _MAKERS:
        click.echo("(with a PDF attached)")


def _claim(message_id: int, attempts: int) -> OutboxMessage | None:
    """The message, its attempt counted and committed; None if another run has taken it (or
    sent it) since it was found due."""
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.attempts == attempts)
        .values(attempts=attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if claimed else None


def _deliver(due, deliver: Callable[[OutboxMessage], None]) -> tuple[int, int]:
    sent = failed = 0
    for message_id, attempts in due:
        message = _claim(message_id, attempts)
        if message is None:
            continue
        try:
            deliver(message)
        except Unavailable as error:
            # The attachment cannot be made now (no Chromium): tried again next time.
            outcome = {"last_error": error.title[:500]}
            log.warning("outbox message %s not sent: %s", message_id, error.title)
        except smtplib.SMTPException as error:
            outcome = {"last_error": str(error)[:500]}
            log.warning("outbox message %s not sent: %s", message_id, type(error).__name__)
        else:
            outcome = {"sent_at": utcnow(), "last_error": None}
        # What was read to make the message ends here; the outcome is written in a
        # transaction of its own (on SQLite a reader may not become a writer once others
        # have written).
        db.session.rollback()
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(**outcome).execution_options(synchronize_session=False))
        db.session.commit()
        if "sent_at" in outcome:
            sent += 1
        else:
            failed += 1
    return sent, failed
