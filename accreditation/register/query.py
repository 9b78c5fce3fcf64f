"""The register's search query: request arguments read into one ``RegisterQuery`` value.

``parse_query`` turns request arguments (the page, the CSV export and the JSON API share it)
into a ``RegisterQuery`` or raises ``InvalidQuery`` naming every problem. The limits (ages,
page sizes, text lengths), the sorts and the statuses a search may filter by live here too, so
the search form and the API's description show the same rules. Answering a query is
``search``'s work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ..councils import Council
from ..errors import ValidationFailed
from ..extensions import db
from ..forms import whole_number
from ..providers.models import AccommodationCategory
from .index import normalise
from .status import RegisterStatus

MIN_AGE, MAX_AGE = 16, 25
DEFAULT_SIZE, MAX_SIZE = 20, 100
MAX_PAGE = 999_999  # far past any real list
MAX_TEXT = 100
SORTS = {"relevance": "Relevance", "name": "Name", "expiry": "Expiry date (soonest first)"}
FILTER_STATUSES = (RegisterStatus.ACCREDITED, RegisterStatus.ACCREDITED_WITH_CONDITIONS,
                   RegisterStatus.REASSESSMENT_DUE)
_DISTRICT = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]?$")
_FULL_POSTCODE = re.compile(r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*[0-9][A-Za-z]{2}\b")
# Yes and no as links, bookmarks, API clients and checkboxes spell them ("y" is what a
# WTForms checkbox sends unless told otherwise).
TRUE_VALUES = frozenset({"yes", "y", "true", "1", "on"})
FALSE_VALUES = frozenset({"", "no", "n", "false", "0", "off"})


class InvalidQuery(ValidationFailed):
    """One or more search parameters are not valid; ``problems`` maps each to a message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()), field=next(iter(problems)))
        self.problems = problems


@dataclass(frozen=True)
class RegisterQuery:
    text: str = ""
    local_authority_id: int | None = None
    category: AccommodationCategory | None = None
    age: int | None = None
    who_for: str = ""
    vacancies_only: bool = False
    statuses: tuple[RegisterStatus, ...] = ()
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_SIZE
    # The change feed (JSON API): rows changed after this, including those that left.
    modified_after: datetime | None = None

    @property
    def words(self) -> list[str]:
        """The free text as words, full postcodes reduced to their district."""
        return normalise(_FULL_POSTCODE.sub(lambda m: m.group(1), self.text)).split()

    @property
    def districts(self) -> list[str]:
        return [word.upper() for word in self.words if _DISTRICT.match(word)]

    @property
    def terms(self) -> list[str]:
        return [word for word in self.words if not _DISTRICT.match(word)]

    def describe(self) -> dict:
        """The query as plain data (for the audit trail of exports)."""
        return {
            "text": self.text, "local_authority_id": self.local_authority_id,
            "category": self.category.value if self.category else None, "age": self.age,
            "who_for": self.who_for, "vacancies_only": self.vacancies_only,
            "statuses": [status.value for status in self.statuses], "sort": self.sort,
            "modified_after": self.modified_after.isoformat() if self.modified_after else None,
        }



# --- parsing -------------------------------------------------------------------------------------

def _values(args: Mapping, name: str) -> list[str]:
    raw = args.getlist(name) if hasattr(args, "getlist") else (
        args.get(name) if isinstance(args.get(name), list) else [args.get(name)])
    values = []
    for value in raw:
        if value is None:
            continue
        values += [part.strip() for part in str(value).split(",")]
    return [value for value in values if value]


def _number(text: str) -> int | None:
    return whole_number(text, maximum=MAX_PAGE)


class _KnownCouncils:
    """Ids of the councils this process has seen. Councils are never deleted (properties,
    users and the register's rows refer to them), so an id seen once stays valid and most
    searches for a local authority need no query to check it; an id not seen yet reloads
    them all (a few dozen at most)."""

    ids: frozenset[int] = frozenset()


def council_exists(council_id: int) -> bool:
    if council_id in _KnownCouncils.ids:
        return True
    _KnownCouncils.ids = frozenset(db.session.scalars(sa.select(Council.id)))
    return council_id in _KnownCouncils.ids


def parse_query(args: Mapping, *, change_feed: bool = False, default_size: int = DEFAULT_SIZE,
                max_size: int = MAX_SIZE) -> RegisterQuery:
    """Read a register query from request arguments; ``InvalidQuery`` lists every problem."""
    problems: dict[str, str] = {}
    values: dict = {}

    def one(name: str) -> str:
        return str(args.get(name) or "").strip()

    text = one("q")
    if len(text) > MAX_TEXT:
        problems["q"] = f"Search for {MAX_TEXT} characters or fewer"
    values["text"] = text[:MAX_TEXT]

    council = one("local_authority")
    if council:
        council_id = whole_number(council)  # any id a record can have
        if council_id is None or not council_exists(council_id):
            problems["local_authority"] = "Choose a local authority from the list"
        else:
            values["local_authority_id"] = council_id

    category = one("category")
    if category:
        try:
            values["category"] = AccommodationCategory(category)
        except ValueError:
            problems["category"] = "Choose a category of accommodation from the list"

    age = one("age")
    if age:
        number = _number(age)
        if number is None or not MIN_AGE <= number <= MAX_AGE:
            problems["age"] = (f"Enter the young person's age as a number from {MIN_AGE} "
                               f"to {MAX_AGE}")
        else:
            values["age"] = number

    who_for = one("who_for")
    if len(who_for) > MAX_TEXT:
        problems["who_for"] = f"Enter {MAX_TEXT} characters or fewer for who it is for"
    values["who_for"] = who_for[:MAX_TEXT]

    vacancies = one("vacancies").lower()
    if vacancies in TRUE_VALUES:
        values["vacancies_only"] = True
    elif vacancies not in FALSE_VALUES:
        problems["vacancies"] = "Vacancies must be yes or no"

    statuses = []
    for value in _values(args, "status"):
        try:
            status = RegisterStatus(value)
        except ValueError:
            status = None
        allowed = RegisterStatus if change_feed else FILTER_STATUSES
        if status is None or status not in allowed:
            problems["status"] = "Choose statuses from the list"
            break
        if status not in statuses:
            statuses.append(status)
    values["statuses"] = tuple(statuses)

    sort = one("sort") or "relevance"
    if sort not in SORTS:
        problems["sort"] = "Sort by relevance, name or expiry"
    else:
        values["sort"] = sort

    page, size = one("page") or "1", one("size") or str(default_size)
    page_number, page_size = _number(page), _number(size)
    if page_number is None or page_number < 1:
        problems["page"] = "The page number must be 1 or more"
    else:
        values["page"] = page_number
    if page_size is None or not 1 <= page_size <= max_size:
        problems["size"] = f"The page size must be from 1 to {max_size}"
    else:
        values["size"] = page_size

    modified_after = one("modified_after")
    if modified_after:
        if not change_feed:
            problems["modified_after"] = "modified_after is only for the JSON API"
        else:
            try:
                moment = datetime.fromisoformat(modified_after.replace(" ", "+"))
            except ValueError:
                problems["modified_after"] = ("modified_after must be an ISO 8601 date-time, "
                                              "e.g. 2026-11-22T09:00:00Z")
            else:
                values["modified_after"] = (moment.replace(tzinfo=UTC) if moment.tzinfo is None
                                            else moment.astimezone(UTC))
    if problems:
        raise InvalidQuery(problems)
    return RegisterQuery(**values)
