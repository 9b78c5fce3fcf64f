"""Metrics for Prometheus at ``/metrics`` (``prometheus_client``).

- Requests counted and timed by method, route pattern (``/invitations/<token>``, never the
  address asked for, which can hold a token) and status. Under gunicorn, set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder of the host's own: every worker writes its
  numbers there and a scrape adds them up (``gunicorn.conf.py`` empties it at start and
  forgets a worker that ended).
- The service's state, read from the database at each scrape, so the same on every host:
  e-mails waiting to be sent, evidence waiting for a malware scan, when each piece of periodic
  work last succeeded, and the audit chain's length.

Nobody reads it without ``ACCREDITATION_METRICS_TOKEN``: a scrape sends it as
``Authorization: Bearer <token>``; with no token set, ``/metrics`` is not there (404).
"""

from __future__ import annotations

import hmac
import os
import time

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .database import READ_ONLY
from .errors import route_pattern
from .extensions import db

REQUESTS = Counter("accreditation_http_requests", "Requests answered, by route pattern.",
                   ["method", "route", "status"])
LATENCY = Histogram("accreditation_http_request_duration_seconds",
                    "Time to answer a request, by route pattern.", ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    route = route_pattern()
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count)


def authorised(header: str) -> bool | None:
    """None: metrics are off (no token set); else whether ``header`` carries the token."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return None
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    state = CollectorRegistry()
    state.register(ServiceState())
    return generate_latest(requests) + generate_latest(state), CONTENT_TYPE_LATEST


class ServiceState:
    """Gauges read from the database at each scrape (the same whichever host answers)."""

    def collect(self):
        from .audit import AuditChainHead
        from .evidence.models import Evidence, ScanStatus
        from .notifications.outbox import MAX_ATTEMPTS, OutboxMessage
        from .periodic import PeriodicRun

        with db.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})
            unsent = connection.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS))
            given_up = connection.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= MAX_ATTEMPTS))
            waiting = dict(connection.execute(
                sa.select(Evidence.scan_status, sa.func.count(Evidence.id))
                .where(Evidence.scan_status.in_(
                    [ScanStatus.PENDING, ScanStatus.ERROR, ScanStatus.NOT_SCANNED]))
                .group_by(Evidence.scan_status)).all())
            runs = connection.execute(
                sa.select(PeriodicRun.name, PeriodicRun.last_success_at)).all()
            chain = connection.scalar(sa.select(AuditChainHead.seq)) or 0
        outbox = GaugeMetricFamily("accreditation_outbox_unsent",
                                   "E-mails waiting to be sent (given_up: tried too often).",
                                   labels=["state"])
        outbox.add_metric(["waiting"], unsent)
        outbox.add_metric(["given_up"], given_up)
        yield outbox
        scans = GaugeMetricFamily("accreditation_evidence_awaiting_scan",
                                  "Evidence files held back waiting for a malware scan.",
                                  labels=["scan_status"])
        for status in (ScanStatus.PENDING, ScanStatus.ERROR, ScanStatus.NOT_SCANNED):
            scans.add_metric([status.value], waiting.get(status, 0))
        yield scans
        last = GaugeMetricFamily("accreditation_periodic_last_success_timestamp_seconds",
                                 "When each piece of periodic work last finished without an "
                                 "error (Unix time).", labels=["command"])
        for name, at in runs:
            last.add_metric([name], at.timestamp())
        yield last
        yield GaugeMetricFamily("accreditation_audit_chain_length",
                                "Events in the audit trail's hash chain.", value=chain)
