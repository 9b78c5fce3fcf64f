"""Through the browser, on a fresh installation's list of local authorities: a commissioner
makes a council a member and invites its social worker; a provider declares a property in a
council area that is not a member's, out of area as placements often are."""

from __future__ import annotations

from accreditation.admin.operations import load_local_authorities

from ..factories import TEST_PASSWORD, UserFactory
from .conftest import sign_in
from .test_accredited_property_change import looks_right, person


def test_a_commissioner_keeps_the_members_and_a_provider_declares_a_property_anywhere(
        e2e_db, browser, live_server):
    load_local_authorities()  # what `accreditation db upgrade` does on a fresh installation
    commissioner = UserFactory(commissioner=True)
    provider = UserFactory(provider=True)
    e2e_db.session.commit()

    commissioner_context, page = person(browser, live_server)
    try:
        sign_in(page, commissioner.email, TEST_PASSWORD)
        page.click("a:has-text('Overview')")
        page.click("a:has-text('Change which councils are members of the consortium')")
        assert "No council is a member yet" in page.inner_text("main")
        looks_right(page)
        # Councils that run children's services: a county, not its districts.
        choices = page.locator("#council_id option").all_inner_texts()
        assert "Essex" in choices and "Chelmsford" not in choices
        page.click("button:has-text('Add to the consortium')")  # none chosen
        summary = page.locator(".govuk-error-summary")
        summary.wait_for()
        assert "Select the council that is joining the consortium" in summary.inner_text()
        looks_right(page)
        page.select_option("#council_id", label="Lambeth")
        page.click("button:has-text('Add to the consortium')")
        page.wait_for_selector("text=Lambeth is now a member of the consortium")
        members = page.locator("table").inner_text()
        assert "Lambeth" in members and "London borough" in members and "E09000022" in members
        looks_right(page)

        page.click("a:has-text('Invite staff')")
        page.wait_for_selector("h1:has-text('Staff')")
        councils = page.locator("#council_id option").all_inner_texts()
        assert councils == ["Select a council", "Lambeth"]
        page.fill("#full_name", "Grace Mensah")
        page.fill("#email", "grace.mensah@lambeth.example.org")
        page.check("input[name='role'][value='social_worker']")
        page.select_option("#council_id", label="Lambeth")
        page.click("button:has-text('Send invitation')")
        page.wait_for_selector("text=Invitation sent to grace.mensah@lambeth.example.org")
        looks_right(page)

        page.click("a:has-text('Change the member councils')")
        page.click("a:has-text('Remove')")
        page.wait_for_selector("h1:has-text('remove Lambeth from the consortium')")
        assert "1 invitation to its staff will be withdrawn" in page.inner_text("main")
        looks_right(page)
        page.click("a:has-text('No, keep Lambeth in the consortium')")
        page.wait_for_selector("h1:has-text('Member councils')")
    finally:
        commissioner_context.close()

    provider_context, page = person(browser, live_server)
    try:
        sign_in(page, provider.email, TEST_PASSWORD)
        page.goto("/provider/properties")
        page.click("a:has-text('Add a property')")
        looks_right(page)
        page.fill("#name", "Peckham House")
        page.fill("#address_line_1", "1 Rye Lane")
        page.fill("#town", "London")
        page.fill("#postcode", "se15 5dq")
        areas = page.locator("#local_authority_id option").all_inner_texts()
        assert {"Southwark", "Lambeth", "Chelmsford (Essex)", "Thanet (Kent)"} <= set(areas)
        assert "Essex" not in areas and len(areas) == 297  # 296 areas and the prompt
        page.select_option("#local_authority_id", label="Southwark")
        page.check("input[name='category'][value='single_occupancy']")
        page.fill("#bed_spaces", "2")
        page.fill("#age_min", "18")
        page.fill("#age_max", "21")
        page.fill("#who_for", "Care leavers")
        page.click("button:has-text('Save property')")
        page.wait_for_selector("text=Peckham House has been added")
        page.click("a:has-text('Peckham House')")
        page.wait_for_selector("h1:has-text('Peckham House')")
        text = page.inner_text("main")
        assert "Southwark" in text and "SE15 5DQ" in text
        looks_right(page)
    finally:
        provider_context.close()
