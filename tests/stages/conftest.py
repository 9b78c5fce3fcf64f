import pytest

from tests.cases.conftest import checklists, journey, today  # noqa: F401 (shared fixtures)

from ..conftest import local_evidence_config, running_app


@pytest.fixture
def app(database_url, tmp_path):
    """The app with its evidence stored under the test's own temp folder."""
    yield from running_app(local_evidence_config(database_url, tmp_path))


@pytest.fixture
def inspection(journey):  # noqa: F811 (the shared fixture, used)
    """An application at the property inspection stage; its first property's inspection."""
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    return journey.case.properties[0]


@pytest.fixture
def sampled_file(journey):  # noqa: F811 (the shared fixture, used)
    """An application at file sampling with its sample drawn; its first sampled file."""
    from accreditation.stages.file_sampling import draw_file_samples, samples_for

    journey.submit()
    journey.pass_due_diligence()
    draw_file_samples(journey.inspector, journey.case)
    return samples_for(journey.case)[0].files[0]
