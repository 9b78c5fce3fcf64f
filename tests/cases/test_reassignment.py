"""An inspector who leaves: their open inspections need another, assigned from the application."""

import sqlalchemy as sa

from accreditation.cases.models import Case
from accreditation.extensions import db

from ..factories import UserFactory


def test_an_open_inspection_shows_it_needs_another_inspector_until_reassigned(app, journey):
    journey.submit()
    journey.pass_due_diligence()
    case_id = journey.case.id
    commissioner = app.test_client()
    commissioner.sign_in(journey.commissioner)
    response = commissioner.submit(f"/commissioner/staff/{journey.inspector.id}/deactivate",
                                   form_page="/commissioner/staff")
    page = commissioner.get(response.location).text
    assert f"({journey.case.reference}) needs another inspector" in page
    assert "Applications that need another inspector" in page
    detail = commissioner.get(f"/cases/{case_id}").text
    assert "This application needs another inspector" in detail
    # The inspector who left is not offered again.
    assert f">{journey.inspector.full_name}</option>" not in detail

    replacement = UserFactory(inspector=True)
    version = db.session.get(Case, case_id).version
    response = commissioner.submit(f"/cases/{case_id}/actions/assign_inspector",
                                   {"inspector_id": str(replacement.id),
                                    "version": str(version)},
                                   form_page=f"/cases/{case_id}")
    assert response.status_code == 302
    assert "needs another inspector" not in commissioner.get(f"/cases/{case_id}").text
    assert "Applications that need another inspector" not in commissioner.get(
        "/commissioner/staff").text
    assert db.session.scalar(sa.select(Case.inspector_id).where(Case.id == case_id)) == \
        replacement.id
