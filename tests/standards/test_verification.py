"""``accreditation decisions verify``: every stored assessment, scored again under its pinned
checklist version and threshold step, gives what was stored; a changed record is named."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified

from accreditation.extensions import db
from accreditation.standards.models import Assessment


def verify(runner):
    db.session.commit()
    db.session.expunge_all()
    return runner.invoke(args=["decisions", "verify"])


def test_the_demo_consortiums_assessments_all_agree_when_re_scored(runner):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    stored = db.session.scalar(sa.select(sa.func.count(Assessment.id)))
    assert stored > 0

    result = verify(runner)

    assert result.exit_code == 0, result.output
    assert f"All {stored} assessments re-scored: every stored result agrees." in result.output


def test_a_changed_outcome_or_answer_is_named(runner):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    first, second = db.session.scalars(
        sa.select(Assessment).where(Assessment.kind == "property_inspection")
        .order_by(Assessment.id).limit(2)).all()
    first.passed = not first.passed  # someone changed the outcome in the database
    yes = next(item for item, value in second.answers.items() if value == "yes")
    second.answers = {**second.answers, yes: "no"}  # or one answer
    flag_modified(second, "answers")
    first_id, first_case, second_id = first.id, first.case_id, second.id

    result = verify(runner)

    assert result.exit_code == 1
    named = re.findall(r"^Assessment (\d+)", result.output, re.M)
    assert named == [str(first_id), str(second_id)]
    assert f"Assessment {first_id} (application {first_case}): stored as" in result.output
    assert "2 of " in result.output and "assessments differ when re-scored." in result.output
