"""Each request's id: made by the app, or a trusted load balancer's; sent back in
``X-Request-Id`` and written in every JSON log line about the request."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accreditation.auth.permissions import public
from accreditation.logs import JsonFormatter

from .conftest import config_for, running_app

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def proxied_app(database_url):
    yield from running_app(config_for(database_url, TRUSTED_PROXIES=1))


def test_every_response_carries_a_request_id_of_its_own(client):
    first = client.get("/accessibility").headers["X-Request-Id"]
    second = client.get("/no-such-page").headers["X-Request-Id"]
    assert MADE.fullmatch(first) and MADE.fullmatch(second) and first != second


def test_a_client_cannot_choose_the_id_without_a_trusted_proxy(client):
    response = client.get("/accessibility", headers={"X-Request-Id": "chosen-by-a-client"})
    assert MADE.fullmatch(response.headers["X-Request-Id"])


def test_the_load_balancers_id_is_kept_behind_a_trusted_proxy(proxied_app):
    response = proxied_app.test_client().get(
        "/accessibility", headers={"X-Request-Id": "lb-4f1c2a9e.0001"})
    assert response.headers["X-Request-Id"] == "lb-4f1c2a9e.0001"


@given(st.text(st.characters(exclude_characters="\r\n\x00"), max_size=100))
def test_an_id_that_is_not_a_plain_token_is_never_written_to_the_log(proxied_app, given_id):
    response = proxied_app.test_client().get("/accessibility",
                                             headers={"X-Request-Id": given_id})
    echoed = response.headers["X-Request-Id"]
    if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", given_id):
        assert echoed == given_id
    else:
        assert MADE.fullmatch(echoed)


def test_log_lines_are_json_with_the_request_id(app, client):
    @app.route("/explode")
    @public
    def explode():
        raise RuntimeError("boom")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("accreditation.errors")
    logger.addHandler(handler)
    try:
        response = client.get("/explode")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["level"] == "ERROR"
    assert line["message"] == "unhandled error on GET /explode"
    assert "RuntimeError: boom" in line["exception"]
