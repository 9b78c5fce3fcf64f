"""E-mails about applications reach the provider's users through the outbox and real SMTP."""

from datetime import timedelta

import sqlalchemy as sa

from accreditation.cases import operations
from accreditation.cases.models import ProposalKind
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage, send_due

from ..factories import UserFactory
from ..test_notifications import smtp  # noqa: F401 (a real SMTP listener on loopback)
from .journey import TODAY


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_return_tells_every_provider_user_what_is_needed_and_by_when(journey, smtp):  # noqa: F811
    colleague = UserFactory(provider=True, organisation=journey.organisation)
    case = journey.submit()
    operations.return_to_provider(journey.commissioner, case, message="Send the lease.",
                                  due_on=TODAY + timedelta(days=14),
                                  expected_version=case.version)
    messages = outbox()
    assert {m.recipient for m in messages} == {journey.provider.email, colleague.email}
    assert all("Send the lease." in m.body and "6 December 2026" in m.body for m in messages)
    assert send_due() == (2, 0)
    assert len(smtp.messages) == 2
    assert b"more information needed" in smtp.messages[0].content


def test_the_decision_is_sent_to_the_provider(journey):
    journey.all_the_way()
    (message,) = [m for m in outbox() if "accredited" in m.subject]
    assert message.recipient == journey.provider.email
    assert "until 22 November 2027" in message.body


def test_a_refusal_says_when_the_provider_can_reapply(journey):
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    journey.inspect_properties()
    journey.adverse(ProposalKind.REFUSAL, reasons="Not safe.")
    (message,) = [m for m in outbox() if "refused" in m.subject]
    assert "Not safe." in message.body
    assert "20 February 2027" in message.body


def test_no_email_names_a_young_person_or_carries_an_address(journey):
    journey.all_the_way()
    for message in outbox():
        for link in journey.case.properties:
            assert link.home.address_line_1 not in message.body
        assert "Y-0" not in message.body  # file references stay inside the service
