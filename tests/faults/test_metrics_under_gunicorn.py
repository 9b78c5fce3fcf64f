"""Metrics under gunicorn with several workers (``PROMETHEUS_MULTIPROC_DIR``): a scrape counts
the requests every worker answered, whichever worker answers the scrape."""

from __future__ import annotations

import time
import uuid

import requests
from flask_migrate import upgrade
from prometheus_client.parser import text_string_to_metric_families

from accreditation.extensions import db

from .data import app_for
from .stack import new_database

TOKEN = "metrics-token-for-the-gunicorn-test"  # noqa: S105
REQUESTS = 40


def counted(url: str, route: str) -> float:
    response = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return sum(sample.value for family in text_string_to_metric_families(response.text)
               for sample in family.samples
               if sample.name == "accreditation_http_requests_total"
               and sample.labels["route"] == route)


def test_a_scrape_adds_up_every_workers_requests(postgres, serve, tmp_path):
    database = new_database(postgres, f"metrics_{uuid.uuid4().hex[:8]}")
    app = app_for(database)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by an earlier run")
    server = serve(database, workers=3, ACCREDITATION_METRICS_TOKEN=TOKEN,
                   PROMETHEUS_MULTIPROC_DIR=str(folder))
    # A fresh connection each time, so that the requests spread over the workers; on a busy
    # machine one worker may take many in a row, so more are sent (bounded) until a second has
    # answered (the stale file above is gone once the service has started).
    workers_answered = lambda: len(list(folder.glob("counter_*.db")))  # noqa: E731
    sent, deadline = 0, time.monotonic() + 60
    while sent < REQUESTS or (workers_answered() < 2 and time.monotonic() < deadline):
        assert requests.get(server.url + "/accessibility", timeout=10).status_code == 200
        sent += 1
    assert workers_answered() > 1
    # The readiness requests gunicorn's start-up made count too: at least ours, from any worker.
    seen = [counted(server.url, "/accessibility") for _ in range(6)]
    assert min(seen) >= sent
    assert len(set(seen)) == 1, seen  # the same total whichever worker answered
