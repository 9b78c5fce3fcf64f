"""The register's search index and change tracking, kept in step in ONE place.

``register_provider`` and ``register_property`` hold what the register shows, one row per
provider and property that is or ever was on it, computed by the rule in ``status.py``. A
SQLAlchemy ``after_flush`` listener recomputes the rows of every provider a flush touched
(cases, decisions, conditions, case properties, properties, organisations, councils), so
every write path (operations, ``tick``, the CLI, the vacancy form, the JSON API) keeps them
in step without knowing about them. A row's ``modified_at`` moves only when what it shows
changes (a fingerprint of its values), which makes it the API's change feed; a provider that
leaves the register keeps its row, with its new status, so consumers can remove it.

Full-text search over ``register_property.search_text`` is kept by the database itself:
SQLite has an FTS5 table filled by triggers, PostgreSQL a stored generated ``tsvector``
column with a GIN index (plus a pg_trgm GiST index on provider names for "did you mean").
Those objects are made by migrations 0005 and 0007 and are not in the SQLAlchemy metadata; the
comparator at the bottom tells Alembic's autogenerate to leave them alone. So are the triggers
(migration 0009) that keep ``register_tally``, the counts broad searches add up.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from alembic.autogenerate.compare import comparators
from alembic.operations import ops as alembic_ops
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .. import clock
from ..cases.models import (
    Case,
    CaseProperty,
    Condition,
    ConditionStatus,
    Decision,
    DecisionOutcome,
)
from ..councils import Council
from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..providers.models import AccommodationCategory, Organisation, Property
from ..workflow import CaseStatus
from .status import CaseFacts, RegisterStatus, classify, deciding_case


class RegisterProvider(db.Model):
    """A provider as the register shows it (or showed it, before it left)."""

    __tablename__ = "register_provider"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"),
                                                 primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(160))
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    status: Mapped[RegisterStatus] = mapped_column(
        enum_type(RegisterStatus, "register_status"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accreditation_case.id"))
    decision: Mapped[str | None] = mapped_column(sa.String(40))
    accredited_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    properties_on_register: Mapped[int] = mapped_column(default=0)
    open_conditions: Mapped[int] = mapped_column(default=0)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))


class RegisterProperty(db.Model):
    """A property as the register shows it; on the register while ``status.on_register``."""

    __tablename__ = "register_property"

    property_id: Mapped[int] = mapped_column(sa.ForeignKey("property.id"), primary_key=True,
                                             autoincrement=False)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    status: Mapped[RegisterStatus] = mapped_column(
        enum_type(RegisterStatus, "register_property_status"))
    name: Mapped[str] = mapped_column(sa.String(120))
    provider_name: Mapped[str] = mapped_column(sa.String(160))
    provider_name_key: Mapped[str] = mapped_column(sa.String(200))
    town: Mapped[str] = mapped_column(sa.String(80))
    town_key: Mapped[str] = mapped_column(sa.String(100))
    postcode_district: Mapped[str] = mapped_column(sa.String(4))
    local_authority_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id"))
    category: Mapped[AccommodationCategory] = mapped_column(
        enum_type(AccommodationCategory, "register_category"))
    bed_spaces: Mapped[int] = mapped_column()
    age_min: Mapped[int] = mapped_column()
    age_max: Mapped[int] = mapped_column()
    who_for: Mapped[str] = mapped_column(sa.String(200))
    who_for_key: Mapped[str] = mapped_column(sa.String(250))
    vacancies: Mapped[int] = mapped_column()
    vacancies_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    search_text: Mapped[str] = mapped_column(sa.Text)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))

    # Every search filters on status and expiry. These indexes let each kind of search read
    # one index range: a borough's entries (with the keys its page is sorted by, so the page
    # is chosen and counted from the index alone); London-wide filters (their counts read the
    # index alone); a postcode district's (with every column its filters and order read, so
    # its page and count come from the index alone too); and, for broad searches, the entries
    # already in name or expiry order, so a page stops after its rows instead of sorting the
    # whole register.
    __table_args__ = (
        sa.Index("ix_register_property_search", "status", "local_authority_id", "category",
                 "expires_on", "age_min", "age_max", "vacancies", "provider_name_key",
                 "property_id"),
        sa.Index("ix_register_property_filters", "status", "expires_on", "age_min", "age_max",
                 "category", "vacancies", "who_for_key"),
        sa.Index("ix_register_property_district", "postcode_district", "status", "expires_on",
                 "age_min", "age_max", "category", "vacancies", "provider_name_key",
                 "property_id", "local_authority_id", "who_for_key"),
        sa.Index("ix_register_property_by_name", "provider_name_key", "property_id", "status",
                 "expires_on"),
        sa.Index("ix_register_property_by_expiry", "expires_on", "provider_name_key",
                 "property_id", "status"),
    )

    @property
    def on_register(self) -> bool:
        return self.status.on_register


class RegisterTally(db.Model):
    """How many rows of ``register_property`` share each combination of the columns a broad
    (London-wide) search filters on. Kept by the database itself: triggers made by migration
    0009 count every row inserted, deleted or changed, whoever writes it. A broad search
    counts its matches by adding up these few hundred numbers instead of reading tens of
    thousands of index entries (``search._tally_count``)."""

    __tablename__ = "register_tally"

    status: Mapped[RegisterStatus] = mapped_column(
        enum_type(RegisterStatus, "register_tally_status"), primary_key=True)
    category: Mapped[AccommodationCategory] = mapped_column(
        enum_type(AccommodationCategory, "register_tally_category"), primary_key=True)
    age_min: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    age_max: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    has_vacancies: Mapped[bool] = mapped_column(primary_key=True)
    who_for_key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    properties: Mapped[int] = mapped_column()


class RegisterGeneration(db.Model):
    """Rows whose ``generation`` changes whenever the register's rows change.

    Set to a fresh random number in the transaction that changes the rows (never a number
    used before, so a change rolled back, or an emptied table, cannot bring back an old
    one). A search can therefore keep what it counted, keyed by the generation it counted
    at, in any process: the same generation means the same rows. Row ``ANY_CHANGE`` moves
    with every change; row ``NOT_VACANCIES`` with every change but a property's vacancies,
    which are updated often and matter only to searches for vacancies.
    """

    __tablename__ = "register_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(sa.BigInteger)


# --- text normalisation (the same on both databases) --------------------------------------------

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces: what both full-text engines see.

    Accents are folded and punctuation becomes a word break, so SQLite's FTS5 tokenizer and
    PostgreSQL's parser split every document and query into exactly the same words.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_NOT_WORD.split(folded)).strip()


def postcode_district(postcode: str) -> str:
    return (postcode or "").strip().upper().split(" ")[0][:4]


# --- computing rows ------------------------------------------------------------------------------

_PROVIDER_FIELDS = ("name", "name_key", "status", "case_id", "decision", "accredited_on",
                    "expires_on", "properties_on_register", "open_conditions")
_PROPERTY_FIELDS = ("organisation_id", "status", "name", "provider_name", "provider_name_key",
                    "town", "town_key", "postcode_district", "local_authority_id", "category",
                    "bed_spaces", "age_min", "age_max", "who_for", "who_for_key", "vacancies",
                    "vacancies_updated_at", "expires_on", "search_text")


def _fingerprint(values: dict, fields: Iterable[str], extra: str = "") -> str:
    def plain(value):
        if hasattr(value, "value"):
            return value.value
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return value

    content = json.dumps([plain(values[name]) for name in fields] + [extra], default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def compute_rows(connection, organisation_ids: Iterable[int], today: date
                 ) -> tuple[dict[int, dict], dict[int, dict]]:
    """The register rows these providers should have now (without ``modified_at``).

    Reads with Core on ``connection`` (it runs inside a flush). Providers never accredited get
    no row here; their existing rows, if any, are turned into "not accredited" by ``refresh``.
    """
    ids = sorted(set(organisation_ids))
    providers: dict[int, dict] = {}
    properties: dict[int, dict] = {}
    if not ids:
        return providers, properties
    case_t, link_t = Case.__table__, CaseProperty.__table__
    decision_t, action_t = Decision.__table__, Condition.__table__
    org_t, property_t, council_t = Organisation.__table__, Property.__table__, Council.__table__
    names: dict[int, str] = {}
    cases: dict[int, list[CaseFacts]] = defaultdict(list)
    for chunk in _chunks(ids):
        names.update(connection.execute(
            sa.select(org_t.c.id, org_t.c.name).where(org_t.c.id.in_(chunk))).all())
        for row in connection.execute(
                sa.select(case_t.c.id, case_t.c.organisation_id, case_t.c.status,
                          case_t.c.accredited_on, case_t.c.expires_on)
                .where(case_t.c.organisation_id.in_(chunk),
                       case_t.c.accredited_on.is_not(None))):
            cases[row.organisation_id].append(
                CaseFacts(row.id, CaseStatus(row.status), row.accredited_on, row.expires_on))
    deciding = {org_id: deciding_case(org_cases, today) for org_id, org_cases in cases.items()}
    deciding = {org_id: facts for org_id, facts in deciding.items() if facts is not None}
    case_ids = sorted(facts.case_id for facts in deciding.values())
    decisions: dict[int, str] = {}
    conditions: dict[int, int] = defaultdict(int)
    accredited: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(case_ids):
        for row in connection.execute(
                sa.select(decision_t.c.case_id, decision_t.c.outcome)
                .where(decision_t.c.case_id.in_(chunk),
                       decision_t.c.outcome != DecisionOutcome.REFUSED)
                .order_by(decision_t.c.id)):
            decisions[row.case_id] = DecisionOutcome(row.outcome).value  # the newest wins
        for row in connection.execute(
                sa.select(action_t.c.case_id, sa.func.count())
                .where(action_t.c.case_id.in_(chunk),
                       action_t.c.status != ConditionStatus.CONFIRMED)
                .group_by(action_t.c.case_id)):
            conditions[row[0]] = row[1]
        for row in connection.execute(
                sa.select(link_t.c.case_id, link_t.c.property_id)
                .where(link_t.c.case_id.in_(chunk), link_t.c.accredited == sa.true())):
            accredited[row.case_id].add(row.property_id)

    for org_id, facts in deciding.items():
        outcome = decisions.get(facts.case_id)
        status = classify(facts.status, facts.expires_on,
                          DecisionOutcome(outcome) if outcome else None,
                          conditions[facts.case_id], today)
        on = status.on_register
        providers[org_id] = {
            "organisation_id": org_id, "name": names[org_id],
            "name_key": normalise(names[org_id]), "status": status,
            "case_id": facts.case_id, "decision": outcome,
            "accredited_on": facts.accredited_on, "expires_on": facts.expires_on,
            "properties_on_register": len(accredited[facts.case_id]) if on else 0,
            "open_conditions": conditions[facts.case_id],
        }

    # Properties: the deciding case's accredited ones, plus any that were on the register.
    wanted: dict[int, RegisterStatus] = {}
    for provider in providers.values():
        for property_id in accredited[provider["case_id"]]:
            wanted[property_id] = provider["status"]
    register_t = RegisterProperty.__table__
    known: list[int] = []
    for chunk in _chunks(ids):
        known += connection.execute(sa.select(register_t.c.property_id).where(
            register_t.c.organisation_id.in_(chunk))).scalars().all()
    property_ids = sorted(set(wanted) | set(known))
    county_t = council_t.alias("county")  # a district's county council: searched for too
    for chunk in _chunks(property_ids):
        for row in connection.execute(
                sa.select(property_t, council_t.c.name.label("council_name"),
                          county_t.c.name.label("county_name"))
                .join(council_t, council_t.c.id == property_t.c.local_authority_id)
                .outerjoin(county_t, county_t.c.id == council_t.c.county_id)
                .where(property_t.c.id.in_(chunk))):
            provider = providers.get(row.organisation_id)
            if provider is None:
                status = RegisterStatus.NOT_ACCREDITED
            elif not provider["status"].on_register:
                status = provider["status"]  # left with its provider, for the same reason
            else:
                status = wanted.get(row.id, RegisterStatus.NOT_ACCREDITED)
            provider_name = names.get(row.organisation_id, "")
            district = postcode_district(row.postcode)
            properties[row.id] = {
                "property_id": row.id, "organisation_id": row.organisation_id,
                "status": status, "name": row.name, "provider_name": provider_name,
                "provider_name_key": normalise(provider_name), "town": row.town,
                "town_key": normalise(row.town), "postcode_district": district,
                "local_authority_id": row.local_authority_id,
                "category": AccommodationCategory(row.category), "bed_spaces": row.bed_spaces,
                "age_min": row.age_min, "age_max": row.age_max, "who_for": row.who_for or "",
                "who_for_key": normalise(row.who_for), "vacancies": row.vacancies,
                "vacancies_updated_at": row.vacancies_updated_at,
                "expires_on": provider["expires_on"] if provider else None,
                "search_text": " ".join(filter(None, (
                    normalise(provider_name), normalise(row.name), normalise(row.town),
                    normalise(district), normalise(row.council_name),
                    normalise(row.county_name)))),
            }
    return providers, properties


def refresh(connection, organisation_ids: Iterable[int], *, today: date | None = None,
            now: datetime | None = None) -> int:
    """Bring these providers' register rows up to date; returns how many rows changed.

    A row is written only if what it shows changed, and then gets ``modified_at = now``.
    Providers whose rows exist but who are no longer accredited at all are marked as such.
    """
    ids = sorted(set(organisation_ids))
    if not ids:
        return 0
    today = today or clock.today()
    now = now or utcnow()
    providers, properties = compute_rows(connection, ids, today)
    provider_t, property_t = RegisterProvider.__table__, RegisterProperty.__table__

    existing_properties: dict[int, str] = {}
    existing_providers: dict[int, tuple] = {}
    for chunk in _chunks(ids):
        existing_properties.update(connection.execute(
            sa.select(property_t.c.property_id, property_t.c.fingerprint)
            .where(property_t.c.organisation_id.in_(chunk))).all())
        for row in connection.execute(sa.select(provider_t).where(
                provider_t.c.organisation_id.in_(chunk))):
            existing_providers[row.organisation_id] = row
    changed = 0
    property_prints: dict[int, list[str]] = defaultdict(list)
    inserts, updates = [], []
    for property_id, values in sorted(properties.items()):
        values["fingerprint"] = _fingerprint(values, _PROPERTY_FIELDS)
        property_prints[values["organisation_id"]].append(values["fingerprint"])
        old = existing_properties.get(property_id)
        if old == values["fingerprint"]:
            continue
        values["modified_at"] = now
        (updates if old is not None else inserts).append(_column_values(property_t, values))
    changed += _write(connection, property_t, "property_id", inserts, updates)

    inserts, updates = [], []
    for org_id in ids:
        values = providers.get(org_id)
        old = existing_providers.get(org_id)
        if values is None:
            if old is None or old.status == RegisterStatus.NOT_ACCREDITED:
                continue
            # Every accreditation gone (e.g. its case deleted): it left the register.
            values = {**old._asdict(), "status": RegisterStatus.NOT_ACCREDITED,
                      "properties_on_register": 0}
        extra = ",".join(sorted(property_prints.get(org_id, [])))
        values["fingerprint"] = _fingerprint(values, _PROVIDER_FIELDS, extra)
        if old is not None and old.fingerprint == values["fingerprint"]:
            continue
        values["modified_at"] = now
        (updates if old is not None else inserts).append(_column_values(provider_t, values))
    changed += _write(connection, provider_t, "organisation_id", inserts, updates)
    return changed


def _column_values(table: sa.Table, values: dict) -> dict:
    return {column.name: values[column.name] for column in table.columns}


def _write(connection, table: sa.Table, key: str, inserts: list[dict],
           updates: list[dict]) -> int:
    if inserts:
        connection.execute(table.insert(), inserts)
    if updates:
        # executemany UPDATE ... WHERE key = :b_key (bound names must differ from columns)
        statement = table.update().where(table.c[key] == sa.bindparam("b_key")).values(
            {column.name: sa.bindparam(column.name) for column in table.columns
             if column.name != key})
        connection.execute(statement, [{**row, "b_key": row[key]} for row in updates])
    return len(inserts) + len(updates)


def rebuild(connection=None, *, today: date | None = None, batch: int = 2000) -> int:
    """Recompute every provider's register rows (after a bulk load, or to repair the index)."""
    connection = connection or db.session.connection()
    org_t = Organisation.__table__
    ids = connection.execute(sa.select(org_t.c.id).order_by(org_t.c.id)).scalars().all()
    changed = 0
    for start in range(0, len(ids), batch):
        changed += refresh(connection, ids[start:start + batch], today=today)
    # Always: after a bulk load or a repair, nothing counted before may be reused.
    new_generation(connection)
    return changed


# --- the register's generation -----------------------------------------------------------------

ANY_CHANGE, NOT_VACANCIES = 1, 2  # the rows of ``RegisterGeneration``


def new_generation(connection, *, only_vacancies: bool = False) -> int:
    """Give the register a new generation in ``connection``'s transaction (see
    ``RegisterGeneration``; ``only_vacancies``: nothing but vacancies changed). Until that
    transaction ends, other writers of the register wait for its rows (always taken in the
    same order), so ``register_changed`` calls this as the transaction commits."""
    table = RegisterGeneration.__table__
    generation = secrets.randbits(62)
    for row in (ANY_CHANGE,) if only_vacancies else (ANY_CHANGE, NOT_VACANCIES):
        updated = connection.execute(table.update().where(table.c.id == row).values(
            generation=generation))
        if not updated.rowcount:  # an emptied table (the migrations make the rows)
            connection.execute(table.insert().values(id=row, generation=generation))
    return generation


def generation_of(vacancies: bool):
    """SQL: the generation a count depends on (``vacancies``: a search for vacancies)."""
    table = RegisterGeneration.__table__
    row = ANY_CHANGE if vacancies else NOT_VACANCIES
    return sa.select(table.c.generation).where(table.c.id == row).scalar_subquery()


CHANGED = "register_changed"  # in ``Session.info``: this transaction changed the register
ONLY_VACANCIES = "only vacancies"  # ... its value when nothing else changed


# --- keeping it in step: the one listener -------------------------------------------------------

def _touched_organisations(session: Session) -> tuple[set[int], set[int], set[int]]:
    """Organisations, cases and councils whose register rows a flush may have changed."""
    organisations: set[int] = set()
    case_ids: set[int] = set()
    councils: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Organisation):
            organisations.add(obj.id)
        elif isinstance(obj, (Property, Case)):
            organisations.add(obj.organisation_id)
        elif isinstance(obj, (CaseProperty, Decision, Condition)):
            if obj.case_id is not None:
                case_ids.add(obj.case_id)
        elif isinstance(obj, Council) and obj in session.dirty:
            councils.add(obj.id)
    organisations.discard(None)
    return organisations, case_ids, councils


@event.listens_for(Session, "after_flush")
def _keep_register_in_step(session: Session, flush_context) -> None:
    organisations, case_ids, councils = _touched_organisations(session)
    if not (organisations or case_ids or councils):
        return
    connection = session.connection()
    if case_ids:
        organisations |= set(connection.execute(
            sa.select(Case.__table__.c.organisation_id)
            .where(Case.__table__.c.id.in_(sorted(case_ids)))).scalars())
    if councils:
        council_t = Council.__table__
        areas = sa.select(council_t.c.id).where(sa.or_(
            council_t.c.id.in_(sorted(councils)), council_t.c.county_id.in_(sorted(councils))))
        organisations |= set(connection.execute(
            sa.select(Property.__table__.c.organisation_id).distinct()
            .where(Property.__table__.c.local_authority_id.in_(areas))).scalars())
    if refresh(connection, organisations):
        if _only_vacancies_changed(session):
            session.info.setdefault(CHANGED, ONLY_VACANCIES)
        else:
            session.info[CHANGED] = True


_VACANCIES = frozenset({"vacancies", "vacancies_updated_at"})


def _only_vacancies_changed(session: Session) -> bool:
    """Whether a flush changed nothing the register is made from but properties' vacancies
    (run in ``after_flush``, which still sees what the flush wrote)."""
    inputs = (Organisation, Property, Case, CaseProperty, Decision, Condition, Council)
    if any(isinstance(obj, inputs) for obj in (*session.new, *session.deleted)):
        return False
    for obj in session.dirty:
        if not isinstance(obj, inputs) or not session.is_modified(
                obj, include_collections=False):
            continue
        changed = {attr.key for attr in sa.inspect(obj).attrs if attr.history.has_changes()}
        if not isinstance(obj, Property) or changed - _VACANCIES:
            return False
    return True


@event.listens_for(Session, "before_commit")
def _new_generation_on_commit(session: Session) -> None:
    """A transaction that changed the register commits with a new generation.

    Taken last, just before the commit (after the final flush, which ``commit`` would
    otherwise do after this hook), so the generation's row is locked only while committing
    and always after every other row: it cannot take part in a deadlock.
    """
    session.flush()
    changed = session.info.pop(CHANGED, False)
    if changed:
        new_generation(session.connection(), only_vacancies=changed == ONLY_VACANCIES)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (a savepoint's end keeps it)
        session.info.pop(CHANGED, None)


# --- Alembic: the full-text objects live outside the metadata ----------------------------------

FTS_TABLE = "register_property_fts"
SEARCH_VECTOR = "search_vector"
UNMANAGED_TABLES = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{suffix}" for suffix in (
    "data", "idx", "content", "docsize", "config"))})
UNMANAGED_INDEXES = frozenset({"ix_register_property_search_vector",
                               "ix_register_provider_name_trgm"})


def _is_unmanaged(op) -> bool:
    if isinstance(op, alembic_ops.DropTableOp):
        return op.table_name in UNMANAGED_TABLES
    if isinstance(op, alembic_ops.DropColumnOp):
        return op.table_name == "register_property" and op.column_name == SEARCH_VECTOR
    if isinstance(op, alembic_ops.DropIndexOp):
        return op.index_name in UNMANAGED_INDEXES
    return False


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _leave_full_text_objects_alone(autogen_context, upgrade_ops, schemas):
    """Migration 0005 makes the full-text objects by hand; autogenerate must not drop them."""
    kept = []
    for op in upgrade_ops.ops:
        if isinstance(op, alembic_ops.ModifyTableOps):
            op.ops = [inner for inner in op.ops if not _is_unmanaged(inner)]
            if not op.ops:
                continue
        elif _is_unmanaged(op):
            continue
        kept.append(op)
    upgrade_ops.ops[:] = kept
    return PriorityDispatchResult.CONTINUE
