"""Each address answers only to the methods its route implements.

HEAD follows GET. OPTIONS is answered only by the open data feed, which other sites read
from their pages (CORS preflights); everywhere else it is 405 like TRACE and any made-up
method. A 405 names what the address does accept (``Allow``), and says nothing else.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from accreditation import create_app

from ..conftest import config_for
from .matrix import shows_a_stack_trace

IMPLEMENTED = {"GET", "POST", "PUT", "PATCH", "DELETE"}
CORS_PREFIX = "/openreferral/"
NEVER = ("TRACE", "CONNECT", "PROPFIND", "BREW")
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", *NEVER)
VALUES = {"int": 1, "string": "anything", "path": "any/thing", "default": "anything"}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture(scope="module")
def app():
    app = create_app(config_for("sqlite://"))
    with app.app_context():
        yield app


def rules() -> list[Rule]:
    app = create_app(config_for("sqlite://"))
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


def example_url(rule: Rule) -> str:
    """The rule's address with made-up values: routing answers before anything is looked up."""
    values = {name: VALUES.get(converter or "default", VALUES["default"])
              for converter, name in ARGUMENT.findall(rule.rule)}
    return rule.build(values, append_unknown=False)[1]


RULES = rules()


def rule_id(rule: Rule) -> str:
    return f"{rule.rule} ({rule.endpoint})"


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_a_route_declares_only_methods_it_implements(rule):
    declared = set(rule.methods or ())
    assert declared - {"HEAD", "OPTIONS"} <= IMPLEMENTED, declared
    assert declared & IMPLEMENTED, "a route that implements no method"
    assert ("HEAD" in declared) == ("GET" in declared), "HEAD follows GET, and only GET"
    open_feed = rule.rule.startswith(CORS_PREFIX)
    assert ("OPTIONS" in declared) == open_feed, \
        "OPTIONS is answered only by the open data feed (CORS)"
    assert not set(NEVER) & declared


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_any_other_method_is_405_naming_what_the_address_accepts(app, rule):
    client = app.test_client()
    url = example_url(rule)
    accepted = set(app.url_map.bind("localhost").allowed_methods(url))
    assert accepted >= set(rule.methods)
    for method in EVERY_METHOD:
        if method in accepted:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 405, (method, url, response.status_code)
        assert set(response.headers["Allow"].split(", ")) == accepted, (method, url)
        if method != "HEAD":
            assert not shows_a_stack_trace(response.get_data(as_text=True))
        if url.startswith("/api/"):
            assert response.mimetype == "application/problem+json"


def test_the_open_feed_answers_a_cors_preflight_for_reading_only(app):
    response = app.test_client().options("/openreferral/services", headers={
        "Origin": "https://directory.example.org", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.get_data() == b""


def test_the_open_feed_refuses_writes_as_json_saying_it_is_read_only(app):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = app.test_client().open("/openreferral/services", method=method)
        assert response.status_code == 405
        assert response.mimetype == "application/problem+json"
        assert "read-only" in response.json["detail"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/", "/sign-in", "/provider/", "/api/v1/cases",
                                  "/static/favicon.svg"])
def test_options_elsewhere_is_405_whoever_asks(app, path):
    response = app.test_client().options(path, headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 405
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "OPTIONS" not in response.headers["Allow"]


def test_head_answers_like_get_without_a_body(app):
    client = app.test_client()
    get, head = client.get("/accessibility"), client.head("/accessibility")
    assert head.status_code == get.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
