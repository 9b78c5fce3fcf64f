"""Decision letters as PDF: the letter page's template, printed (``accreditation/pdf.py``).

The e-mail announcing a decision carries its letter. The outbox keeps no files: the message's
key names the decision (``letter:<decision id>:<address>``) and the letter is printed when
the message is sent, from the decision as it was recorded.
"""

from __future__ import annotations

from ..extensions import db
from ..notifications.outbox import attachment_maker
from ..pdf import render_pdf
from .models import Case, Decision

LETTER_KEY = "letter"


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
