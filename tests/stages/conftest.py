import pytest

from accreditation import create_app
from tests.cases.conftest import checklists, journey, today  # noqa: F401 (shared fixtures)

from ..conftest import Client, config_for, empty_all_tables


@pytest.fixture
def app(database_url, tmp_path):
    """The app with its evidence stored under the test's own temp folder."""
    app = create_app(config_for(database_url, STORAGE="local",
                                STORAGE_LOCAL_PATH=str(tmp_path / "evidence"), SCANNER_URL=None))
    app.test_client_class = Client
    with app.app_context():
        yield app
    empty_all_tables(app)


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
