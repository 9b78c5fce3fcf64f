"""Through the browser: a provider's administrator invites a colleague, who accepts and updates
a vacancy; the administrator removes them, and their open session ends at its next request."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from accreditation.notifications.outbox import OutboxMessage

from ..factories import TEST_PASSWORD, PropertyFactory, UserFactory
from .conftest import screenshot, sign_in

PASSWORD = "a long passphrase for the colleague"


def test_an_administrator_invites_a_colleague_and_later_removes_them(e2e_db, new_page):
    administrator = UserFactory(provider=True, email="ada@harbour.example.org",
                                full_name="Ada Admin")
    home = PropertyFactory(organisation=administrator.organisation, name="Albion House",
                           bed_spaces=3)
    e2e_db.session.commit()

    admin = new_page()
    sign_in(admin, "ada@harbour.example.org", TEST_PASSWORD)
    admin.get_by_role("link", name="Your team").click()
    expect(admin.get_by_role("heading", name="Your team")).to_be_visible()
    admin.get_by_role("link", name="Invite a colleague").click()
    admin.get_by_label("Full name").fill("Cal League")
    admin.get_by_label("Work email address").fill("cal@harbour.example.org")
    admin.get_by_label(re.compile("Member: works on")).check()
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("Invitation sent to cal@harbour.example.org")).to_be_visible()
    screenshot(admin, "team-invitation-sent")

    # The link in the e-mail the colleague was sent.
    body = e2e_db.session.scalars(sa.select(OutboxMessage.body).where(
        OutboxMessage.recipient == "cal@harbour.example.org")).one()
    e2e_db.session.rollback()  # the read ends here: the server goes on writing
    link = re.search(r"https?://[^/]+(/invitations/\S+)", body).group(1)

    colleague = new_page()  # another browser: the colleague's own
    colleague.goto(link)
    expect(colleague.get_by_text("as a member")).to_be_visible()
    colleague.get_by_label("Create a password").fill(PASSWORD)
    colleague.get_by_label("Confirm password").fill(PASSWORD)
    colleague.get_by_role("button", name="Activate account").click()
    expect(colleague.get_by_text("Signed in as Cal League")).to_be_visible()
    colleague.goto(f"/provider/properties/{home.id}")
    colleague.get_by_label("How many vacancies does Albion House have now?").fill("2")
    colleague.get_by_role("button", name="Save vacancies").click()
    expect(colleague.get_by_text("Vacancies at Albion House: 2.")).to_be_visible()

    admin.get_by_role("link", name="Your team").click()
    row = admin.get_by_role("row").filter(has_text="Cal League")
    expect(row).to_contain_text("Member")
    row.get_by_role("button", name=re.compile("Remove access")).click()
    expect(admin.get_by_text("Cal League no longer has access")).to_be_visible()
    screenshot(admin, "team-colleague-removed")

    # The colleague's open page: its next request finds the session ended.
    colleague.get_by_role("link", name="Your organisation").click()
    expect(colleague.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "/sign-in" in colleague.url
