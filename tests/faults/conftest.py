"""Fixtures for the fault tests: a PostgreSQL server of their own, the app under gunicorn."""

from __future__ import annotations

import uuid

import pytest

from .data import seed
from .stack import Gunicorn, app_environment, new_database, start_own_postgres


@pytest.fixture(scope="package")
def postgres():
    server = start_own_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def seeded(postgres) -> tuple[str, dict]:
    """A database with two inspections under way (four properties) and their people."""
    url = new_database(postgres, f"faults_{uuid.uuid4().hex[:8]}")
    return url, seed(url, demo_data=False, provider_staff=0, inspections=2, social_workers=1)


@pytest.fixture
def serve(tmp_path):
    """Start gunicorn with the given settings; stopped after the test."""
    started: list[Gunicorn] = []

    def start(database: str, *, workers: int = 2, threads: int = 1, **settings: str):
        server = Gunicorn(app_environment(database, **settings), workers=workers,
                          threads=threads, log_path=tmp_path / "gunicorn.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
