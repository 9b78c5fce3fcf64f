"""``/metrics`` for Prometheus: only with its bearer token; requests by route pattern, never
the address asked for; the state of the outbox, scans, periodic work and the audit chain."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from accreditation import audit
from accreditation.audit import AuditEvent
from accreditation.extensions import db
from accreditation.notifications.outbox import queue_email

TOKEN = "a-long-random-metrics-token-for-tests"  # noqa: S105


@pytest.fixture
def scrape(app, client):
    app.config["METRICS_TOKEN"] = TOKEN

    def scrape() -> dict:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        assert response.mimetype == "text/plain"
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return scrape


def test_metrics_are_not_there_without_a_token_set(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_need_the_token(app, client, header):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    refused = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.metrics_refused")).one()
    assert refused.details["reason"] == ("no token" if header is None else "wrong token")
    assert TOKEN not in str(refused.details)
    assert "accreditation_" not in response.text


def test_requests_are_counted_by_route_pattern_never_by_address(client, scrape):
    secret = "s3cret-invitation-token-in-the-address"
    before = scrape()
    for _ in range(3):
        client.get(f"/invitations/{secret}")
    client.get("/no/such/page/with-a-secret-too")
    after = scrape()
    text = repr(after)
    assert secret not in text and "with-a-secret-too" not in text
    counted = {labels: value - before.get((name, labels), 0)
               for (name, labels), value in after.items()
               if name == "accreditation_http_requests_total"}
    assert sum(value for labels, value in counted.items()
               if ("route", "/invitations/<token>") in labels) == 3
    assert counted[(("method", "GET"), ("route", "(no route)"), ("status", "404"))] == 1
    assert any(name == "accreditation_http_request_duration_seconds_count"
               and ("route", "/invitations/<token>") in labels for name, labels in after)


def test_the_service_state_is_read_from_the_database(runner, scrape):
    samples = scrape()
    assert samples[("accreditation_outbox_unsent", (("state", "waiting"),))] == 0
    assert samples[("accreditation_evidence_awaiting_scan", (("scan_status", "pending"),))] == 0
    assert ("accreditation_periodic_last_success_timestamp_seconds",
            (("command", "tick"),)) not in samples

    queue_email(to="someone@example.org", subject="Queued", body="Waiting.")
    audit.record("councils.loaded", details={"added": 0})
    db.session.commit()
    assert runner.invoke(args=["tick"]).exit_code == 0
    samples = scrape()
    assert samples[("accreditation_outbox_unsent", (("state", "waiting"),))] == 1
    assert samples[("accreditation_audit_chain_length", ())] == audit.verify().checked
    assert samples[("accreditation_audit_chain_length", ())] >= 1
    assert samples[("accreditation_periodic_last_success_timestamp_seconds",
                    (("command", "tick"),))] > 0
