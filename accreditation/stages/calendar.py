"""An inspector's visits as an iCalendar feed, for the calendar app on their phone or computer.

The feed is read with a private link (``auth/calendar_links.py``), not a session: calendar apps
ask for it on their own. It names each property and links to its inspection page (which asks
the inspector to sign in); the properties' addresses are in it only if the inspector chose
so when making the link, as the feed leaves the service for whatever calendar holds it.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlsplit

import icalendar
from flask import current_app

from ..auth.models import User
from ..database import utcnow
from ..routing import external_url
from . import visits

# A visit whose length nobody gave is shown as an hour long.
DEFAULT_LENGTH = timedelta(hours=1)


def feed(user: User, *, with_addresses: bool) -> bytes:
    """``user``'s planned visits as an iCalendar document: times in UTC, each event's UID
    the same for a visit however often it is moved."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{current_app.config.get('SERVICE_NAME', 'Accreditation')}"
                           "//Inspection visits//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Inspection visits")
    stamp = utcnow()
    domain = _domain()
    for link in visits.planned_visits(user):
        start = visits.starts_at(link)
        length = timedelta(minutes=link.visit_minutes) if link.visit_minutes else DEFAULT_LENGTH
        event = icalendar.Event()
        event.add("uid", f"visit-{link.id}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", (start + length).astimezone(UTC))
        event.add("summary", f"Inspection: {link.home.name}")
        page = external_url("stages.inspection", link_id=link.id)
        event.add("url", page)
        event.add("description", f"{link.case.organisation.name}, application "
                                 f"{link.case.reference}.\nInspection: {page}")
        if with_addresses:
            event.add("location", ", ".join(link.home.address_lines))
        calendar.add_component(event)
    return calendar.to_ical()


def _domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
