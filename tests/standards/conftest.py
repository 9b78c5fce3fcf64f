import random

import pytest

from accreditation.checklists import DEFINITIONS_DIR
from accreditation.standards.operations import publish_definitions


@pytest.fixture
def published_checklists(app):
    """The shipped checklists, all published (property inspection v2 from 5 April 2027)."""
    return publish_definitions(None, DEFINITIONS_DIR)


@pytest.fixture
def rng():
    return random.Random(7)


def accredit(property_, assessment):
    """Put a property's assessment under accreditation in force (as a decision would)."""
    from accreditation.cases.models import Case, CaseProperty, InspectionOutcome
    from accreditation.extensions import db
    from accreditation.workflow import CaseStatus

    case = Case(organisation_id=property_.organisation_id, status=CaseStatus.ACCREDITED,
                accredited_on=assessment.assessed_on,
                expires_on=assessment.assessed_on.replace(year=assessment.assessed_on.year + 1))
    case.properties.append(CaseProperty(property_id=property_.id, assessment_id=assessment.id,
                                        outcome=InspectionOutcome.PASSED, accredited=True))
    db.session.add(case)
    db.session.commit()
    return case
