"""Forgotten passwords: the answer never says whether an address has an account (nor does the
time it takes), the e-mailed link works once, for an hour, and only under the password it was
sent under; a new password ends every session and token, and the second factor is still asked
for; requests are throttled; no token is written down anywhere."""

from __future__ import annotations

import logging
import re
import statistics
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.auth import password_reset
from accreditation.auth.models import AccountLink, ApiToken, User
from accreditation.auth.tokens import TABLET_TOKEN_NAME, create_token
from accreditation.database import utcnow
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.secret_paths import redact

from .conftest import config_for, reset_database, running_app
from .factories import TEST_PASSWORD, UserFactory
from .test_auth import PROXY, browser, proxied_app  # noqa: F401 (a fixture)
from .test_registration import DOMAIN, LOCAL_PART, main_text

FORGOTTEN = "/sign-in/forgotten-password"
SENT = "/sign-in/forgotten-password/check-your-email"
LINK = re.compile(r"https?://[^/\s]+(/reset-password/\S+)")
NEW_PASSWORD = "a fresh and memorable passphrase"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def emails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def ask(client, email: str):
    return client.submit(FORGOTTEN, {"email": email})


def reset_link(address: str) -> str:
    """The path of the link in the newest e-mail to ``address``."""
    (path,) = LINK.findall(emails_to(address)[-1].body)
    return path


def set_password(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.submit(link, {"password": password, "confirm_password": confirm or password})


def signs_in(address: str, password: str) -> bool:
    response = current_app.test_client().submit(
        "/sign-in", {"email": address, "password": password})
    return response.status_code == 302


# --- the journey --------------------------------------------------------------------------------

def test_a_provider_resets_a_forgotten_password_from_the_emailed_link(client):
    user = UserFactory(provider=True, email="ada@albion.example.org")
    sign_in_page = client.get("/sign-in")
    assert f'href="{FORGOTTEN}">Forgotten your password?</a>' in sign_in_page.text
    response = ask(client, "  Ada@Albion.example.org ")
    assert response.status_code == 302 and response.location == SENT
    page = client.get(SENT)
    assert "If an account exists for the address you gave, we have sent it a link" in page.text
    assert "expires in 60 minutes" in page.text
    (message,) = emails_to(user.email)
    assert "expires in 60 minutes" in message.body
    link = reset_link(user.email)
    # On the service's own address, whatever host the request named.
    assert LINK.search(message.body).group(0).startswith(
        current_app.config["BASE_URL"] + "/reset-password/")
    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.text
    assert form.headers["Cache-Control"] == "no-store"
    response = set_password(client, link)
    assert response.status_code == 302 and response.location == "/sign-in"
    assert "Your password has been changed. Sign in with your new password." in client.get(
        "/sign-in").text
    assert not signs_in(user.email, TEST_PASSWORD)
    assert signs_in(user.email, NEW_PASSWORD)
    changed = emails_to(user.email)[-1]
    assert "has been changed" in changed.subject
    assert "contact the commissioning team" in changed.body
    assert not LINK.search(changed.body)
    assert actions()[:2] == ["auth.password_reset_requested", "auth.password_reset"]


def test_the_new_password_follows_todays_rules_and_the_link_still_works_after(client):
    user = UserFactory(provider=True)
    ask(client, user.email)
    link = reset_link(user.email)
    response = set_password(client, link, "too short")
    assert response.status_code == 400
    assert "Password must be between 12 and" in response.text
    assert 'href="#password"' in response.text  # the error summary names the field
    response = set_password(client, link, NEW_PASSWORD, "another passphrase entirely")
    assert response.status_code == 400 and "Passwords must match" in response.text
    assert set_password(client, link).status_code == 302
    assert signs_in(user.email, NEW_PASSWORD)


# --- the link: once, for an hour, under the password it was sent under ---------------------------

def test_the_link_works_once(client):
    user = UserFactory(provider=True)
    ask(client, user.email)
    link = reset_link(user.email)
    assert set_password(client, link).status_code == 302
    again = client.application.test_client()
    response = again.get(link)
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text
    assert 'href="/sign-in/forgotten-password">Ask for a new link</a>' in response.text
    response = again.submit(link, {"password": "yet another long passphrase",
                                   "confirm_password": "yet another long passphrase"},
                            form_page=FORGOTTEN)
    assert response.status_code == 404
    assert signs_in(user.email, NEW_PASSWORD)
    assert "auth.password_reset_refused" in actions()


def test_a_made_up_link_is_refused_and_not_audited(client):
    response = client.get("/reset-password/made-up-token")
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text
    assert "auth.password_reset_refused" not in actions()


def test_a_new_link_replaces_the_one_before(client):
    user = UserFactory(provider=True)
    ask(client, user.email)
    first = reset_link(user.email)
    ask(client, user.email)
    second = reset_link(user.email)
    assert first != second
    assert client.get(first).status_code == 404
    assert set_password(client, second).status_code == 302


def test_the_link_expires_after_an_hour(client, monkeypatch):
    user = UserFactory(provider=True)
    ask(client, user.email)
    link = reset_link(user.email)
    asked = utcnow()
    monkeypatch.setattr(password_reset, "utcnow", lambda: asked + timedelta(minutes=59))
    assert client.get(link).status_code == 200
    monkeypatch.setattr(password_reset, "utcnow", lambda: asked + timedelta(minutes=60, seconds=1))
    response = client.get(link)
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text
    monkeypatch.undo()
    assert signs_in(user.email, TEST_PASSWORD)


def test_links_are_forgotten_a_month_after_they_expire(client, runner, monkeypatch):
    user = UserFactory(provider=True)
    ask(client, user.email)
    runner.invoke(args=["tick"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountLink)) == 1
    asked = utcnow()
    monkeypatch.setattr(password_reset, "utcnow",
                        lambda: asked + timedelta(days=30, hours=1, seconds=1))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "old account links forgotten" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountLink)) == 0


@pytest.fixture
def quick_links(database_url):
    """The app with links that work for 5 minutes (``PASSWORD_RESET_LINK_MINUTES``)."""
    yield from running_app(config_for(database_url, PASSWORD_RESET_LINK_MINUTES=5))


def test_how_long_the_link_works_is_a_setting(quick_links, monkeypatch):
    client = quick_links.test_client()
    user = UserFactory(provider=True)
    ask(client, user.email)
    assert "expires in 5 minutes" in emails_to(user.email)[-1].body
    asked = utcnow()
    monkeypatch.setattr(password_reset, "utcnow", lambda: asked + timedelta(minutes=5, seconds=1))
    assert client.get(reset_link(user.email)).status_code == 404


def test_a_password_changed_since_ends_the_link(client):
    user = UserFactory(provider=True)
    ask(client, user.email)
    link = reset_link(user.email)
    owner = client.application.test_client()
    owner.sign_in(user)
    assert owner.submit("/account/password", {
        "current_password": TEST_PASSWORD, "password": "the owner's new passphrase",
        "confirm_password": "the owner's new passphrase"}).status_code == 302
    response = client.get(link)
    assert response.status_code == 404
    refused = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auth.password_reset_refused")).one()
    assert refused.details["reason"] == "password changed since"
    assert signs_in(user.email, "the owner's new passphrase")


def test_the_link_is_kept_only_as_a_hash(client):
    user = UserFactory(provider=True)
    ask(client, user.email)
    token = reset_link(user.email).rsplit("/", 1)[1]
    rows = db.session.execute(sa.text("SELECT * FROM account_link")).all()
    assert len(rows) == 1 and token not in str(rows)


# --- afterwards: every session and token ends; the second factor is still asked for -------------

def test_a_new_password_ends_every_session_and_withdraws_every_token(app):
    user = UserFactory(provider=True)
    laptop = app.test_client()
    laptop.sign_in(user)
    assert laptop.get("/provider/").status_code == 200
    _, api_token = create_token(user, "council system")
    _, tablet_token = create_token(user, TABLET_TOKEN_NAME)
    stranger = app.test_client()
    ask(stranger, user.email)
    assert set_password(stranger, reset_link(user.email)).status_code == 302
    assert laptop.get("/provider/").status_code == 302  # signed out
    for token in (api_token, tablet_token):
        response = app.test_client().get("/api/v1/cases",
                                         headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.revoked_at.is_(None))) == 0
    assert stranger.get("/provider/").status_code == 302  # the link signs nobody in


@pytest.mark.parametrize("role", ["commissioner", "inspector"])
def test_a_reset_never_gets_past_the_second_factor(app, role):
    user = UserFactory(**{role: True})
    client = app.test_client()
    ask(client, user.email)
    assert set_password(client, reset_link(user.email)).status_code == 302
    response = client.submit("/sign-in", {"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302 and response.location.startswith("/sign-in/code")
    assert client.get("/commissioner/").status_code == 302  # not signed in yet
    response = client.submit("/sign-in/code", {"code": "000000"})
    assert response.status_code == 400
    assert "auth.signed_in" not in actions()


def test_a_provider_who_added_an_authenticator_still_needs_it(app):
    user = UserFactory(provider=True)
    client = app.test_client()
    client.sign_in(user)
    client.set_up_authenticator("/account/authenticator")
    other = app.test_client()
    ask(other, user.email)
    assert set_password(other, reset_link(user.email)).status_code == 302
    response = other.submit("/sign-in", {"email": user.email, "password": NEW_PASSWORD})
    assert response.location.startswith("/sign-in/code")
    assert other.get("/provider/").status_code == 302


# --- no account enumeration -------------------------------------------------------------------

def test_an_address_without_an_account_gets_the_same_page_and_no_email(client):
    UserFactory(provider=True, email="known@example.org")
    deactivated = UserFactory(provider=True, email="closed@example.org", is_active=False)
    answers = []
    for address in ("known@example.org", "nobody@example.org", deactivated.email):
        browser_ = client.application.test_client()
        response = ask(browser_, address)
        answers.append((response.status_code, response.location,
                        main_text(browser_.get(response.location).text, address)))
    assert answers[0] == answers[1] == answers[2]
    assert len(emails_to("known@example.org")) == 1
    assert emails_to("nobody@example.org") == [] and emails_to(deactivated.email) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountLink)) == 1


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(known=LOCAL_PART, unknown=LOCAL_PART, domain=DOMAIN)
def test_no_address_is_told_apart_by_the_answer(app, known, unknown, domain):
    known, unknown = f"{known}@{domain}", f"{unknown}@{domain}"
    assume(known != unknown)
    reset_database()
    UserFactory(provider=True, email=known)
    answers = []
    for address in (known, unknown):
        client = app.test_client()
        response = ask(client, address)
        answers.append((response.status_code, response.location,
                        main_text(client.get(response.location).text, address)))
    assert answers[0] == answers[1]


@pytest.fixture
def roomy(database_url):
    """The app with room to ask often (the throttle is tested on its own below)."""
    yield from running_app(config_for(database_url, ACCOUNT_EMAIL_MAX_PER_CLIENT=1000,
                                      ACCOUNT_EMAIL_MAX_PER_ADDRESS=1000))


def test_an_address_with_an_account_takes_about_as_long(roomy):
    """Medians over repeated requests, alternating, so that noise hits both alike."""
    UserFactory(provider=True, email="known@example.org")
    client = roomy.test_client()
    token = client.csrf_token(FORGOTTEN)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(15):
        for kind, address in (("known", "known@example.org"),
                              ("unknown", f"nobody{n}@example.org")):
            started = time.perf_counter()
            response = client.post(FORGOTTEN, headers={"Referer": "https://localhost/"},
                                   data={"email": address, "csrf_token": token})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 302
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    # Generous: the difference must be lost in the noise of a shared machine.
    assert 0.6 < known / unknown < 1.6, timings


# --- throttling -------------------------------------------------------------------------------

def test_requests_are_throttled_per_client(app, client):
    limit = app.config["ACCOUNT_EMAIL_MAX_PER_CLIENT"]
    statuses = [ask(client, f"probe{n}@example.org").status_code for n in range(limit + 3)]
    assert statuses == [302] * limit + [429] * 3
    user = UserFactory(provider=True)
    response = ask(client, user.email)
    assert response.status_code == 429
    assert "There have been too many requests to reset a password" in response.text
    assert emails_to(user.email) == []
    assert "auth.password_reset_throttled" in actions()
    # Signing in is throttled apart.
    assert client.submit("/sign-in", {"email": user.email,
                                      "password": TEST_PASSWORD}).status_code == 302


def test_requests_are_throttled_per_address_whichever_client_asks(proxied_app):  # noqa: F811
    user = UserFactory(provider=True)
    limit = proxied_app.config["ACCOUNT_EMAIL_MAX_PER_ADDRESS"]
    for n in range(limit):
        assert ask(browser(proxied_app, PROXY, f"203.0.113.{n}"), user.email).status_code == 302
    latecomer = browser(proxied_app, PROXY, "198.51.100.1")
    assert ask(latecomer, user.email).status_code == 429
    assert len(emails_to(user.email)) == limit
    assert ask(latecomer, "someone.else@example.org").status_code == 302


# --- no token written down ------------------------------------------------------------------

def test_no_token_is_written_in_any_log_or_the_audit_trail(app, client, caplog):
    user = UserFactory(provider=True)
    with caplog.at_level(logging.DEBUG):
        ask(client, user.email)
        link = reset_link(user.email)
        token = link.rsplit("/", 1)[1]
        client.get(link)
        # A post without its form token is refused and audited: by the route, not the token.
        refused = client.application.test_client().post(
            link, data={"password": NEW_PASSWORD}, headers={"Referer": f"https://localhost{link}"})
        assert refused.status_code == 400
        set_password(client, link)
        client.get(link)  # used: refused, audited
    assert token not in caplog.text
    for event in db.session.scalars(sa.select(AuditEvent)):
        assert token not in str(event.details), event.action
    repeats = db.session.execute(sa.text("SELECT * FROM audit_repeat")).all()
    assert token not in str(repeats)
    assert redact(f"GET {link} HTTP/1.1") == "GET /reset-password/[redacted] HTTP/1.1"
    assert any(event.details and event.details.get("path") == "/reset-password/[redacted]"
               for event in db.session.scalars(sa.select(AuditEvent).where(
                   AuditEvent.action == "access.denied")))


# --- hostile input -----------------------------------------------------------------------------

@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=st.text(max_size=300), password=st.text(max_size=300),
       confirm=st.text(max_size=30))
def test_the_forms_refuse_anything_without_failing(roomy, email, password, confirm):
    client = roomy.test_client()
    assert ask(client, email).status_code in (302, 400)
    user = db.session.scalar(sa.select(User).where(User.email == "fuzz@example.org")) or \
        UserFactory(provider=True, email="fuzz@example.org")
    assert ask(client, user.email).status_code == 302
    response = set_password(client, reset_link(user.email), password, confirm)
    assert response.status_code in (302, 400), response.text
