"""The automatic company checks of due diligence, and the answers they suggest.

The checks read the register; they do not decide. A commissioner still answers each
due-diligence item (the form can be pre-filled from ``suggested_answers``) and records the
evidence, because the checklist asks more than the register can tell (late filings in past
years, winding-up petitions in The Gazette, persons with significant control).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..database import utcnow
from .numbers import normalise_company_number
from .registry import JSON, CompanyRegistry, is_current, match_strength

# Check key -> the due-diligence checklist item (definitions/due_diligence/v1.yaml) it answers.
# Accounts and confirmation statement are separate checks but one item ("filed, with nothing
# overdue"): the item is "yes" only when both pass.
CHECK_ITEMS: dict[str, str] = {
    "company_status_active": "company_status_active",
    "accounts_not_overdue": "accounts_filed_on_time",
    "confirmation_statement_not_overdue": "accounts_filed_on_time",
    "no_insolvency_history": "no_insolvency_history",
    "no_disqualified_directors": "no_disqualified_directors",
}

STATUS_LABELS = {
    "active": "active",
    "dissolved": "dissolved",
    "liquidation": "in liquidation",
    "receivership": "in receivership",
    "administration": "in administration",
    "voluntary-arrangement": "in a company voluntary arrangement",
    "converted-closed": "converted or closed",
    "insolvency-proceedings": "subject to insolvency proceedings",
    "registered": "registered",
    "removed": "removed",
    "closed": "closed",
    "open": "open",
}
INSOLVENT_STATUSES = frozenset(
    {"liquidation", "receivership", "administration", "voluntary-arrangement",
     "insolvency-proceedings"}
)
# Companies that no longer exist file nothing, so "overdue" does not apply to them.
CLOSED_STATUSES = frozenset({"dissolved", "converted-closed", "closed", "removed"})
STRIKE_OFF = "active-proposal-to-strike-off"

CASE_LABELS = {
    "compulsory-liquidation": "compulsory liquidation",
    "creditors-voluntary-liquidation": "creditors' voluntary liquidation",
    "members-voluntary-liquidation": "members' voluntary liquidation",
    "in-administration": "administration",
    "administration-order": "administration order",
    "corporate-voluntary-arrangement": "company voluntary arrangement",
    "corporate-voluntary-arrangement-moratorium": "moratorium",
    "receiver-manager": "receiver manager",
    "administrative-receiver": "administrative receivership",
    "receivership": "receivership",
    "foreign-insolvency": "foreign insolvency proceedings",
}
CASE_DATE_LABELS = {
    "instrumented-on": "instrumented",
    "administration-started-on": "started",
    "administration-discharged-on": "discharged",
    "administration-ended-on": "ended",
    "concluded-winding-up-on": "winding up concluded",
    "petitioned-on": "petitioned",
    "ordered-to-wind-up-on": "ordered to wind up",
    "due-to-be-dissolved-on": "due to be dissolved",
    "case-end-on": "ended",
    "wound-up-on": "wound up",
    "voluntary-arrangement-started-on": "started",
    "voluntary-arrangement-ended-on": "ended",
    "moratorium-started-on": "started",
    "moratorium-ended-on": "ended",
    "declaration-solvent-on": "declared solvent",
}


@dataclass(frozen=True)
class CheckOutcome:
    """One automatic check. ``passed`` is None when the register could not tell."""

    key: str
    passed: bool | None
    summary: str

    @property
    def item_id(self) -> str:
        """The due-diligence checklist item this check answers."""
        return CHECK_ITEMS[self.key]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "passed": self.passed, "summary": self.summary}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckOutcome:
        return cls(key=data["key"], passed=data["passed"], summary=data["summary"])


@dataclass(frozen=True)
class CompanyCheckResult:
    """What the register said about one company, when, and where from; kept for the record."""

    company_number: str
    company_name: str
    checked_on: date
    checked_at: datetime
    source: str
    outcomes: tuple[CheckOutcome, ...]
    officers_checked: tuple[str, ...] = ()
    profile: JSON = field(default_factory=dict)

    @property
    def all_passed(self) -> bool:
        return all(o.passed is True for o in self.outcomes)

    def outcome(self, key: str) -> CheckOutcome:
        for candidate in self.outcomes:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def suggested_answers(self) -> dict[str, str]:
        """Checklist item id -> "yes" or "no", for items every one of whose checks could tell.

        An item is "no" if any of its checks failed, "yes" if all passed, and left out when
        a check could not tell (the commissioner answers it from the register by hand).
        """
        by_item: dict[str, list[bool | None]] = {}
        for outcome in self.outcomes:
            by_item.setdefault(outcome.item_id, []).append(outcome.passed)
        answers: dict[str, str] = {}
        for item_id, results in by_item.items():
            if False in results:
                answers[item_id] = "no"
            elif all(r is True for r in results):
                answers[item_id] = "yes"
        return answers

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record; ``from_dict`` gives back an equal result."""
        return {
            "company_number": self.company_number,
            "company_name": self.company_name,
            "checked_on": self.checked_on.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "source": self.source,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "officers_checked": list(self.officers_checked),
            "profile": copy.deepcopy(self.profile),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompanyCheckResult:
        return cls(
            company_number=data["company_number"],
            company_name=data["company_name"],
            checked_on=date.fromisoformat(data["checked_on"]),
            checked_at=datetime.fromisoformat(data["checked_at"]),
            source=data["source"],
            outcomes=tuple(CheckOutcome.from_dict(o) for o in data["outcomes"]),
            officers_checked=tuple(data.get("officers_checked") or ()),
            profile=dict(data.get("profile") or {}),
        )


def run_company_checks(
    registry: CompanyRegistry, number: str, *, today: date, now: datetime | None = None
) -> CompanyCheckResult:
    """Ask ``registry`` about company ``number`` and return the automatic checks.

    Guarantees: the number is validated before anything is asked (InvalidCompanyNumber);
    CompanyNotFound and RegistryUnavailable pass through, and no partial result is ever
    returned. Dates are judged against ``today`` as well as the register's own "overdue"
    flags, so a stored or offline profile does not look up to date for ever. Nothing is
    written anywhere.
    """
    number = normalise_company_number(number)
    profile = registry.company_profile(number)
    status = str(profile.get("company_status") or "")
    outcomes = [
        _status_check(profile),
        _filing_check("accounts_not_overdue", "Accounts", profile, today),
        _filing_check(
            "confirmation_statement_not_overdue", "Confirmation statement", profile, today
        ),
        _insolvency_check(registry, number, profile),
    ]
    current = [o for o in (registry.officers(number).get("items") or []) if is_current(o)]
    outcomes.append(
        _disqualification_check(registry, current, today, closed=status in CLOSED_STATUSES)
    )
    return CompanyCheckResult(
        company_number=number,
        company_name=str(profile.get("company_name") or ""),
        checked_on=today,
        checked_at=now or utcnow(),
        source=registry.source,
        outcomes=tuple(outcomes),
        officers_checked=tuple(_officer_label(o) for o in current),
        profile=profile,
    )


# --- The checks -----------------------------------------------------------------------------


def _status_check(profile: JSON) -> CheckOutcome:
    key = "company_status_active"
    status = str(profile.get("company_status") or "")
    detail = str(profile.get("company_status_detail") or "")
    if not status:
        return CheckOutcome(key, None, "Companies House gives no status for this company.")
    if status == STRIKE_OFF or (status == "active" and detail == STRIKE_OFF):
        return CheckOutcome(
            key,
            False,
            "Company status is active, but Companies House has proposed to strike it off the "
            "register.",
        )
    label = STATUS_LABELS.get(status, status.replace("-", " "))
    if status == "active":
        return CheckOutcome(key, True, "Company status is active.")
    ceased = _date(profile.get("date_of_cessation"))
    since = f" (since {long_date(ceased)})" if ceased else ""
    return CheckOutcome(key, False, f"Company status is {label}{since}, not active.")


def _filing_check(key: str, what: str, profile: JSON, today: date) -> CheckOutcome:
    accounts = key == "accounts_not_overdue"
    block = profile.get("accounts" if accounts else "confirmation_statement")
    status = str(profile.get("company_status") or "")
    if status in CLOSED_STATUSES:
        label = STATUS_LABELS.get(status, status)
        return CheckOutcome(key, None, f"{what}: none due, the company is {label}.")
    if not isinstance(block, Mapping):
        return CheckOutcome(
            key, None, f"{what}: Companies House shows no dates; check the filing history."
        )
    next_accounts = block.get("next_accounts")
    due = _date(block.get("next_due")) or (
        _date(next_accounts.get("due_on")) if isinstance(next_accounts, Mapping) else None
    )
    if accounts:
        last_accounts = block.get("last_accounts")
        last = _date(last_accounts.get("made_up_to")) if isinstance(last_accounts, Mapping) \
            else None
    else:
        last = _date(block.get("last_made_up_to"))
    # Companies House sets "overdue" overnight; the date comparison also catches a profile
    # recorded before the due date passed.
    if block.get("overdue") is True or (due is not None and due < today):
        if due is None:
            return CheckOutcome(key, False, f"{what} overdue.")
        were = "were" if accounts else "was"
        return CheckOutcome(
            key, False, f"{what} overdue: next {what.lower()} {were} due on {long_date(due)}."
        )
    if due is None:
        return CheckOutcome(
            key, None, f"{what}: Companies House shows no due date; check the filing history."
        )
    made_up = f"last made up to {long_date(last)}" if last else "none filed yet"
    return CheckOutcome(key, True, f"{what} up to date: {made_up}; next due by {long_date(due)}.")


def _insolvency_check(registry: CompanyRegistry, number: str, profile: JSON) -> CheckOutcome:
    key = "no_insolvency_history"
    status = str(profile.get("company_status") or "")
    history = profile.get("has_insolvency_history") is True
    liquidated = profile.get("has_been_liquidated") is True
    if not (history or liquidated or status in INSOLVENT_STATUSES):
        if "has_insolvency_history" not in profile:
            return CheckOutcome(
                key,
                None,
                "Companies House does not say whether the company has insolvency history; "
                "check its insolvency tab.",
            )
        return CheckOutcome(key, True, "No insolvency history on the Companies House register.")
    parts = []
    if status in INSOLVENT_STATUSES:
        parts.append(f"The company is {STATUS_LABELS[status]} now.")
    if liquidated:
        parts.append("The company has been liquidated.")
    # The insolvency resource is only asked for when the profile says there is something.
    cases = (registry.insolvency(number).get("cases") or []) if history else []
    described = [_describe_case(case) for case in cases if isinstance(case, Mapping)]
    if described:
        parts.append(f"Insolvency history: {'; '.join(described)}.")
    elif history:
        parts.append(
            "Companies House records insolvency history; see the company's insolvency tab."
        )
    return CheckOutcome(key, False, " ".join(parts))


def _disqualification_check(
    registry: CompanyRegistry, officers: list[JSON], today: date, *, closed: bool
) -> CheckOutcome:
    key = "no_disqualified_directors"
    # Secretaries are not directors; they also have no date of birth on the register, so a
    # name-only search would only bring namesakes.
    directors = [o for o in officers if "secretary" not in str(o.get("officer_role", ""))]
    if not directors:
        reason = "the company is closed" if closed else "check who runs the organisation"
        return CheckOutcome(key, None, f"Companies House lists no current directors; {reason}.")
    disqualified: list[str] = []
    earlier: list[str] = []
    unconfirmed: list[str] = []
    for officer in directors:
        for record in registry.disqualifications(officer):
            strength = match_strength(officer, record)
            if strength is None:
                continue
            for entry in _mappings(record.get("disqualifications")):
                start = _date(entry.get("disqualified_from"))
                until = _date(entry.get("disqualified_until"))
                text = _describe_disqualification(officer, entry, record, start, until, today)
                # A ban that starts soon counts: the director cannot stay in post.
                if until is not None and until < today:
                    earlier.append(text)
                elif strength == "confirmed":
                    disqualified.append(text)
                else:
                    unconfirmed.append(text)
    if disqualified:
        summary = f"Disqualified director: {'; '.join(disqualified)}."
        if unconfirmed:
            summary += f" Possibly also (no date of birth to compare): {'; '.join(unconfirmed)}."
        return CheckOutcome(key, False, summary)
    if unconfirmed:
        return CheckOutcome(
            key,
            None,
            "Possible match on the disqualified directors register, with no date of birth to "
            f"compare: {'; '.join(unconfirmed)}. Check the register entry by hand.",
        )
    names = "; ".join(str(o.get("name")) for o in directors)
    summary = f"No current director is disqualified (checked: {names})."
    if earlier:
        summary += f" Earlier disqualification, now ended: {'; '.join(earlier)}."
    return CheckOutcome(key, True, summary)


# --- Wording ---------------------------------------------------------------------------------


def long_date(value: date) -> str:
    """'30 September 2026', the way GOV.UK writes dates."""
    return f"{value.day} {value:%B %Y}"


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _officer_label(officer: Mapping[str, Any]) -> str:
    role = str(officer.get("officer_role") or "officer").replace("-", " ")
    return f"{officer.get('name')} ({role})"


def _describe_case(case: Mapping[str, Any]) -> str:
    case_type = str(case.get("type") or "insolvency case")
    label = CASE_LABELS.get(case_type, case_type.replace("-", " "))
    dates = []
    for entry in _mappings(case.get("dates")):
        when = _date(entry.get("date"))
        if when is not None:
            word = CASE_DATE_LABELS.get(str(entry.get("type")), str(entry.get("type")))
            dates.append((when, f"{word} {long_date(when)}"))
    dates.sort()
    return f"{label} ({', '.join(text for _, text in dates)})" if dates else label


def _describe_disqualification(
    officer: Mapping[str, Any],
    entry: Mapping[str, Any],
    record: Mapping[str, Any],
    start: date | None,
    until: date | None,
    today: date,
) -> str:
    text = f"{officer.get('name')}, disqualified"
    if start is not None and start > today:
        text += f" from {long_date(start)}"
    text += f" until {long_date(until)}" if until else " with no end date given"
    details = [str(entry.get("disqualification_type") or "").replace("-", " ")]
    companies = ", ".join(str(c) for c in entry.get("company_names") or [])
    details.append(f"relating to {companies}" if companies else "")
    for permission in _mappings(record.get("permissions_to_act")):
        granted = ", ".join(str(c) for c in permission.get("company_names") or [])
        details.append(f"a court gave permission to act for {granted}" if granted else "")
    shown = [d for d in details if d]
    return f"{text} ({'; '.join(shown)})" if shown else text


def _mappings(value: Any) -> Iterable[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
