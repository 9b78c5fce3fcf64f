"""The accessibility statement says what the Public Sector Bodies (Websites and Mobile
Applications) (No. 2) Accessibility Regulations 2018 require, as GOV.UK's sample statement does."""

import re

import pytest

from accreditation import create_app

from .conftest import config_for


def visible_text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.mark.parametrize("words", [
    "Compliance status",
    "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard",
    "Non-accessible content",
    "Content that's not within the scope of the accessibility regulations",
    "How we tested this service",
    "Preparation of this accessibility statement",
    "This statement was prepared on",
    "Enforcement procedure",
    "Equality and Human Rights Commission",
    "Equality Advisory and Support Service",
    "What to do if you cannot access parts of this service",
    "Reporting accessibility problems with this service",
])
def test_the_statement_says_what_the_regulations_require(client, words):
    page = visible_text(client.get("/accessibility").text)
    assert words in page


def test_the_statement_names_a_contact_that_can_be_set(tmp_path):
    default = create_app(config_for(f"sqlite:///{tmp_path / 'a.sqlite'}"))
    page = default.test_client().get("/accessibility").text
    contact = default.config["ACCESSIBILITY_CONTACT_EMAIL"]
    assert contact and "@" in contact
    assert f'href="mailto:{contact}"' in page

    app = create_app(config_for(f"sqlite:///{tmp_path / 'b.sqlite'}",
                                ACCESSIBILITY_CONTACT_EMAIL="access@council.example.gov.uk"))
    text = visible_text(app.test_client().get("/accessibility").text)
    assert "access@council.example.gov.uk" in text
