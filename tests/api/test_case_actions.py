"""The actions a case lists are exactly the ones the API's transitions endpoint takes.

For every status a case can be in and every role that works on cases, each action in
``GET /api/v1/cases/{id}``'s ``actions`` is accepted by ``POST .../transitions`` (it gets past
who may and when, to the version check), and every other action the endpoint knows is refused
before it. The request carries a stale version, so nothing changes and one case serves every
action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from accreditation.cases import operations
from accreditation.cases.actions import API_ACTIONS
from accreditation.cases.models import ProposalKind
from accreditation.errors import Conflict
from accreditation.workflow import CaseStatus
from tests.cases.journey import TODAY, Journey

from .test_api import bearer

LATER = TODAY + timedelta(days=14)


def _return(journey: Journey) -> None:
    operations.return_to_provider(journey.commissioner, journey.case, message="More, please.",
                                  due_on=LATER, expected_version=journey.case.version)


def _accredited(journey: Journey) -> None:
    journey.all_the_way()


def _then(*steps: Callable[[Journey], object]) -> Callable[[Journey], None]:
    def run(journey: Journey) -> None:
        for step in steps:
            step(journey)
    return run


def _suspend(journey: Journey) -> None:
    operations.suspend(journey.commissioner, journey.case, reason="Concerns.",
                       expected_version=journey.case.version)


REACH: dict[CaseStatus, Callable[[Journey], None]] = {
    CaseStatus.DRAFT: lambda j: setattr(j, "case", operations.start_application(j.provider)),
    CaseStatus.DUE_DILIGENCE: Journey.submit,
    CaseStatus.RETURNED_AT_DUE_DILIGENCE: _then(Journey.submit, _return),
    CaseStatus.FILE_SAMPLING: _then(Journey.submit, Journey.pass_due_diligence),
    CaseStatus.RETURNED_AT_FILE_SAMPLING: _then(
        Journey.submit, Journey.pass_due_diligence, _return),
    CaseStatus.PROPERTY_INSPECTION: _then(
        Journey.submit, Journey.pass_due_diligence, Journey.complete_file_sampling),
    CaseStatus.RETURNED_AT_PROPERTY_INSPECTION: _then(
        Journey.submit, Journey.pass_due_diligence, Journey.complete_file_sampling, _return),
    CaseStatus.AWAITING_DECISION: _then(
        Journey.submit, Journey.pass_due_diligence, Journey.complete_file_sampling,
        Journey.inspect_properties),
    CaseStatus.ACCREDITED: _accredited,
    CaseStatus.REASSESSMENT_DUE: _then(_accredited, lambda j: operations.require_reassessment(
        j.commissioner, j.case, reason="Annual check.", due_by=LATER,
        expected_version=j.case.version)),
    CaseStatus.SUSPENDED: _then(_accredited, _suspend),
    CaseStatus.REVOKED: _then(_accredited, lambda j: j.adverse(ProposalKind.REVOCATION)),
    CaseStatus.REFUSED: _then(Journey.submit, lambda j: j.adverse(ProposalKind.REFUSAL)),
    CaseStatus.WITHDRAWN: _then(Journey.submit, lambda j: operations.withdraw_application(
        j.provider, j.case, expected_version=j.case.version)),
    CaseStatus.EXPIRED: _then(_accredited, lambda j: operations.expire_accreditation(
        j.case, today=j.case.expires_on)),
}

# Everything any action may need, well formed, so that only who and when can refuse it.
FIELDS = {"message": "Send the lease.", "reasons": "Reasons given.", "response": "Sent.",
          "due_on": LATER.isoformat()}


def test_every_status_is_covered():
    assert set(REACH) == set(CaseStatus)


@pytest.mark.parametrize("status", list(CaseStatus), ids=lambda status: status.value)
def test_the_actions_a_case_lists_are_exactly_those_the_api_accepts(client, journey, status):
    REACH[status](journey)
    case = journey.case
    assert case.status is status
    people = {"provider": journey.provider, "inspector": journey.inspector,
              "commissioner": journey.commissioner,
              "deciding commissioner": journey.deciding_commissioner}
    for who, person in people.items():
        headers = bearer(person)
        shown = client.get(f"/api/v1/cases/{case.id}", headers=headers)
        if shown.status_code == 404:  # an inspector not (yet) assigned does not see it
            assert who == "inspector" and case.inspector_id != person.id
            continue
        listed = shown.get_json()["actions"]
        assert set(listed) <= set(API_ACTIONS), (who, listed)
        for action in API_ACTIONS:
            response = client.post(
                f"/api/v1/cases/{case.id}/transitions", headers=headers,
                json={"action": action, "expected_version": case.version + 100, **FIELDS})
            problem = response.get_json()
            accepted = (response.status_code == Conflict.status_code
                        and problem["title"] == Conflict.title)
            assert accepted == (action in listed), (who, action, response.status_code, problem)


@pytest.mark.parametrize("days", [0, -3])
def test_a_reassessment_due_date_already_reached_is_a_problem_naming_the_field(
        client, journey, days):
    _accredited(journey)
    case = journey.case
    response = client.post(
        f"/api/v1/cases/{case.id}/transitions", headers=bearer(journey.commissioner),
        json={"action": "require_reassessment", "expected_version": case.version,
              "due_on": (TODAY + timedelta(days=days)).isoformat()})
    assert response.status_code == 400
    assert response.get_json()["detail"] == (
        "The date the reassessment is due by must be in the future")
    assert journey.case.status is CaseStatus.ACCREDITED
