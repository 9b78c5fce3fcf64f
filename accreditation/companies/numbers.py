"""Company numbers: the one place that decides what a valid number looks like."""

from __future__ import annotations

import re

from .errors import InvalidCompanyNumber

# Eight characters: all digits (England and Wales companies), or a two-letter prefix and six
# digits (SC Scotland, NI Northern Ireland, OC LLPs, CE CIOs...), or R and seven digits (old
# Northern Ireland numbers). [0-9] rather than \d: \d also matches non-ASCII digits.
_VALID = re.compile(r"(?:[0-9]{8}|[A-Z]{2}[0-9]{6}|R[0-9]{7})")
_DIGITS = re.compile(r"[0-9]{1,8}")


def normalise_company_number(text: str) -> str:
    """The canonical 8-character form of ``text``, or InvalidCompanyNumber.

    Spaces are ignored and letters upper-cased; an all-digit number shorter than eight digits
    is left-padded with zeros ('1234567' -> '01234567'); prefixed numbers ('SC123456') must
    already have six digits. The result is safe to put in a URL path or a file name, and
    normalising a normalised number returns it unchanged. Raises nothing else.
    """
    if not isinstance(text, str):
        raise InvalidCompanyNumber("Enter the company number as text, for example 01234567.")
    compact = "".join(text.split()).upper()
    if not compact:
        raise InvalidCompanyNumber("Enter a company number, for example 01234567 or SC123456.")
    if _DIGITS.fullmatch(compact):
        compact = compact.zfill(8)
    if not _VALID.fullmatch(compact) or compact == "00000000":
        raise InvalidCompanyNumber(
            "Enter a company number of 8 characters: 8 digits (for example 01234567), or 2 "
            "letters and 6 digits (for example SC123456)."
        )
    return compact
