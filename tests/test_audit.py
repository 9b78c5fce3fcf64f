"""The audit trail is append-only in effect: any edit made behind its back is detected."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from accreditation import audit
from accreditation.audit import AuditChainHead, AuditEvent
from accreditation.extensions import db

from .conftest import config_for, running_app
from .factories import UserFactory


def write_events(count: int) -> list[AuditEvent]:
    user = UserFactory()
    events = [audit.record("test.event", actor=user, subject=user, details={"n": n})
              for n in range(count)]
    db.session.commit()
    return events


def raw(sql: str, **params) -> None:
    """Change the table with plain SQL, as someone with database access might."""
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def test_an_untouched_chain_verifies(app):
    write_events(5)
    result = audit.verify()
    assert result.ok
    assert result.checked == 5


def test_events_are_linked_in_order(app):
    events = write_events(3)
    assert [event.seq for event in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


@pytest.mark.parametrize("column, value", [
    ("action", "'test.other'"),
    ("details", "'{\"n\": 99}'"),
    ("actor_id", "NULL"),
    ("subject_id", "'12345'"),
])
def test_editing_any_column_is_detected_at_that_event(app, column, value):
    write_events(5)
    raw(f"UPDATE audit_event SET {column} = {value} WHERE seq = 3")
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 3
    assert "changed" in result.reason


def test_editing_the_time_is_detected(app):
    write_events(3)
    raw("UPDATE audit_event SET occurred_at = :when WHERE seq = 2",
        when="2020-01-01 00:00:00")
    assert audit.verify().broken_seq == 2


def test_deleting_an_event_in_the_middle_is_detected(app):
    write_events(5)
    raw("DELETE FROM audit_event WHERE seq = 2")
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "missing" in result.reason


def test_deleting_the_newest_events_is_detected(app):
    write_events(5)
    raw("DELETE FROM audit_event WHERE seq >= 4")
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 4)


def test_rewriting_an_event_and_its_hash_breaks_the_next_link(app):
    events = write_events(4)
    forged = events[1].content() | {"action": "test.forged"}
    new_hash = audit.chain_hash(events[1].prev_hash, forged)
    raw("UPDATE audit_event SET action = 'test.forged', hash = :h WHERE seq = 2", h=new_hash)
    assert audit.verify().broken_seq == 3


def test_the_cli_exits_non_zero_naming_the_first_broken_event(app, runner):
    write_events(4)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    raw("UPDATE audit_event SET details = '{}' WHERE seq = 3")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 3" in result.output


@pytest.mark.parametrize("key", ["password", "new_password", "token", "api_token", "secret",
                                 "csrf_token", "totp_code", "Passphrase"])
def test_details_never_carry_secrets(app, key):
    with pytest.raises(ValueError, match="must not carry secrets"):
        audit.record("test.event", details={key: "hunter2"})
    with pytest.raises(ValueError):
        audit.record("test.event", details={"nested": {key: "hunter2"}})


def test_an_event_rolls_back_with_the_change_it_records(app):
    write_events(2)
    audit.record("test.abandoned")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 2
    assert db.session.get(AuditChainHead, 1).seq == 2
    audit.record("test.after")
    db.session.commit()
    assert audit.verify().ok


def test_the_first_event_starts_the_chain_head(app):
    raw("DELETE FROM audit_chain_head")
    events = write_events(2)
    assert [event.seq for event in events] == [1, 2]
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert db.session.get(AuditChainHead, 1).last_hash == events[1].hash
    assert audit.verify().ok


def test_writers_at_the_same_time_never_fork_the_chain(app):
    """Each event takes the head's lock as it reads it: writers in several threads, each in
    its own transaction, still make one chain with no gap and no repeated number."""
    threads, per_thread = 4, 15
    start = threading.Barrier(threads)

    def write(thread: int) -> None:
        with app.app_context():
            start.wait()
            for n in range(per_thread):
                audit.record("test.event", details={"thread": thread, "n": n})
                db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, range(threads)))
    seqs = db.session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, threads * per_thread + 1))
    result = audit.verify()
    assert result.ok and result.checked == threads * per_thread


def test_sign_in_attempts_are_audited_without_the_password(client):
    user = UserFactory()
    client.submit("/sign-in", {"email": user.email, "password": "my secret attempt"})
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert event.action == "auth.sign_in_failed"
    assert event.subject_id == str(user.id)
    assert "my secret attempt" not in str(event.details)
    assert event.details["reason"] == "wrong password"


# --- refusals anyone can cause, again and again ----------------------------------------------

FLOODER = "198.51.100.7"


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_without_a_token(client, path: str = "/sign-in"):
    return client.post(path, data={"email": "someone@example.org", "password": "anything"},
                       headers={"Referer": f"https://localhost{path}"})


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def repeats_listed(runner, *args: str) -> list[str]:
    """The lines of ``accreditation audit repeats``: what an investigation reads."""
    result = runner.invoke(args=["audit", "repeats", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_a_flood_of_forms_without_their_token_is_counted_not_chained(app, runner):
    flooder = from_address(app, FLOODER)
    for _ in range(200):
        response = post_without_a_token(flooder)
        assert response.status_code == 400
        assert "Your form has expired" in response.text
    [denial] = events("access.denied")
    assert denial.details["client"] == FLOODER
    assert denial.details["endpoint"] == "auth.sign_in"
    # Who, where, how often, from when to when: kept for an investigation.
    [line] = [line for line in repeats_listed(runner) if FLOODER in line]
    assert "access.denied" in line and "POST /sign-in" in line and "200 times" in line
    assert "form token missing or invalid" in line
    assert f"event {denial.seq}" in line
    assert audit.verify().ok


@pytest.fixture
def proxied_app(database_url):
    """The app behind one trusted reverse proxy (``ACCREDITATION_TRUSTED_PROXIES=1``)."""
    yield from running_app(config_for(database_url, TRUSTED_PROXIES=1))


def test_behind_a_trusted_proxy_floods_are_counted_by_the_real_client(proxied_app):
    for address in ("203.0.113.7", "198.51.100.23"):
        client = from_address(proxied_app, "10.0.0.2")  # the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        for _ in range(20):
            assert post_without_a_token(client).status_code == 400
    assert [event.details["client"] for event in events("access.denied")] == [
        "203.0.113.7", "198.51.100.23"]
    listed = "\n".join(repeats_listed(proxied_app.test_cli_runner()))
    assert "20 times: access.denied from 203.0.113.7" in listed
    assert "20 times: access.denied from 198.51.100.23" in listed


def test_the_same_refusal_is_chained_again_an_hour_later(app, monkeypatch):
    from datetime import timedelta

    from accreditation.database import utcnow

    now = utcnow()
    monkeypatch.setattr(audit, "utcnow", lambda: now)
    flooder = from_address(app, FLOODER)
    for _ in range(3):
        post_without_a_token(flooder)
    now += timedelta(minutes=61)
    for _ in range(3):
        post_without_a_token(flooder)
    assert len(events("access.denied")) == 2


def test_a_flood_from_many_addresses_cannot_grow_the_chain_without_bound(app, runner):
    limit = audit.REPEATS_CHAINED_PER_HOUR
    addresses = [f"10.1.{n // 250}.{n % 250 + 1}" for n in range(limit + 30)]
    for address in addresses:
        assert post_without_a_token(from_address(app, address)).status_code == 400
    assert len(events("access.denied")) == limit
    # The chain says once that later ones were only counted...
    [note] = events("audit.refusals_counted_only")
    assert note.details["limit_per_hour"] == limit
    # ...and every address is still listed, with its count.
    listed = "\n".join(repeats_listed(runner))
    assert all(address in listed for address in addresses)
    assert audit.verify().ok


def test_a_flood_of_attempts_while_throttled_is_counted_not_chained(app, runner):
    guesser = from_address(app, FLOODER)
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"]
    statuses = [guesser.submit("/sign-in", {"email": "target@example.org",
                                            "password": "guessing"}).status_code
                for _ in range(limit + 100)]
    assert statuses[limit:] == [429] * 100
    assert len(events("auth.sign_in_failed")) == limit
    [throttled] = events("auth.sign_in_throttled")
    assert throttled.details == {"limit": "account and client", "client": FLOODER}
    [line] = [line for line in repeats_listed(runner) if "auth.sign_in_throttled" in line]
    assert "100 times" in line and FLOODER in line


def test_a_revoked_token_sent_again_and_again_is_counted_not_chained(app, runner):
    from accreditation.auth.tokens import create_token, revoke_token

    record, token = create_token(UserFactory(commissioner=True), "case system")
    revoke_token(record.id)
    replayer = from_address(app, FLOODER)
    for _ in range(30):
        assert replayer.get("/api/v1/cases", headers={
            "Authorization": f"Bearer {token}"}).status_code == 401
    [refused] = events("api_token.refused")
    assert refused.subject_id == str(record.id)
    [line] = [line for line in repeats_listed(runner) if "api_token.refused" in line]
    assert "30 times" in line and f"api_token {record.id}" in line


def test_an_ended_session_sent_again_and_again_is_counted_not_chained(app, runner):
    user = UserFactory(provider=True)
    browser = app.test_client()
    browser.sign_in(user)
    cookie = browser.get_cookie("session").value
    browser.submit("/sign-out", form_page="/provider/")
    for _ in range(30):
        replayer = from_address(app, FLOODER)
        replayer.set_cookie("session", cookie)
        assert replayer.get("/provider/").status_code == 302
    [refused] = events("auth.session_refused")
    assert refused.subject_id == str(user.id)
    [line] = [line for line in repeats_listed(runner) if "auth.session_refused" in line]
    assert "30 times" in line and f"user {user.id}" in line


def test_someone_signed_in_is_audited_at_every_refusal(app):
    from .factories import PropertyFactory

    user = UserFactory(provider=True)
    other = PropertyFactory()
    browser = app.test_client()
    browser.sign_in(user)
    for _ in range(5):
        assert browser.get(f"/provider/properties/{other.id}").status_code == 404
        assert post_without_a_token(browser, "/account/password").status_code == 400
    denials = events("access.denied")
    assert len(denials) == 10
    assert {denial.actor_id for denial in denials} == {user.id}


def test_counts_of_repeated_refusals_are_kept_for_90_days(app, runner, monkeypatch):
    from datetime import timedelta

    from accreditation.database import utcnow

    monkeypatch.setattr(audit, "utcnow", lambda: utcnow() - timedelta(days=91))
    post_without_a_token(from_address(app, "192.0.2.91"))
    monkeypatch.setattr(audit, "utcnow", lambda: utcnow() - timedelta(days=89))
    post_without_a_token(from_address(app, "192.0.2.89"))
    monkeypatch.undo()
    listed = "\n".join(repeats_listed(runner, "--days", "365"))
    assert "192.0.2.91" in listed and "192.0.2.89" in listed
    assert runner.invoke(args=["tick"]).exit_code == 0
    listed = "\n".join(repeats_listed(runner, "--days", "365"))
    assert "192.0.2.91" not in listed and "192.0.2.89" in listed
    assert len(events("access.denied")) == 2  # the chain itself keeps everything
