"""Pages, errors, headers and the health check, as a visitor meets them."""

import json
from pathlib import Path

import pytest

from accreditation import create_app
from accreditation.auth.permissions import public
from accreditation.extensions import db
from accreditation.notifications.outbox import queue_email

from .conftest import config_for
from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path, heading", [
    ("/", "Accreditation of supported accommodation for young people"),
    ("/sign-in", "Sign in"),
    ("/register-organisation", "Register your organisation"),
    ("/accessibility", "Accessibility statement"),
    ("/privacy", "Privacy notice"),
    ("/cookies", "Cookies"),
])
def test_public_pages(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-' in response.text
    assert heading in response.text


def test_pages_carry_no_crown_and_no_gov_uk_branding(client):
    page = client.get("/").text
    assert "govuk-header__logotype" not in page
    assert "govuk-footer__crown" not in page
    assert "GOV.UK" not in page
    assert "Accommodation accreditation" in page


def test_the_stylesheet_uses_the_system_font_stack_not_gds_transport():
    css = (ROOT / "accreditation" / "static" / "dist" / "app.css").read_text()
    assert "GDS Transport" not in css
    assert "system-ui" in css
    assert "@font-face" not in css


@pytest.mark.parametrize("path, mimetype", [
    ("/static/dist/app.css", "text/css"),
    ("/static/dist/govuk-frontend.min.js", "text/javascript"),
    ("/static/js/app.mjs", "text/javascript"),
    ("/static/favicon.svg", "image/svg+xml"),
])
def test_static_assets_are_served(client, path, mimetype):
    with client.get(path) as response:
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.data


def test_security_headers_on_every_page(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Server" not in response.headers or "Werkzeug" not in response.headers["Server"]


def test_healthz_says_only_that_the_service_is_alive(client):
    """Anyone (a load balancer) may ask; the answer names no database, scanner or version."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    for detail in ("sqlite", "postgresql", "scanner", "backend", "version"):
        assert detail not in response.text.lower()


def test_healthz_says_when_the_database_is_unreachable(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite'}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert response.headers["Cache-Control"] == "no-store"


def test_commissioners_see_the_details_of_the_health_check(app, client):
    client.sign_in(UserFactory(commissioner=True))
    queue_email(to="sam@example.org", subject="Hello", body="Queued.")
    db.session.commit()
    response = client.get("/healthz/details")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] in ("sqlite", "postgresql")
    migrations = body["database"]["migrations"]
    assert migrations["current"] == migrations["expected"]
    assert body["evidence_storage"]["status"] == "ok"
    assert body["evidence_storage"]["scanner"] == "not configured"
    assert body["data_keys"] == {"status": "ok"}
    assert body["outbox"]["queued"] == 1 and body["outbox"]["given_up"] == 0
    assert body["outbox"]["oldest_queued_at"]


@pytest.mark.parametrize("role", ["provider", "inspector", "social_worker"])
def test_only_commissioners_see_the_details_of_the_health_check(client, role):
    client.sign_in(UserFactory(**{role: True}))
    response = client.get("/healthz/details")
    assert response.status_code == 403
    assert "sqlite" not in response.text and "postgresql" not in response.text
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_the_health_command_prints_the_details_and_fails_when_something_is_down(
        app, runner, monkeypatch):
    result = runner.invoke(args=["health"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["database"]["status"] == "ok"
    storage = app.extensions["evidence_storage"]
    monkeypatch.setattr(storage, "health", lambda: {"status": "unavailable"})
    result = runner.invoke(args=["health"])
    assert result.exit_code == 1
    details = json.loads(result.output)
    assert details["status"] == "unavailable"
    assert details["evidence_storage"]["status"] == "unavailable"


def test_an_unexpected_error_shows_a_friendly_page_without_a_trace(app, client):
    @app.route("/explode")
    @public
    def explode():
        raise RuntimeError("internal detail that must not leak")

    response = client.get("/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "internal detail" not in response.text
    assert "Traceback" not in response.text


def test_the_log_names_the_failing_route_not_the_address(app, client, caplog):
    """Addresses can carry secrets (an invitation's token): the log gets the route pattern."""
    @app.route("/explode/<token>")
    @public
    def explode_with_token(token):
        raise RuntimeError("boom")

    with caplog.at_level("ERROR", logger="accreditation.errors"):
        response = client.get("/explode/secret-token-1234?q=private-search")
    assert response.status_code == 500
    assert "GET /explode/<token>" in caplog.text
    assert "secret-token-1234" not in caplog.text and "private-search" not in caplog.text


def test_api_errors_are_json_problems(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_a_wrong_method_is_refused_clearly(client):
    response = client.post("/accessibility")
    # CSRF protection answers first for a POST without a token: still a clear 400.
    assert response.status_code in (400, 405)
    assert "Traceback" not in response.text
    assert client.delete("/healthz").status_code == 405


def test_signed_in_pages_say_who_is_signed_in(client):
    user = UserFactory(full_name="Priya Shah")
    client.sign_in(user)
    page = client.get("/commissioner/").text
    assert "Signed in as Priya Shah (commissioner)" in page
    assert "Sign out" in page
