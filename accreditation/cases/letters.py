"""Decision letters as PDF: the letter page's template, printed (``accreditation/pdf.py``).

The e-mail announcing a decision carries its letter. The outbox keeps no files: the message's
key names the decision (``letter:<decision id>:<address>``) and the letter is printed when
the message is sent, from the decision as it was recorded.
"""

from __future__ import annotations

from ..extensions import db
from ..notifications.outbox import attachment_maker
from ..pdf import render_pdf
from .models import Case, Decision, Proposal

LETTER_KEY = "letter"
NOTICE_KEY = "notice"


def letter_filename(case: Case) -> str:
    return f"{case.reference}-decision-letter.pdf"


def letter_pdf(case: Case, decision: Decision | None = None) -> bytes:
    """The letter of ``decision`` (the case's latest by default) as PDF."""
    decision = decision or case.decisions[-1]
    return render_pdf("cases/letter.html", case=case, decision=decision)


def letter_key(decision: Decision) -> str:
    """The outbox key of the e-mails announcing ``decision`` (one to each address)."""
    return f"{LETTER_KEY}:{decision.id}"


@attachment_maker(LETTER_KEY)
def decision_letter_attachment(decision_id: str) -> tuple[str, bytes] | None:
    decision = db.session.get(Decision, int(decision_id))
    if decision is None:
        return None
    return letter_filename(decision.case), letter_pdf(decision.case, decision)


def notice_filename(case: Case) -> str:
    return f"{case.reference}-notice.pdf"


def notice_pdf(case: Case, proposal: Proposal) -> bytes:
    """The notice of ``proposal`` as PDF: the proposal, its reasons and deadline, the
    representations, and its decision and review as far as they have been made."""
    return render_pdf("cases/letters/notice.html", case=case, proposal=proposal)


def notice_key(proposal: Proposal, step: str) -> str:
    """The outbox key of the e-mails about ``proposal`` at ``step`` ("proposed", "decided"):
    each carries the notice as it stands when it is sent."""
    return f"{NOTICE_KEY}:{proposal.id}.{step}"


@attachment_maker(NOTICE_KEY)
def notice_attachment(what: str) -> tuple[str, bytes] | None:
    proposal = db.session.get(Proposal, int(what.partition(".")[0]))
    if proposal is None:
        return None
    return notice_filename(proposal.case), notice_pdf(proposal.case, proposal)
