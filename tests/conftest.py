"""Fixtures: an app on each database backend, a test client that behaves like a browser.

Every test that uses ``app`` runs twice, on SQLite and on PostgreSQL (a throwaway server
started by ``tests/services.py``). The schema is built once per backend through the real
migrations; after each test every table is emptied, so tests see real commits.
"""

from __future__ import annotations

import contextvars
import re
import uuid

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from xdist.scheduler import LoadScopeScheduling

from accreditation import create_app
from accreditation.audit import GENESIS_HASH, AuditChainHead
from accreditation.auth import mfa
from accreditation.extensions import db

from . import factories
from .routing import share_url_builders
from .services import clear_app_settings, start_postgres

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("default")

BACKENDS = ["sqlite", "postgresql"]


# A data key of the kind production needs (development and testing have a built-in one);
# fixed, so that test ids that show it are the same in every worker.
PRODUCTION_DATA_KEY = "a2V5LWZvci10ZXN0cy1vZi1wcm9kdWN0aW9uLXNldCE="  # noqa: S105


def config_for(database_url: str, **overrides) -> dict:
    return {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Cheap hashing keeps the suite fast; production uses OWASP's recommended cost.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        **overrides,
    }


def pytest_configure(config):
    """Before any test runs (in every worker): the shell's settings of the app are cleared, so
    that only what the tests set applies (``tests/services.py``); the apps the tests build share
    their compiled URL builders (``tests/routing.py``)."""
    clear_app_settings()
    share_url_builders()


# Test files that build one costly world per backend (a module-scoped fixture): their tests
# of one backend are sent to one worker, so each world is built once.
ONE_WORLD_PER_BACKEND = ("tests/security/test_access_matrix.py",
                         "tests/security/test_form_fuzzing.py")


class OneWorldPerBackend(LoadScopeScheduling):
    """xdist's load balancing, test by test, except that the tests of one world go together.
    (``--dist loadgroup`` would do it with marks, but xdist 3.8 cannot rename pytest 9's
    test ids, so its groups are never formed.)"""

    def _split_scope(self, nodeid: str) -> str:
        path, _, name = nodeid.partition("::")
        backend = re.search(r"\[(sqlite|postgresql)\b", name)
        if path in ONE_WORLD_PER_BACKEND and backend:
            return f"{path}[{backend[1]}]"
        return nodeid


@pytest.hookimpl(optionalhook=True)  # a run without xdist (-p no:xdist) knows no such hook
def pytest_xdist_make_scheduler(config, log):
    return OneWorldPerBackend(config, log)


_postgres = None


def postgres_server():
    """The suite's PostgreSQL server, started on first use and stopped at the very end."""
    global _postgres
    if _postgres is None:
        _postgres = start_postgres()
    return _postgres


def pytest_sessionfinish(session, exitstatus):
    if _postgres is not None:
        _postgres.stop()


class DatabaseMaker:
    """Creates empty databases on one backend and drops them at the end of the session."""

    def __init__(self, backend: str, tmp_path_factory, request):
        self.backend = backend
        self.tmp_path_factory = tmp_path_factory
        self.request = request
        self.created: list[str] = []
        self.server = None

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        server = self.server = postgres_server()
        name = f"accreditation_test_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        self.created.append(name)
        return server.url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        if not self.created:
            return
        engine = sa.create_engine(self.server.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request, tmp_path_factory):
    maker = DatabaseMaker(request.param, tmp_path_factory, request)
    yield maker
    maker.drop_all()


@pytest.fixture(scope="session")
def database_url(databases):
    """A database migrated to head, shared by the tests of one backend."""
    url = databases.new()
    app = create_app(config_for(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def reset_database() -> None:
    """Empty every table, in the current app context's session, and restart the audit chain."""
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _truncate_what_was_used(connection, tables)
    else:
        for table in tables:
            connection.execute(table.delete())
    connection.execute(sa.insert(AuditChainHead).values(id=1, seq=0, last_hash=GENESIS_HASH))
    db.session.commit()
    db.session.expunge_all()


def _truncate_what_was_used(connection, tables) -> None:
    """TRUNCATE only the tables holding rows, and restart only the sequences that were used:
    truncating every table after every test costs more than most tests."""
    quote = connection.dialect.identifier_preparer.quote
    holding = " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM {quote(table.name)})"
        for table in tables)
    names = [quote(name) for name in connection.exec_driver_sql(holding).scalars()]
    if names:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    used = connection.exec_driver_sql(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
        "WHERE last_value IS NOT NULL").scalars().all()
    for sequence in used:
        connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")


def empty_all_tables(app) -> None:
    with app.app_context():
        reset_database()
        db.session.remove()
        db.engine.dispose()


class Client(FlaskClient):
    """A test client whose every request runs like one from a real browser.

    Each request gets its own app context (its own ``g`` and database session), as in
    production; what the test itself has staged in its session is committed first, so the
    request sees it and cannot be blocked by the test's open transaction.
    """

    # Another address the browser reaches the app by (``browser_at``); None: the default.
    base_url: str | None = None

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        if self.base_url and args and isinstance(args[0], str):
            kwargs.setdefault("base_url", self.base_url)
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, url: str) -> str:
        page = self.get(url)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, f"no CSRF token in the form at {url} ({page.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, form_page: str | None = None,
               **kwargs):
        """POST a form as a browser would: with the CSRF token from the page that shows it."""
        page = form_page or url
        token = self.csrf_token(page)
        # Browsers send the page's address; CSRF protection checks it over HTTPS.
        headers = {"Referer": f"https://localhost{page}", **kwargs.pop("headers", {})}
        return self.post(url, data={**(data or {}), "csrf_token": token}, headers=headers,
                         **kwargs)

    def sign_in(self, user, password: str = factories.TEST_PASSWORD):
        """Sign in as a person would, with the code from their authenticator app if asked."""
        response = self.submit("/sign-in", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        if response.location.startswith("/sign-in/code"):
            response = self.submit("/sign-in/code",
                                   {"code": factories.authenticator_code(user.email)})
            assert response.status_code == 302, response.text
        return response


    def set_up_authenticator(self, url: str = "/sign-in/authenticator"):
        """Scan the QR code (read the key shown under it) and confirm with the app's code.

        Returns the key and the recovery codes shown afterwards."""
        page = self.get(url)
        assert page.status_code == 200, page.text
        secret = re.search(r'<code class="app-secret">([A-Z2-7 ]+)</code>', page.text)
        assert secret, "no key shown for typing into an app"
        secret = secret.group(1).replace(" ", "")
        response = self.submit(url, {"code": mfa.code_for(secret, mfa.current_step())})
        assert response.status_code == 200, response.text
        codes = re.findall(r"<li><code>([a-z0-9-]{14})</code></li>", response.text)
        assert len(codes) == mfa.RECOVERY_CODE_COUNT
        return secret, codes


def browser_at(app, host: str) -> Client:
    """A browser whose requests name ``host`` (their ``Host`` header), over plain HTTP as a
    proxy passes them on; it keeps its cookies for that host."""
    client = app.test_client()
    client.base_url = f"http://{host}"
    return client


def running_app(config: dict):
    """For an ``app`` fixture: the app, with the browser-like test client, inside an app
    context; every table emptied afterwards."""
    app = create_app(config)
    app.test_client_class = Client
    with app.app_context():
        yield app
    empty_all_tables(app)


def local_evidence_config(database_url: str, tmp_path) -> dict:
    """Evidence stored under the test's own temp folder, no virus scanner."""
    return config_for(database_url, STORAGE="local",
                      STORAGE_LOCAL_PATH=str(tmp_path / "evidence"), SCANNER_URL=None)


@pytest.fixture
def app(database_url):
    yield from running_app(config_for(database_url))


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()



