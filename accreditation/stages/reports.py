"""What a property's inspection report shows: one context for its page, its PDF and the
decision bundle's copy, so that the three never differ."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from . import inspection_drafts, last_visit

UK_TIME = ZoneInfo("Europe/London")


def clock_time(moment) -> str:
    """A time as GOV.UK writes it, in UK time: 9:05am, 12:30pm."""
    local = moment.astimezone(UK_TIME)
    return f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def long_time(moment) -> str:
    """A date and time as GOV.UK writes them, in UK time: 7 December 2026 at 10:14am."""
    return f"{moment.astimezone(UK_TIME).strftime('%-d %B %Y')} at {clock_time(moment)}"


def report_context(case, link) -> dict:
    """The report of ``link``'s inspection (it must have its assessment): the result, the
    repeat findings and the provider's acknowledgement on site."""
    return {"case": case, "link": link, "result": link.assessment.score,
            "assessment": link.assessment, "repeats": last_visit.repeats_in(link),
            "acknowledgement": inspection_drafts.acknowledgement_for(link),
            "long_time": long_time}
