"""A gunicorn worker killed (kill -9) while requests are in flight: nothing acknowledged is
lost, nothing is half written, the cut requests fail cleanly, and the master replaces the
worker so the service answers again by itself."""

from __future__ import annotations

import os
import signal
import threading
import time

import requests

from .traffic import AnswerSync, check_writes


def test_killing_workers_mid_request_loses_no_acknowledged_write(seeded, serve):
    database, data = seeded
    server = serve(database, workers=2)
    stop = threading.Event()
    links = [(inspector["token"], link) for inspector in data["inspectors"]
             for link in inspector["links"]]
    writers = [AnswerSync(server.url, stop, token, link) for token, link in links]
    for writer in writers:
        writer.start()
    killed: set[int] = set()
    try:
        time.sleep(1.0)
        # Four writers on two single-threaded workers keep both busy: a kill lands mid-request.
        for _ in range(5):
            before = server.worker_pids()
            for pid in before:
                os.kill(pid, signal.SIGKILL)
            killed |= before
            deadline = time.monotonic() + 30
            while len(server.worker_pids() - killed) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            if sum(writer.count("connection") + writer.count("refused")
                   for writer in writers) >= 2:
                break
        time.sleep(1.0)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)

    # The master started new workers and the service answers without any help.
    workers = server.worker_pids()
    assert len(workers) == 2 and not workers & killed
    assert server.process.poll() is None
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200, response.text

    outcomes = [outcome for writer in writers for outcome in writer.outcomes]
    cut = [outcome for outcome in outcomes if outcome.kind in ("connection", "refused")]
    other = [outcome for outcome in outcomes if outcome.kind == "other"]
    assert cut, "no request was in flight when the workers were killed"
    assert not other, [(outcome.status, outcome.body[:300]) for outcome in other[:3]]
    for outcome in cut:
        assert "Traceback" not in outcome.body
    totals = check_writes(database, writers)
    assert totals["acknowledged"] > 5
    # Writes after the kills were served by the new workers.
    assert all(writer.outcomes[-1].kind == "ok" for writer in writers)
