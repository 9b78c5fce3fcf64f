"""A property inspected once, accredited with a condition on one of its items, and now being
re-inspected (reassessment required), built through the service's own operations."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from werkzeug.datastructures import FileStorage

from accreditation.cases import operations
from accreditation.cases.models import CaseProperty, DecisionOutcome
from accreditation.cases.operations import NewCondition
from accreditation.extensions import db
from accreditation.stages import inspection_drafts
from accreditation.stages.property_inspection import record_property_inspection

from ..cases.journey import TODAY, Journey, best_answers, photograph_required_items
from ..evidence.samples import jpeg

FAILED_LAST_TIME = ("heating", "internet_access")  # not critical: the property still passed
CONDITION_ITEM = "hot_water"
NOTE = "Radiators cold in two bedrooms."


def answer_on_tablet(actor, link: CaseProperty, answers: dict, notes: dict | None = None):
    """Answers as a tablet sends them."""
    notes = notes or {}
    drafts = inspection_drafts.drafts_for(link)
    changes = [inspection_drafts.AnswerChange(
        client_id=str(uuid.uuid4()), item_id=item_id, value=value, note=notes.get(item_id),
        base_revision=drafts[item_id].revision if item_id in drafts else 0)
        for item_id, value in answers.items()]
    for result in inspection_drafts.save_answers(actor, link, changes):
        assert result.status == "applied", result


def photo(actor, link: CaseProperty, item_id: str) -> None:
    upload = FileStorage(io.BytesIO(jpeg()), filename=f"{item_id}.jpg",
                         content_type="image/jpeg")
    inspection_drafts.add_item_photo(actor, link, item_id, str(uuid.uuid4()), upload)


def reinspection(journey: Journey, *, on_tablet: bool = True) -> CaseProperty:
    """The first property of ``journey``'s application, inspected (``FAILED_LAST_TIME``
    answered no; on the tablet with a note and a photo on heating, or on the checklist page),
    accredited with a condition on ``CONDITION_ITEM``, and now due for reassessment."""
    journey.submit()
    journey.pass_due_diligence()
    journey.complete_file_sampling()
    link, *others = journey.case.properties
    answers = best_answers("property_inspection", category=link.home.category.value)
    answers.update(dict.fromkeys(FAILED_LAST_TIME, "no"))
    if on_tablet:
        _, items = inspection_drafts.checklist_for(link)
        answer_on_tablet(journey.inspector, link,
                         {item.id: answers[item.id] for item in items if item.id in answers},
                         {"heating": NOTE})
        photograph_required_items(journey.inspector, link)
        photo(journey.inspector, link, "heating")
        inspection_drafts.submit_inspection(journey.inspector, link)
    else:
        record_property_inspection(journey.inspector, link, answers, TODAY)
    for other in others:
        record_property_inspection(journey.inspector, other, best_answers(
            "property_inspection", category=other.home.category.value), TODAY)
    operations.complete_property_inspections(journey.inspector, journey.case,
                                             expected_version=journey.case.version)
    journey.accredit(outcome=DecisionOutcome.ACCREDITED_WITH_CONDITIONS, conditions=[
        NewCondition(item_id=CONDITION_ITEM, item_title="Hot water in every bathroom",
                     description="Repair the boiler.", due_on=TODAY + timedelta(days=28),
                     property_id=link.property_id)])
    operations.require_reassessment(journey.commissioner, journey.case,
                                    reason="Annual re-inspection.",
                                    due_by=TODAY + timedelta(days=60),
                                    expected_version=journey.case.version)
    db.session.commit()
    return link
