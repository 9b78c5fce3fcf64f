"""``accreditation checklists export`` and ``check-import``: published versions out to a
spreadsheet or YAML, and every problem in a file to import, by its cell."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from accreditation.checklists import ChecklistVersion, fingerprint
from accreditation.checklists.workbook import import_definition


def _export(runner, tmp_path, fmt, number=2):
    target = tmp_path / f"checklist.{fmt}"
    result = runner.invoke(args=["checklists", "export", "--kind", "property_inspection",
                                 "--version", str(number), "--format", fmt, "-o", str(target)])
    return result, target


def test_a_published_version_exports_as_a_spreadsheet_and_as_yaml(published_checklists, runner,
                                                                   tmp_path):
    record = next(r for r in published_checklists
                  if (r.kind, r.version) == ("property_inspection", 2))
    for fmt in ("xlsx", "yaml"):
        result, target = _export(runner, tmp_path, fmt)
        assert result.exit_code == 0, result.output
        assert f"Wrote property_inspection v2 to {target}." in result.output
        definition = import_definition(target)
        assert fingerprint(ChecklistVersion.from_dict(definition)) == record.fingerprint
        check = runner.invoke(args=["checklists", "check-import", str(target)])
        assert check.exit_code == 0, check.output
        assert "is a valid property_inspection checklist, version 2" in check.output


def test_a_version_never_published_is_a_clear_error(published_checklists, runner, tmp_path):
    result, target = _export(runner, tmp_path, "xlsx", number=9)
    assert result.exit_code == 1
    assert "Version 9 of the property inspection checklist has not been published." in (
        result.output)
    assert not target.exists()


def test_check_import_prints_every_problem_and_fails(published_checklists, runner, tmp_path):
    _, target = _export(runner, tmp_path, "xlsx")
    book = load_workbook(target)
    book["Items"]["G7"] = "three"
    book["Items"]["F8"] = "maybe"
    buffer = io.BytesIO()
    book.save(buffer)
    target.write_bytes(buffer.getvalue())
    result = runner.invoke(args=["checklists", "check-import", str(target)])
    assert result.exit_code == 1
    assert "Items, row 7, column G: Weight must be a whole number" in result.output
    assert ("Items, row 8, column F: Answer type must be one of: yes_no, graded, number, "
            "free_text") in result.output
    assert "2 problem(s) found." in result.output


def test_check_import_refuses_a_file_that_is_no_checklist(runner, tmp_path):
    target = tmp_path / "notes.xlsx"
    target.write_bytes(b"these are my notes")
    result = runner.invoke(args=["checklists", "check-import", str(target)])
    assert result.exit_code == 1
    assert "The file is not an Excel workbook (.xlsx)" in result.output
