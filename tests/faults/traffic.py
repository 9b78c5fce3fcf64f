"""Clients that keep requests in flight while a test breaks something, and note every outcome."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa

CLEAN_FAILURE_STATUSES = {500, 502, 503}


@dataclass
class Outcome:
    kind: str  # "ok", "refused" (5xx problem/page), "connection" (cut mid-request), "other"
    status: int | None = None
    client_ids: list[str] = field(default_factory=list)
    body: str = ""


class Client(threading.Thread):
    """Sends one kind of request over and over until ``stop`` is set."""

    def __init__(self, base_url: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.base_url = base_url
        self.stop = stop
        self.outcomes: list[Outcome] = []
        self.session = requests.Session()

    def send(self) -> Outcome:
        raise NotImplementedError

    def run(self) -> None:
        while not self.stop.is_set():
            self.outcomes.append(self.send())
        self.session.close()

    def classify(self, call, client_ids: list[str] | None = None) -> Outcome:
        ids = client_ids or []
        try:
            response = call()
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            return Outcome("connection", None, ids, type(error).__name__)
        if 200 <= response.status_code < 400:
            return Outcome("ok", response.status_code, ids)
        kind = "refused" if response.status_code in CLEAN_FAILURE_STATUSES else "other"
        return Outcome(kind, response.status_code, ids, response.text[:2000])

    def count(self, kind: str) -> int:
        return sum(outcome.kind == kind for outcome in self.outcomes)


class AnswerSync(Client):
    """A tablet sending batches of three answers for one property, each with fresh ids."""

    def __init__(self, base_url: str, stop: threading.Event, token: str, link: dict):
        super().__init__(base_url, stop)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.link = link
        self.device = uuid.uuid4().hex
        self.rng = random.Random()

    def send(self) -> Outcome:
        ids = [str(uuid.uuid4()) for _ in range(3)]
        body = {"device_id": self.device, "changes": [
            {"client_id": client_id, "item_id": self.rng.choice(self.link["items"]),
             "value": self.rng.choice(["yes", "no"]), "base_revision": 0}
            for client_id in ids]}
        return self.classify(lambda: self.session.post(
            f"{self.base_url}/api/v1/inspections/{self.link['id']}/answers", json=body,
            headers=self.headers, timeout=30), ids)


class Reader(Client):
    def __init__(self, base_url: str, stop: threading.Event, path: str,
                 headers: dict | None = None, session: requests.Session | None = None):
        super().__init__(base_url, stop)
        self.path = path
        self.headers = headers or {}
        if session is not None:
            self.session = session

    def send(self) -> Outcome:
        return self.classify(lambda: self.session.get(
            self.base_url + self.path, headers=self.headers, timeout=30, allow_redirects=False))


def stored_client_ids(database: str, client_ids: list[str]) -> set[str]:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            stored = set()
            for start in range(0, len(client_ids), 500):
                chunk = client_ids[start:start + 500]
                stored |= set(connection.scalars(sa.text(
                    "SELECT client_id FROM answer_change WHERE client_id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)), {"ids": chunk}))
            return stored
    finally:
        engine.dispose()


def check_writes(database: str, writers: list[AnswerSync]) -> dict:
    """Every acknowledged batch is stored whole; every failed one is stored whole or not at
    all (a commit can succeed just before the connection to the client is cut)."""
    outcomes = [outcome for writer in writers for outcome in writer.outcomes]
    sent = [client_id for outcome in outcomes for client_id in outcome.client_ids]
    stored = stored_client_ids(database, sent)
    lost = [outcome.client_ids for outcome in outcomes
            if outcome.kind == "ok" and not set(outcome.client_ids) <= stored]
    partial = [outcome.client_ids for outcome in outcomes
               if 0 < len(set(outcome.client_ids) & stored) < len(outcome.client_ids)]
    assert not lost, f"acknowledged answers missing from the database: {lost[:3]}"
    assert not partial, f"batches half written: {partial[:3]}"
    return {"acknowledged": sum(outcome.kind == "ok" for outcome in outcomes),
            "failed": sum(outcome.kind != "ok" for outcome in outcomes)}
