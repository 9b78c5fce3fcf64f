"""Leavers: commissioners deactivate and reactivate accounts; open inspections are reassigned."""

from html import unescape

import sqlalchemy as sa

from accreditation.audit import AuditEvent
from accreditation.auth.models import ApiToken, User
from accreditation.auth.tokens import create_token
from accreditation.extensions import db

from .factories import CouncilFactory, UserFactory

WRONG = "Enter a correct email address and password"


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def shown(client, response) -> str:
    """The text of the page a post was sent on to (its message)."""
    return unescape(client.get(response.location).text)


def deactivate(client, user):
    response = client.submit(f"/commissioner/staff/{user.id}/deactivate",
                             form_page="/commissioner/staff")
    assert response.status_code == 302
    return shown(client, response)


def test_a_deactivated_inspector_is_signed_out_cannot_sign_in_and_their_tokens_stop(app):
    inspector = UserFactory(inspector=True, full_name="Ivy Inspector")
    _, token = create_token(inspector, "laptop")
    theirs = app.test_client()
    theirs.sign_in(inspector)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))

    page = deactivate(commissioner, inspector)
    assert "Ivy Inspector's account is deactivated" in page and "Deactivated" in page

    response = theirs.get("/inspections/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    assert app.test_client().get("/api/v1/cases", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    assert db.session.scalars(sa.select(ApiToken.revoked_at)).one() is not None
    # The same answer as a wrong password: nobody learns the account exists.
    refused = app.test_client().submit("/sign-in", {"email": inspector.email,
                                                    "password": "password1234"})
    unknown = app.test_client().submit("/sign-in", {"email": "nobody@example.org",
                                                    "password": "password1234"})
    assert refused.status_code == unknown.status_code == 400
    assert WRONG in refused.text and WRONG in unknown.text
    assert {"user.deactivated", "auth.session_refused", "api_token.refused"} <= set(actions())


def test_a_reactivated_member_of_staff_signs_in_again(app):
    worker = UserFactory(social_worker=True, full_name="Sol Worker")
    worker.council.in_consortium = True
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    deactivate(commissioner, worker)
    response = commissioner.submit(f"/commissioner/staff/{worker.id}/reactivate",
                                   form_page="/commissioner/staff")
    assert "Sol Worker's account is active again" in shown(commissioner, response)
    app.test_client().sign_in(worker)
    assert "user.reactivated" in actions()


def test_a_social_worker_whose_council_left_stays_deactivated(app):
    worker = UserFactory(social_worker=True, council=CouncilFactory(in_consortium=False),
                         is_active=False)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    response = commissioner.submit(f"/commissioner/staff/{worker.id}/reactivate",
                                   form_page="/commissioner/staff")
    assert "is not a member of the consortium" in shown(commissioner, response)
    assert not db.session.get(User, worker.id).is_active


def test_a_commissioner_cannot_deactivate_themself_or_the_last_commissioner(app):
    me = UserFactory(commissioner=True)
    other = UserFactory(commissioner=True, full_name="Cora Commissioner")
    client = app.test_client()
    client.sign_in(me)
    response = client.submit(f"/commissioner/staff/{me.id}/deactivate",
                             form_page="/commissioner/staff")
    assert "You cannot deactivate your own account" in shown(client, response)
    deactivate(client, other)
    db.session.expire_all()
    assert db.session.get(User, me.id).is_active
    assert not db.session.get(User, other.id).is_active


def test_the_last_active_commissioner_is_kept(app):
    from accreditation.admin.operations import deactivate_account
    from accreditation.errors import ValidationFailed

    only = UserFactory(commissioner=True, full_name="Only One")
    acting = UserFactory(commissioner=True, is_active=False)
    db.session.commit()
    try:
        deactivate_account(acting, only)
    except ValidationFailed as error:
        assert "last active commissioner" in error.message
    else:
        raise AssertionError("the last active commissioner was deactivated")


def test_a_commissioner_deactivates_a_provider_account_from_the_providers_page(app):
    administrator = UserFactory(provider=True)
    member = UserFactory(provider=True, organisation=administrator.organisation,
                         is_organisation_administrator=False, full_name="Mo Member")
    organisation_id = administrator.organisation_id
    theirs = app.test_client()
    theirs.sign_in(member)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    page = commissioner.get(f"/commissioner/providers/{organisation_id}").text
    assert "Mo Member" in page and "Member" in page and "Administrator" in page
    response = commissioner.submit(
        f"/commissioner/providers/{organisation_id}/accounts/{member.id}/deactivate",
        form_page=f"/commissioner/providers/{organisation_id}")
    assert "Mo Member's account is deactivated" in shown(commissioner, response)
    assert theirs.get("/provider/").location.startswith("/sign-in")
    # The administrator is the only one left: their account may close too (nobody else is).
    response = commissioner.submit(
        f"/commissioner/providers/{organisation_id}/accounts/{administrator.id}/deactivate",
        form_page=f"/commissioner/providers/{organisation_id}")
    db.session.expire_all()
    assert not db.session.get(User, administrator.id).is_active


def test_a_providers_only_administrator_stays_while_its_members_have_access(app):
    administrator = UserFactory(provider=True, full_name="Ada Admin")
    UserFactory(provider=True, organisation=administrator.organisation,
                is_organisation_administrator=False)
    organisation_id = administrator.organisation_id
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    response = commissioner.submit(
        f"/commissioner/providers/{organisation_id}/accounts/{administrator.id}/deactivate",
        form_page=f"/commissioner/providers/{organisation_id}")
    assert "Ada Admin is the only administrator" in shown(commissioner, response)
    assert db.session.get(User, administrator.id).is_active


def test_an_account_of_another_organisation_is_not_found_under_this_one(app):
    administrator = UserFactory(provider=True)
    elsewhere = UserFactory(provider=True)
    commissioner = app.test_client()
    commissioner.sign_in(UserFactory(commissioner=True))
    response = commissioner.submit(
        f"/commissioner/providers/{administrator.organisation_id}/accounts/{elsewhere.id}"
        "/deactivate", form_page=f"/commissioner/providers/{administrator.organisation_id}")
    assert response.status_code == 404
    assert db.session.get(User, elsewhere.id).is_active
