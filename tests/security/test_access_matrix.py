"""Every route, every method, every kind of user: who gets in and what everyone else gets.

The expected outcomes are the declarative table in ``access_table.py``. One world is built per
database backend (through the real operations, see ``world.py``); the refusals run first and
must change nothing the allowed requests rely on, then the allowed requests, reads first.
"""

from __future__ import annotations

import pytest

from accreditation import create_app

from ..cases.journey import TODAY
from ..conftest import Client, config_for, empty_all_tables
from ..factories import publish_first_checklists
from .access_table import ACCESS
from .matrix import (
    STATE_CHANGING,
    Matrix,
    is_api,
    listed_routes,
    route_id,
    shows_a_stack_trace,
)
from .world import ACTORS, ANONYMOUS, build_world

ROUTES = listed_routes()
# Requests whose allowed use ends or replaces the browser's session get a browser of their own.
OWN_SESSION = {"auth.sign_out", "auth.change_password", "auth.sign_in",
               "auth.accept_invitation", "auth.register_provider", "auth.registration_sent",
               "auth.confirm_registration"}


@pytest.fixture(scope="module")
def matrix(database_url, tmp_path_factory):
    app = create_app(config_for(
        database_url, STORAGE="local", SCANNER_URL=None,
        STORAGE_LOCAL_PATH=str(tmp_path_factory.mktemp("evidence"))))
    app.test_client_class = Client
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr("accreditation.clock.today", lambda: TODAY)
        publish_first_checklists()
        yield Matrix(app=app, world=build_world())
    empty_all_tables(app)


def access_for(rule) -> object:
    access = ACCESS.get(rule.endpoint)
    if access is None:
        pytest.fail(f"{rule.endpoint} ({rule.rule}) has no entry: add it to the access matrix "
                    "in tests/security/access_table.py", pytrace=False)
    return access


def test_every_endpoint_has_an_entry_and_every_entry_an_endpoint():
    endpoints = {rule.endpoint for rule, _ in ROUTES}
    assert sorted(endpoints - ACCESS.keys()) == [], "add these to the access matrix"
    assert sorted(ACCESS.keys() - endpoints) == [], "these entries name no route any more"
    for name, access in ACCESS.items():
        assert access.may <= set(ACTORS) and access.hidden <= set(ACTORS), name
        assert not access.may & access.hidden, name


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_refused(matrix, route):
    """Whoever may not use a route is refused, the refusal says nothing, and it is audited."""
    rule, method = route
    access = access_for(rule)
    unexpected = []
    rows_before = matrix.row_counts()
    for actor in ACTORS:
        if actor in access.may:
            continue
        outcome = matrix.send(rule, method, actor, access.body)
        if actor == ANONYMOUS:
            if is_api(rule):
                ok = outcome.status == 401
            else:
                ok = outcome.status == 302 and outcome.location.startswith("/sign-in?next=")
        elif actor in access.hidden:
            ok = outcome.status == 404 and outcome.denials == 1
        else:
            ok = outcome.status == 403 and outcome.denials == 1
        if not ok or 200 <= outcome.status < 300:
            unexpected.append((actor, outcome.status, outcome.location, outcome.denials))
        assert not shows_a_stack_trace(outcome.text)
    assert unexpected == [], f"{method} {matrix.url(rule)}: (actor, status, location, audited)"
    assert matrix.row_counts() == rows_before, "a refused request changed something"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_allowed(matrix, route):
    """Whoever may use a route gets past the permission check: no 401/403, nothing audited
    as a refusal, no server error (a guard may still say 400 or 409)."""
    rule, method = route
    access = access_for(rule)
    unexpected = []
    for actor in ACTORS:
        if actor not in access.may:
            continue
        outcome = matrix.send(rule, method, actor, access.body,
                              fresh=rule.endpoint in OWN_SESSION)
        refused = {401, 403} | (set() if access.may_miss else {404})
        sent_to_sign_in = (not is_api(rule) and actor != ANONYMOUS
                           and rule.endpoint != "auth.sign_out"
                           and outcome.location.startswith("/sign-in"))
        if (outcome.status in refused or outcome.status >= 500 or outcome.denials
                or sent_to_sign_in):
            unexpected.append((actor, outcome.status, outcome.location, outcome.denials))
        assert not shows_a_stack_trace(outcome.text)
    assert unexpected == [], f"{method} {matrix.url(rule)}: (actor, status, location, audited)"


PAGE_WRITES = [(rule, method) for rule, method in ROUTES
               if method in STATE_CHANGING and not is_api(rule)]
# Deliberately without CSRF protection: the bearer-token API (cookies are ignored there, so
# another site cannot act with a visitor's session) and the open data feed, which is
# read-only and answers every write with 405.
CSRF_EXEMPT_PREFIXES = ("/api/",)
CSRF_EXEMPT_ENDPOINTS = {"openreferral.read_only"}


@pytest.mark.parametrize("route", PAGE_WRITES, ids=route_id)
def test_a_page_write_without_a_csrf_token_is_refused(matrix, route):
    rule, method = route
    if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
        outcome = matrix.send(rule, method, ANONYMOUS, {}, csrf=False)
        assert outcome.status == 405
        return
    access = access_for(rule)
    actor = sorted(access.may - {ANONYMOUS})[0] if access.may - {ANONYMOUS} else ANONYMOUS
    outcome = matrix.send(rule, method, actor, access.body, csrf=False,
                          fresh=rule.endpoint in OWN_SESSION)
    assert outcome.status == 400, (actor, outcome.status)
    assert "Your form has expired" in outcome.text
    assert outcome.denials == 1, "a forged form is kept in the audit trail"


def test_the_csrf_exemptions_are_exactly_the_api_and_the_open_feed(matrix):
    from accreditation.extensions import csrf

    # Flask-WTF keeps what ``csrf.exempt`` was given; nothing else may be on these lists.
    exempt_blueprints = {blueprint.name for blueprint in csrf._exempt_blueprints}
    assert exempt_blueprints == {"api", "openreferral"}
    assert set(csrf._exempt_views) == set(), "views exempt from CSRF one by one"
    writes = {rule.endpoint for rule, method in ROUTES
              if method in STATE_CHANGING and rule.endpoint.startswith("openreferral.")}
    assert writes == CSRF_EXEMPT_ENDPOINTS
