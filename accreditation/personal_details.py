"""Personal details in fields that promise to hold none: a file's reference and role, a
referral check's reference. Pure: no Flask, no database.

What can be found reliably is found: an e-mail address (anything around an @) and a UK phone
number (11 digits starting with 0, or +44 and 10 digits, however spaced). A name cannot be told
from a job title or a word in a reference, so where a field must never be a name, its rule asks
for a number as well (``providers.operations`` for file references, ``register.operations`` for
referral references): a case or file number always has one, a name never does.
"""

from __future__ import annotations

import re

# [0-9], not \d: \d matches digits of every script. An @ with something other than a space on
# each side: one character each side is enough (``[^\s@]+`` each side would find the same
# addresses, but re-scan the text from every position: a long text would take minutes).
EMAIL = re.compile(r"[^\s@]@[^\s@]")
PHONE = re.compile(r"(?<![0-9])(?:\+[\s-]*4[\s-]*4[\s-]*(?:\(0\)[\s-]*)?|0)(?:[\s()-]*[0-9]){10}"
                   r"(?![\s-]*[0-9])")


def found_in(text: str | None) -> str | None:
    """What kind of personal detail ``text`` holds ("an email address", "a phone number"), or
    None."""
    text = text or ""
    if EMAIL.search(text):
        return "an email address"
    if PHONE.search(text):
        return "a phone number"
    return None
