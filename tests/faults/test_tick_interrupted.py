"""``accreditation tick`` killed (kill -9) half way through a day with many applications due,
then run again, ends exactly where one uninterrupted run ends: the same statuses and dates,
the same e-mails queued once each, the same audit events, and an unbroken audit chain."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa

from accreditation.auth.models import Role
from accreditation.cases.models import Case
from accreditation.extensions import db
from accreditation.providers.models import Organisation
from accreditation.workflow import CaseStatus

from ..factories import UserFactory
from .data import app_for
from .stack import BIN, ROOT, app_environment, new_database

TODAY = date(2026, 11, 22)
PER_KIND = 40


def due_cases(kind: int) -> dict:
    """Five kinds of application, each with something for tick to do."""
    accredited = {"accredited_on": TODAY - timedelta(days=300)}
    return [
        # accreditation ran out yesterday: expired
        {"status": CaseStatus.ACCREDITED, **accredited, "expires_on": TODAY - timedelta(days=1)},
        # expires in 20 days: a reminder, and the annual re-inspection falls due
        {"status": CaseStatus.ACCREDITED, **accredited, "expires_on": TODAY + timedelta(days=20)},
        # the reassessment was due yesterday: suspended
        {"status": CaseStatus.REASSESSMENT_DUE, **accredited,
         "expires_on": TODAY + timedelta(days=200), "reassessment_reason": "Annual visit.",
         "reassessment_due_by": TODAY - timedelta(days=1)},
        # the information asked for was due yesterday: refused
        {"status": CaseStatus.RETURNED_AT_DUE_DILIGENCE, "return_message": "Send the lease.",
         "return_due_on": TODAY - timedelta(days=1)},
        # the information asked for is due in three days: a reminder
        {"status": CaseStatus.RETURNED_AT_FILE_SAMPLING, "return_message": "Send the roster.",
         "return_due_on": TODAY + timedelta(days=3)},
    ][kind]


def build(database: str) -> None:
    app = app_for(database)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        for number in range(PER_KIND * 5):
            organisation = Organisation(name=f"Tick Provider {number}")
            db.session.add(organisation)
            db.session.flush()
            db.session.add(Case(organisation_id=organisation.id, **due_cases(number % 5)))
            # The provider's staff get the e-mails (built, not committed one by one).
            db.session.add(UserFactory.build(role=Role.PROVIDER, organisation=organisation,
                                             password_hash="not-a-hash"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def tick(database: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own command line)
        [str(BIN / "accreditation"), "tick", "--today", TODAY.isoformat()], cwd=ROOT,
        env=app_environment(database), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def state(database: str) -> dict:
    """What tick decides, without ids and times (sequences and clocks differ between runs)."""
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            cases = connection.execute(sa.text(
                "SELECT organisation_id, status, version, accredited_on, expires_on, "
                "return_due_on, refusal_reasons, reapply_from, suspension_reason, "
                "reassessment_reason, reassessment_due_by FROM accreditation_case "
                "ORDER BY organisation_id")).all()
            outbox = Counter(connection.execute(sa.text(
                "SELECT recipient, subject, body, dedupe_key FROM outbox_message")).all())
            audit = Counter(connection.execute(sa.text(
                "SELECT action, subject_type, subject_id, actor_id FROM audit_event")).all())
            return {"cases": [tuple(row) for row in cases], "outbox": outbox, "audit": audit}
    finally:
        engine.dispose()


def audit_events(database: str) -> int:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM audit_event"))
    finally:
        engine.dispose()


def test_tick_killed_half_way_then_run_again_ends_as_one_run(postgres):
    name = f"tick_{uuid.uuid4().hex[:8]}"
    original = new_database(postgres, name)
    build(original)
    interrupted = new_database(postgres, name + "_b", template=name)
    before = audit_events(original)

    whole = tick(original)
    output = whole.communicate(timeout=300)[0].decode()
    assert whole.returncode == 0, output
    expected = state(original)
    changes = audit_events(original) - before
    assert changes >= PER_KIND * 4, output  # expiries, re-inspections, suspensions, refusals

    # Kill the same run on the copy once a third of its changes are committed.
    run = tick(interrupted)
    deadline = time.monotonic() + 300
    while audit_events(interrupted) - before < changes // 3:
        assert run.poll() is None, "tick finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    run.kill()
    run.communicate(timeout=60)
    halfway = state(interrupted)
    assert halfway != expected, "the kill came too late to interrupt anything"

    again = tick(interrupted)
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    after = state(interrupted)
    assert after["cases"] == expected["cases"]
    assert after["outbox"] == expected["outbox"]
    assert all(count == 1 for count in after["outbox"].values())  # each e-mail queued once
    assert after["audit"] == expected["audit"]

    verify = subprocess.run(  # noqa: S603
        [str(BIN / "accreditation"), "audit", "verify"], cwd=ROOT,
        env=app_environment(interrupted), capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
