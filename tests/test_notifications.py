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
