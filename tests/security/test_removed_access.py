"""Someone removed from a provider's team: their old session cookie and their tokens are refused
on every page and API route a member may use, and each refusal is kept in the audit trail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.auth.tokens import create_token
from accreditation.extensions import db
from accreditation.teams.operations import remove_from_team

from ..factories import UserFactory
from .access_table import ACCESS
from .matrix import is_api, listed_routes
from .world import PROVIDER_A_MEMBER

# What a member may open that needs no id: the pages of their organisation, and the API's.
MEMBER_ROUTES = sorted({rule.rule: rule for rule, method in listed_routes()
                        if method == "GET" and not rule.arguments
                        and PROVIDER_A_MEMBER in ACCESS[rule.endpoint].may
                        and ACCESS[rule.endpoint].may != ACCESS["main.home"].may}.values(),
                       key=lambda rule: rule.rule)


@pytest.fixture
def removed(app):
    """A member, signed in with a token of their own, then removed by their administrator;
    returns their old cookie, their token and their id."""
    administrator = UserFactory(provider=True)
    member = UserFactory(role=Role.PROVIDER, organisation=administrator.organisation)
    _, token = create_token(member, "stock system")
    client = app.test_client()
    client.sign_in(member)
    assert client.get("/provider/").status_code == 200
    cookie = client.get_cookie("session").value
    remove_from_team(administrator, member)
    return cookie, token, member.id


def refusals(action: str, user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.details["user_id"].as_string() == str(user_id))
        if action == "api_token.refused" else
        sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.subject_id == str(user_id)))


def test_there_are_routes_to_try():
    assert sum(is_api(rule) for rule in MEMBER_ROUTES) >= 1
    assert sum(not is_api(rule) for rule in MEMBER_ROUTES) >= 5


def test_a_removed_members_cookie_and_token_are_refused_everywhere_and_audited(app, removed):
    cookie, token, user_id = removed
    pages = [rule for rule in MEMBER_ROUTES if not is_api(rule)]
    for rule in pages:
        browser = app.test_client()
        browser.set_cookie("session", cookie)
        response = browser.get(rule.rule)
        assert response.status_code == 302, rule.rule
        assert response.location.startswith("/sign-in"), rule.rule
    apis = [rule for rule in MEMBER_ROUTES if is_api(rule)]
    for rule in apis:
        response = app.test_client().get(rule.rule, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, rule.rule
        assert response.mimetype == "application/problem+json"
    # The first replay on each route from a client is chained; repeats are counted.
    assert refusals("auth.session_refused", user_id) == len(pages)
    assert refusals("api_token.refused", user_id) == len(apis)
