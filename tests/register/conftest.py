"""Fixtures for the register: providers taken through the real operations to a decision."""

import pytest

from accreditation.checklists import DEFINITIONS_DIR
from accreditation.standards.operations import publish_definitions

from ..cases.journey import TODAY, Journey


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def checklists(app):
    """Version 1 of each checklist, as in force on the test's today."""
    for kind in ("due_diligence", "file_sampling", "property_inspection"):
        publish_definitions(None, DEFINITIONS_DIR / kind / "v1.yaml")


@pytest.fixture
def journey(app, today, checklists) -> Journey:
    return Journey()
