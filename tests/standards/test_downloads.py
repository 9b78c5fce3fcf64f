"""Commissioners download a published checklist version as a spreadsheet or as YAML."""

import pytest

from accreditation.checklists import ChecklistVersion, fingerprint
from accreditation.checklists.workbook import from_xlsx, from_yaml
from accreditation.extensions import db
from accreditation.standards.models import PublishedChecklist

from ..factories import UserFactory, publish_first_checklists


@pytest.fixture
def version_1(app):
    publish_first_checklists()


@pytest.mark.parametrize("suffix, content_type, read", [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     lambda response: from_xlsx(response.data)),
    ("yaml", "application/yaml; charset=utf-8", lambda response: from_yaml(response.text)),
])
def test_a_published_version_downloads_as_the_file_it_is(client, version_1, suffix,
                                                         content_type, read):
    client.sign_in(UserFactory(commissioner=True))
    page = client.get("/commissioner/checklists").text
    address = f"/commissioner/checklists/property_inspection/1.{suffix}"
    assert f'href="{address}"' in page
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="property_inspection-v1.{suffix}"')
    record = db.session.query(PublishedChecklist).filter_by(
        kind="property_inspection", version=1).one()
    assert fingerprint(ChecklistVersion.from_dict(read(response))) == record.fingerprint


@pytest.mark.parametrize("address", [
    "/commissioner/checklists/property_inspection/2.xlsx",  # a draft, never published
    "/commissioner/checklists/castles/1.yaml",
])
def test_what_was_never_published_is_not_found(client, version_1, address):
    client.sign_in(UserFactory(commissioner=True))
    response = client.get(address)
    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers
