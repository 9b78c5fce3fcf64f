"""The company register as due diligence sees it, and how officers are matched to disqualifications.

Every registry answers in the JSON shapes of the Companies House public data API, so a
recorded response, an offline file and a live answer are interchangeable and can be kept for
the record as they came.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, Protocol, runtime_checkable

JSON = dict[str, Any]


@runtime_checkable
class CompanyRegistry(Protocol):
    """Read-only access to a company register.

    Company numbers may be given in any form a person types; each call normalises them and
    raises ``InvalidCompanyNumber`` before asking anything. ``CompanyNotFound`` means the
    register has no such company; ``RegistryUnavailable`` means it could not answer now.
    """

    #: Where the answers come from, in words, kept with every check result.
    source: str
    #: Whether the answers are the register's own, now (False: a recorded copy).
    live: bool

    def company_profile(self, number: str) -> JSON:
        """The company profile resource (``GET /company/{number}``)."""
        ...

    def officers(self, number: str) -> JSON:
        """The officer list (``GET /company/{number}/officers``), every page in ``items``."""
        ...

    def insolvency(self, number: str) -> JSON:
        """The insolvency resource; ``{"cases": []}`` when the company has none."""
        ...

    def disqualifications(self, officer: Mapping[str, Any]) -> list[JSON]:
        """Disqualified-officer records that may be this officer (an item of ``officers``).

        The register of disqualified officers is searched by name; a record is returned when
        surname and first forename match and, where both sides give one, the month and year of
        birth match too (see ``match_strength``). Records are the natural or corporate
        disqualification resources, with every disqualification, current or expired.
        """
        ...


# --- Matching officers to the disqualified officers register ------------------------------------
# The officer list and the disqualified officers register use different officer ids, so the
# only realistic link is the person: name and (for people) month and year of birth, which is
# all the officer list publishes. Middle names are left out of the comparison because the two
# registers do not always record them alike; the date of birth keeps namesakes apart.

Strength = Literal["confirmed", "name_only"]

_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lord", "lady", "prof", "professor",
     "rev", "revd", "reverend"}
)
_COMPANY_WORDS = frozenset({"ltd", "limited", "plc", "llp", "cic", "the"})


def name_tokens(text: str | None) -> list[str]:
    """Lower-case ASCII words of a name: accents, apostrophes and punctuation dropped."""
    if not text:
        return []
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", plain)


def is_corporate(officer: Mapping[str, Any]) -> bool:
    return str(officer.get("officer_role", "")).startswith("corporate-")


def is_current(officer: Mapping[str, Any]) -> bool:
    """In post: the officer list keeps resigned officers, with ``resigned_on`` set."""
    return not officer.get("resigned_on")


def officer_person(officer: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(surname words, forename words) of an officer list name such as 'THORNE, Gary Paul'."""
    name = str(officer.get("name", ""))
    surname, _, forenames = name.partition(",")
    if not forenames:
        # No comma: cannot tell which word is the surname; treat the last word as it.
        words = name_tokens(name)
        return words[-1:], [w for w in words[:-1] if w not in _TITLES]
    return name_tokens(surname), [w for w in name_tokens(forenames) if w not in _TITLES]


def search_query(officer: Mapping[str, Any]) -> str:
    """What to type into the disqualified officers search for this officer."""
    name = str(officer.get("name", "")).strip()
    if is_corporate(officer):
        return name
    surname, _, forenames = name.partition(",")
    return f"{forenames.strip()} {surname.strip()}".strip()


def _birth_month(value: Any) -> tuple[int, int] | None:
    """(year, month) from the officer list's ``{"month", "year"}`` or an ISO date string."""
    if isinstance(value, Mapping):
        try:
            return int(value["year"]), int(value["month"])
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value, str):
        try:
            born = date.fromisoformat(value[:10])
        except ValueError:
            return None
        return born.year, born.month
    return None


def _company_words(text: str | None) -> list[str]:
    return [w for w in name_tokens(text) if w not in _COMPANY_WORDS]


def match_strength(officer: Mapping[str, Any], record: Mapping[str, Any]) -> Strength | None:
    """How well a disqualified-officer record (or search item) fits an officer list item.

    ``"confirmed"``: same surname, first forename, and month and year of birth (for a
    corporate officer: same name or registration number). ``"name_only"``: the names match but
    one side gives no date of birth to compare. ``None``: not this officer.
    """
    record_is_corporate = str(record.get("kind", "")).startswith("corporate") or (
        "/corporate/" in str((record.get("links") or {}).get("self", ""))
    )
    if is_corporate(officer):
        if not record_is_corporate:
            return None
        identification = officer.get("identification") or {}
        number = "".join(str(identification.get("registration_number", "")).split()).upper()
        if number and number == "".join(str(record.get("company_number", "")).split()).upper():
            return "confirmed"
        wanted = _company_words(str(officer.get("name", "")))
        found = _company_words(record.get("name") or record.get("title"))
        return "confirmed" if wanted and wanted == found else None
    if record_is_corporate:
        return None
    surname, forenames = officer_person(officer)
    if not surname or not forenames:
        return None
    if "surname" in record:
        record_surname = name_tokens(record.get("surname"))
        given = f"{record.get('forename') or ''} {record.get('other_forenames') or ''}"
        record_forenames = [w for w in name_tokens(given) if w not in _TITLES]
        if record_surname != surname or record_forenames[:1] != forenames[:1]:
            return None
    else:
        # A search item only has a display title ('Gary Paul THORNE'): require every surname
        # word and the first forename; the full record is compared once fetched.
        words = [w for w in name_tokens(record.get("title")) if w not in _TITLES]
        if not set(surname) <= set(words) or forenames[0] not in words:
            return None
    officer_born = _birth_month(officer.get("date_of_birth"))
    record_born = _birth_month(record.get("date_of_birth"))
    if officer_born is None or record_born is None:
        return "name_only"
    return "confirmed" if officer_born == record_born else None
