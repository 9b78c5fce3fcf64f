"""Commissioners import a spreadsheet or YAML file as a new draft, in the browser's way (a file
posted from a form) and from the command line; a bad file is refused naming every problem by
its cell or line, and nothing is saved. A draft downloads as the file it is."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from accreditation.audit import AuditEvent
from accreditation.checklists import ChecklistVersion, fingerprint
from accreditation.checklists.workbook import from_xlsx, from_yaml, to_xlsx, to_yaml
from accreditation.extensions import db
from accreditation.standards.models import ChecklistDraft, PublishedChecklist

from ..factories import UserFactory, publish_first_checklists

IMPORT = "/commissioner/checklists/import"


@pytest.fixture
def version_1(app):
    publish_first_checklists()
    return db.session.scalars(sa.select(PublishedChecklist).filter_by(
        kind="property_inspection", version=1)).one()


@pytest.fixture
def commissioner(client):
    person = UserFactory(commissioner=True)
    client.sign_in(person)
    return person


def upload(client, data: bytes, name: str):
    return client.submit(IMPORT, {"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")


def drafts() -> list[ChecklistDraft]:
    return list(db.session.scalars(sa.select(ChecklistDraft)))


def spoiled_workbook(definition: dict) -> bytes:
    """The version's workbook with a text weight, a duplicated item id and an unknown category,
    as someone might leave it after editing it in a spreadsheet program."""
    book = load_workbook(io.BytesIO(to_xlsx(definition)))
    items = book["Items"]
    header = [cell.value for cell in items[1]]
    weight, item_id = header.index("Weight") + 1, header.index("Item id") + 1
    categories = header.index("Applies to") + 1
    items.cell(row=2, column=weight, value="heavy")
    items.cell(row=3, column=item_id, value=items.cell(row=4, column=item_id).value)
    items.cell(row=5, column=categories, value="castles")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name, make", [("standard.xlsx", to_xlsx),
                                        ("standard.yaml", lambda d: to_yaml(d).encode())])
def test_a_file_becomes_a_new_draft(client, version_1, commissioner, name, make):
    assert f'href="{IMPORT}"' in client.get("/commissioner/checklists").text
    page = client.get(IMPORT)
    assert page.status_code == 200 and 'type="file"' in page.text
    response = upload(client, make(version_1.definition), name)
    assert response.status_code == 302, response.text
    (draft,) = drafts()
    assert response.location == f"/commissioner/checklists/drafts/{draft.id}"
    assert draft.version == 2 and draft.kind == "property_inspection"
    assert draft.created_by_id == commissioner.id
    assert fingerprint(ChecklistVersion.from_dict({**draft.definition, "version": 1})) == \
        version_1.fingerprint
    assert "checklist_draft.created" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_a_spoiled_workbook_is_refused_naming_each_cell_and_nothing_is_saved(
        client, version_1, commissioner):
    response = upload(client, spoiled_workbook(version_1.definition), "standard.xlsx")
    assert response.status_code == 400
    page = response.text
    assert "There is a problem" in page
    assert "Items, row 2, column" in page and "must be a" in page  # the text weight
    assert "row 3" in page or "row 4" in page  # the duplicated id
    assert "castles" in page  # the unknown category, named
    assert 'href="#file"' in page
    assert drafts() == []


def test_a_file_that_is_not_a_checklist_is_refused(client, version_1, commissioner):
    response = upload(client, b"\x00\x01 not a spreadsheet", "notes.xlsx")
    assert response.status_code == 400
    assert "There is a problem" in response.text and drafts() == []
    response = client.submit(IMPORT, {})
    assert response.status_code == 400
    assert "Choose a spreadsheet or YAML file to import" in response.text


@pytest.mark.parametrize("suffix, read", [("xlsx", lambda r: from_xlsx(r.data)),
                                          ("yaml", lambda r: from_yaml(r.text))])
def test_a_draft_downloads_as_the_file_it_is(client, version_1, commissioner, suffix, read):
    upload(client, to_xlsx(version_1.definition), "standard.xlsx")
    (draft,) = drafts()
    address = f"/commissioner/checklists/drafts/{draft.id}.{suffix}"
    assert f'href="{address}"' in client.get(f"/commissioner/checklists/drafts/{draft.id}").text
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="property_inspection-v2-draft.{suffix}"')
    assert read(response) == draft.definition


def test_the_command_imports_a_file_as_a_draft_for_a_commissioner(app, version_1, tmp_path):
    commissioner = UserFactory(commissioner=True, email="lead@consortium.example.org")
    path = tmp_path / "standard.xlsx"
    path.write_bytes(to_xlsx(version_1.definition))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["checklists", "import", str(path), "--by", commissioner.email])
    assert result.exit_code == 0, result.output
    (draft,) = drafts()
    assert str(draft.id) in result.output and draft.created_by_id == commissioner.id

    spoiled = tmp_path / "spoiled.xlsx"
    spoiled.write_bytes(spoiled_workbook(version_1.definition))
    result = runner.invoke(args=["checklists", "import", str(spoiled), "--by",
                                 commissioner.email])
    assert result.exit_code == 1 and "Items, row 2, column" in result.output
    provider = UserFactory(provider=True)
    result = runner.invoke(args=["checklists", "import", str(path), "--by", provider.email])
    assert result.exit_code != 0 and "commissioner" in result.output
    assert len(drafts()) == 1
