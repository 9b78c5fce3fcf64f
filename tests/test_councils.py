"""Councils: a fresh installation knows every local authority in England (the shipped list,
loaded by ``accreditation db upgrade``), a property can be declared in any district or
unitary authority, and commissioners keep the list of the consortium's member councils, to
which staff belong."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from accreditation import create_app
from accreditation.admin.operations import join_consortium, load_local_authorities
from accreditation.audit import AuditEvent, verify
from accreditation.auth.models import Invitation, Role, User
from accreditation.auth.operations import invite_staff
from accreditation.councils import (
    REFERENCE_LIST,
    Council,
    LocalAuthority,
    ReferenceListError,
    reference_list,
)
from accreditation.errors import ValidationFailed
from accreditation.extensions import db
from accreditation.notifications.outbox import OutboxMessage
from accreditation.providers.models import Property

from .conftest import config_for
from .factories import CouncilFactory, UserFactory

ENGLAND = 296  # local authority districts: unitary, shire district, metropolitan, London
COUNTIES = 21  # county councils of the two-tier areas


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))


def council(code: str) -> Council:
    return db.session.scalars(sa.select(Council).where(Council.ons_code == code)).one()


# --- the shipped list ------------------------------------------------------------------------

def test_the_shipped_list_is_every_local_authority_in_england_with_its_ons_code():
    authorities = reference_list()
    kinds = {}
    for authority in authorities:
        kinds[authority.ons_code[:3]] = kinds.get(authority.ons_code[:3], 0) + 1
    assert kinds == {"E06": 63, "E07": 164, "E08": 36, "E09": 33, "E10": COUNTIES}
    by_code = {authority.ons_code: authority for authority in authorities}
    assert by_code["E09000028"].name == "Southwark"
    assert by_code["E09000022"].name == "Lambeth"
    assert by_code["E07000070"] == LocalAuthority("E07000070", "Chelmsford", "E10000012")
    assert by_code["E10000012"].name == "Essex"
    assert by_code["E06000065"].name == "North Yorkshire"  # unitary since April 2023
    header = REFERENCE_LIST.read_text().split("\nons_code,")[0]
    assert "Office for National Statistics" in header and "2024" in header


@pytest.mark.parametrize("row, problem", [
    ("E07000070,Chelmsford,\n", "a district, and only a district, names a county"),
    ("E09000028,Southwark,E10000012\n", "a district, and only a district, names a county"),
    ("W06000001,Isle of Anglesey,\n", "is not an ONS code of a local authority"),
    ("E09000007,Camden,\nE09000007,Camden again,\n", "a code is listed twice"),
])
def test_a_list_edited_by_hand_is_refused_saying_what_is_wrong(tmp_path, row, problem):
    path = tmp_path / "list.csv"
    path.write_text("# a comment\nons_code,name,county_code\nE10000012,Essex,\n" + row)
    with pytest.raises(ReferenceListError, match=problem):
        reference_list(path)


# --- a fresh installation ---------------------------------------------------------------------

def test_db_upgrade_of_a_fresh_database_loads_every_local_authority_once(databases):
    app = create_app(config_for(databases.new()))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"Local authorities: {ENGLAND + COUNTIES} added" in first.output
    again = runner.invoke(args=["councils", "load"])
    assert "0 added, 0 renamed" in again.output
    with app.app_context():
        councils = db.session.scalars(sa.select(Council)).all()
        assert len(councils) == ENGLAND + COUNTIES
        assert not any(council.in_consortium for council in councils)
        assert council("E07000070").county.name == "Essex"
        assert council("E07000114").area_name == "Thanet (Kent)"
        assert council("E09000028").county is None
        assert actions() == ["councils.loaded"]
        assert verify().ok
        db.session.remove()
        db.engine.dispose()


def test_a_renamed_authority_is_renamed_and_councils_not_on_the_list_are_kept(app):
    CouncilFactory(name="Old Name", ons_code="E09000028", in_consortium=True)
    CouncilFactory(name="Essex", ons_code="E09999999")  # not on the list, holding a name
    db.session.commit()
    result = load_local_authorities([
        LocalAuthority("E10000012", "Essex", None),
        LocalAuthority("E07000070", "Chelmsford", "E10000012"),
        LocalAuthority("E09000028", "Southwark", None)])
    assert (result.added, result.renamed) == (2, 1)
    southwark = council("E09000028")
    assert (southwark.name, southwark.in_consortium) == ("Southwark", True)
    assert council("E10000012").name == "Essex (E10000012)"
    assert council("E09999999").name == "Essex"
    assert council("E07000070").area_name == "Chelmsford (Essex (E10000012))"


# --- properties anywhere ----------------------------------------------------------------------

PROPERTY = {"name": "Peckham House", "address_line_1": "1 Rye Lane", "town": "London",
            "postcode": "SE15 5DQ", "category": "single_occupancy", "bed_spaces": "2",
            "age_min": "18", "age_max": "21", "who_for": "Care leavers"}


def test_a_provider_can_declare_a_property_in_any_local_authority_in_england(client):
    load_local_authorities()
    provider = UserFactory(provider=True)
    client.sign_in(provider)
    form = client.get("/provider/properties/new").text
    options = dict((name, value) for value, name in re.findall(
        r'<option value="(\d+)"[^>]*>([^<]+)</option>', form))
    assert len(options) == ENGLAND  # districts and unitary authorities, not counties
    assert {"Southwark", "Lambeth", "Chelmsford (Essex)", "Thanet (Kent)"} <= options.keys()
    assert "Essex" not in options
    response = client.submit("/provider/properties/new", {
        **PROPERTY, "local_authority_id": options["Southwark"]})
    assert response.status_code == 302, response.text
    home = db.session.scalars(sa.select(Property)).one()
    assert home.local_authority.name == "Southwark"
    assert not home.local_authority.in_consortium


def test_a_property_cannot_be_declared_in_a_county_council_only_in_its_district(client):
    load_local_authorities()
    client.sign_in(UserFactory(provider=True))
    response = client.submit("/provider/properties/new", {
        **PROPERTY, "local_authority_id": str(council("E10000012").id)})
    assert response.status_code == 400
    assert "Select the local authority the property is in" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Property.id))) == 0


# --- member councils --------------------------------------------------------------------------

def test_a_commissioner_adds_a_council_and_its_staff_can_then_be_invited(client):
    load_local_authorities()
    commissioner = UserFactory(commissioner=True)
    client.sign_in(commissioner)
    page = client.get("/commissioner/councils")
    assert page.status_code == 200
    assert "No council is a member yet" in page.text
    staff_page = client.get("/commissioner/staff").text
    assert "Southwark" not in staff_page  # the invitation's councils are the members

    southwark = council("E09000028")
    response = client.submit("/commissioner/councils", {"council_id": str(southwark.id)})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Southwark is now a member of the consortium" in page
    assert re.search(r"<td[^>]*>Southwark</td>\s*<td[^>]*>London borough</td>", page)
    assert council("E09000028").in_consortium
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "council.joined")).one()
    assert (event.actor_id, event.subject_id) == (commissioner.id, str(southwark.id))
    assert f'<option value="{southwark.id}">Southwark</option>' in \
        client.get("/commissioner/staff").text


@pytest.mark.parametrize("code, message", [
    ("E07000070", "Chelmsford is a district council: select the council that runs "
                  "children&#39;s services there, Essex"),
    ("", "Select the council that is joining the consortium"),
])
def test_only_a_council_that_runs_childrens_services_can_join(client, code, message):
    load_local_authorities()
    client.sign_in(UserFactory(commissioner=True))
    chosen = str(council(code).id) if code else ""
    response = client.submit("/commissioner/councils", {"council_id": chosen})
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count(Council.id)).where(
        Council.in_consortium)) == 0


def test_a_council_that_leaves_closes_its_social_workers_accounts(client, app):
    camden = CouncilFactory(name="Camden", ons_code="E09000007")
    commissioner = UserFactory(commissioner=True)
    social_worker = UserFactory(social_worker=True, council=camden, full_name="Grace Mensah",
                                email="grace@camden.example.org")
    inspector = UserFactory(inspector=True, council=camden, full_name="Sam Wright")
    db.session.commit()
    invite_staff(commissioner, email="new@camden.example.org", full_name="New Person",
                 role=Role.SOCIAL_WORKER, council=camden, accept_url_for=lambda token: token)
    client.sign_in(commissioner)
    page = client.get(f"/commissioner/councils/{camden.id}/leave").text
    assert "Are you sure you want to remove Camden from the consortium?" in page
    assert "Grace Mensah (grace@camden.example.org)" in page
    assert "Sam Wright, inspector" in page
    assert "1 invitation to its staff will be withdrawn" in page

    response = client.submit(f"/commissioner/councils/{camden.id}/leave", {})
    assert response.status_code == 302
    assert "Camden has left the consortium. 1 social worker account closed" in \
        client.get(response.location).text
    db.session.expire_all()
    assert not db.session.get(Council, camden.id).in_consortium
    assert not db.session.get(User, social_worker.id).is_active
    assert db.session.get(User, inspector.id).is_active
    assert db.session.get(User, inspector.id).council is None
    assert db.session.scalars(sa.select(Invitation)).one().status == "revoked"
    closed = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.recipient == "grace@camden.example.org")).one()
    assert "Camden has left the consortium" in closed.body
    assert actions()[-1] == "council.left"
    assert client.get(f"/commissioner/councils/{camden.id}/leave").status_code == 404


def test_staff_can_only_be_invited_for_a_member_council(app):
    commissioner = UserFactory(commissioner=True)
    lambeth = CouncilFactory(name="Lambeth", ons_code="E09000022", in_consortium=False)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="Lambeth is not a member of the consortium"):
        invite_staff(commissioner, email="sw@lambeth.example.org", full_name="S W",
                     role=Role.SOCIAL_WORKER, council=lambeth, accept_url_for=str)
    join_consortium(commissioner, lambeth)
    invite_staff(commissioner, email="sw@lambeth.example.org", full_name="S W",
                 role=Role.SOCIAL_WORKER, council=lambeth, accept_url_for=str)
    assert db.session.scalars(sa.select(Invitation)).one().council.name == "Lambeth"


def test_only_commissioners_change_the_members(client):
    load_local_authorities()
    client.sign_in(UserFactory(inspector=True))
    assert client.get("/commissioner/councils").status_code == 403
