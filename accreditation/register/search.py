"""Searching the register: the SQL that answers a ``RegisterQuery`` (from ``query``), the same
search over SQLite FTS5 and PostgreSQL full text, and running it.

``search_providers`` and ``search_properties`` answer a query with a ``Page``; counts and pages
already read are reused through ``page_cache.SEARCHES`` while the register is unchanged.

Matching is the same on both databases by construction: documents and queries are reduced to
lower-case ASCII words (``index.normalise``), every word of the text must match the start of a
word of the property's document (provider name, property name, town, postcode district, local
authority), and a word shaped like a postcode district (``N1``, ``SE15``) must equal the
property's district. Ranking is plain SQL over the same columns on both (exact provider name,
then name prefix, then town), ties broken by name and id, so both give the same order too.
PostgreSQL's pg_trgm only adds "did you mean" suggestions when nothing matched.
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from .. import clock
from ..councils import Council
from ..extensions import db
from ..providers.models import Property
from .index import (
    FTS_TABLE,
    RegisterProperty,
    RegisterProvider,
    RegisterTally,
    generation_of,
    normalise,
)
from .page_cache import SEARCHES
from .query import RegisterQuery
from .status import ON_REGISTER, RegisterStatus


@dataclass
class Page:
    items: list
    total_items: int
    page_number: int
    size: int
    suggestions: list[str] = field(default_factory=list)

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_items / self.size) if self.total_items else 0

    def envelope(self, contents: list) -> dict:
        return {"total_items": self.total_items, "total_pages": self.total_pages,
                "page_number": self.page_number, "size": self.size, "contents": contents}


# --- matching ------------------------------------------------------------------------------------
#
# A search's SQL depends only on its shape (which filters it has, how many words, its sort...),
# never on its values: those are bound parameters. So each shape's statements are built once
# per process and reused (``_property_sql``), which saves most of the Python a search costs.

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _core():
    """The session's connection, for statements that read plain rows (no ORM objects): in
    the session's transaction (changes not yet sent flushed first, as the session would),
    without the ORM's work on every row."""
    db.session.flush()
    return db.session.connection()


def _current_generation() -> int | None:
    """The generation of the register that moves with every change (what a page shows)."""
    return _core().scalar(sa.select(generation_of(True)))


class Shape(NamedTuple):
    """What a search's SQL depends on (its values are parameters: ``_parameters``)."""

    dialect: str
    feed: bool  # the change feed: rows changed after ``modified_after``
    statuses: bool  # the feed only: filtered by status (a search always is)
    terms: bool
    districts: int
    council: bool
    category: bool
    age: bool
    who_for: int  # words
    vacancies: bool

    @classmethod
    def of(cls, query: RegisterQuery, dialect: str) -> Shape:
        return cls(dialect, query.modified_after is not None, bool(query.statuses),
                   bool(query.terms), len(query.districts),
                   query.local_authority_id is not None, query.category is not None,
                   query.age is not None, len(normalise(query.who_for).split()),
                   query.vacancies_only)


def _parameters(query: RegisterQuery, today: date, dialect: str) -> dict:
    """The values ``_conditions`` and ``_relevance`` bind, by name."""
    values: dict = {}
    if query.modified_after is not None:
        values["modified_after"] = query.modified_after
        if query.statuses:
            values["statuses"] = list(query.statuses)
    else:
        values["statuses"] = list(query.statuses or ON_REGISTER)
        values["today"] = today
    if query.terms:
        values["fts_query"] = (" & ".join(f"{term}:*" for term in query.terms)
                               if dialect == "postgresql"
                               else " ".join(f'"{term}"*' for term in query.terms))
        values["key"] = " ".join(query.terms)
    for number, district in enumerate(query.districts):
        values[f"district_{number}"] = district
    if query.local_authority_id is not None:
        values["local_authority_id"] = query.local_authority_id
    if query.category is not None:
        values["category"] = query.category
    if query.age is not None:
        values["age"] = query.age
    for number, word in enumerate(normalise(query.who_for).split()):
        values[f"who_for_{number}"] = word
    return values


def _full_text(dialect: str):
    """SQL: the property's document has a word starting with each term (``:fts_query``)."""
    if dialect == "postgresql":
        return sa.text("register_property.search_vector @@ to_tsquery('simple', :fts_query)"
                       ).bindparams(sa.bindparam("fts_query", type_=sa.String))
    matching = (sa.select(sa.literal_column("rowid"))
                .select_from(sa.table(FTS_TABLE))
                .where(sa.text(f"{FTS_TABLE} MATCH :fts_query")
                       .bindparams(sa.bindparam("fts_query", type_=sa.String))))
    return RegisterProperty.property_id.in_(matching)


def _filters(shape: Shape, t, has_vacancies) -> list:
    """SQL: the filters a broad search and the tally share, over ``t`` (``RegisterProperty``
    or ``RegisterTally``), with ``has_vacancies`` that table's way of saying so."""
    filters = []
    if shape.category:
        filters.append(t.category == sa.bindparam("category"))
    if shape.age:
        filters += [t.age_min <= sa.bindparam("age"), t.age_max >= sa.bindparam("age")]
    for number in range(shape.who_for):
        filters.append(t.who_for_key.contains(sa.bindparam(f"who_for_{number}")))
    if shape.vacancies:
        filters.append(has_vacancies)
    return filters


def _conditions(shape: Shape) -> list:
    t = RegisterProperty
    conditions = []
    if shape.feed:
        conditions.append(t.modified_at > sa.bindparam("modified_after"))
        if shape.statuses:
            conditions.append(t.status.in_(sa.bindparam("statuses", expanding=True)))
    else:
        conditions += [t.status.in_(sa.bindparam("statuses", expanding=True)),
                       t.expires_on >= sa.bindparam("today")]
    if shape.terms:
        conditions.append(_full_text(shape.dialect))
    for number in range(shape.districts):
        conditions.append(t.postcode_district == sa.bindparam(f"district_{number}"))
    if shape.council:
        conditions.append(t.local_authority_id == sa.bindparam("local_authority_id"))
    conditions += _filters(shape, t, t.vacancies > 0)
    return conditions


def _is_broad(shape: Shape) -> bool:
    """A search of the whole register (no words, district or local authority)."""
    return not (shape.feed or shape.terms or shape.districts or shape.council)


def _tally_count(shape: Shape):
    """SQL: the number of matches of a broad search, from ``RegisterTally``: the properties
    of the groups that pass its filters, less those of them past their expiry date but not
    yet expired by the daily ``tick`` (almost always none; read from an index)."""
    tally, t = RegisterTally, RegisterProperty
    statuses = sa.bindparam("statuses", expanding=True)
    grouped = [tally.status.in_(statuses),
               *_filters(shape, tally, tally.has_vacancies.is_(True))]
    lapsed = [t.status.in_(statuses),
              sa.or_(t.expires_on < sa.bindparam("today"), t.expires_on.is_(None)),
              *_filters(shape, t, t.vacancies > 0)]
    return (sa.select(sa.func.coalesce(sa.func.sum(tally.properties), 0)).where(*grouped)
            .scalar_subquery()
            - sa.select(sa.func.count()).select_from(t).where(*lapsed).scalar_subquery())


def _relevance(shape: Shape):
    t = RegisterProperty
    if not shape.terms:
        return sa.literal(0)
    key = sa.bindparam("key", type_=t.provider_name_key.type)
    return sa.case((t.provider_name_key == key, 4), (t.provider_name_key.startswith(key), 3),
                   (t.town_key == key, 2), else_=1)


# What a property search returns for each row: the register's own columns as shown (plus the
# ones it sorts by), the local authority's name and code, and, only when asked for, the address.
_SHOWN = ("property_id", "organisation_id", "status", "name", "provider_name",
          "provider_name_key", "town", "postcode_district", "local_authority_id", "category",
          "bed_spaces", "age_min", "age_max", "who_for", "vacancies", "vacancies_updated_at",
          "expires_on", "modified_at")


class PropertySQL(NamedTuple):
    """The statements of a property search and the values they take (``params``). When
    ``total_in_rows`` the page's rows carry the number of matches (``total``) and ``count``
    runs only for a page past the last. Outside the change feed both also carry the
    register's ``generation`` they read."""

    count: sa.Select
    rows: sa.Select
    total_in_rows: bool
    params: dict


def property_statements(query: RegisterQuery, today: date, *, addresses: bool = False,
                        counted: bool = False) -> PropertySQL:
    """The SQL of a property search. Also used by the benchmark.

    The page is chosen from ``register_property`` alone, reading only the columns it is
    ordered by (one index range, or an index already in the order asked for, stopping after
    the page); then only the page's rows are read in full, with their local authority and,
    with ``addresses``, the property's address: one query for everything the page shows.
    A search for words, a postcode district or a local authority reads all its matching
    rows to sort them anyway, so it counts them in the same pass (unless ``counted``: the
    number is known); any other (London-wide) counts from an index alone and reads only the
    page's rows.
    """
    dialect = _dialect()
    shape = Shape.of(query, dialect)
    total_in_rows = not (shape.feed or counted) and (shape.terms or bool(shape.districts)
                                                      or shape.council)
    count, rows = _property_sql(shape, None if shape.feed else query.sort, total_in_rows,
                                addresses)
    params = {**_parameters(query, today, dialect), "limit": query.size,
              "offset": (query.page - 1) * query.size}
    return PropertySQL(count, rows, total_in_rows, params)


@functools.lru_cache(maxsize=512)
def _property_sql(shape: Shape, sort: str | None, total_in_rows: bool,
                  addresses: bool) -> tuple[sa.Select, sa.Select]:
    """The count and page statements of one shape of property search (built once)."""
    t = RegisterProperty.__table__
    conditions = _conditions(shape)
    read = [] if shape.feed else [generation_of(shape.vacancies).label("generation")]
    if _is_broad(shape):
        count = sa.select(_tally_count(shape).label("count"), *read)
    else:
        count = sa.select(sa.func.count(), *read).select_from(t).where(*conditions)
    if sort is None:
        order = [(t.c.modified_at, False), (t.c.property_id, False)]  # a change feed: oldest first
    else:
        ranked = [(_relevance(shape).label("rank"), True)] if shape.terms else []
        order = {
            "relevance": [*ranked, (t.c.provider_name_key, False), (t.c.property_id, False)],
            "name": [(t.c.provider_name_key, False), (t.c.property_id, False)],
            "expiry": [(t.c.expires_on, False), (t.c.provider_name_key, False),
                       (t.c.property_id, False)],
        }[sort]
    keys = [column for column, _ in order]
    if t.c.property_id not in keys:
        keys.append(t.c.property_id)
    matches = sa.select(*keys).where(*conditions)
    if total_in_rows:
        # Counted over the matches before they are ordered, so the database reads them by
        # their filters (not along a sorted index, stopping early, which a count cannot).
        matched = sa.select(*keys, sa.func.count().over().label("total")).where(
            *conditions).subquery("matched")
        order = [(matched.c[column.name], desc) for column, desc in order]
        matches = sa.select(matched)
    page = (matches.order_by(*(column.desc() if desc else column for column, desc in order))
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .offset(sa.bindparam("offset", type_=sa.Integer))
            .subquery("page"))
    council = Council.__table__
    columns = [*(t.c[name] for name in _SHOWN), council.c.name.label("council_name"),
               council.c.ons_code.label("council_ons_code")]
    if total_in_rows:
        columns.append(page.c.total)
    if not shape.feed:
        columns += [*read, generation_of(True).label("page_generation")]
    joined = (page.join(t, t.c.property_id == page.c.property_id)
              .outerjoin(council, council.c.id == t.c.local_authority_id))
    if addresses:
        home = Property.__table__
        columns += [home.c.address_line_1, home.c.address_line_2,
                    home.c.town.label("address_town"), home.c.postcode.label("address_postcode")]
        joined = joined.outerjoin(home, home.c.id == page.c.property_id)
    rows = (sa.select(*columns).select_from(joined)
            .order_by(*(page.c[column.name].desc() if desc else page.c[column.name]
                        for column, desc in order)))
    return count, rows


def search_properties(query: RegisterQuery, *, today: date | None = None,
                      addresses: bool = False) -> Page:
    """Properties on the register matching ``query`` (or, for the change feed, changed).

    Items are plain rows (attribute access, as a ``RegisterProperty``'s) with
    ``council_name`` and ``council_ons_code``; with ``addresses`` also ``address_line_1``,
    ``address_line_2``, ``address_town`` and ``address_postcode``.
    """
    today = today or clock.today()
    if query.modified_after is not None:
        total, items = _property_changes(query, today, addresses)
    else:
        total, items = _matching_properties(query, today, addresses)
    page = Page(items, total, query.page, query.size)
    if not total and query.terms and query.modified_after is None:
        page.suggestions = suggest_provider_names(" ".join(query.terms))
    return page


def _property_changes(query: RegisterQuery, today: date, addresses: bool) -> tuple[int, list]:
    sql = property_statements(query, today, addresses=addresses)
    total = db.session.scalar(sql.count, sql.params)
    return total, list(db.session.execute(sql.rows, sql.params)) if total else []


def _matching_properties(query: RegisterQuery, today: date, addresses: bool
                         ) -> tuple[int, list]:
    """The page of a search and its number of matches. A page read before is given again
    while the register is unchanged since (one look at its generation); otherwise the number
    is counted only when the register changed since this process last counted the same
    search (``SEARCHES``)."""
    key = SEARCHES.key(query, today)
    page_key = (key, query.sort, query.page, query.size, addresses)
    kept = SEARCHES.page(page_key, _current_generation)
    if kept is not None:
        return kept
    generation, known = SEARCHES.latest(key)
    sql = property_statements(query, today, addresses=addresses, counted=known is not None)
    items = list(_core().execute(sql.rows, sql.params))
    if sql.total_in_rows and items:
        total = items[0].total
        SEARCHES.keep(items[0].generation, key, total)
    else:
        total = _total(key, generation, known, items, query, sql.count, sql.params)
    if items:
        SEARCHES.keep_page(items[0].page_generation, page_key, total, items)
    return total, items


def _total(key: tuple, generation: int | None, known: int | None, items: list,
           query: RegisterQuery, count: sa.Select, params: dict) -> int:
    """The number of matches of a search whose page ``items`` (rows carrying the register's
    ``generation``) were just read: told by the page itself when it is the last one, else
    the number kept in ``SEARCHES`` if it was counted at that generation, else counted now
    (``count`` also reads the generation) and kept."""
    read = items[0].generation if items else None
    if not items and query.page == 1:
        total = 0  # nothing on the first page: nothing at all
    elif items and len(items) < query.size:
        total = (query.page - 1) * query.size + len(items)  # the last page: nothing to count
    elif known is not None and read == generation:
        SEARCHES.hits += 1  # counted before, at the generation these rows were read at
        return known
    else:
        total, read = db.session.execute(count, params).one()
    SEARCHES.keep(read, key, total)
    return total




@dataclass
class ProviderResult:
    provider: RegisterProvider
    properties: list[RegisterProperty]
    matching: int


def search_providers(query: RegisterQuery, *, today: date | None = None,
                     with_properties: bool = True) -> Page:
    """Providers with at least one property matching ``query``, each with those properties.

    For the change feed (``modified_after``) providers whose own entry changed are listed,
    whether or not they are still on the register.
    """
    today = today or clock.today()
    t, p = RegisterProperty, RegisterProvider
    if query.modified_after is not None:
        return _provider_changes(query, with_properties)
    dialect = _dialect()
    shape = Shape.of(query, dialect)
    conditions, params = _conditions(shape), _parameters(query, today, dialect)
    matches = (sa.select(t.organisation_id, sa.func.max(_relevance(shape)).label("score"),
                         sa.func.count().label("matching"))
               .where(*conditions).group_by(t.organisation_id).subquery())
    order = {
        "relevance": [matches.c.score.desc(), p.name_key, p.organisation_id],
        "name": [p.name_key, p.organisation_id],
        "expiry": [p.expires_on, p.name_key, p.organisation_id],
    }[query.sort]
    # The number of providers is kept like a property search's (see ``_matching_properties``).
    key = SEARCHES.key(query, today, "providers")
    latest, known = SEARCHES.latest(key)
    read = generation_of(query.vacancies_only).label("generation")
    rows = db.session.execute(
        sa.select(p, matches.c.matching, read)
        .join(matches, matches.c.organisation_id == p.organisation_id)
        .order_by(*order).limit(query.size).offset((query.page - 1) * query.size),
        params).all()
    total = _total(key, latest, known, rows, query,
                   sa.select(sa.func.count(), read).select_from(matches), params)
    by_provider: dict[int, list[RegisterProperty]] = {row[0].organisation_id: [] for row in rows}
    if with_properties and by_provider:
        for home in db.session.scalars(
                sa.select(t).where(*conditions, t.organisation_id.in_(list(by_provider)))
                .order_by(t.organisation_id, t.property_id), params):
            by_provider[home.organisation_id].append(home)
    items = [ProviderResult(row[0], sorted(by_provider[row[0].organisation_id],
                                           key=lambda home: (normalise(home.name),
                                                             home.property_id)), row[1])
             for row in rows]
    page = Page(items, total, query.page, query.size)
    if not total and query.terms:
        page.suggestions = suggest_provider_names(" ".join(query.terms))
    return page


def _provider_changes(query: RegisterQuery, with_properties: bool) -> Page:
    p = RegisterProvider
    conditions = [p.modified_at > query.modified_after]
    if query.statuses:
        conditions.append(p.status.in_(query.statuses))
    params: dict = {}
    # Other filters narrow by the provider's properties, as for a search.
    if any((query.terms, query.districts, query.local_authority_id, query.category,
            query.age is not None, query.who_for, query.vacancies_only)):
        narrowed = replace(query, modified_after=None, statuses=tuple(RegisterStatus))
        dialect = _dialect()
        params = _parameters(narrowed, date.min, dialect)
        conditions.append(p.organisation_id.in_(
            sa.select(RegisterProperty.organisation_id)
            .where(*_conditions(Shape.of(narrowed, dialect)))))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(p).where(*conditions),
                              params)
    providers = list(db.session.scalars(
        sa.select(p).where(*conditions).order_by(p.modified_at, p.organisation_id)
        .limit(query.size).offset((query.page - 1) * query.size), params))
    homes: dict[int, list[RegisterProperty]] = {provider.organisation_id: []
                                                 for provider in providers}
    if with_properties and homes:
        for home in db.session.scalars(
                sa.select(RegisterProperty)
                .where(RegisterProperty.organisation_id.in_(list(homes)))
                .order_by(RegisterProperty.property_id)):
            homes[home.organisation_id].append(home)
    items = [ProviderResult(provider, homes[provider.organisation_id],
                            len(homes[provider.organisation_id])) for provider in providers]
    return Page(items, total, query.page, query.size)


# --- "did you mean" ------------------------------------------------------------------------------

def suggest_provider_names(text: str, limit: int = 3) -> list[str]:
    """Names of providers on the register that look like ``text`` (for misspellings)."""
    key = normalise(text)
    if len(key) < 3:
        return []
    p = RegisterProvider
    on_register = p.status.in_(tuple(ON_REGISTER))
    if _dialect() == "postgresql":
        similarity = sa.func.similarity(p.name_key, key)
        rows = db.session.execute(
            sa.select(p.name).where(on_register, p.name_key.op("%")(key))
            .order_by(similarity.desc(), p.name_key).limit(limit)).scalars()
        return list(rows)
    names = dict(db.session.execute(sa.select(p.name_key, p.name).where(on_register)).all())
    close = difflib.get_close_matches(key, list(names), n=limit, cutoff=0.6)
    return [names[name] for name in close]
