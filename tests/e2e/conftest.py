"""Browser tests: Debian's Chromium driven by Playwright against a live server on loopback.

The app runs in a werkzeug server thread on ``127.0.0.1:<free port>`` over its own SQLite
database, built through the migrations. Playwright downloads no browser here: the system's
Chromium is launched. Without Chromium these tests are skipped, except under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wsgi import ClosingIterator

from accreditation import create_app
from accreditation.extensions import db

from ..conftest import config_for, reset_database
from ..factories import authenticator_code
from ..services import unavailable

CHROMIUM = os.environ.get("ACCREDITATION_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--no-sandbox",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-results" / "screenshots"


_serving = threading.local()


class _ClosingHandler(WSGIRequestHandler):
    """Closes the response even when the browser drops the connection mid-reply.

    werkzeug's development server skips ``close()`` when the socket fails while it drains the
    request, which leaves a static file open (a ResourceWarning) and the request counted as
    in flight. Production servers always close; this keeps the test server honest too.
    """

    def run_wsgi(self):
        _serving.response = None
        try:
            super().run_wsgi()
        finally:
            response, _serving.response = _serving.response, None
            if response is not None:
                response.close()


class _OnceClosing(ClosingIterator):
    def __init__(self, iterable, callback):
        super().__init__(iterable, callback)
        self._closed = False

    def close(self):
        if not self._closed:
            self._closed = True
            super().close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server(
            "127.0.0.1", 0, self._counted, threaded=True, request_handler=_ClosingHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.in_flight = 0
        self._lock = threading.Lock()

    def _counted(self, environ, start_response):
        with self._lock:
            self.in_flight += 1
        try:
            response = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        _serving.response = _OnceClosing(response, self._done)  # closed once sent
        return _serving.response

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def wait_until_idle(self, timeout: float = 15.0, quiet: float = 0.25) -> None:
        """Until no request has been served for ``quiet`` seconds: a page closed at the end of
        a test may have left one running, or one just sent and not yet counted (accepted, its
        headers still being read), whose writes would race the next test's setup on SQLite."""
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.in_flight:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet:
                return
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    database = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = create_app(config_for(f"sqlite:///{database}"))
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def live_server(e2e_app):
    with LiveServer(e2e_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        unavailable(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def e2e_db(e2e_app, live_server):
    """An app context on the live server's database, emptied before the test (once the
    server has finished what the last test's pages asked of it)."""
    live_server.wait_until_idle()
    with e2e_app.app_context():
        reset_database()
        yield db
        db.session.remove()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (one per person), at a tablet-ish size. With
    ``for_axe`` the page's Content Security Policy lets axe-core in, for the test only."""
    contexts = []

    def open_page(viewport=(1024, 1366), has_touch=True, for_axe=False):
        context = browser.new_context(base_url=live_server.url, has_touch=has_touch,
                                      bypass_csp=for_axe,
                                      viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/sign-in")
    submit_sign_in(page, email, password)
    page.wait_for_selector("text=Signed in as")


def submit_sign_in(page, email: str, password: str) -> None:
    """Fill in the sign-in form as a person would; commissioners and inspectors also type their
    app's code (read from the live server's database: the test's app context must be on it)."""
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()
    if "/sign-in/code" in page.url:
        page.fill("#code", authenticator_code(email))
        page.click("button:has-text('Continue')")
