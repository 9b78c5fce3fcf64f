"""The audit trail is append-only in effect: any edit made behind its back is detected."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from accreditation import audit
from accreditation.audit import AuditChainHead, AuditEvent
from accreditation.extensions import db

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
