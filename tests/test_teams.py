"""A provider organisation's team: its administrators invite colleagues and remove access."""

import re

import pytest
import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.models import ApiToken, Role, User
from accreditation.auth.tokens import create_token
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.providers.models import Property

from .conftest import Client
from .factories import PropertyFactory, UserFactory

PASSPHRASE = "a colleague's long passphrase"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def invite(client, **fields):
    data = {"full_name": "Cal League", "email": "cal@provider.example.org",
            "access": "member", **fields}
    return client.submit("/provider/team/invite", data)


def accept_link(to: str = "cal@provider.example.org") -> str:
    message = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == to, OutboxMessage.body.contains("/invitations/"))).one()
    return re.search(r"https?://[^/]+(/invitations/\S+)", message.body).group(1)


def colleague_of(administrator: User, **kwargs) -> User:
    return UserFactory(role=Role.PROVIDER, organisation=administrator.organisation, **kwargs)


@pytest.fixture
def administrator():
    return UserFactory(provider=True, full_name="Ada Admin")


def test_an_administrator_invites_a_member_who_updates_a_vacancy(app, client, administrator):
    home = PropertyFactory(organisation=administrator.organisation, bed_spaces=3, vacancies=0)
    client.sign_in(administrator)
    assert invite(client).status_code == 302
    assert "Cal League" in client.get("/provider/team").text
    link = accept_link()

    colleague = app.test_client()
    page = colleague.get(link)
    assert administrator.organisation.name in page.text and "as a member" in page.text
    response = colleague.submit(link, {"password": PASSPHRASE, "confirm_password": PASSPHRASE})
    assert response.status_code == 302
    member = db.session.scalars(sa.select(User).where(
        User.email == "cal@provider.example.org")).one()
    assert (member.role, member.organisation_id, member.is_organisation_administrator) == (
        Role.PROVIDER, administrator.organisation_id, False)
    response = colleague.submit(f"/provider/properties/{home.id}/vacancies", {"vacancies": "2"},
                                form_page=f"/provider/properties/{home.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Property, home.id).vacancies == 2
    assert {"team.invitation_sent", "invitation.accepted"} <= set(actions())


def test_an_administrator_can_invite_another_administrator(app, client, administrator):
    client.sign_in(administrator)
    assert invite(client, access="administrator").status_code == 302
    link = accept_link()
    colleague = app.test_client()
    colleague.submit(link, {"password": PASSPHRASE, "confirm_password": PASSPHRASE})
    member = db.session.scalars(sa.select(User).where(
        User.email == "cal@provider.example.org")).one()
    assert member.is_organisation_administrator
    assert colleague.get("/provider/team/invite").status_code == 200


@pytest.mark.parametrize("fields, message", [
    ({"email": ""}, "Enter their work email address"),
    ({"email": "not an address"}, "Enter an email address in the correct format"),
    ({"full_name": ""}, "Enter their full name"),
    ({"access": ""}, "Select what they can do"),
])
def test_an_invitation_names_what_is_missing(client, administrator, fields, message):
    client.sign_in(administrator)
    response = invite(client, **fields)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_member_sees_the_team_but_cannot_manage_it(client, administrator):
    member = colleague_of(administrator, full_name="Mo Member")
    client.sign_in(member)
    page = client.get("/provider/team")
    assert page.status_code == 200
    assert "Ada Admin" in page.text and "Remove access" not in page.text
    assert client.get("/provider/team/invite").status_code == 403
    token = client.csrf_token("/provider/team")
    response = client.post(f"/provider/team/{administrator.id}/remove",
                           data={"csrf_token": token},
                           headers={"Referer": "https://localhost/provider/team"})
    assert response.status_code == 403
    assert db.session.get(User, administrator.id).is_active
    assert actions().count("access.denied") == 2


def test_another_providers_administrator_cannot_touch_this_team(client, administrator):
    member = colleague_of(administrator)
    outsider = UserFactory(provider=True)
    client.sign_in(outsider)
    token = client.csrf_token("/provider/team")
    response = client.post(f"/provider/team/{member.id}/remove", data={"csrf_token": token},
                           headers={"Referer": "https://localhost/provider/team"})
    assert response.status_code == 404
    assert db.session.get(User, member.id).is_active
    assert "Ada Admin" not in client.get("/provider/team").text
    assert actions().count("access.denied") == 1


def test_removing_a_colleague_signs_them_out_and_withdraws_their_tokens(app, client,
                                                                     administrator):
    member = colleague_of(administrator, full_name="Mo Member")
    _, token = create_token(member, "stock system")
    theirs = app.test_client()
    theirs.sign_in(member)
    assert theirs.get("/provider/").status_code == 200

    client.sign_in(administrator)
    response = client.submit(f"/provider/team/{member.id}/remove", form_page="/provider/team")
    assert response.status_code == 302
    assert "Mo Member no longer has access" in client.get(response.location).text

    # Their open session is signed out on its next request, and the replay is audited.
    response = theirs.get("/provider/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    api = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert db.session.scalars(sa.select(ApiToken.revoked_at)).one() is not None
    events = actions()
    assert {"team.member_removed", "auth.session_refused", "api_token.refused"} <= set(events)
    # They cannot sign in again, and are told what a wrong password is told.
    again = app.test_client().submit("/sign-in", {"email": member.email,
                                                  "password": "correct horse battery"})
    assert "Enter a correct email address and password" in again.text
    assert db.session.scalars(sa.select(OutboxMessage.recipient)).all() == [member.email]


def test_an_organisation_keeps_at_least_one_administrator(app, administrator):
    member = colleague_of(administrator)
    second = colleague_of(administrator, is_organisation_administrator=True)
    client = app.test_client()
    client.sign_in(second)
    client.submit(f"/provider/team/{administrator.id}/remove", form_page="/provider/team")
    db.session.expire_all()
    assert not db.session.get(User, administrator.id).is_active
    # Now ``second`` is the only administrator: removing themself is refused.
    response = client.submit(f"/provider/team/{second.id}/remove", form_page="/provider/team")
    page = client.get(response.location).text
    assert "is the only administrator" in page
    db.session.expire_all()
    assert db.session.get(User, second.id).is_active
    assert db.session.get(User, member.id).is_active


def test_an_invitation_can_be_withdrawn_and_its_link_then_fails(app, client, administrator):
    client.sign_in(administrator)
    invite(client)
    link = accept_link()
    invitation_id = re.search(r"/provider/team/invitations/(\d+)/withdraw",
                              client.get("/provider/team").text).group(1)
    client.submit(f"/provider/team/invitations/{invitation_id}/withdraw",
                  form_page="/provider/team")
    assert "No invitations are waiting" in client.get("/provider/team").text
    assert app.test_client().get(link).status_code == 404
    assert "team.invitation_withdrawn" in actions()


def test_provider_invitations_are_not_on_the_staff_page(app, administrator):
    client: Client = app.test_client()
    client.sign_in(administrator)
    invite(client)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    assert "cal@provider.example.org" not in commissioner.get("/commissioner/staff").text


def test_an_administrator_makes_a_member_an_administrator_and_back(client, administrator):
    member = colleague_of(administrator, full_name="Mo Member")
    client.sign_in(administrator)
    response = client.submit(f"/provider/team/{member.id}/access", {"access": "administrator"},
                             form_page="/provider/team")
    assert "Mo Member is now an administrator" in client.get(response.location).text
    db.session.expire_all()
    assert db.session.get(User, member.id).is_organisation_administrator
    response = client.submit(f"/provider/team/{member.id}/access", {"access": "member"},
                             form_page="/provider/team")
    assert "Mo Member is now a member" in client.get(response.location).text
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_organisation_administrator
    assert actions().count("team.access_changed") == 2


def test_the_only_administrator_cannot_make_themself_a_member(client, administrator):
    client.sign_in(administrator)
    response = client.submit(f"/provider/team/{administrator.id}/access", {"access": "member"},
                             form_page="/provider/team")
    assert "is the only administrator" in client.get(response.location).text
    db.session.expire_all()
    assert db.session.get(User, administrator.id).is_organisation_administrator


def test_a_member_cannot_change_anyones_access(client, administrator):
    member = colleague_of(administrator)
    client.sign_in(member)
    token = client.csrf_token("/provider/team")
    response = client.post(f"/provider/team/{member.id}/access",
                           data={"csrf_token": token, "access": "administrator"},
                           headers={"Referer": "https://localhost/provider/team"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_organisation_administrator


def test_inviting_an_address_that_has_an_account_says_nothing_about_it(client, administrator):
    """The page answers alike whether or not the address has an account (a provider cannot
    find out who uses the service); the address's owner is told by e-mail instead."""
    elsewhere = UserFactory(provider=True, email="taken@elsewhere.example.org")
    client.sign_in(administrator)
    taken = invite(client, email="Taken@Elsewhere.example.org")
    free = invite(client, email="free@provider.example.org")
    assert taken.status_code == free.status_code == 302
    assert client.get(taken.location).text.count("Invitation sent to") == 1
    body = db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == elsewhere.email)).one()
    assert "already has an account" in body and "/invitations/" not in body
    assert "taken@elsewhere.example.org" not in client.get("/provider/team").text
    assert db.session.get(User, elsewhere.id).organisation_id == elsewhere.organisation_id


def test_a_removed_colleague_can_be_invited_back(app, client, administrator):
    member = colleague_of(administrator, full_name="Mo Member", email="mo@provider.example.org")
    client.sign_in(administrator)
    client.submit(f"/provider/team/{member.id}/remove", form_page="/provider/team")
    assert invite(client, email="mo@provider.example.org", full_name="Mo Member",
                  access="administrator").status_code == 302
    link = accept_link("mo@provider.example.org")
    back = app.test_client()
    response = back.submit(link, {"password": PASSPHRASE, "confirm_password": PASSPHRASE})
    assert response.status_code == 302
    db.session.expire_all()
    reopened = db.session.get(User, member.id)
    assert reopened.is_active and reopened.is_organisation_administrator
    assert back.get("/provider/team/invite").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.email == "mo@provider.example.org")) == 1


def test_whoever_registers_an_organisation_administers_its_team(client):
    from accreditation.auth.operations import (
        RegistrationLinks,
        confirm_registration,
        request_registration,
    )

    links: list[str] = []
    request_registration(
        organisation_name="Quay Homes Ltd", company_number=None, full_name="Quinn Founder",
        email="quinn@quay.example.org", password=PASSPHRASE, client="test",
        links=RegistrationLinks(confirm_url_for=lambda token: links.append(token) or token,
                                sign_in="/sign-in", register="/register-organisation"))
    founder = confirm_registration(links[0], password=PASSPHRASE, client="test")
    assert founder.is_organisation_administrator
    client.sign_in(founder, password=PASSPHRASE)
    assert client.get("/provider/team/invite").status_code == 200
