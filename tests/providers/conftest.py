"""A signed-in provider, the service's today fixed, and helpers that read what was written."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.extensions import db

from ..factories import CouncilFactory, UserFactory

TODAY = date(2026, 11, 22)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def provider(app, today):
    return UserFactory(provider=True, full_name="Pat Provider")


@pytest.fixture
def organisation(provider):
    return provider.organisation


@pytest.fixture
def council(app):
    return CouncilFactory(name="Islington")


@pytest.fixture
def signed_in(client, provider):
    client.sign_in(provider)
    return client


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def last_event(action: str) -> AuditEvent:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq.desc())).first()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def day(value: date) -> list[str]:
    """A date as the three boxes of a GOV.UK date input send it."""
    return [str(value.day), str(value.month), str(value.year)]
