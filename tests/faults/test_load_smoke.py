"""A short run of the load test (bench/load.py: 20 users for 15 s) inside the test suite:
every kind of request of the mixed workload is served and none fails. The latency target
(p95 under 300 ms) is the full run's (``make bench``), on a machine not busy with the suite."""

from __future__ import annotations

import uuid

from bench.load import report, run_load

from ..seaweedfs import start_seaweedfs
from .stack import new_database

REQUEST_TYPES = {
    "provider: sign in", "provider: pages", "provider: update vacancies",
    "provider: upload evidence", "inspector: sync answers", "social worker: sign in",
    "social worker: register pages", "social worker: register API",
}


def test_short_load_run_serves_every_request_without_failure(postgres, tmp_path):
    database = new_database(postgres, f"load_{uuid.uuid4().hex[:8]}")
    seaweed = start_seaweedfs()
    try:
        result = run_load(database, seaweed, users=20, spawn_rate=10, seconds=15,
                          directory=tmp_path)
    finally:
        seaweed.stop()
    report(result)
    assert result["failures"] == 0, result["failure_kinds"]
    assert set(result["per_request_type"]) >= REQUEST_TYPES, result["per_request_type"]
    assert result["requests"] > 100
