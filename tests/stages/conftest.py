import pytest

from tests.cases.conftest import checklists, journey, today  # noqa: F401 (shared fixtures)


@pytest.fixture
def inspection(journey):  # noqa: F811 (the shared fixture, used)
    """An application at the property inspection stage; its first property's inspection."""
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    return journey.case.properties[0]
