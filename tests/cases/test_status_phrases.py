"""A case's status in a sentence: "Your application is at the file sampling stage.", never
"Your application is file sampling."."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accreditation import workflow
from accreditation.auth.models import Role
from accreditation.errors import InvalidTransition
from accreditation.workflow import CaseStatus


def reads_after_is(phrase: str) -> bool:
    """Whether "... is {phrase}." is English: an article or "at" ("a draft", "at the ...
    stage") or a participle ("accredited", "awaiting a decision"), not a bare noun such as
    "file sampling" or "due diligence"."""
    first = phrase.split()[0].rstrip(",")
    return phrase == phrase.lower() and (first in {"a", "an", "at"}
                                         or first.endswith(("ed", "ing", "drawn")))


@pytest.mark.parametrize("status", list(CaseStatus), ids=lambda status: status.value)
def test_every_status_reads_as_the_end_of_a_sentence(status):
    assert reads_after_is(status.phrase), f"Your application is {status.phrase}."


@pytest.mark.parametrize("status", list(CaseStatus), ids=lambda status: status.value)
def test_a_step_not_open_now_is_refused_in_a_sentence(status):
    trigger = next(trigger for trigger, (sources, _, roles) in workflow.TRANSITIONS.items()
                   if status not in sources and Role.COMMISSIONER in roles)
    case = SimpleNamespace(status=status)
    with pytest.raises(InvalidTransition) as refused:
        workflow.ensure_can_fire(case, trigger, SimpleNamespace(role=Role.COMMISSIONER))
    assert refused.value.message.startswith(f"This application is {status.phrase}, so ")


def test_the_check_tells_a_noun_from_a_phrase():
    assert not reads_after_is("file sampling") and not reads_after_is("due diligence")
    assert not reads_after_is("returned to provider (due diligence)".capitalize())
    assert reads_after_is("at the property inspection stage") and reads_after_is("withdrawn")
