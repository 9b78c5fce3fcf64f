import pytest

from ..factories import publish_first_checklists
from .journey import TODAY, Journey


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def checklists(app):
    """Version 1 of each checklist, as in force on the test's today."""
    publish_first_checklists()


@pytest.fixture
def journey(app, today, checklists) -> Journey:
    return Journey()
