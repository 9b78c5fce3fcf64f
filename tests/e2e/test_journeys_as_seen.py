"""Every role's pages as a person meets them, on the demo data.

Each demo sign-in (two providers, a commissioner, an inspector, a social worker) is signed in
in a fresh browser and follows the links it can see, from its home page outwards: same
site, GET only, no downloads and no signing out, at most ``MAX_PAGES`` pages each. No page
may answer with an error, show markup as text (``<br>``, ``<strong>``, a link that is only
words), or show an error summary when nobody has sent anything.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from accreditation import demo
from accreditation.extensions import db

from ..conftest import reset_database
from .conftest import submit_sign_in
from .seams import page_problems, visible_links

MAX_PAGES = 60
# Not pages: files, exports and the feeds for other systems.
NOT_PAGES = re.compile(r"(/download\b|\.csv$|\.json$|^/api/|^/openreferral/|^/static/)")
SIGN_INS = {
    "provider": "provider@demo.example.org",
    "provider with conditions": "manager@northway.example.org",
    "commissioner": "commissioner@demo.example.org",
    "inspector": "inspector@demo.example.org",
    "social worker": "social.worker@demo.example.org",
}


@pytest.fixture(scope="module")
def demo_site(e2e_app, live_server):
    """The demo consortium, loaded as ``make demo`` loads it, on the live server's database."""
    live_server.wait_until_idle()
    with e2e_app.app_context():
        reset_database()
        demo.load()
        db.session.commit()
        db.session.remove()
    yield live_server
    live_server.wait_until_idle()


def crawl(page, origin: str, start: str) -> tuple[list[str], dict[str, list[str]]]:
    """Follow visible links breadth-first from ``start``; the pages seen and their problems."""
    queue, seen, found = deque([start]), {start}, {}
    visited = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        visited.append(path)
        if response is None or not response.ok:
            found[path] = [f"answered {response.status if response else 'nothing'}"]
            continue
        if problems := page_problems(page):
            found[path] = problems
        for href in visible_links(page):
            address, _ = urldefrag(href)
            parts = urlsplit(address)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or NOT_PAGES.search(parts.path):
                continue
            seen.add(target)
            queue.append(target)
    return visited, found


@pytest.mark.parametrize("role", list(SIGN_INS))
def test_every_page_a_role_can_reach_reads_as_text(role, demo_site, browser, e2e_app):
    context = browser.new_context(base_url=demo_site.url,
                                  viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/sign-in")
        with e2e_app.app_context():
            submit_sign_in(page, SIGN_INS[role], demo.DEMO_PASSWORD)
            page.wait_for_selector("text=Signed in as")
            db.session.remove()
        home = urlsplit(page.url).path
        visited, found = crawl(page, demo_site.url, home)
        print(f"{role}: {len(visited)} pages from {home}")
        assert len(visited) >= 5, visited  # it really walked
        assert found == {}, "\n".join(f"{path}: {problem}" for path, problems in found.items()
                                     for problem in problems)
    finally:
        context.close()
