"""The tally broad searches count from stays equal to the register's rows, whatever is written
to them and by whom (it is kept by the database's own triggers), on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from accreditation import clock
from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory
from accreditation.register.index import RegisterProperty, RegisterTally, new_generation
from accreditation.register.query import parse_query
from accreditation.register.search import search_properties
from accreditation.register.status import ON_REGISTER, RegisterStatus

from .test_search import register  # noqa: F401 (the fixture)

WHO_FOR = ["care leavers", "young parents", "16 and 17 year olds", "young people leaving care"]

changes = st.lists(st.fixed_dictionaries({
    "row": st.integers(min_value=0, max_value=10),
    "status": st.sampled_from(RegisterStatus),
    "category": st.sampled_from(AccommodationCategory),
    "ages": st.tuples(st.integers(16, 25), st.integers(16, 25)).map(sorted),
    "vacancies": st.integers(0, 3),
    "who_for_key": st.sampled_from(WHO_FOR),
    "expires_in_days": st.one_of(st.none(), st.integers(-3, 400)),
    "how": st.sampled_from(["update", "delete and insert again"]),
}), max_size=6)

broad_searches = st.fixed_dictionaries({}, optional={
    "age": st.integers(16, 25).map(str),
    "category": st.sampled_from(AccommodationCategory).map(lambda category: category.value),
    "vacancies": st.just("yes"),
    "who_for": st.sampled_from(["care", "leavers", "young parents", "16", "nobody"]),
})


def _change(change: dict, today) -> None:
    """Write to the register's rows directly, as no operation would: the tally must follow."""
    table = RegisterProperty.__table__
    ids = sorted(db.session.scalars(sa.select(table.c.property_id)))
    property_id = ids[change["row"] % len(ids)]
    values = {
        "status": change["status"], "category": change["category"],
        "age_min": change["ages"][0], "age_max": change["ages"][1],
        "vacancies": change["vacancies"], "who_for_key": change["who_for_key"],
        "expires_on": (None if change["expires_in_days"] is None
                       else today + timedelta(days=change["expires_in_days"])),
    }
    where = table.c.property_id == property_id
    if change["how"] == "update":
        db.session.execute(table.update().where(where).values(**values))
    else:
        row = db.session.execute(table.select().where(where)).mappings().one()
        db.session.execute(table.delete().where(where))
        kept = {key: value for key, value in row.items() if key != "search_vector"}
        db.session.execute(table.insert().values(**{**kept, **values}))
    new_generation(db.session.connection())  # as every write to the register does


def _expected(search: dict, today) -> int:
    """Counted in Python from every row: what the search must say."""
    words = search.get("who_for", "").split()
    return sum(
        1 for row in db.session.scalars(sa.select(RegisterProperty))
        if row.status in ON_REGISTER and row.expires_on is not None and row.expires_on >= today
        and ("age" not in search or row.age_min <= int(search["age"]) <= row.age_max)
        and ("category" not in search or row.category.value == search["category"])
        and ("vacancies" not in search or row.vacancies > 0)
        and all(word in row.who_for_key for word in words))


@pytest.mark.usefixtures("register")
@settings(max_examples=25)
@given(changes=changes, searches=st.lists(broad_searches, min_size=1, max_size=4))
def test_broad_searches_count_what_the_rows_hold_after_any_writes(changes, searches):
    today = clock.today()
    for change in changes:
        _change(change, today)
    db.session.commit()
    tally = db.session.execute(sa.select(RegisterTally)).scalars().all()
    assert sum(group.properties for group in tally) == db.session.scalar(
        sa.select(sa.func.count()).select_from(RegisterProperty))
    assert all(group.properties > 0 for group in tally)  # emptied groups go
    for search in searches:
        # One per page: unless it finds at most one, the number is counted, not inferred.
        query = parse_query(MultiDict({**search, "size": "1"}))
        assert search_properties(query, today=today).total_items == _expected(search, today)
