"""Numbers people type: the one way a typed number is read, and the rules it must meet.

A number is read as a person writes one: digits, a decimal point, commas between thousands
(``1,500``), a pound sign in front of money and a minus sign (read, so that the answer can say
"must be 0 or more" rather than "not a number"). Nothing else a programming language would
accept is a number here: no exponents (``1e9``), no ``NaN`` or ``Infinity``, no underscores
(``1_000``), no digits of other scripts, no spaces inside. Values are ``Decimal``: what was
typed, exactly.

A ``NumberRule`` says what a kind of number may be: its least and greatest values and how many
decimal places it may have (none: a whole number). It is used for the numbers providers declare
(insurance cover, bed spaces, ages, vacancies) and for checklist answers (months, days, square
metres, £ million), with messages in the GOV.UK style that name the field.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# [0-9], not \\d: \\d matches digits of every script, which Decimal and int would accept too.
_NUMBER = re.compile(r"(?P<sign>[-\u2212])?£?(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?"
                     r"(?:\.(?P<fraction>[0-9]*))?")
LONGEST = 40  # characters: far more than any number a person types
# After an amount in millions, people write "m" or "million": "£2.5m".
_MILLIONS = re.compile(r"\s*(?:m|mn|million|millions)\Z", re.IGNORECASE)


class NotANumber(ValueError):
    """The text is not a number as a person writes one."""


def read_number(text: object, *, millions: bool = False) -> Decimal | None:
    """The number ``text`` is, exactly; None when it is blank. Raises ``NotANumber``.
    ``millions``: an amount in millions, which may end in "m" or "million" ("£2.5m")."""
    raw = str(text if text is not None else "").strip()
    if millions and len(raw) <= LONGEST:
        raw = _MILLIONS.sub("", raw)
    if not raw:
        return None
    match = _NUMBER.fullmatch(raw) if len(raw) <= LONGEST else None
    if match is None or not (match["digits"] or match["fraction"]):
        raise NotANumber(raw)
    digits = (match["digits"] or "0").replace(",", "")
    try:
        value = Decimal(f"{digits}.{match['fraction']}" if match["fraction"] else digits)
    except InvalidOperation:  # pragma: no cover - the pattern allows only plain digits
        raise NotANumber(raw) from None
    return -value if match["sign"] and value else value


def decimal_places(value: Decimal | int | float) -> int:
    """How many decimal places a number has, as written (2.50 has 1: trailing zeros do not
    count; a float counts as its shortest form, 6.51 has 2)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent)


def as_plain(value: Decimal) -> int | float:
    """A checked number as JSON holds it: an int when whole, else a float (exact for the two
    decimal places the rules allow)."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class NumberRule:
    """What a kind of number may be. ``unit`` shapes the messages: a word after the number
    ("months"), or money in millions ("£ million")."""

    minimum: Decimal
    maximum: Decimal
    places: int = 0  # decimal places allowed; 0: whole numbers only
    unit: str = ""

    def shown(self, value: Decimal | int) -> str:
        """A bound as people read it: "1,200 months", "£2.5 million"."""
        number = f"{Decimal(value).normalize():,f}"
        if self.unit == "£ million":
            return f"£{number} million" if value else "£0"
        return f"{number} {self.unit}" if self.unit else number

    def _lowest(self) -> str:
        # "between 0 and 1,200 months": the unit once, except for money, which is read aloud.
        if self.unit == "£ million":
            return self.shown(self.minimum)
        return f"{self.minimum.normalize():,f}"

    @property
    def example(self) -> str:
        if self.places:
            return "2.5"
        return "12"

    def problem(self, value: Decimal | int | float, what: str) -> str | None:
        """Why ``value`` cannot be ``what`` (a field's name, capitalised, like "Bed spaces"),
        or None when it can."""
        if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
            return self.not_a_number(what)
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if not number.is_finite():
            return self.not_a_number(what)
        if decimal_places(number) > self.places:
            if self.places == 0:
                return f"{what} must be a whole number, like {self.example}"
            return (f"{what} can have up to {self.places} decimal place"
                    f"{'s' if self.places != 1 else ''}, like {self.example}")
        if not self.minimum <= number <= self.maximum:
            return f"{what} must be between {self._lowest()} and {self.shown(self.maximum)}"
        return None

    @property
    def expected(self) -> str:
        """What the rule allows, for a sentence starting "expected": "a whole number from 0 to
        1,200 months"."""
        kind = "a whole number" if self.places == 0 else "a number"
        places = (f" with up to {self.places} decimal place{'s' if self.places != 1 else ''}"
                  if self.places else "")
        return f"{kind} from {self._lowest()} to {self.shown(self.maximum)}{places}"

    def not_a_number(self, what: str) -> str:
        kind = "a whole number" if self.places == 0 else "a number"
        return f"{what} must be {kind}, like {self.example}"

    def read(self, text: object, what: str) -> tuple[Decimal | None, str | None]:
        """``text`` read and checked: (the number, None), (None, None) when blank, or (None,
        the problem)."""
        try:
            value = read_number(text, millions=self.unit == "£ million")
        except NotANumber:
            return None, self.not_a_number(what)
        if value is None:
            return None, None
        problem = self.problem(value, what)
        return (None, problem) if problem else (value, None)
