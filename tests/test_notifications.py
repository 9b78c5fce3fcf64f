"""The outbox delivers over real SMTP (an aiosmtpd listener on loopback)."""

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage, queue_email, send_due

from .services import free_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="noreply@example.org")
    yield inbox
    controller.stop()


def test_queued_messages_are_delivered_once(app, smtp):
    queue_email(to="sam@example.org", subject="Hello", body="Your inspection is on Monday.")
    db.session.commit()
    assert send_due() == (1, 0)
    assert send_due() == (0, 0)  # nothing is sent twice
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["sam@example.org"]
    assert b"Your inspection is on Monday." in envelope.content
    assert db.session.scalars(sa.select(OutboxMessage)).one().sent_at is not None


def test_an_invitation_arrives_by_email(app, smtp, client, runner):
    from .factories import UserFactory

    client.sign_in(UserFactory(commissioner=True))
    client.submit("/commissioner/staff", {"full_name": "Sam Wright", "email": "sam@example.org",
                                          "role": "inspector", "council_id": ""})
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["sam@example.org"]
    assert b"/invitations/" in envelope.content


def test_without_an_smtp_host_messages_are_printed(app, runner):
    queue_email(to="sam@example.org", subject="Hello", body="Printed instead.")
    db.session.commit()
    result = runner.invoke(args=["notifications", "send"])
    assert "Printed instead." in result.output


def test_a_run_cut_short_never_sends_a_delivered_message_again(app, smtp):
    """Each message is marked sent as soon as the server takes it: a run that stops part way
    (a fault making one message, the process killed) leaves the ones delivered marked sent,
    so the next run does not send them to people a second time."""
    from accreditation.notifications import outbox

    for number in (1, 2, 3):
        queue_email(to=f"person{number}@example.org", subject=f"Message {number}", body="Hello.",
                    dedupe_key=f"fault:{number}" if number == 3 else None)
    db.session.commit()

    def fault(_what):
        raise RuntimeError("cannot make the attachment")

    outbox._MAKERS["fault"] = fault
    try:
        with pytest.raises(RuntimeError):
            send_due()
    finally:
        del outbox._MAKERS["fault"]
    db.session.rollback()
    assert [e.rcpt_tos for e in smtp.messages] == [["person1@example.org"],
                                                    ["person2@example.org"]]
    assert send_due() == (1, 0)
    assert [e.rcpt_tos[0] for e in smtp.messages] == [
        "person1@example.org", "person2@example.org", "person3@example.org"]


def test_sending_holds_no_lock_that_stops_the_service_writing(app, smtp):
    """While a message is being made and sent (a PDF can take seconds), the service goes on
    writing: the run holds no write lock or open transaction across the delivery."""
    from accreditation.notifications import outbox

    queue_email(to="sam@example.org", subject="A letter", body="Attached.",
                dedupe_key="probe:1")
    db.session.commit()
    written = []

    def write_meanwhile(_what):
        db.session.scalar(sa.select(OutboxMessage.id))  # makers read what they print
        # Another connection (a request of the service) writes while the message is made.
        with db.engine.begin() as other:
            if other.dialect.name == "sqlite":
                other.exec_driver_sql("PRAGMA busy_timeout = 200")
            other.execute(sa.insert(OutboxMessage).values(
                recipient="other@example.org", subject="Meanwhile", body="x", attempts=0))
            written.append(True)
        return "letter.pdf", b"%PDF-1.4 probe"

    outbox._MAKERS["probe"] = write_meanwhile
    try:
        assert send_due() == (1, 0)
    finally:
        del outbox._MAKERS["probe"]
    assert written == [True]
    assert send_due() == (1, 0)  # the one written meanwhile, in the next run
