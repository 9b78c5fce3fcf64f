"""The hosts production answers to: its own address's and the allowed ones. A request for any
other host is a plain 400, before the app reads its session or writes anything."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.extensions import db

from .conftest import PRODUCTION_DATA_KEY, config_for, running_app

HOST = "accreditation.example.gov.uk"
ALLOWED = ("internal.example", "10.0.0.5")

LABEL = r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?"
host_names = st.from_regex(rf"{LABEL}(\.{LABEL}){{0,3}}", fullmatch=True).filter(
    lambda name: name not in (HOST, *ALLOWED))
ports = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))


@pytest.fixture
def production_app(database_url):
    yield from running_app(config_for(
        database_url, ENV_NAME="production", SECRET_KEY="s" * 40, DATA_KEYS=PRODUCTION_DATA_KEY,
        BASE_URL=f"https://{HOST}", ALLOWED_HOSTS=",".join(ALLOWED)))


def request_for(app, host: str, path: str = "/accessibility", method: str = "GET", **kwargs):
    """As the proxy passes a request on: plain HTTP, the browser's ``Host`` header."""
    return app.test_client().open(path, method=method, base_url=f"http://{host}", **kwargs)


@pytest.mark.parametrize("host", [HOST, f"{HOST}:443", "ACCREDITATION.Example.gov.uk",
                                  "internal.example", "10.0.0.5:8000"])
def test_production_answers_to_its_own_host_and_the_allowed_ones(production_app, host):
    assert request_for(production_app, host).status_code == 200


@settings(max_examples=40)
@given(name=host_names, port=ports)
@example(name="evil.example", port="")
@example(name=f"evil.{HOST}", port="")  # a name under the service's is not the service
@example(name=f"{HOST}.evil.example", port="")
@example(name="localhost", port=":8000")
def test_production_refuses_any_other_host_plainly_and_does_nothing(production_app, name,
                                                                    port):
    host = name + port
    for method, path, data in (("GET", "/sign-in", None),
                               ("POST", "/sign-in", {"email": "a@example.org"}),
                               ("GET", "/invitations/some-token", None)):
        response = request_for(production_app, host, path, method, data=data)
        assert response.status_code == 400, (method, path)
        assert response.mimetype == "text/plain"
        # The same few words whatever the host: nothing is built for it.
        assert response.text == "Bad request: this service does not answer to that host name.\n"
        assert "Set-Cookie" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # headers as always
    # Not even the refused form was audited: the request never reached the app.
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
