"""Publishing checklist versions: validated, all or nothing, immutable once published."""

import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.checklists import DEFINITIONS_DIR
from accreditation.errors import NotFound, NotPermitted, ValidationFailed
from accreditation.extensions import db
from accreditation.standards.models import PublicationStatus, PublishedChecklist
from accreditation.standards.operations import (
    current_checklist,
    publish_definitions,
    retire_checklist,
    upcoming_step,
)

from ..factories import UserFactory


@pytest.fixture
def definitions(tmp_path):
    """A private copy of the shipped definitions that a test may edit."""
    target = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, target)
    return target


def published() -> list[tuple[str, int]]:
    return [tuple(row) for row in db.session.execute(
        sa.select(PublishedChecklist.kind, PublishedChecklist.version)
        .order_by(PublishedChecklist.kind, PublishedChecklist.version))]


def test_publishing_stores_every_new_version_once_and_audits_it(app, definitions):
    commissioner = UserFactory(commissioner=True)
    records = publish_definitions(commissioner, definitions)
    assert published() == [("due_diligence", 1), ("file_sampling", 1),
                           ("property_inspection", 1), ("property_inspection", 2)]
    assert len(records) == 4
    assert publish_definitions(commissioner, definitions) == []  # nothing new the second time
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "checklist.published")).all()
    assert len(events) == 4
    assert all(event.actor_id == commissioner.id for event in events)


def test_one_broken_file_refuses_the_whole_publication(app, definitions):
    (definitions / "due_diligence" / "v2.yaml").write_text("kind: due_diligence\nversion: [")
    with pytest.raises(ValidationFailed, match="nothing was published") as error:
        publish_definitions(None, definitions)
    assert "v2.yaml" in error.value.message
    assert published() == []


def test_a_published_version_edited_in_place_is_rejected_with_what_to_do(app, definitions,
                                                                         runner):
    publish_definitions(None, definitions)
    path = definitions / "file_sampling" / "v1.yaml"
    path.write_text(path.read_text().replace("weight: 3", "weight: 1", 1))
    result = runner.invoke(args=["checklists", "validate", str(definitions)])
    assert result.exit_code == 1
    assert "v1.yaml" in result.output
    assert "version 1 of file_sampling was published and has been edited" in result.output
    assert "publish the change as version 2" in result.output
    with pytest.raises(ValidationFailed, match="has been edited"):
        publish_definitions(None, definitions)


def test_a_deleted_published_file_is_reported(app, definitions, runner):
    publish_definitions(None, definitions)
    (definitions / "due_diligence" / "v1.yaml").unlink()
    result = runner.invoke(args=["checklists", "validate", str(definitions)])
    assert result.exit_code == 1
    assert "was published but its file is missing" in result.output


@pytest.mark.parametrize("replace, message", [
    (("answer_type: yes_no", "answer_type: maybe_so"), "maybe_so"),
    (("weight: 3", "weight: -3"), "weight"),
])
def test_malformed_definitions_name_the_file_and_line(app, definitions, runner, replace,
                                                      message):
    path = definitions / "due_diligence" / "v1.yaml"
    path.write_text(path.read_text().replace(*replace, 1))
    result = runner.invoke(args=["checklists", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}, line " in result.output
    assert message in result.output


def test_the_shipped_definitions_validate_from_the_command_line(runner):
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "All checklist definitions are valid." in result.output


def test_published_content_cannot_be_changed(app, definitions):
    publish_definitions(None, definitions)
    record = current_checklist("due_diligence", date(2026, 11, 22))
    record.definition = {**record.definition, "title": "Something else"}
    with pytest.raises(ValueError, match="publish a new version instead"):
        db.session.flush()
    db.session.rollback()


def test_only_commissioners_publish(app, definitions):
    with pytest.raises(NotPermitted):
        publish_definitions(UserFactory(inspector=True), definitions)
    assert published() == []


def test_a_version_waits_for_its_first_step(app, definitions):
    publish_definitions(None, definitions)
    # v2's first step is 5 April 2027: until then v1 is the version in force.
    assert current_checklist("property_inspection", date(2027, 4, 4)).version == 1
    assert current_checklist("property_inspection", date(2027, 4, 5)).version == 2
    record, step = upcoming_step("property_inspection", date(2027, 2, 1))
    assert (record.version, step.effective_from) == (2, date(2027, 4, 5))


def test_retiring_a_version(app, definitions, runner, monkeypatch):
    monkeypatch.setattr("accreditation.clock.today", lambda: date(2026, 11, 22))
    publish_definitions(None, definitions)
    result = runner.invoke(args=["checklists", "retire", "--kind", "property_inspection",
                                 "--version", "2"])
    assert result.exit_code == 0, result.output
    record = db.session.scalar(sa.select(PublishedChecklist).filter_by(version=2))
    assert record.status is PublicationStatus.RETIRED
    assert current_checklist("property_inspection", date(2027, 5, 1)).version == 1
    again = runner.invoke(args=["checklists", "retire", "--kind", "property_inspection",
                                "--version", "2"])
    assert again.exit_code != 0
    assert "already retired" in again.output


def test_nothing_published_is_a_clear_error(app):
    with pytest.raises(NotFound, match="No property inspection checklist is published"):
        current_checklist("property_inspection")
    with pytest.raises(NotFound):
        retire_checklist(None, "property_inspection", 1)


def test_the_version_in_force_cannot_be_retired(app, definitions, monkeypatch):
    from accreditation.errors import InvalidTransition

    monkeypatch.setattr("accreditation.clock.today", lambda: date(2026, 11, 22))
    publish_definitions(None, definitions)
    with pytest.raises(InvalidTransition, match="is the version in force"):
        retire_checklist(None, "property_inspection", 1)
    assert current_checklist("property_inspection").version == 1
