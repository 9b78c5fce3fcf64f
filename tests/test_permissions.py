"""One permission mechanism, deny by default, and row-level access for providers."""

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.models import Role
from accreditation.auth.permissions import rule_for
from accreditation.extensions import db

from .factories import PropertyFactory, UserFactory, user_with_role


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule_for(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_a_route_without_a_declaration_is_refused_and_audited(app, client):
    @app.route("/forgotten")
    def forgotten():
        return "secret"

    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.text
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert event.action == "access.denied"
    assert event.details["reason"] == "route declares no access rule"


HOME_PAGES = {
    "/provider/": {Role.PROVIDER},
    "/inspections/": {Role.INSPECTOR},
    "/commissioner/": {Role.COMMISSIONER},
    "/commissioner/staff": {Role.COMMISSIONER},
    "/commissioner/providers": {Role.COMMISSIONER},
    "/commissioner/audit": {Role.COMMISSIONER},
    "/register/": {Role.SOCIAL_WORKER, Role.COMMISSIONER, Role.INSPECTOR},
    "/account/password": set(Role),
}


@pytest.mark.parametrize("path", HOME_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
@pytest.mark.parametrize("path", HOME_PAGES)
def test_each_role_reaches_only_its_own_pages(client, role, path):
    client.sign_in(user_with_role(role))
    response = client.get(path)
    if role in HOME_PAGES[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "You do not have permission" in response.text
        denial = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
        assert denial.details["path"] == path
        assert denial.actor_role == role.value


@pytest.mark.parametrize("role, home", [
    (Role.PROVIDER, "/provider/"), (Role.INSPECTOR, "/inspections/"),
    (Role.COMMISSIONER, "/commissioner/"), (Role.SOCIAL_WORKER, "/register/"),
])
def test_each_role_lands_on_its_own_home_page(client, role, home):
    client.sign_in(user_with_role(role))
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_a_provider_sees_its_own_property(client):
    user = UserFactory(provider=True)
    own = PropertyFactory(organisation=user.organisation, name="Albion House")
    client.sign_in(user)
    response = client.get(f"/provider/properties/{own.id}")
    assert response.status_code == 200
    assert "Albion House" in response.text


def test_a_provider_cannot_see_another_providers_property(client):
    user = UserFactory(provider=True)
    other = PropertyFactory(name="Someone Else's House", address_line_1="1 Secret Road")
    client.sign_in(user)
    response = client.get(f"/provider/properties/{other.id}")
    assert response.status_code == 404
    assert "Secret Road" not in response.text
    denial = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert denial.actor_id == user.id
    assert denial.details["subject_id"] == str(other.id)


def test_the_provider_home_lists_only_its_own_properties(client):
    user = UserFactory(provider=True)
    PropertyFactory(organisation=user.organisation, name="Our House")
    PropertyFactory(name="Their House")
    client.sign_in(user)
    page = client.get("/provider/").text
    assert "Our House" in page
    assert "Their House" not in page


@pytest.mark.parametrize("path", [
    "/provider/properties/abc", "/provider/properties/-1", "/provider/properties/99999999",
    "/provider/properties/1%27%20OR%201=1", "/no/such/page",
])
def test_malformed_or_unknown_ids_give_a_friendly_404(client, path):
    client.sign_in(UserFactory(provider=True))
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text
