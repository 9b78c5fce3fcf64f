import random

import pytest

from accreditation.checklists import DEFINITIONS_DIR
from accreditation.standards.operations import publish_definitions


@pytest.fixture
def published_checklists(app):
    """The shipped checklists, all published (property inspection v2 from 5 April 2027)."""
    return publish_definitions(None, DEFINITIONS_DIR)


@pytest.fixture
def rng():
    return random.Random(7)
