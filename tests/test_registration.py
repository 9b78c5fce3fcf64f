"""Provider registration: the e-mail address is confirmed before anything can be used, the
answer never says whether an address has an account, requests are throttled, and a company
number registered twice becomes a dispute that a commissioner settles."""

from __future__ import annotations

import re
import statistics
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.auth import operations
from accreditation.auth.models import Role, User
from accreditation.cases.models import Case
from accreditation.database import utcnow
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.providers.models import Organisation

from .conftest import config_for, reset_database, running_app
from .factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from .test_auth import PROXY, REGISTRATION, browser, proxied_app  # noqa: F401 (a fixture)
from .test_notifications import smtp  # noqa: F401 (a real SMTP listener on loopback)

ADDRESS = REGISTRATION["email"]
PASSWORD = REGISTRATION["password"]
LINK = re.compile(r"https?://[^/\s]+(/register-organisation/confirm/\S+)")
CHECK_EMAIL = "/register-organisation/check-your-email"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def register(client, **changes):
    return client.submit("/register-organisation", {**REGISTRATION, **changes})


def emails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def confirmation_link(address: str = ADDRESS) -> str:
    """The path of the link in the newest e-mail to ``address``."""
    (path,) = LINK.findall(emails_to(address)[-1].body)
    return path


def confirm(client, link: str, password: str = PASSWORD):
    return client.submit(link, {"password": password})


def register_and_confirm(client, **changes):
    assert register(client, **changes).status_code == 302
    response = confirm(client, confirmation_link(changes.get("email", ADDRESS)),
                       changes.get("password", PASSWORD))
    assert response.status_code == 302, response.text
    return response


def main_text(page: str, address: str) -> str:
    """What a page's main content says, with the address typed and the form token left out."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", main)
    return main.replace(address, "ADDRESS")


def signs_in(address: str, password: str) -> bool:
    response = current_app.test_client().submit(
        "/sign-in", {"email": address, "password": password})
    return response.status_code == 302


# --- nothing works until the link in the e-mail is followed --------------------------------

def test_registering_sends_a_link_and_nothing_can_be_used_before_it_is_followed(client):
    response = register(client)
    assert response.status_code == 302
    assert response.location == CHECK_EMAIL
    page = client.get(CHECK_EMAIL)
    assert "Check your email" in page.text
    assert f"We have sent an email to <strong>{ADDRESS}</strong>" in page.text
    assert count(User) == 0 and count(Organisation) == 0
    assert client.get("/provider/").status_code == 302  # not signed in
    # Signing in before following the link fails exactly like a wrong password.
    response = client.submit("/sign-in", {"email": ADDRESS, "password": PASSWORD})
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text
    (message,) = emails_to(ADDRESS)
    assert LINK.search(message.body)
    assert "expires in 24 hours" in message.body
    # Nothing the person typed goes in an e-mail to an address nobody has confirmed yet.
    assert REGISTRATION["organisation_name"] not in message.body
    assert REGISTRATION["full_name"] not in message.body
    assert actions() == ["registration.requested", "auth.sign_in_failed"]


def test_following_the_link_with_the_password_makes_the_account_and_signs_in(client):
    register(client)
    link = confirmation_link()
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm your registration" in page.text
    assert "Harbour Lights Housing Ltd" in page.text and "09876543" in page.text
    response = confirm(client, link)
    assert response.status_code == 302
    assert "Your organisation is registered" in client.get(
        response.location, follow_redirects=True).text
    user = db.session.scalars(sa.select(User)).one()
    assert user.role is Role.PROVIDER
    assert user.organisation.name == "Harbour Lights Housing Ltd"
    assert user.organisation.company_number == "09876543"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert client.get("/provider/").status_code == 200
    assert actions() == ["registration.requested", "registration.verified",
                         "organisation.registered"]
    assert signs_in(ADDRESS, PASSWORD)


def test_the_link_works_once(client):
    register(client)
    link = confirmation_link()
    assert confirm(client, link).status_code == 302
    again = client.application.test_client()
    response = again.get(link)
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text
    assert count(User) == 1


def test_a_made_up_link_is_refused(client):
    response = client.get("/register-organisation/confirm/made-up-token")
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text


def test_the_link_needs_the_password_chosen_when_registering(client):
    """Whoever receives a link they did not ask for cannot make the account with it."""
    register(client)
    stranger = client.application.test_client()
    response = confirm(stranger, confirmation_link(), "a password somebody else chose")
    assert response.status_code == 400
    assert 'href="#password">Your password is not correct' in response.text
    assert count(User) == 0 and count(Organisation) == 0
    assert actions()[-1] == "registration.refused"
    assert confirm(client, confirmation_link()).status_code == 302


def test_wrong_passwords_at_the_link_count_towards_the_sign_in_limit(app, client):
    register(client)
    link = confirmation_link()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]):
        assert confirm(client, link, "not the password at all").status_code == 400
    response = confirm(client, link)
    assert response.status_code == 429
    assert "too many failed attempts" in response.text
    assert count(User) == 0


def test_the_link_expires_after_24_hours(client, runner, monkeypatch):
    register(client)
    link = confirmation_link()
    requested = utcnow()
    monkeypatch.setattr(operations, "utcnow", lambda: requested + timedelta(hours=23, minutes=59))
    assert client.get(link).status_code == 200
    monkeypatch.setattr(operations, "utcnow", lambda: requested + timedelta(hours=24, seconds=1))
    response = client.get(link)
    assert response.status_code == 404
    assert "This link has expired or has already been used" in response.text
    response = client.submit(link, {"password": PASSWORD}, form_page="/register-organisation")
    assert response.status_code == 404
    assert count(User) == 0
    assert actions()[-1] == "registration.refused"
    # The daily work forgets the registration (the password hash with it) and says so.
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "registrations expired" in result.output
    assert actions()[-1] == "registration.expired"
    monkeypatch.undo()
    assert client.get(link).status_code == 404
    assert count(User) == 0


def test_the_link_is_kept_only_as_a_hash(client):
    register(client)
    token = confirmation_link().rsplit("/", 1)[1]
    rows = db.session.execute(sa.text("SELECT * FROM pending_registration")).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert PASSWORD not in " ".join(str(value) for value in rows[0])


def test_the_email_can_be_sent_again_and_only_the_newest_link_works(client):
    register(client)
    first = confirmation_link()
    response = client.submit(CHECK_EMAIL)
    assert response.status_code == 302
    assert "We have sent the email again" in client.get(response.location).text
    second = confirmation_link()
    assert second != first
    assert client.get(first).status_code == 404
    assert confirm(client, second).status_code == 302
    assert "registration.link_sent_again" in actions()


def test_the_registration_email_arrives_over_smtp_and_its_link_works(app, client, runner, smtp):  # noqa: F811
    register(client)
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == [ADDRESS]
    body = message_from_bytes(envelope.content, policy=policy.default).get_content()
    link = LINK.search(body).group(1)
    assert confirm(client, link).status_code == 302
    assert client.get("/provider/").status_code == 200


# --- the same answer whether or not the address has an account ------------------------------

def test_an_address_with_an_account_gets_the_same_page_and_an_email_saying_how_to_sign_in(client):
    existing = UserFactory(provider=True, email=ADDRESS)
    new_address = "someone.new@example.org"
    answers = []
    for address in (ADDRESS, new_address):
        browser_ = client.application.test_client()
        response = register(browser_, email=address)
        page = browser_.get(response.location)
        answers.append((response.status_code, response.location, page.status_code,
                        main_text(page.text, address)))
    assert answers[0] == answers[1]
    assert "already exists" not in answers[0][3]
    (message,) = emails_to(ADDRESS)
    assert "already have an account" in message.body
    assert "/sign-in" in message.body
    assert not LINK.search(message.body)
    assert LINK.search(emails_to(new_address)[0].body)
    # Nothing changed for the account, and no second one or organisation was made.
    assert count(User) == 1 and count(Organisation) == 1
    assert actions() == ["registration.requested", "registration.requested"]
    assert signs_in(existing.email, TEST_PASSWORD)


def test_sending_again_to_an_address_with_an_account_says_the_same(client):
    UserFactory(provider=True, email=ADDRESS)
    register(client)
    response = client.submit(CHECK_EMAIL)
    assert response.status_code == 302
    assert "We have sent the email again" in client.get(response.location).text
    first, second = emails_to(ADDRESS)
    assert "already have an account" in second.body and not LINK.search(second.body)


LOCAL_PART = st.from_regex(r"[a-z][a-z0-9]{0,12}(\.[a-z0-9]{1,8})?", fullmatch=True)
DOMAIN = st.sampled_from(["example.org", "example.com", "council.example.gov.uk"])


@settings(max_examples=12)
@given(known=LOCAL_PART, unknown=LOCAL_PART, domain=DOMAIN)
def test_no_address_is_told_apart_by_the_answer(app, known, unknown, domain):
    """Whatever the addresses, one with an account and one without get the same answers."""
    known, unknown = f"{known}@{domain}", f"{unknown}@{domain}"
    assume(known != unknown)
    reset_database()  # each example on its own
    UserFactory(provider=True, email=known)
    answers = []
    for address in (known, unknown):
        client = app.test_client()
        response = register(client, email=address)
        page = client.get(response.location)
        resent = client.submit(CHECK_EMAIL)
        again = client.get(resent.location)
        answers.append((response.status_code, response.location, main_text(page.text, address),
                        resent.status_code, main_text(again.text, address),
                        len(emails_to(address))))
    assert answers[0] == answers[1]


@pytest.fixture
def production_hashing(database_url):
    """The app with the production cost of password hashing (and room to register often)."""
    yield from running_app(config_for(
        database_url, ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=65536,
        REGISTRATION_MAX_PER_CLIENT=1000, REGISTRATION_MAX_PER_ADDRESS=1000))


def test_an_address_with_an_account_takes_about_as_long_to_register(production_hashing):
    """With passwords hashed at production cost, the time taken says nothing either."""
    UserFactory(provider=True, email=ADDRESS)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(5):
        for kind, address in (("known", ADDRESS), ("unknown", f"new{n}@example.org")):
            client = production_hashing.test_client()
            token = client.csrf_token("/register-organisation")
            started = time.perf_counter()
            response = client.post(
                "/register-organisation", headers={"Referer": "https://localhost/"},
                data={**REGISTRATION, "email": address, "csrf_token": token})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 302
    ratio = statistics.median(timings["known"]) / statistics.median(timings["unknown"])
    assert 0.5 < ratio < 2, timings


# --- throttling --------------------------------------------------------------------------------

def test_registration_is_throttled_per_client(app, client):
    limit = app.config["REGISTRATION_MAX_PER_CLIENT"]
    statuses = [register(client, email=f"probe{n}@example.org").status_code for n in range(25)]
    assert statuses == [302] * limit + [429] * (25 - limit)
    response = register(client, email="one.more@example.org")
    assert response.status_code == 429
    assert "There have been too many attempts to register" in response.text
    assert emails_to("one.more@example.org") == []
    assert actions()[-1] == "registration.throttled"
    # The form to send the e-mail again is throttled with it.
    assert client.submit(CHECK_EMAIL).status_code == 429


def test_registration_is_throttled_per_address_whichever_client_asks(proxied_app):  # noqa: F811
    limit = proxied_app.config["REGISTRATION_MAX_PER_ADDRESS"]
    for n in range(limit):
        assert register(browser(proxied_app, PROXY, f"203.0.113.{n}")).status_code == 302
    latecomer = browser(proxied_app, PROXY, "198.51.100.1")
    assert register(latecomer).status_code == 429
    assert len(emails_to(ADDRESS)) == limit
    # The same client may still register another address.
    assert register(latecomer, email="other@example.org").status_code == 302


def test_registration_throttling_is_separate_from_signing_in(app, client):
    for n in range(app.config["REGISTRATION_MAX_PER_CLIENT"]):
        register(client, email=f"probe{n}@example.org")
    user = UserFactory(social_worker=True)
    assert client.submit("/sign-in", {"email": user.email,
                                      "password": TEST_PASSWORD}).status_code == 302


# --- a company number registered twice -----------------------------------------------------

@pytest.fixture
def holder():
    """Someone who registered company number 09876543 first."""
    organisation = OrganisationFactory(name="First Claim Ltd", company_number="09876543")
    return UserFactory(provider=True, organisation=organisation, email="first@claim.example.org")


def claim_the_number_again(client) -> User:
    register(client)
    link = confirmation_link()
    assert "already registered by another organisation" in client.get(link).text
    assert confirm(client, link).status_code == 302
    return db.session.scalar(sa.select(User).where(User.email == ADDRESS))


def test_a_number_registered_again_is_held_back_for_a_commissioner(app, client, holder):
    claimant = claim_the_number_again(client)
    organisation = claimant.organisation
    assert organisation.name == "Harbour Lights Housing Ltd"
    assert organisation.company_number is None
    assert db.session.get(Organisation, holder.organisation_id).company_number == "09876543"
    home = client.get("/provider/").text
    assert "Another organisation registered company number 09876543 first" in home
    response = client.submit("/provider/application/start", form_page="/provider/")
    assert "You cannot start an application until the commissioning team" in client.get(
        response.location).text
    assert count(Case) == 0
    assert "company_number.disputed" in actions()

    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    page = commissioner.get("/commissioner/providers").text
    assert "Disputed company numbers" in page
    assert "First Claim Ltd" in page and "Harbour Lights Housing Ltd" in page
    assert "first@claim.example.org" in page and ADDRESS in page
    assert "1 disputed company number" in commissioner.get("/commissioner/").text


def test_a_number_registered_by_another_at_the_same_moment_becomes_a_dispute(app, client):
    """Another organisation registers the same number while this link is being followed (its
    row written, not yet committed): this registration still goes through, as a claim for a
    commissioner to settle, never an error page."""
    register(client)
    link = confirmation_link()
    other = db.engine.connect()
    racing = other.begin()
    other.execute(sa.insert(Organisation).values(name="First Claim Ltd",
                                                 company_number="09876543"))
    answer = {}
    following = threading.Thread(target=lambda: answer.update(
        response=confirm(app.test_client(), link)))
    following.start()
    time.sleep(1)  # the request reaches the number while the other is still writing it
    racing.commit()
    other.close()
    following.join(timeout=30)
    assert answer["response"].status_code == 302, answer["response"].text
    db.session.commit()  # see what the request committed
    claimant = db.session.scalar(sa.select(User).where(User.email == ADDRESS))
    assert claimant.organisation.company_number is None
    assert "company_number.disputed" in actions()


@pytest.mark.parametrize("keep", ["holder", "claimant"])
def test_a_commissioner_decides_which_organisation_keeps_the_number(app, client, holder, keep):
    claimant = claim_the_number_again(client)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    (dispute_id,) = re.findall(r'action="/commissioner/providers/disputes/(\d+)"',
                               commissioner.get("/commissioner/providers").text)[:1]
    response = commissioner.submit(f"/commissioner/providers/disputes/{dispute_id}",
                                   {"keep": keep}, form_page="/commissioner/providers")
    assert response.status_code == 302
    page = commissioner.get(response.location).text
    winner, loser = (holder, claimant) if keep == "holder" else (claimant, holder)
    winner_name = db.session.get(Organisation, winner.organisation_id).name
    assert f"Company number 09876543 stays with {winner_name}" in page or \
        f"Company number 09876543 now belongs to {winner_name}" in page
    assert "Disputed company numbers" not in page
    assert actions()[-1] == "company_number.dispute_resolved"
    assert db.session.get(Organisation, winner.organisation_id).company_number == "09876543"
    assert db.session.get(Organisation, loser.organisation_id).company_number is None
    # The organisation that loses the number loses its accounts, and its people are told.
    assert not signs_in(loser.email, PASSWORD if loser is claimant else TEST_PASSWORD)
    assert signs_in(winner.email, PASSWORD if winner is claimant else TEST_PASSWORD)
    assert "09876543" in emails_to(loser.email)[-1].body
    if keep == "claimant":  # still signed in since registering
        client.submit("/provider/application/start", form_page="/provider/")
        assert count(Case) == 1
    # Decided once.
    response = commissioner.submit(f"/commissioner/providers/disputes/{dispute_id}",
                                   {"keep": "holder"}, form_page="/commissioner/providers")
    assert "already been decided" in commissioner.get(response.location).text


def test_a_decision_needs_a_choice(app, client, holder):
    claim_the_number_again(client)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    (dispute_id,) = re.findall(r'action="/commissioner/providers/disputes/(\d+)"',
                               commissioner.get("/commissioner/providers").text)[:1]
    response = commissioner.submit(f"/commissioner/providers/disputes/{dispute_id}",
                                   {"keep": "both"}, form_page="/commissioner/providers")
    assert "Select which organisation keeps company number" in commissioner.get(
        response.location).text
    assert db.session.get(Organisation, holder.organisation_id).company_number == "09876543"


# --- what the form asks for ------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, message", [
    ({"password": "short one", "confirm_password": "short one"}, "password",
     "Password must be between 12 and 256 characters"),
    ({"confirm_password": "something else entirely"}, "confirm_password",
     "Passwords must match"),
    ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
    ({"company_number": "123"}, "company_number", "Enter a company number of 8 letters"),
    ({"company_number": "ABCDEFGH"}, "company_number", "Enter a company number of 8 characters"),
    # 8 letters and numbers, but no Companies House number looks like this.
    ({"company_number": "ABCD1234"}, "company_number", "Enter a company number of 8 characters"),
    ({"company_number": "SC12345X"}, "company_number", "Enter a company number of 8 characters"),
    ({"company_number": "00000000"}, "company_number", "Enter a company number of 8 characters"),
    ({"organisation_name": ""}, "organisation_name", "Enter your organisation&#39;s name"),
])
def test_registration_errors_are_specific_and_nothing_is_sent(client, changes, field, message):
    response = register(client, **changes)
    assert response.status_code == 400
    assert f'href="#{field}">{message}' in response.text
    assert count(Organisation) == 0 and count(User) == 0
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa",  # 12 characters, no composition rules
    "correct horse battery staple " * 8,  # long passphrase (232 characters)
    "pässwörd mit ümläuten ✓",
])
def test_any_password_of_12_characters_or_more_is_accepted(client, password):
    register_and_confirm(client, password=password, confirm_password=password)
    assert client.get("/provider/").status_code == 200


def test_the_sign_in_page_says_to_follow_the_link_first(client):
    assert "follow the link in the email we sent you" in client.get("/sign-in").text


def test_of_two_registrations_of_one_address_only_the_first_confirmed_makes_an_account(app):
    first, second = app.test_client(), app.test_client()
    register(first)
    first_link = confirmation_link()
    register(second, password="another passphrase", confirm_password="another passphrase")
    second_link = confirmation_link()
    assert confirm(second, second_link, "another passphrase").status_code == 302
    response = confirm(first, first_link)
    assert response.status_code == 404
    assert "An account with this email address already exists: sign in instead" in response.text
    assert count(User) == 1 and count(Organisation) == 1
    assert actions()[-1] == "registration.refused"
