import pytest

from accreditation import create_app
from tests.cases.conftest import checklists, today  # noqa: F401 (shared fixtures)

from ..conftest import Client, config_for, empty_all_tables
from .world import World, build_world


@pytest.fixture
def app(database_url, tmp_path):
    """The app with its evidence stored under the test's own temp folder, no virus scanner."""
    app = create_app(config_for(database_url, STORAGE="local",
                                STORAGE_LOCAL_PATH=str(tmp_path / "evidence"), SCANNER_URL=None))
    app.test_client_class = Client
    with app.app_context():
        yield app
    empty_all_tables(app)


@pytest.fixture
def world(app, today, checklists) -> World:  # noqa: F811 (the shared fixtures, used)
    return build_world()
