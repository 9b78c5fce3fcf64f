import pytest

from tests.cases.conftest import checklists, today  # noqa: F401 (shared fixtures)

from ..conftest import local_evidence_config, running_app
from .world import World, build_world


@pytest.fixture
def app(database_url, tmp_path):
    """The app with its evidence stored under the test's own temp folder, no virus scanner."""
    yield from running_app(local_evidence_config(database_url, tmp_path))


@pytest.fixture
def world(app, today, checklists) -> World:  # noqa: F811 (the shared fixtures, used)
    return build_world()
