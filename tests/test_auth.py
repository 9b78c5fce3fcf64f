"""Signing in and out, registration, invitations, passwords, throttling, CSRF."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.auth.models import Invitation, Role, User
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.providers.models import Organisation

from .conftest import browser_at, config_for, running_app
from .factories import TEST_PASSWORD, CouncilFactory, UserFactory


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


# --- signing in -------------------------------------------------------------------------

def test_sign_in_with_the_right_password(client):
    user = UserFactory(email="priya@example.org", social_worker=True)
    response = client.submit("/sign-in", {"email": " Priya@Example.org ",
                                          "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/register/").status_code == 200
    assert actions() == ["auth.signed_in"]
    assert db.session.get(User, user.id).last_signed_in_at is not None


@pytest.mark.parametrize("email, password", [
    ("priya@example.org", "wrong password entirely"),
    ("nobody@example.org", TEST_PASSWORD),
])
def test_a_failed_sign_in_says_the_same_thing_whatever_was_wrong(client, email, password):
    UserFactory(email="priya@example.org")
    response = client.submit("/sign-in", {"email": email, "password": password})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter a correct email address and password" in response.text
    assert actions() == ["auth.sign_in_failed"]
    assert client.get("/commissioner/").status_code == 302  # still signed out


def test_a_deactivated_account_cannot_sign_in(client):
    UserFactory(email="gone@example.org", is_active=False)
    response = client.submit("/sign-in", {"email": "gone@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 400


def test_an_empty_form_names_each_missing_field(client):
    response = client.submit("/sign-in", {"email": "", "password": ""})
    assert response.status_code == 400
    assert 'href="#email">Enter your email address' in response.text
    assert 'href="#password">Enter your password' in response.text
    assert actions() == []


def test_sign_in_starts_a_fresh_session(client):
    user = UserFactory()
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.sign_in(user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_in_only_redirects_within_the_service(client):
    user = UserFactory(social_worker=True)
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in?next=https://evil.example.com/", headers={"Referer": "https://localhost/sign-in"},
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client):
    user = UserFactory(social_worker=True)
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in?next=/register/", headers={"Referer": "https://localhost/sign-in"},
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/register/"


def test_sign_out_ends_the_session_and_is_audited(client):
    user = UserFactory()
    client.sign_in(user)
    response = client.submit("/sign-out", form_page="/commissioner/")
    assert response.status_code == 302
    assert client.get("/commissioner/").status_code == 302
    assert actions()[-1] == "auth.signed_out"


def test_sign_out_is_not_a_get(client):
    client.sign_in(UserFactory())
    assert client.get("/sign-out").status_code == 405
    assert client.get("/commissioner/").status_code == 200


# --- throttling ------------------------------------------------------------------------

def test_an_account_is_throttled_from_an_address_after_repeated_failures(app, client):
    UserFactory(email="target@example.org")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]
    for _ in range(limit):
        assert client.submit("/sign-in", {"email": "target@example.org",
                                          "password": "not the password"}).status_code == 400
    # Now even the right password is refused, with a message saying what to do.
    response = client.submit("/sign-in", {"email": "target@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "too many failed attempts" in response.text
    assert "Wait 15 minutes" in response.text
    assert actions()[-1] == "auth.sign_in_throttled"
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.details["limit"] == "account and client"


def test_other_accounts_are_not_throttled_by_one_accounts_failures(app, client):
    UserFactory(email="target@example.org")
    other = UserFactory(email="other@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        client.submit("/sign-in", {"email": "target@example.org", "password": "not the password"})
    assert client.submit("/sign-in", {"email": other.email,
                                      "password": TEST_PASSWORD}).status_code == 302


def test_a_client_is_throttled_across_accounts(app, client):
    app.config["LOGIN_MAX_FAILURES_PER_CLIENT"] = 3
    for n in range(3):
        client.submit("/sign-in", {"email": f"guess{n}@example.org", "password": "guessing away"})
    user = UserFactory()
    response = client.submit("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.details["limit"] == "client"


# Addresses from the documentation ranges: someone guessing, the account's owner at home (where
# they have signed in before) and in a cafe (where they have not).
GUESSER, HOME, CAFE = "198.51.100.9", "203.0.113.5", "192.0.2.44"


def wrong_password(client, email: str):
    return client.submit("/sign-in", {"email": email, "password": "not the password"})


def error_summary(response) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', response.text, re.S)
    assert match, response.text
    return re.sub(r"<[^>]+>", " ", match.group(0))


def test_someone_elses_failures_do_not_lock_the_owner_out(app):
    user = UserFactory(email="target@example.org", social_worker=True)
    guesser = browser(app, GUESSER)
    statuses = [wrong_password(guesser, user.email).status_code for _ in range(20)]
    assert statuses[0] == 400 and statuses[-1] == 429  # the guessing address is stopped...
    assert guesser.submit("/sign-in", {"email": user.email,
                                       "password": TEST_PASSWORD}).status_code == 429
    # ...but the owner, somewhere they have never signed in from before, gets in at once.
    owner = browser(app, CAFE)
    assert owner.submit("/sign-in", {"email": user.email,
                                     "password": TEST_PASSWORD}).status_code == 302


def test_the_refusal_says_what_to_do_and_promises_no_password_reset(app):
    UserFactory(email="target@example.org")
    guesser = browser(app, GUESSER)
    for _ in range(20):
        response = wrong_password(guesser, "target@example.org")
    assert response.status_code == 429
    message = error_summary(response)
    assert "Wait 15 minutes" in message
    assert "commissioning team" in message
    assert "reset" not in message.lower()


def sign_in_from(app, address: str, user) -> int:
    return browser(app, address).submit("/sign-in", {
        "email": user.email, "password": TEST_PASSWORD}).status_code


def test_guessing_from_many_addresses_only_slows_the_account_down(app, monkeypatch):
    from datetime import timedelta

    from accreditation.auth import throttle
    from accreditation.database import utcnow

    now = utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: now)
    user = UserFactory(email="target@example.org", social_worker=True)
    assert sign_in_from(app, HOME, user) == 302  # the owner's usual place
    for n in range(8):  # a botnet: each address stays under its own limit
        bot = browser(app, f"198.51.100.{n + 10}")
        for _ in range(4):
            wrong_password(bot, user.email)
    # The owner at home is not slowed at all.
    assert sign_in_from(app, HOME, user) == 302
    # Somewhere new, the account asks for a short wait, not a lock-out...
    response = browser(app, CAFE).submit("/sign-in", {"email": user.email,
                                                      "password": TEST_PASSWORD})
    assert response.status_code == 429
    wait = re.search(r"Wait (\d+) (second|minute)", error_summary(response))
    assert wait, error_summary(response)
    seconds = int(wait.group(1)) * (60 if wait.group(2) == "minute" else 1)
    assert seconds <= 2 * 60
    assert "commissioning team" in error_summary(response)
    # ...after which the right password gets in.
    now += timedelta(seconds=seconds)
    assert sign_in_from(app, CAFE, user) == 302


def test_asking_to_register_an_address_does_not_count_as_having_signed_in_from_there(
        app, monkeypatch):
    """Registering with someone's address (which answers the same whether or not it has an
    account) must not make the guesser's address one the account "has signed in from"."""
    from accreditation.auth import throttle
    from accreditation.database import utcnow

    now = utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: now)
    user = UserFactory(email="target@example.org", social_worker=True)
    for n in range(8):  # the account is being guessed at from many addresses
        bot = browser(app, f"198.51.100.{n + 10}")
        for _ in range(4):
            wrong_password(bot, user.email)
    guesser = browser(app, GUESSER)
    asked = guesser.submit("/register-organisation", {**REGISTRATION, "email": user.email})
    assert asked.status_code == 302
    assert wrong_password(guesser, user.email).status_code == 429  # still only slowed


# --- CSRF --------------------------------------------------------------------------------

def test_a_form_without_its_csrf_token_is_refused_clearly(client):
    user = UserFactory()
    response = client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD},
                           headers={"Referer": "https://localhost/sign-in"})
    assert response.status_code == 400
    assert "Your form has expired" in response.text
    assert actions() == ["access.denied"]  # no sign-in: only the refusal is recorded


def test_an_expired_csrf_token_is_refused_and_nothing_is_written(app, client):
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is already too old
    response = client.submit("/register-organisation", REGISTRATION)
    assert response.status_code == 400
    assert "Your form has expired" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


@pytest.mark.parametrize("path", ["/sign-out", "/register-organisation", "/sign-in",
                                  "/commissioner/staff", "/account/password"])
def test_every_form_needs_a_csrf_token(client, path):
    client.sign_in(UserFactory()) if path not in ("/sign-in", "/register-organisation") else None
    response = client.post(path, data={}, headers={"Referer": f"https://localhost{path}"})
    assert response.status_code == 400
    assert "Your form has expired" in response.text
    denial = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.denied")).one()
    assert denial.details["reason"] == "form token missing or invalid"
    assert denial.details["path"] == path


# --- provider registration (tests/test_registration.py) ----------------------------------

REGISTRATION = {
    "organisation_name": "Harbour Lights Housing Ltd",
    "company_number": "09876543",
    "full_name": "Daniel Byrne",
    "email": "daniel@harbourlights.example.org",
    "password": "a long passphrase with spaces",
    "confirm_password": "a long passphrase with spaces",
}


# --- staff invitations -----------------------------------------------------------------

def invite(client, headers=None, **fields):
    data = {"full_name": "Sam Wright", "email": "sam@consortium.example.org",
            "role": "inspector", "council_id": "", **fields}
    return client.submit("/commissioner/staff", data, headers=headers or {})


def accept_link() -> str:
    message = db.session.scalars(sa.select(OutboxMessage)).one()
    return re.search(r"https?://[^/]+(/invitations/\S+)", message.body).group(1)


def test_a_commissioner_invites_an_inspector_who_activates_the_account(client):
    client.sign_in(UserFactory(commissioner=True))
    response = invite(client)
    assert response.status_code == 302
    message = db.session.scalars(sa.select(OutboxMessage)).one()
    assert message.recipient == "sam@consortium.example.org"
    link = accept_link()
    client.submit("/sign-out", form_page="/commissioner/")

    response = client.submit(link, {"password": "inspector passphrase",
                                    "confirm_password": "inspector passphrase"})
    # Inspectors set up an authenticator app before anything else.
    assert response.location == "/sign-in/authenticator"
    user = db.session.scalars(sa.select(User).where(User.role == Role.INSPECTOR)).one()
    assert user.email == "sam@consortium.example.org"
    assert client.get("/inspections/").status_code == 302
    client.set_up_authenticator()
    assert client.get("/inspections/").status_code == 200
    assert "invitation.accepted" in actions()
    # The link works once.
    assert client.get(link).status_code == 404


def test_an_invitation_links_to_the_service_whatever_host_the_request_named(app):
    """A request that reached the app by another name (a made-up ``Host``) still sends a
    link on the service's own address: the e-mail cannot lead its reader somewhere else."""
    elsewhere = browser_at(app, "evil.example")
    elsewhere.sign_in(UserFactory(commissioner=True))
    assert invite(elsewhere).status_code == 302
    body = db.session.scalars(sa.select(OutboxMessage)).one().body
    assert "evil.example" not in body
    assert f"\n{app.config['BASE_URL']}/invitations/" in body


def test_a_social_worker_invitation_needs_a_council(client):
    client.sign_in(UserFactory(commissioner=True))
    response = invite(client, role="social_worker")
    assert response.status_code == 400
    assert "Select the council the social worker works for" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    council = CouncilFactory(name="Camden")
    assert invite(client, role="social_worker", council_id=str(council.id)).status_code == 302


@pytest.mark.parametrize("role", ["provider", "administrator", ""])
def test_an_unknown_or_provider_role_cannot_be_invited(client, role):
    client.sign_in(UserFactory(commissioner=True))
    response = invite(client, role=role)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_only_commissioners_invite(client):
    client.sign_in(UserFactory(inspector=True))
    token = client.csrf_token("/inspections/")
    response = client.post("/commissioner/staff", headers={"Referer": "https://localhost/"},
                           data={"csrf_token": token, "full_name": "X", "email": "x@x.org",
                                 "role": "commissioner"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_a_withdrawn_invitation_cannot_be_used(client):
    client.sign_in(UserFactory(commissioner=True))
    invite(client)
    link = accept_link()
    invitation = db.session.scalars(sa.select(Invitation)).one()
    client.submit(f"/commissioner/invitations/{invitation.id}/withdraw",
                  form_page="/commissioner/staff")
    client.submit("/sign-out", form_page="/commissioner/")
    response = client.get(link)
    assert response.status_code == 404
    assert "expired or has already been used" in response.text


def test_an_invitation_link_with_a_made_up_token_is_refused(client):
    response = client.get("/invitations/made-up-token")
    assert response.status_code == 404
    assert "expired or has already been used" in response.text


def test_the_invitation_token_is_not_stored(client):
    client.sign_in(UserFactory(commissioner=True))
    invite(client)
    token = accept_link().rsplit("/", 1)[1]
    invitation = db.session.scalars(sa.select(Invitation)).one()
    assert token not in invitation.token_hash
    for event in db.session.scalars(sa.select(AuditEvent)):
        assert token not in str(event.details)


def test_a_refused_post_to_an_invitation_link_keeps_no_token_in_the_audit_trail(client):
    client.sign_in(UserFactory(commissioner=True))
    invite(client)
    token = accept_link().rsplit("/", 1)[1]
    client.submit("/sign-out", form_page="/accessibility")
    stranger = client.application.test_client()
    refused = stranger.post(f"/invitations/{token}", data={"password": "x"},
                            headers={"Referer": f"https://localhost/invitations/{token}"})
    assert refused.status_code == 400  # no CSRF token: refused, and audited
    denials = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "access.denied")).all()
    assert denials and all(token not in str(event.details) for event in denials)
    assert any(event.details.get("path") == "/invitations/[redacted]" for event in denials)


# --- passwords ---------------------------------------------------------------------------

def test_changing_the_password_ends_every_other_session(app):
    user = UserFactory()
    laptop, tablet = app.test_client(), app.test_client()
    laptop.sign_in(user)
    tablet.sign_in(user)
    response = laptop.submit("/account/password", {
        "current_password": TEST_PASSWORD, "password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"})
    assert response.status_code == 302
    assert laptop.get("/commissioner/").status_code == 200
    assert tablet.get("/commissioner/").status_code == 302
    assert "user.password_changed" in actions()


def test_changing_the_password_needs_the_current_one(client):
    client.sign_in(UserFactory())
    response = client.submit("/account/password", {
        "current_password": "not my password", "password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"})
    assert response.status_code == 400
    assert "Your current password is not correct" in response.text


# --- where sign-in leads ------------------------------------------------------------------

def _is_same_site_path(location: str) -> bool:
    """A path on this service, as a browser would read it: it starts with one slash (not two,
    nor a slash and a backslash, which browsers take for another host) and has no control
    characters or whitespace, which browsers drop before reading the address."""
    parts = urlsplit(location)
    return (location.startswith("/") and location[1:2] not in ("/", "\\")
            and not parts.scheme and not parts.netloc
            and all(0x20 < ord(character) < 0x7f for character in location))


def sign_in_with_next(app, user, next_url: str):
    client = app.test_client()
    token = client.csrf_token("/sign-in")
    return client.post("/sign-in", query_string={"next": next_url},
                       headers={"Referer": "https://localhost/sign-in"},
                       data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("next_url", [
    "/\r\n//evil.example", "/\r\nSet-Cookie: planted=1", "/\t/evil.example", "/\\evil.example",
    "/\\/evil.example", "//evil.example", "/\x00", "/register/\u2028", "https:evil.example",
    " /register/", "/register/\x7f",
])
def test_a_crafted_next_after_sign_in_leads_home(app, next_url):
    user = UserFactory(social_worker=True)
    response = sign_in_with_next(app, user, next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@given(next_url=st.text(max_size=40) | st.text(alphabet="/\\\r\n\t .:@%?#evil", max_size=20))
@settings(max_examples=60)
def test_sign_in_always_leads_to_a_page_of_this_service(app, next_url):
    user = db.session.scalar(sa.select(User).where(User.email == "next@example.org")) or \
        UserFactory(email="next@example.org", social_worker=True)
    response = sign_in_with_next(app, user, next_url)
    assert response.status_code == 302, response.text
    assert _is_same_site_path(response.headers["Location"]), response.headers["Location"]


def test_a_plain_next_is_kept_with_its_query(app):
    user = UserFactory(social_worker=True)
    response = sign_in_with_next(app, user, "/register/?q=café&page=2")
    assert response.headers["Location"] == "/register/?q=caf%C3%A9&page=2"


WRONG_CURRENT = "a guess at the current one"


def change_password(client, current: str):
    return client.submit("/account/password", {
        "current_password": current, "password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"})


def test_a_wrong_current_password_is_audited_as_a_failed_confirmation(client):
    user = UserFactory()
    client.sign_in(user)
    assert change_password(client, WRONG_CURRENT).status_code == 400
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "auth.confirmation_failed"
    assert event.subject_id == str(user.id)
    assert event.details["reason"] == "wrong current password"


def test_changing_the_password_is_throttled_like_signing_in(app, client):
    user = UserFactory()
    client.sign_in(user)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        assert change_password(client, WRONG_CURRENT).status_code == 400
    # The limit is reached: now even the right password is refused, and nothing changes.
    response = change_password(client, TEST_PASSWORD)
    assert response.status_code == 429
    assert "too many failed attempts" in response.text
    assert actions()[-1] == "auth.sign_in_throttled"
    assert "user.password_changed" not in actions()
    # ...and signing in again in another browser at the same address is refused too: it is
    # one limit for the account from this address.
    assert app.test_client().submit("/sign-in", {
        "email": user.email, "password": TEST_PASSWORD}).status_code == 429
    for event in db.session.scalars(sa.select(AuditEvent)):
        for secret in (WRONG_CURRENT, TEST_PASSWORD, "a brand new passphrase"):
            assert secret not in str(event.details)


def test_wrong_current_passwords_count_for_the_client_too(app, client):
    app.config["LOGIN_MAX_FAILURES_PER_CLIENT"] = 2
    client.sign_in(UserFactory())
    for _ in range(2):
        change_password(client, WRONG_CURRENT)
    response = app.test_client().submit("/sign-in", {
        "email": UserFactory().email, "password": TEST_PASSWORD})
    assert response.status_code == 429


# --- behind the reverse proxy ---------------------------------------------------------------

PROXY = "10.0.0.2"


@pytest.fixture
def proxied_app(database_url):
    """The app behind one trusted reverse proxy (``ACCREDITATION_TRUSTED_PROXIES=1``)."""
    yield from running_app(config_for(database_url, TRUSTED_PROXIES=1))


def browser(app, address: str, forwarded_for: str | None = None):
    """A browser whose requests arrive from ``address``, saying they were forwarded for
    ``forwarded_for`` (as a proxy, or someone inventing the header, would)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def guess(client, n: int, **kwargs):
    return client.submit("/sign-in", {"email": f"guess{n}@example.org",
                                      "password": "guessing away"}, **kwargs)


def events_of(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(proxied_app):
    limit = proxied_app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    guesser = browser(proxied_app, PROXY, "203.0.113.7")
    for n in range(limit):
        # Whatever the guesser puts in the header itself, the proxy adds the real address
        # last, and only that is believed.
        assert guess(guesser, n, headers={
            "X-Forwarded-For": f"192.0.2.{n}, 203.0.113.7"}).status_code == 400
    assert guess(guesser, limit).status_code == 429
    # Someone else behind the same proxy signs in as usual.
    user = UserFactory(social_worker=True)
    other = browser(proxied_app, PROXY, "198.51.100.23")
    assert other.submit("/sign-in", {"email": user.email,
                                     "password": TEST_PASSWORD}).status_code == 302
    # The audit trail names the real clients, not the proxy.
    assert {event.details["client"] for event in events_of("auth.sign_in_failed")} == {
        "203.0.113.7"}
    assert events_of("auth.sign_in_throttled")[0].details == {
        "limit": "client", "client": "203.0.113.7"}
    assert events_of("auth.signed_in")[0].details["client"] == "198.51.100.23"


def test_behind_a_trusted_proxy_a_guesser_cannot_lock_the_owner_out(proxied_app):
    user = UserFactory(email="target@example.org", social_worker=True)
    guesser = browser(proxied_app, PROXY, "203.0.113.7")
    for _ in range(20):
        wrong_password(guesser, user.email)
    assert guesser.submit("/sign-in", {"email": user.email,
                                       "password": TEST_PASSWORD}).status_code == 429
    owner = browser(proxied_app, PROXY, "198.51.100.23")
    assert owner.submit("/sign-in", {"email": user.email,
                                     "password": TEST_PASSWORD}).status_code == 302


def test_without_a_trusted_proxy_a_made_up_forwarded_address_is_ignored(app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]
    guesser = browser(app, "198.51.100.9")
    for n in range(limit):
        guess(guesser, n, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    # A new invented address does not get the guesser past the limit.
    response = guess(guesser, limit, headers={"X-Forwarded-For": "192.0.2.250"})
    assert response.status_code == 429
    assert {event.details["client"] for event in events_of("auth.sign_in_failed")} == {
        "198.51.100.9"}


def test_behind_a_trusted_proxy_the_scheme_is_believed_but_not_the_host(proxied_app):
    """X-Forwarded-Proto is believed (the browser used HTTPS, so HSTS is sent even outside
    production); X-Forwarded-Host is not, and a link in an e-mail names the service's own
    address whatever the headers say."""
    client = browser(proxied_app, PROXY, "203.0.113.7")
    # The proxy speaks plain HTTP to the app (the test client's default is HTTPS).
    page = client.get("/sign-in", base_url="http://localhost",
                      headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in page.headers
    client.sign_in(UserFactory(commissioner=True))
    response = invite(client, headers={"X-Forwarded-Proto": "https",
                                       "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 302
    body = db.session.scalars(sa.select(OutboxMessage)).one().body
    assert "evil.example" not in body
    assert f"{proxied_app.config['BASE_URL']}/invitations/" in body


def test_without_a_trusted_proxy_the_forwarded_scheme_is_ignored(app):
    page = app.test_client().get("/sign-in", base_url="http://localhost",
                                 headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in page.headers
