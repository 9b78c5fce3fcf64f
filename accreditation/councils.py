"""Councils: every local authority in England, where a property can stand, and which of them
are the consortium's members.

The service ships the list of local authorities in England with their ONS codes
(``data/local_authorities.csv``); ``accreditation db upgrade`` and ``accreditation councils
load`` bring the database's councils up to it (``admin.operations.load_local_authorities``).

A property stands in a *local authority district*: a unitary authority (ONS codes E06), a
district of a two-tier area (E07), a metropolitan district (E08) or a London borough (E09),
the most precise council area a postcode lies in. Children's services, and so placements of
young people in care and care leavers, are run by unitary authorities, metropolitan districts,
London boroughs and, in two-tier areas, the county council (E10) above the districts: those are
the councils that can be members of the consortium, and whose staff use the service. A
property in a district is also in its county (``Council.county``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from .extensions import db

REFERENCE_LIST = Path(__file__).parent / "data" / "local_authorities.csv"

UNITARY, DISTRICT, METROPOLITAN, LONDON, COUNTY = "E06", "E07", "E08", "E09", "E10"
KIND_LABELS = {
    UNITARY: "Unitary authority",
    DISTRICT: "District council",
    METROPOLITAN: "Metropolitan district",
    LONDON: "London borough",
    COUNTY: "County council",
}
# Where a property can be: the local authority districts.
PROPERTY_AREAS = (UNITARY, DISTRICT, METROPOLITAN, LONDON)
# Who runs children's services, and so may join the consortium.
CHILDRENS_SERVICES = (UNITARY, METROPOLITAN, LONDON, COUNTY)


class Council(db.Model):
    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # ONS local authority code, e.g. E09000007 (Camden).
    ons_code: Mapped[str] = mapped_column(sa.String(9), unique=True)
    # Chosen by commissioners (``admin.operations.join_consortium``); no council is a member
    # just by being on the list.
    in_consortium: Mapped[bool] = mapped_column(default=False)
    # A district's county council (two-tier areas only).
    county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council.id"), index=True)

    county = relationship("Council", remote_side=[id])

    @property
    def kind(self) -> str:
        return KIND_LABELS.get(self.ons_code[:3], "Local authority")

    @property
    def holds_properties(self) -> bool:
        """A local authority district: a property can be declared in it."""
        return self.ons_code[:3] in PROPERTY_AREAS

    @property
    def may_join(self) -> bool:
        """Runs children's services, so can be a member of the consortium."""
        return self.ons_code[:3] in CHILDRENS_SERVICES

    @property
    def area_name(self) -> str:
        """The name a person looks for in a list: a district with its county."""
        return f"{self.name} ({self.county.name})" if self.county is not None else self.name

    def __repr__(self) -> str:
        return f"<Council {self.name}>"


def _code_prefix():
    return sa.func.substr(Council.ons_code, 1, 3)


def property_areas() -> list[Council]:
    """Every council a property can stand in, members of the consortium or not, by name."""
    return list(db.session.scalars(
        sa.select(Council).where(_code_prefix().in_(PROPERTY_AREAS))
        .options(selectinload(Council.county)).order_by(Council.name)))


def is_property_area(council_id: int | None) -> bool:
    return council_id is not None and db.session.scalar(sa.select(Council.id).where(
        Council.id == council_id, _code_prefix().in_(PROPERTY_AREAS))) is not None


def members() -> list[Council]:
    """The consortium's member councils, by name: the councils staff belong to."""
    return list(db.session.scalars(
        sa.select(Council).where(Council.in_consortium).order_by(Council.name)))


def may_join() -> list[Council]:
    """The councils that run children's services and are not members, by name."""
    return list(db.session.scalars(
        sa.select(Council).where(_code_prefix().in_(CHILDRENS_SERVICES),
                                 Council.in_consortium.is_(False)).order_by(Council.name)))


# --- the reference list ------------------------------------------------------------------------

@dataclass(frozen=True)
class LocalAuthority:
    """A row of the reference list."""

    ons_code: str
    name: str
    county_code: str | None


class ReferenceListError(ValueError):
    """The reference list is not as it should be (a file edited by hand)."""


def reference_list(path: Path = REFERENCE_LIST) -> list[LocalAuthority]:
    """The local authorities in ``path`` (lines starting with # are comments), checked: codes
    of the five kinds, no code or name twice, each district's county on the list."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(line for line in file if not line.startswith("#")))
    authorities = [LocalAuthority(row["ons_code"].strip(), row["name"].strip(),
                                  row["county_code"].strip() or None) for row in rows]
    codes = {authority.ons_code for authority in authorities}
    problems = []
    if len(codes) != len(authorities):
        problems.append("a code is listed twice")
    if len({authority.name for authority in authorities}) != len(authorities):
        problems.append("a name is listed twice")
    for authority in authorities:
        kind = authority.ons_code[:3]
        if kind not in KIND_LABELS or len(authority.ons_code) != 9 \
                or not authority.ons_code[3:].isdigit() or not authority.ons_code.isascii():
            problems.append(f"{authority.ons_code!r} is not an ONS code of a local authority")
        if not authority.name or len(authority.name) > 120:
            problems.append(f"{authority.ons_code}: the name must be 1 to 120 characters")
        if (kind == DISTRICT) != (authority.county_code is not None) or (
                authority.county_code is not None and (
                    authority.county_code[:3] != COUNTY or authority.county_code not in codes)):
            problems.append(f"{authority.ons_code}: a district, and only a district, names a "
                            "county on the list")
    if problems:
        raise ReferenceListError(f"{path}: " + "; ".join(problems))
    return authorities
