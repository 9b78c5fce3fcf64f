from tests.cases.conftest import checklists, journey, today  # noqa: F401 (shared fixtures)
