"""Authenticator app secrets are sealed in the database, and the key can be changed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from accreditation.audit import AuditEvent
from accreditation.auth.models import User
from accreditation.extensions import db
from accreditation.sealing import DEVELOPMENT_DATA_KEY, SealedValueError, keys_from_setting

from .factories import TEST_TOTP_SECRET, UserFactory


def stored_secret(user_id: int) -> str:
    """What the database holds, as someone reading a copy of it would see it."""
    return db.session.execute(sa.text('SELECT totp_secret FROM "user" WHERE id = :id'),
                              {"id": user_id}).scalar_one()


def use_keys(app, keys: str) -> None:
    """As if the app had been restarted with ``ACCREDITATION_DATA_KEYS=keys``."""
    app.extensions["data_keys"] = keys_from_setting(keys)
    db.session.expire_all()


def test_the_database_holds_only_the_sealed_secret(app):
    first, second = (UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET) for _ in range(2))
    db.session.commit()
    sealed = stored_secret(first.id)
    assert TEST_TOTP_SECRET not in sealed
    assert Fernet(DEVELOPMENT_DATA_KEY).decrypt(sealed.encode()).decode() == TEST_TOTP_SECRET
    assert stored_secret(second.id) != sealed  # sealing is randomised: equal secrets look apart
    db.session.expire_all()
    assert db.session.get(User, first.id).totp_secret == TEST_TOTP_SECRET


def test_a_new_key_first_then_reseal_then_the_old_key_can_go(app, runner):
    user_id = UserFactory(commissioner=True, totp_secret=TEST_TOTP_SECRET).id
    db.session.commit()
    old, new = DEVELOPMENT_DATA_KEY, Fernet.generate_key().decode()
    use_keys(app, f"{new},{old}")
    assert db.session.get(User, user_id).totp_secret == TEST_TOTP_SECRET  # still opens
    result = runner.invoke(args=["keys", "reseal"])
    assert result.exit_code == 0, result.output
    assert "1 authenticator app secrets sealed with the first key" in result.output
    assert Fernet(new).decrypt(stored_secret(user_id).encode()).decode() == TEST_TOTP_SECRET
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "keys.resealed")).one()
    assert event.details == {"sealed_values": 1}

    use_keys(app, new)
    assert db.session.get(User, user_id).totp_secret == TEST_TOTP_SECRET


def test_without_the_key_a_secret_is_not_opened_and_the_error_says_why(app, runner):
    user_id = UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET).id
    db.session.commit()
    use_keys(app, Fernet.generate_key().decode())
    with pytest.raises(SealedValueError, match="does not hold the key it was sealed with"):
        db.session.get(User, user_id)
    db.session.rollback()
    result = runner.invoke(args=["keys", "reseal"])
    assert result.exit_code != 0
    assert f"user {user_id}: no configured key opens its totp_secret" in result.output
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "keys.resealed")) == 0


def test_health_says_when_the_keys_do_not_open_the_sealed_secrets(app, runner):
    def health() -> tuple[int, dict]:
        result = runner.invoke(args=["health"])
        return result.exit_code, json.loads(result.output)["data_keys"]

    assert health() == (0, {"status": "ok"})  # nothing sealed yet
    UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET)
    db.session.commit()
    assert health() == (0, {"status": "ok"})
    use_keys(app, Fernet.generate_key().decode())
    result = runner.invoke(args=["health"])
    assert result.exit_code == 1
    assert json.loads(result.output)["data_keys"] == {
        "status": "unavailable", "detail": "the keys do not open the sealed secrets"}
    assert TEST_TOTP_SECRET not in result.output


def test_after_the_keys_are_lost_the_command_line_removes_every_authenticator(app, runner):
    """Nobody with an app could sign in (their secret cannot be opened): the operator removes
    the apps without opening anything, and each person sets up a new one."""
    inspector = UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET)
    commissioner = UserFactory(commissioner=True, totp_secret=TEST_TOTP_SECRET)
    provider = UserFactory(provider=True)
    ids = [inspector.id, commissioner.id, provider.id]
    generations = [person.session_generation for person in (inspector, commissioner)]
    db.session.commit()
    use_keys(app, Fernet.generate_key().decode())  # the old key is gone
    assert runner.invoke(args=["users", "reset-authenticator"]).exit_code != 0  # whose?
    result = runner.invoke(args=["users", "reset-authenticator", "--all"])
    assert result.exit_code == 0, result.output
    assert "Authenticator apps removed: 2" in result.output
    db.session.expire_all()
    people = [db.session.get(User, user_id) for user_id in ids]  # opens nothing now
    assert [person.has_authenticator for person in people] == [False, False, False]
    assert [person.session_generation - 1 for person in people[:2]] == generations  # signed out
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "user.authenticator_reset")).all()
    assert sorted(int(event.subject_id) for event in events) == sorted(ids[:2])
    assert all(event.details["by"] == "command line" for event in events)


def test_the_command_line_removes_one_persons_authenticator_or_nobodys(app, runner):
    first = UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET)
    second = UserFactory(inspector=True, totp_secret=TEST_TOTP_SECRET)
    db.session.commit()
    result = runner.invoke(args=["users", "reset-authenticator", "--email", first.email,
                                 "--email", "nobody@example.org"])
    assert result.exit_code != 0 and "nobody@example.org" in result.output
    db.session.expire_all()
    assert db.session.get(User, first.id).has_authenticator  # nothing changed
    result = runner.invoke(args=["users", "reset-authenticator", "--email", first.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(User, first.id).has_authenticator
    assert db.session.get(User, second.id).has_authenticator
