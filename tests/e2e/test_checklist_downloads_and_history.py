"""Through the browser, as a commissioner: from Checklists, download a published version as a
spreadsheet that opens as the checklist it is, change it as a spreadsheet program does and
import it as a new draft (a spoiled copy first, refused naming its cell), and read the history
of the standard (axe at both widths on every page)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from ..factories import TEST_PASSWORD, UserFactory, publish_first_checklists
from .conftest import sign_in
from .seams import page_problems
from .test_accessibility import at_both_widths


def test_a_commissioner_downloads_a_version_and_reads_the_history(e2e_db, browser,
                                                                  live_server, tmp_path):
    publish_first_checklists()
    commissioner = UserFactory(commissioner=True, full_name="Grace Hopper")
    e2e_db.session.commit()
    context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                  accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, commissioner.email, TEST_PASSWORD)
        page.goto("/commissioner/checklists")
        assert at_both_widths(page) == []
        with page.expect_download() as download_info:
            page.get_by_role("link", name="spreadsheet (.xlsx)").first.click()
        download = download_info.value
        assert download.suggested_filename.endswith("-v1.xlsx")
        book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
        assert book.sheetnames == ["Read me", "Checklist", "Sections", "Items", "Schedule"]

        # Changed in a spreadsheet program: first with a word where a weight goes.
        items = book["Items"]
        weight = [cell.value for cell in items[1]].index("Weight") + 1
        kept = items.cell(row=2, column=weight).value
        items.cell(row=2, column=weight, value="heavy")
        spoiled, edited = tmp_path / "spoiled.xlsx", tmp_path / "edited.xlsx"
        book.save(spoiled)
        items.cell(row=2, column=weight, value=kept + 1)
        book.save(edited)

        page.get_by_role("link", name="import it as a new draft").click()
        page.get_by_role("heading", name="Import a checklist as a new draft").wait_for()
        assert page_problems(page) == [] and at_both_widths(page) == []
        page.get_by_label("Spreadsheet or YAML file").set_input_files(str(spoiled))
        page.get_by_role("button", name="Import as a new draft").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Items, row 2, column")
        assert at_both_widths(page) == []
        page.get_by_label("Spreadsheet or YAML file").set_input_files(str(edited))
        page.get_by_role("button", name="Import as a new draft").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Imported edited.xlsx")
        assert "version 2" in page.inner_text("main").lower()
        assert page_problems(page) == [] and at_both_widths(page) == []

        page.goto("/commissioner/checklists")
        page.get_by_role("link", name="History of the standard").click()
        page.get_by_role("heading", name="History of the standard").wait_for()
        assert page_problems(page) == []
        text = page.inner_text("main")
        assert "Property inspection – version 1" in text
        assert "by an administrator, from the command line" in text
        assert "Met it on the day" in text
        assert at_both_widths(page) == []
    finally:
        context.close()
