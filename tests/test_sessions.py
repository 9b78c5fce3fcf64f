"""Sessions: how long they last, who can end them, and proving it is you before a big change."""

from __future__ import annotations

import contextlib
import re
import time
from collections import deque

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation import create_app
from accreditation.audit import AuditEvent
from accreditation.auth.models import ApiToken
from accreditation.auth.tokens import TABLET_TOKEN_NAME, create_token
from accreditation.config import (
    MAX_FAILURES_PER_ACCOUNT_PER_HOUR,
    ConfigurationError,
    failures_per_account_per_hour,
)
from accreditation.extensions import db

from .conftest import PRODUCTION_DATA_KEY
from .factories import TEST_PASSWORD, UserFactory, authenticator_code


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def age_session(client, **seconds_ago: int) -> None:
    """Move the session's clock marks back, as if that much time had passed."""
    now = int(time.time())
    with client.session_transaction() as session:
        for name, ago in seconds_ago.items():
            session[name] = now - ago


# --- timeouts -------------------------------------------------------------------------------

def test_thirty_minutes_without_a_request_signs_you_out(client):
    client.sign_in(UserFactory(social_worker=True))
    age_session(client, seen_at=30 * 60 + 5)
    response = client.get("/register/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    page = client.get(response.location)
    assert "you did nothing for 30 minutes" in page.text
    assert [event.details["reason"] for event in events("auth.session_expired")] == ["idle"]
    assert client.get("/register/").status_code == 302  # the session really is gone


def test_activity_keeps_the_session_going(client):
    client.sign_in(UserFactory(social_worker=True))
    age_session(client, seen_at=29 * 60)
    assert client.get("/register/").status_code == 200
    with client.session_transaction() as session:
        assert int(time.time()) - session["seen_at"] < 5
    assert client.get("/register/").status_code == 200


def test_twelve_hours_after_signing_in_you_sign_in_again_however_busy(client):
    client.sign_in(UserFactory(provider=True))
    age_session(client, signed_in_at=12 * 3600 + 5, seen_at=10)
    response = client.get("/provider/")
    assert response.location.startswith("/sign-in")
    assert "signed in more than 12 hours ago" in client.get(response.location).text
    assert [event.details["reason"] for event in events("auth.session_expired")] == ["absolute"]


def warning_on(page: str) -> dict[str, str] | None:
    """The sign-out warning's settings as the page gives them to its script, if it has one."""
    found = re.search(r'<dialog class="app-session-timeout"[^>]*data-seconds-left="(\d+)"'
                      r'[^>]*data-warn-seconds="(\d+)"[^>]*data-final="(\w+)"', page)
    return None if found is None else dict(zip(("left", "warn", "final"), found.groups(),
                                                strict=True))


def test_pages_tell_the_sign_out_warning_how_long_the_session_has(client):
    assert warning_on(client.get("/").text) is None  # nobody signed in: no warning
    client.sign_in(UserFactory(social_worker=True))
    age_session(client, seen_at=10 * 60)
    # The request itself is activity: the session has its whole 30 minutes again.
    warning = warning_on(client.get("/register/").text)
    assert 30 * 60 - 5 <= int(warning["left"]) <= 30 * 60
    assert (warning["warn"], warning["final"]) == ("120", "false")
    age_session(client, signed_in_at=12 * 3600 - 5 * 60)
    # Five minutes before the 12-hour limit, which no activity postpones.
    warning = warning_on(client.get("/register/").text)
    assert 295 <= int(warning["left"]) <= 300 and warning["final"] == "true"


def test_staying_signed_in_keeps_the_session_and_says_for_how_long(client):
    client.sign_in(UserFactory(provider=True))
    age_session(client, seen_at=28 * 60)
    response = client.post("/session/keep-alive", headers={
        "X-CSRFToken": client.csrf_token("/provider/"), "Referer": "https://localhost/provider/"})
    assert response.status_code == 200
    left = response.get_json()
    assert 30 * 60 - 5 <= left.pop("seconds") <= 30 * 60
    fresh_token = left.pop("csrf_token")
    assert left == {"final": False, "warn": 120}
    # A fresh form token comes with it, good for the page's forms (here, staying signed in).
    assert client.post("/session/keep-alive", headers={
        "X-CSRFToken": fresh_token, "Referer": "https://localhost/provider/"}).status_code == 200
    token = client.csrf_token("/provider/")
    age_session(client, seen_at=31 * 60)
    response = client.post("/session/keep-alive", headers={
        "X-CSRFToken": token, "Referer": "https://localhost/provider/"})
    assert response.status_code == 302  # too late: signed out, as on any page


def test_templates_rendered_outside_a_request_have_no_warning(app):
    """E-mails and commands render templates with no one signed in: nothing to warn about."""
    from flask import render_template_string

    with app.app_context():
        assert render_template_string("{{ session_time_left }}") == "None"


def test_staying_signed_in_needs_the_forms_token(client):
    client.sign_in(UserFactory(provider=True))
    assert client.post("/session/keep-alive").status_code == 400


def test_the_api_is_not_affected_by_a_browsers_session_clock(app, client):
    user = UserFactory(inspector=True)
    _, token = create_token(user, name="council system")
    response = app.test_client().get("/api/v1/inspector/inspections",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


# --- ending sessions ------------------------------------------------------------------------

def test_signing_out_ends_every_session_of_that_person(app):
    user = UserFactory(commissioner=True)
    laptop, tablet = app.test_client(), app.test_client()
    laptop.sign_in(user)
    tablet.sign_in(user)
    assert tablet.get("/commissioner/").status_code == 200
    laptop.submit("/sign-out", form_page="/commissioner/")
    assert tablet.get("/commissioner/").status_code == 302
    assert laptop.get("/commissioner/").status_code == 302


def test_a_stolen_cookie_is_useless_after_sign_out(app):
    user = UserFactory(provider=True)
    client = app.test_client()
    client.sign_in(user)
    stolen = client.get_cookie("session").value
    client.submit("/sign-out", form_page="/provider/")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/provider/").status_code == 302
    [replayed] = events("auth.session_refused")
    assert replayed.subject_id == str(user.id) and replayed.actor_id is None


def test_the_pages_files_fetched_with_an_ended_session_write_nothing(app):
    """A browser fetches a page's stylesheet, scripts and icon with its cookie: the page is
    refused and kept in the audit trail, its files are served without a write (they need no
    session, and a write for each would make one replay a dozen events)."""
    user = UserFactory(provider=True)
    client = app.test_client()
    client.sign_in(user)
    stolen = client.get_cookie("session").value
    client.submit("/sign-out", form_page="/provider/")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/static/favicon.svg").status_code == 200
    assert events("auth.session_refused") == []
    assert thief.get("/provider/").status_code == 302
    assert len(events("auth.session_refused")) == 1


def test_a_commissioner_signs_a_colleague_out_everywhere(app, client):
    inspector = UserFactory(inspector=True, full_name="Sam Wright")
    tablet = app.test_client()
    tablet.sign_in(inspector)
    create_token(inspector, name=TABLET_TOKEN_NAME)
    commissioner = UserFactory(commissioner=True)
    client.sign_in(commissioner)
    staff = client.get("/commissioner/staff").text
    assert "Sign out everywhere<span class=\"govuk-visually-hidden\">: Sam Wright" in staff

    response = client.submit(f"/commissioner/staff/{inspector.id}/end-sessions",
                             form_page="/commissioner/staff")
    assert response.location == "/commissioner/staff"
    assert "Sam Wright has been signed out on every device" in client.get(
        "/commissioner/staff").text
    assert tablet.get("/inspections/").status_code == 302
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    [event] = events("user.sessions_ended")
    assert event.actor_id == commissioner.id and event.subject_id == str(inspector.id)
    # They can sign in again at once.
    app.test_client().sign_in(inspector)


@pytest.mark.parametrize("role", ["inspector", "social_worker"])
def test_only_commissioners_end_other_peoples_sessions(client, role):
    target = UserFactory(inspector=True)
    client.sign_in(UserFactory(**{role: True}))
    response = client.submit(f"/commissioner/staff/{target.id}/end-sessions",
                             form_page="/account")
    assert response.status_code == 403
    assert events("user.sessions_ended") == []
    assert events("access.denied")


def test_provider_accounts_are_not_managed_from_the_staff_page(client):
    provider = UserFactory(provider=True)
    client.sign_in(UserFactory(commissioner=True))
    response = client.submit(f"/commissioner/staff/{provider.id}/end-sessions",
                             form_page="/commissioner/staff")
    assert response.status_code == 404


# --- proving it is you again ------------------------------------------------------------------

def test_staff_administration_asks_for_the_password_and_code_again_after_a_while(client):
    commissioner = UserFactory(commissioner=True)
    client.sign_in(commissioner)
    assert client.get("/commissioner/staff").status_code == 200
    age_session(client, confirmed_at=16 * 60)
    response = client.get("/commissioner/staff")
    assert response.location == "/account/confirm?next=/commissioner/staff"
    page = client.get(response.location)
    assert 'id="password"' in page.text and 'id="code"' in page.text

    wrong = client.submit(response.location, {"password": "not my password", "code": "000000"})
    assert wrong.status_code == 400
    assert 'href="#password">Your password is not correct' in wrong.text
    no_code = client.submit(response.location, {"password": TEST_PASSWORD, "code": "000000"})
    assert no_code.status_code == 400
    assert len(events("auth.confirmation_failed")) == 2

    ok = client.submit(response.location, {"password": TEST_PASSWORD,
                                            "code": authenticator_code(commissioner.email)})
    assert ok.location == "/commissioner/staff"
    assert client.get("/commissioner/staff").status_code == 200
    assert len(events("auth.identity_confirmed")) == 1


def test_a_change_posted_after_the_confirmation_lapsed_is_not_made(client):
    target = UserFactory(inspector=True)
    client.sign_in(UserFactory(commissioner=True))
    token = client.csrf_token("/commissioner/staff")
    age_session(client, confirmed_at=16 * 60)
    response = client.post(f"/commissioner/staff/{target.id}/end-sessions",
                           data={"csrf_token": token},
                           headers={"Referer": "https://localhost/commissioner/staff"})
    assert response.location == "/account/confirm?next=/commissioner/staff"
    assert events("user.sessions_ended") == []


def test_someone_without_an_app_confirms_with_the_password(client):
    client.sign_in(UserFactory(provider=True))
    page = client.get("/account/confirm")
    assert 'id="password"' in page.text and 'id="code"' not in page.text
    response = client.submit("/account/confirm?next=/account", {"password": TEST_PASSWORD},
                             form_page="/account/confirm")
    assert response.location == "/account"


def test_confirming_never_sends_you_off_the_service(client):
    client.sign_in(UserFactory(provider=True))
    response = client.submit("/account/confirm?next=https://evil.example.com/",
                             {"password": TEST_PASSWORD}, form_page="/account/confirm")
    assert response.location == "/account"


def test_wrong_confirmations_count_towards_the_sign_in_limit(app, client):
    user = UserFactory(provider=True)
    client.sign_in(user)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        client.submit("/account/confirm", {"password": "guess"})
    response = client.submit("/account/confirm", {"password": TEST_PASSWORD})
    assert response.status_code == 429


# --- the cookie -----------------------------------------------------------------------------

def test_production_session_cookie_is_host_only_secure_http_only_and_same_site(
        monkeypatch, tmp_path):
    monkeypatch.setenv("ACCREDITATION_ENV", "production")
    monkeypatch.setenv("ACCREDITATION_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("ACCREDITATION_DATA_KEYS", PRODUCTION_DATA_KEY)
    monkeypatch.setenv("ACCREDITATION_BASE_URL", "https://localhost")
    monkeypatch.setenv("ACCREDITATION_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    app = create_app()
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "domain" not in attributes and "expires" not in attributes  # gone with the browser
    assert "SameSite=Lax" in cookie and "Path=/" in cookie


# --- the sign-in limit ----------------------------------------------------------------------------

def greedy_failures_in_an_hour(window: int, limit: int) -> int:
    """An attacker with many addresses trying once a second whenever the throttle rule lets
    them: how many failures they get in an hour. The rule: an attempt goes ahead when fewer
    than ``limit`` failures came in the last ``limit`` x spacing seconds, or the last one was
    a spacing ago (the window shared out by the limit)."""
    spacing = -(-window // limit)
    recent: deque[int] = deque()
    tried = 0
    for second in range(3600):
        while recent and recent[0] <= second - limit * spacing:
            recent.popleft()
        if len(recent) < limit or second - recent[-1] >= spacing:
            recent.append(second)
            tried += 1
    return tried


@given(window=st.integers(min_value=1, max_value=7200), failures=st.integers(1, 500))
def test_settings_allowing_over_100_failed_sign_ins_per_account_per_hour_are_refused(
        window, failures):
    from accreditation.config import check

    config = {"ENV_NAME": "testing", "LOGIN_WINDOW_SECONDS": window,
              "LOGIN_MAX_FAILURES_PER_ACCOUNT": failures,
              "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT": 5, "LOGIN_MAX_FAILURES_PER_CLIENT": 20,
              "SESSION_IDLE_MINUTES": 30,
              "SESSION_MAX_HOURS": 12, "REAUTHENTICATE_MINUTES": 15}
    try:
        check(config)
    except ConfigurationError as error:
        assert "100 failed sign-ins per account" in str(error)
        assert failures_per_account_per_hour(config) > MAX_FAILURES_PER_ACCOUNT_PER_HOUR
    else:
        assert greedy_failures_in_an_hour(window, failures) <= MAX_FAILURES_PER_ACCOUNT_PER_HOUR


def test_an_hour_of_password_guessing_against_one_account(app, monkeypatch):
    """The real throttle, on the real database, with the clock moved by 10 s per guess."""
    from datetime import timedelta

    from accreditation.auth import operations, throttle
    from accreditation.database import utcnow
    from accreditation.errors import TooManyAttempts, ValidationFailed

    user = UserFactory(provider=True)
    start = utcnow()
    checked = 0
    for guess in range(360):
        monkeypatch.setattr(throttle, "utcnow", lambda guess=guess: start + timedelta(
            seconds=10 * guess))
        try:
            operations.authenticate(user.email, f"guess {guess}", client=f"bot-{guess}")
        except ValidationFailed:
            checked += 1
        except TooManyAttempts:
            pass
    assert 0 < checked <= failures_per_account_per_hour(app.config) <= 100


@settings(max_examples=15)
@given(addresses=st.integers(1, 12), guesses=st.integers(1, 8))
def test_no_amount_of_guessing_elsewhere_keeps_the_owner_out(app, monkeypatch, addresses,
                                                             guesses):
    """However many addresses guess, however often: the owner gets in at once where they
    have signed in before, and from anywhere else after a short wait at most."""
    import math
    from datetime import timedelta

    from accreditation.auth import operations, throttle
    from accreditation.auth.models import LoginAttempt
    from accreditation.database import utcnow
    from accreditation.errors import TooManyAttempts, ValidationFailed

    db.session.execute(sa.delete(LoginAttempt))
    db.session.commit()
    now = utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: now)
    user = UserFactory(provider=True)
    operations.authenticate(user.email, TEST_PASSWORD, client="home")
    for address in range(addresses):
        for guess in range(guesses):
            with contextlib.suppress(ValidationFailed, TooManyAttempts):
                operations.authenticate(user.email, f"guess {guess}", client=f"bot-{address}")
    assert operations.authenticate(user.email, TEST_PASSWORD, client="home") == user
    try:
        operations.authenticate(user.email, TEST_PASSWORD, client="cafe")
    except TooManyAttempts:
        config = app.config
        now += timedelta(seconds=math.ceil(config["LOGIN_WINDOW_SECONDS"]
                                           / config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]))
        assert operations.authenticate(user.email, TEST_PASSWORD, client="cafe") == user
