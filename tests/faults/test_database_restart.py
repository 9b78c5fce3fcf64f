"""PostgreSQL stopped as if it crashed (pg_ctl -m immediate) and started again while requests
run: requests during the outage get a clean 503 (a problem object or the service's page,
never a stack trace), every acknowledged write is there afterwards, and the same gunicorn
workers serve again by themselves (the pool checks connections before use)."""

from __future__ import annotations

import json
import threading
import time

import requests

from .stack import Browser, start_postgres_again, stop_postgres_now
from .traffic import AnswerSync, Reader, check_writes


def test_requests_during_a_database_restart_fail_cleanly_and_recover(postgres, seeded, serve):
    database, data = seeded
    server = serve(database, workers=2, threads=4)
    social_worker = data["social_workers"][0]
    browser = Browser(server.url)
    browser.sign_in(social_worker["email"])
    stop = threading.Event()
    writers = [AnswerSync(server.url, stop, inspector["token"], inspector["links"][0])
               for inspector in data["inspectors"]]
    api_reader = Reader(server.url, stop, "/api/v1/register/properties?q=house",
                        headers={"Authorization": f"Bearer {social_worker['token']}"})
    page_reader = Reader(server.url, stop, "/register/", session=browser)
    clients = [*writers, api_reader, page_reader]
    workers_before = server.worker_pids()
    for client in clients:
        client.start()
    try:
        time.sleep(1.0)
        stop_postgres_now(postgres)
        time.sleep(1.5)
        health = requests.get(server.url + "/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable"}
        start_postgres_again(postgres)
        deadline = time.monotonic() + 30
        while requests.get(server.url + "/healthz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the app did not recover by itself"
            time.sleep(0.2)
        time.sleep(1.5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)

    assert server.worker_pids() == workers_before, "workers were restarted"
    # Nothing escaped the app's error handling (a bare server error logs a traceback).
    assert "Traceback" not in server.log_tail(10**7), server.log_tail()
    outcomes = [outcome for client in clients for outcome in client.outcomes]
    unexpected = [outcome for outcome in outcomes if outcome.kind in ("other", "connection")]
    assert not unexpected, [(o.kind, o.status, o.body[:300]) for o in unexpected[:3]]
    refused = [outcome for outcome in outcomes if outcome.kind == "refused"]
    assert refused, "no request reached the app while the database was down"
    for client in clients:
        for outcome in client.outcomes:
            if outcome.kind != "refused":
                continue
            assert outcome.status == 503, (outcome.status, outcome.body[:500])
            assert "Traceback" not in outcome.body and "psycopg" not in outcome.body
            if client is page_reader:
                assert "Sorry, the service is unavailable" in outcome.body
            else:
                problem = json.loads(outcome.body)
                assert problem["status"] == 503
                assert problem["title"] == "Sorry, the service is unavailable"
    # Every client was served again after the restart, with the same workers.
    assert all(client.outcomes[-1].kind == "ok" for client in clients)
    assert page_reader.outcomes[-1].status == 200  # still signed in: the session survived
    totals = check_writes(database, writers)
    assert totals["acknowledged"] > 10
