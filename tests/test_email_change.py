"""Changing one's own e-mail address: the password first, then a link to the new address; the
address changes only when the link is followed, and the old one is told. An address that
already has an account is never given to a second, and the person asking cannot tell."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from accreditation.audit import AuditEvent
from accreditation.auth import password_reset
from accreditation.auth.models import User
from accreditation.database import utcnow
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage

from .factories import TEST_PASSWORD, UserFactory

CHANGE = "/account/email"
LINK = re.compile(r"https?://[^/\s]+(/account/email/confirm/\S+)")
OLD, NEW = "ada@albion.example.org", "ada.new@albion.example.org"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def emails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def ask(client, email: str = NEW, password: str = TEST_PASSWORD):
    return client.submit(CHANGE, {"email": email, "password": password})


def confirmation_link(address: str = NEW) -> str:
    (path,) = LINK.findall(emails_to(address)[-1].body)
    return path


def signs_in(address: str, password: str = TEST_PASSWORD) -> bool:
    response = current_app.test_client().submit(
        "/sign-in", {"email": address, "password": password})
    return response.status_code == 302


def signed_in_provider(app):
    user = UserFactory(provider=True, email=OLD)
    client = app.test_client()
    client.sign_in(user)
    return user, client


def test_a_provider_changes_their_email_address_once_the_new_one_is_confirmed(app):
    user, client = signed_in_provider(app)
    assert f'href="{CHANGE}">Change<span class="govuk-visually-hidden"> email address' in \
        client.get("/account").text
    response = ask(client, "  Ada.New@Albion.example.org ")
    assert response.status_code == 302 and response.location == "/account"
    page = client.get("/account").text
    assert f"We have sent an email to {NEW}" in page
    db.session.refresh(user)
    assert user.email == OLD  # nothing changes yet
    assert emails_to(OLD) == []
    link = confirmation_link()
    assert "expires in 24 hours" in emails_to(NEW)[-1].body
    stranger = app.test_client()  # the link is followed wherever the new inbox is read
    page = stranger.get(link)
    assert page.status_code == 200 and NEW in page.text
    assert user.email == OLD
    response = stranger.submit(link)
    assert response.status_code == 302 and response.location == "/sign-in"
    assert f"Your email address is now {NEW}" in stranger.get("/sign-in").text
    db.session.refresh(user)
    assert user.email == NEW
    (told,) = emails_to(OLD)
    assert NEW in told.body and "contact the commissioning team" in told.body
    assert signs_in(NEW) and not signs_in(OLD)
    assert client.get("/provider/").status_code == 200  # this session carries on
    assert stranger.get(link).status_code == 404  # once
    assert {"user.email_change_requested", "user.email_changed",
            "auth.email_change_refused"} <= set(actions())


def test_the_password_is_needed_and_a_wrong_one_counts_as_a_failure(app):
    user, client = signed_in_provider(app)
    response = ask(client, password="not my password at all")
    assert response.status_code == 400
    assert "Your password is not correct" in response.text
    assert 'href="#password"' in response.text
    assert emails_to(NEW) == []
    assert actions()[-1] == "auth.confirmation_failed"
    for _ in range(5):
        ask(client, password="not my password at all")
    assert ask(client).status_code == 429  # throttled like signing in, even with the right one


def test_the_form_names_each_problem(app):
    _, client = signed_in_provider(app)
    response = client.submit(CHANGE, {"email": "", "password": ""})
    assert response.status_code == 400
    assert "Enter your new email address" in response.text
    assert "Enter your password" in response.text
    response = ask(client, "not an address")
    assert "Enter an email address in the correct format" in response.text
    response = ask(client, OLD.upper())
    assert response.status_code == 400
    assert "Enter an email address that is different from your current one" in response.text


def test_an_address_that_has_an_account_is_never_given_to_a_second(app):
    """The person asking sees exactly the same; the other address's owner is told that
    nothing changed, and no link exists to follow."""
    taken = UserFactory(provider=True, email="taken@example.org")
    answers = []
    for new in ("taken@example.org", "free@example.org"):
        user = UserFactory(provider=True)
        client = app.test_client()
        client.sign_in(user)
        response = ask(client, new)
        page = client.get(response.location).text
        answers.append((response.status_code, response.location,
                        page[page.index("<main"):page.index("</main>")].replace(new, "NEW")
                        .replace(user.email, "OLD").replace(user.full_name, "NAME"),
                        len(emails_to(new)),
                        len(emails_to(user.email))))
    assert answers[0] == answers[1]
    (message,) = emails_to("taken@example.org")
    assert "already has an account" in message.body and not LINK.search(message.body)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.email == "taken@example.org")) == 1
    assert taken.email == "taken@example.org"


def test_an_address_taken_after_the_link_was_sent_is_not_given(app):
    user, client = signed_in_provider(app)
    ask(client)
    link = confirmation_link()
    UserFactory(provider=True, email=NEW)
    response = client.submit(link)
    assert response.status_code == 404
    assert "An account with this email address already exists" in response.text
    db.session.refresh(user)
    assert user.email == OLD


def test_the_link_expires_and_dies_with_a_new_password(app, monkeypatch):
    user, client = signed_in_provider(app)
    ask(client)
    link = confirmation_link()
    asked = utcnow()
    monkeypatch.setattr(password_reset, "utcnow", lambda: asked + timedelta(hours=24, seconds=1))
    assert client.get(link).status_code == 404
    monkeypatch.undo()
    assert client.get(link).status_code == 200
    assert client.submit("/account/password", {
        "current_password": TEST_PASSWORD, "password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase"}).status_code == 302
    response = client.get(link)
    assert response.status_code == 404
    assert "Sign in and change your email address again" in response.text
    db.session.refresh(user)
    assert user.email == OLD


def test_requests_are_throttled(app):
    _, client = signed_in_provider(app)
    limit = app.config["ACCOUNT_EMAIL_MAX_PER_ADDRESS"]
    assert [ask(client).status_code for _ in range(limit + 1)] == [302] * limit + [429]
    assert len(emails_to(NEW)) == limit
    assert actions()[-1] == "user.email_change_throttled"


def test_no_token_is_kept_in_the_audit_trail(app):
    _, client = signed_in_provider(app)
    ask(client)
    link = confirmation_link()
    token = link.rsplit("/", 1)[1]
    client.submit(link)
    client.get(link)
    for event in db.session.scalars(sa.select(AuditEvent)):
        assert token not in str(event.details), event.action
    assert token not in str(db.session.execute(sa.text("SELECT * FROM account_link")).all())
