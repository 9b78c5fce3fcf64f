"""What a person notices is wrong with a page, read from what the browser shows (never from
the HTML): markup shown as text, and an error summary nobody caused."""

from __future__ import annotations

import re

# "<" then a tag name, as text: markup that was escaped where it should have been rendered.
MARKUP = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(\s[^<>]*)?/?>", re.IGNORECASE)


def page_problems(page, *, after_sending: bool = False) -> list[str]:
    """The seams on the page now. An error summary is one unless the person has just sent
    something (``after_sending``)."""
    problems = []
    text = page.inner_text("body")
    for match in MARKUP.finditer(text):
        start = max(match.start() - 40, 0)
        problems.append(f"markup shown as text: …{text[start:match.end() + 40]}…")
    summary = page.locator(".govuk-error-summary")
    if not after_sending and summary.count() and summary.first.is_visible():
        problems.append(f"an error summary nobody caused: {summary.first.inner_text()!r}")
    return problems


def visible_links(page) -> list[str]:
    """The addresses of the links a person can see on the page (not those marked download)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('a[href]'))
        .filter(a => !a.hasAttribute('download') && a.getClientRects().length > 0
                     && getComputedStyle(a).visibility !== 'hidden')
        .map(a => a.href)""")
