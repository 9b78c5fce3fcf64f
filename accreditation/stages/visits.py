"""Visits to properties: when each property of an application is visited, how a person writes
a time, and an inspector's day.

A visit is planned in the UK's local time (a date and a start time, as people agree them on the
phone); ``starts_at`` turns it into an instant for the calendar feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .. import audit, clock
from ..auth.models import Role, User
from ..cases.access import assigned_to, ensure_inspector_on_case
from ..cases.models import Case, CaseProperty
from ..errors import InvalidTransition, NotPermitted
from ..extensions import db
from ..numbers import NumberRule
from ..providers.operations import Problems
from ..workflow import CaseStatus
from .property_inspection import INSPECTABLE

LOCAL_TIME = ZoneInfo("Europe/London")
# A property's visit can be planned once its application is assigned to an inspector (while
# the files are sampled) and until it is inspected.
PLANNABLE = (CaseStatus.FILE_SAMPLING, *INSPECTABLE)
# How long a visit may be expected to take, in minutes; and how far ahead it can be planned.
LENGTH = NumberRule(Decimal(15), Decimal(600), unit="minutes")
PLANNED_AHEAD = timedelta(days=366)

TIME_EXAMPLE = "Enter the time as, for example, 9:30am or 14:30"
# Digits 0-9 only: never another script's.
_TIME = re.compile(r"(?P<hour>[0-9]{1,2})(?:[:.](?P<minute>[0-9]{2}))?\s*(?P<half>[ap])\.?m\.?",
                   re.IGNORECASE | re.ASCII)
_TWENTY_FOUR = re.compile(r"(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})")
_WORDS = {"midday": time(12), "noon": time(12), "12 noon": time(12), "midnight": time(0)}


def read_time(text: str | None) -> time | None:
    """A time of day as people write it: "9:30am", "9.30am", "9:30 a.m.", "2pm", "14:30",
    "09.30", "midday". Blank is None; anything else (a bare "9", "25:00", "13pm") raises
    ``ValueError`` with the GOV.UK message."""
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    if match := _TIME.fullmatch(text):
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(TIME_EXAMPLE)
        return time(hour % 12 + (12 if match["half"].lower() == "p" else 0), minute)
    if match := _TWENTY_FOUR.fullmatch(text):
        hour, minute = int(match["hour"]), int(match["minute"])
        if hour > 23 or minute > 59:
            raise ValueError(TIME_EXAMPLE)
        return time(hour, minute)
    raise ValueError(TIME_EXAMPLE)


def time_text(value: time) -> str:
    """A time as GOV.UK writes it: "9:30am", "2pm", "midday", "midnight"."""
    if value == time(12):
        return "midday"
    if value == time(0):
        return "midnight"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def length_text(minutes: int) -> str:
    """"45 minutes", "1 hour", "1 hour 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def visit_text(link: CaseProperty) -> str:
    """A planned visit in words ("Tuesday 8 December 2026, 9:30am, about 1 hour"), or ""."""
    if link.visit_on is None or link.visit_starts is None:
        return ""
    text = f"{link.visit_on.strftime('%A %-d %B %Y')}, {time_text(link.visit_starts)}"
    if link.visit_minutes:
        text += f", about {length_text(link.visit_minutes)}"
    return text


def starts_at(link: CaseProperty) -> datetime:
    """When the visit starts, as an aware datetime in the UK's local time."""
    return datetime.combine(link.visit_on, link.visit_starts, tzinfo=LOCAL_TIME)


def plan_visit(actor: User, link: CaseProperty, *, visit_on: date | None,
               starts: time | None, minutes: Decimal | int | None) -> bool:
    """Plan (or move) the visit to ``link``'s property: a commissioner, or the application's
    inspector, while the application is assigned and the property not yet inspected. Every
    problem is reported at once (``Problems``); a change is audited with what it replaced.
    Returns whether anything changed."""
    case = link.case
    if actor.role not in (Role.INSPECTOR, Role.COMMISSIONER):
        raise NotPermitted("Only inspectors and commissioners plan visits.")
    ensure_inspector_on_case(actor, case)
    if case.status not in PLANNABLE:
        raise InvalidTransition("Visits are planned while an application is at file sampling "
                                "or property inspection, or its accreditation is reassessed.")
    problems = visit_problems(visit_on, starts, minutes)
    if problems:
        raise Problems(problems)
    minutes = int(minutes) if minutes is not None else None
    before = _as_details(link)
    link.visit_on, link.visit_starts, link.visit_minutes = visit_on, starts, minutes
    after = _as_details(link)
    if before == after:
        return False
    audit.record("visit.planned", actor=actor, subject=link,
                 details={"case_id": case.id, "property_id": link.property_id, **after,
                          "replaced": before if before["visit_on"] else None})
    db.session.commit()
    return True


def visit_problems(visit_on: date | None, starts: time | None,
                   minutes: Decimal | int | None) -> dict[str, str]:
    """What is wrong with a visit's date, start time and expected length, by field."""
    problems = {}
    today = clock.today()
    if visit_on is None:
        problems["visit_on"] = "Enter the visit date"
    elif visit_on < today:
        problems["visit_on"] = "The visit date must be today or in the future"
    elif visit_on > today + PLANNED_AHEAD:
        problems["visit_on"] = "The visit date must be within a year from today"
    if starts is None:
        problems["starts"] = "Enter the start time"
    if minutes is not None and (problem := LENGTH.problem(minutes, "The expected length")):
        problems["minutes"] = problem
    return problems


def _as_details(link: CaseProperty) -> dict:
    return {"visit_on": link.visit_on.isoformat() if link.visit_on else None,
            "starts": link.visit_starts.strftime("%H:%M") if link.visit_starts else None,
            "minutes": link.visit_minutes}


# --- an inspector's visits -------------------------------------------------------------------

def planned_visits(actor: User) -> list[CaseProperty]:
    """The visits planned to properties of the applications assigned to ``actor`` that are
    still to be inspected, in the order they happen."""
    return list(db.session.scalars(
        sa.select(CaseProperty).join(Case)
        .where(assigned_to(actor), Case.status.in_(PLANNABLE),
               CaseProperty.visit_on.is_not(None))
        .order_by(CaseProperty.visit_on, CaseProperty.visit_starts, CaseProperty.id)))


@dataclass
class DayPlan:
    """An inspector's inspections by when they are visited: today's in time order, then the
    ones still to come by date, then those without a date, each as given (rows or links)."""

    today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    unscheduled: list = field(default_factory=list)
    past: list = field(default_factory=list)


def day_plan(rows: list, link_of=lambda row: row) -> DayPlan:
    """``rows`` (one per property inspection) sorted into a ``DayPlan`` for ``clock.today()``.
    A visit planned for a day gone by that was not inspected yet goes with the unscheduled
    ones, marked as past (``past``), so it is planned again."""
    plan, today = DayPlan(), clock.today()
    for row in sorted(rows, key=lambda row: _when(link_of(row))):
        link = link_of(row)
        if link.visit_on is None:
            plan.unscheduled.append(row)
        elif link.visit_on == today:
            plan.today.append(row)
        elif link.visit_on > today:
            plan.upcoming.append(row)
        else:
            plan.past.append(row)
    return plan


def _when(link: CaseProperty) -> tuple:
    return (link.visit_on or date.max, link.visit_starts or time.max, link.id)
