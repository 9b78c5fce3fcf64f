"""The second factor: commissioners and inspectors prove a code from an authenticator app."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from accreditation.audit import AuditEvent
from accreditation.auth import mfa
from accreditation.auth.models import ApiToken, RecoveryCode, User
from accreditation.auth.sessions import PENDING
from accreditation.auth.tokens import TABLET_TOKEN_NAME, create_token
from accreditation.extensions import db

from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory, authenticator_code


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def password_step(client, user, next_url: str | None = None):
    url = f"/sign-in?next={next_url}" if next_url else "/sign-in"
    return client.submit(url, {"email": user.email, "password": TEST_PASSWORD},
                         form_page="/sign-in")


def unused_code(secret: str = TEST_TOTP_SECRET) -> str:
    return mfa.code_for(secret, mfa.current_step())


# --- who is asked ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["inspector", "commissioner"])
def test_the_password_alone_does_not_sign_in_staff_who_decide_or_inspect(client, role):
    user = UserFactory(**{role: True})
    response = password_step(client, user)
    assert response.location == "/sign-in/code"
    assert client.get("/", follow_redirects=True).text.count("Signed in as") == 0
    assert client.get("/account").status_code == 302  # not signed in yet
    assert actions() == ["auth.password_accepted"]

    response = client.submit("/sign-in/code", {"code": authenticator_code(user.email)})
    assert response.location == "/"
    assert "Signed in as" in client.get("/", follow_redirects=True).text
    signed_in = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auth.signed_in")).one()
    assert signed_in.details["second_factor"] == "authenticator app"


@pytest.mark.parametrize("role", ["provider", "social_worker"])
def test_providers_and_social_workers_sign_in_with_a_password(client, role):
    response = password_step(client, UserFactory(**{role: True}))
    assert response.location == "/"
    assert "Signed in as" in client.get("/", follow_redirects=True).text


def test_the_page_asked_for_is_kept_through_the_code_step(client):
    user = UserFactory(commissioner=True)
    assert password_step(client, user, "/commissioner/audit").location == "/sign-in/code"
    response = client.submit("/sign-in/code", {"code": authenticator_code(user.email)})
    assert response.location == "/commissioner/audit"


# --- wrong, reused and late codes -----------------------------------------------------------

def test_a_wrong_code_is_refused_with_a_clear_message_and_audited(client):
    user = UserFactory(inspector=True)
    password_step(client, user)
    right = authenticator_code(user.email)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.submit("/sign-in/code", {"code": wrong})
    assert response.status_code == 400
    assert 'href="#code">Enter the 6-digit code your authenticator app shows now' in response.text
    assert "auth.second_factor_failed" in actions()
    assert client.get("/inspections/").status_code == 302


def test_a_code_works_once(app):
    user = UserFactory(inspector=True)
    first, second = app.test_client(), app.test_client()
    password_step(first, user)
    password_step(second, user)
    code = authenticator_code(user.email)
    assert first.submit("/sign-in/code", {"code": code}).status_code == 302
    # Someone who saw the code over the inspector's shoulder cannot use it too.
    assert second.submit("/sign-in/code", {"code": code}).status_code == 400


def test_wrong_codes_count_towards_the_accounts_sign_in_limit(app, client):
    user = UserFactory(inspector=True)
    password_step(client, user)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"] - 1):
        assert client.submit("/sign-in/code", {"code": "000000"}).status_code == 400
    assert client.submit("/sign-in/code", {"code": "999999"}).status_code == 400
    # Now even the right code is not checked: guessing 10^6 codes is not possible.
    response = client.submit("/sign-in/code", {"code": authenticator_code(user.email)})
    assert response.status_code == 429
    assert "too many failed attempts" in response.text
    assert client.get("/inspections/").status_code == 302


def test_a_code_page_left_for_ten_minutes_starts_the_sign_in_again(client):
    user = UserFactory(inspector=True)
    password_step(client, user)
    with client.session_transaction() as session:
        session[PENDING] = {**session[PENDING], "since": int(time.time()) - 11 * 60}
    response = client.submit("/sign-in/code", {"code": authenticator_code(user.email)},
                             form_page="/sign-in")
    assert response.location == "/sign-in"
    assert "Sign in again" in client.get("/sign-in").text


def test_the_code_page_without_a_password_first_goes_to_sign_in(client):
    assert client.get("/sign-in/code").location == "/sign-in"
    assert client.get("/sign-in/authenticator").location == "/sign-in"


def test_a_pending_sign_in_ends_when_the_password_changes_elsewhere(client):
    user = UserFactory(inspector=True)
    password_step(client, user)
    db.session.get(User, user.id).session_generation += 1
    db.session.commit()
    assert client.get("/sign-in/code").location == "/sign-in"


# --- setting up an app, recovery codes -------------------------------------------------------

def test_a_new_inspector_sets_up_an_authenticator_at_first_sign_in(client):
    user = UserFactory(inspector=True, totp_secret=None, totp_confirmed_at=None)
    assert password_step(client, user).location == "/sign-in/authenticator"
    page = client.get("/sign-in/authenticator")
    assert "<svg" in page.text and "QR code for your authenticator app" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # A wrong code keeps the same key on screen and says what to check.
    response = client.submit("/sign-in/authenticator", {"code": "123456"})
    assert response.status_code == 400
    assert "check the time on your phone" in response.text
    assert client.get("/inspections/").status_code == 302

    secret, codes = client.set_up_authenticator()
    assert client.get("/inspections/").status_code == 200
    stored = db.session.get(User, user.id)
    db.session.refresh(stored)
    assert stored.totp_secret == secret and stored.has_authenticator
    assert len(set(codes)) == mfa.RECOVERY_CODE_COUNT
    # Only hashes are kept.
    hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert not hashes & set(codes) and mfa.recovery_code_hash(codes[0]) in hashes
    assert "auth.authenticator_added" in actions()


def test_a_recovery_code_signs_in_once(app):
    user = UserFactory(inspector=True, totp_secret=None, totp_confirmed_at=None)
    client = app.test_client()
    password_step(client, user)
    _, codes = client.set_up_authenticator()

    again = app.test_client()
    password_step(again, user)
    response = again.submit("/sign-in/code", {"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302
    assert "9 unused recovery codes" in again.get("/account").text
    third = app.test_client()
    password_step(third, user)
    assert third.submit("/sign-in/code", {"code": codes[3]}).status_code == 400


def test_new_recovery_codes_replace_the_old_ones(client):
    user = UserFactory(commissioner=True)
    client.sign_in(user)
    _, old = client.set_up_authenticator("/account/authenticator")
    response = client.submit("/account/recovery-codes", form_page="/account")
    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z0-9-]{14})</code></li>", response.text)
    assert len(new) == mfa.RECOVERY_CODE_COUNT and not set(new) & set(old)
    client.submit("/sign-out", form_page="/account")
    password_step(client, user)
    assert client.submit("/sign-in/code", {"code": old[0]}).status_code == 400
    assert client.submit("/sign-in/code", {"code": new[0]}).status_code == 302


def test_replacing_the_app_keeps_the_old_one_until_the_new_one_is_confirmed(client):
    user = UserFactory(inspector=True)
    client.sign_in(user)
    page = client.get("/account/authenticator")
    assert "Your current app keeps working" in page.text
    assert db.session.get(User, user.id).totp_secret == TEST_TOTP_SECRET
    secret, _ = client.set_up_authenticator("/account/authenticator")
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret != TEST_TOTP_SECRET
    assert "auth.authenticator_replaced" in actions()


# --- commissioners helping colleagues --------------------------------------------------------

def test_a_commissioner_resets_a_colleagues_authenticator(app, client):
    inspector = UserFactory(inspector=True, full_name="Sam Wright")
    tablet = app.test_client()
    tablet.sign_in(inspector)
    create_token(inspector, name=TABLET_TOKEN_NAME)
    client.sign_in(UserFactory(commissioner=True))

    response = client.submit(f"/commissioner/staff/{inspector.id}/reset-authenticator",
                             form_page="/commissioner/staff")
    assert response.location == "/commissioner/staff"
    assert "Sam Wright&#39;s authenticator app has been removed" in client.get(
        "/commissioner/staff").text
    # Signed out everywhere, tablets too; the next sign-in sets up a new app.
    assert tablet.get("/inspections/").status_code == 302
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    assert password_step(app.test_client(), inspector).location == "/sign-in/authenticator"
    assert "user.authenticator_reset" in actions()


def test_nobody_resets_their_own_authenticator_from_the_staff_page(client):
    commissioner = UserFactory(commissioner=True)
    client.sign_in(commissioner)
    client.submit(f"/commissioner/staff/{commissioner.id}/reset-authenticator",
                  form_page="/commissioner/staff")
    assert "You cannot reset your own authenticator" in client.get("/commissioner/staff").text
    assert db.session.get(User, commissioner.id).has_authenticator


def test_a_commissioner_resets_the_authenticator_a_provider_added(app, client):
    """A provider who added an app and lost it and its codes is not locked out for good."""
    provider = UserFactory(provider=True, full_name="Dana Okafor", totp_secret=TEST_TOTP_SECRET)
    UserFactory(provider=True, full_name="Without An App")
    laptop = app.test_client()
    laptop.sign_in(provider)
    assert password_step(app.test_client(), provider).location == "/sign-in/code"
    client.sign_in(UserFactory(commissioner=True))

    page = client.get("/commissioner/providers").text
    assert "Dana Okafor" in page and "Without An App" not in page  # only accounts with an app
    response = client.submit(
        f"/commissioner/providers/accounts/{provider.id}/reset-authenticator",
        form_page="/commissioner/providers")
    assert response.location == "/commissioner/providers"
    assert "Dana Okafor&#39;s authenticator app has been removed" in client.get(
        "/commissioner/providers").text
    db.session.expire_all()
    assert not db.session.get(User, provider.id).has_authenticator
    assert laptop.get("/evidence/").status_code == 302  # signed out everywhere
    assert password_step(app.test_client(), provider).location == "/"  # the password again
    assert "user.authenticator_reset" in actions()


def test_the_provider_reset_is_for_provider_accounts_only(client):
    inspector = UserFactory(inspector=True)
    client.sign_in(UserFactory(commissioner=True))
    response = client.submit(
        f"/commissioner/providers/accounts/{inspector.id}/reset-authenticator",
        form_page="/commissioner/providers")
    assert response.status_code == 404
    assert db.session.get(User, inspector.id).has_authenticator


def test_the_demo_shows_the_code_of_its_published_demo_key_only_in_development(app, client):
    from accreditation.demo import DEMO_TOTP_SECRET

    user = UserFactory(inspector=True, totp_secret=DEMO_TOTP_SECRET)
    password_step(client, user)
    assert "Demo account" not in client.get("/sign-in/code").text  # the testing environment
    app.config["ENV_NAME"] = "development"
    assert f"the code is {unused_code(DEMO_TOTP_SECRET)}" in client.get("/sign-in/code").text
    other = UserFactory(inspector=True)
    password_step(client, other)
    assert "Demo account" not in client.get("/sign-in/code").text


# --- the code check itself ----------------------------------------------------------------------

@given(drift=st.integers(min_value=-5, max_value=5), used_up_to=st.one_of(
    st.none(), st.integers(min_value=-3, max_value=3)))
def test_a_code_is_accepted_only_near_now_and_only_after_the_last_one_used(drift, used_up_to):
    now = mfa.current_step()
    step = now + drift
    last = None if used_up_to is None else now + used_up_to
    found = mfa.matching_step(TEST_TOTP_SECRET, mfa.code_for(TEST_TOTP_SECRET, step),
                              used_up_to=last)
    if abs(drift) <= mfa.DRIFT_STEPS and (last is None or step > last):
        # Another step in the window may share the code by chance; it is still a later one.
        assert found is not None and (last is None or found > last)
    elif found is not None:  # a chance collision with a step inside the window
        assert abs(found - now) <= mfa.DRIFT_STEPS and (last is None or found > last)


@given(st.text(max_size=40))
def test_anything_typed_that_is_not_six_digits_is_never_a_code(text):
    if not re.fullmatch(r"\s*([0-9]\s*){6}", text):
        assert mfa.matching_step(TEST_TOTP_SECRET, text, used_up_to=None) is None


def test_a_social_worker_may_choose_to_use_an_authenticator_app(app, client):
    user = UserFactory(social_worker=True)
    client.sign_in(user)
    assert "You can make your account safer" in client.get("/account").text
    client.set_up_authenticator("/account/authenticator")
    # From now on the password alone is not enough.
    again = app.test_client()
    assert password_step(again, user).location == "/sign-in/code"
    assert again.submit("/sign-in/code", {"code": authenticator_code(user.email)}).location == "/"
