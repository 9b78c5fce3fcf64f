"""The definitions we ship are valid, complete enough to inspect with, and versioned properly."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from accreditation.checklists import (
    DEFINITIONS_DIR,
    KINDS,
    ChecklistVersion,
    SampleRule,
    fingerprint,
    latest_version,
    load_definition,
    shipped_versions,
    validate_path,
)
from accreditation.checklists.source import parse_yaml
from accreditation.checklists.validation import check_definition

TODAY = date(2026, 11, 22)
FILES = sorted(DEFINITIONS_DIR.rglob("*.yaml"))


def test_shipped_definitions_validate_clean() -> None:
    assert [str(p) for p in validate_path(DEFINITIONS_DIR)] == []


def test_shipped_definitions_match_their_own_fingerprints() -> None:
    published = {key: fingerprint(v) for key, v in shipped_versions().items()}
    assert validate_path(DEFINITIONS_DIR, published=published) == []


def test_every_kind_is_shipped() -> None:
    assert {kind for kind, _ in shipped_versions()} == set(KINDS)
    assert latest_version("property_inspection").version == 2


def test_property_inspection_follows_the_four_quality_standards() -> None:
    for version in (v for (k, _), v in shipped_versions().items() if k == "property_inspection"):
        assert [s.id for s in version.sections] == [
            "leadership_and_management",
            "protection",
            "accommodation",
            "support",
        ]
        assert len(version.items) >= 40
        assert set(Counter(i.answer_type for i in version.items)) == {
            "yes_no",
            "graded",
            "number",
            "free_text",
        }
        always_critical = {i.id for i in version.items if i.critical}
        assert {
            "gas_safety_certificate",
            "smoke_heat_alarms",
            "fire_risk_assessment",
            "safeguarding_lead",
        } <= always_critical
        assert version.item("hmo_licence").applies_to == (
            "ring_fenced_shared",
            "non_ring_fenced_shared",
        )


def test_file_sampling_serves_both_file_types_and_states_its_sample_rule() -> None:
    version = latest_version("file_sampling")
    assert version.sample_size == SampleRule(
        minimum=5, square_root_of_roster=True, description=version.sample_size.description
    )
    for_staff = {i.id for i in version.items if i.applies_to_files == ("staff",)}
    for_young_people = {i.id for i in version.items if i.applies_to_files == ("young_person",)}
    assert {"two_references_verified", "enhanced_dbs_barred_list", "dbs_age_months"} <= for_staff
    assert {"placement_plan", "risk_assessment_current"} <= for_young_people
    dbs_age = version.item("dbs_age_months")
    assert (dbs_age.answer_type, dbs_age.pass_max, dbs_age.unit) == ("number", 36, "months")


def test_due_diligence_checks_ofsted_registration() -> None:
    item = latest_version("due_diligence").item("ofsted_registration")
    assert item.critical and item.allow_not_applicable


@pytest.mark.parametrize("version", shipped_versions().values(), ids=str)
def test_schedules_rise_over_the_coming_months(version: ChecklistVersion) -> None:
    assert any(step.effective_from > TODAY for step in version.schedule)
    marks = [step.pass_mark for step in version.schedule]
    assert marks == sorted(marks)


def test_items_kept_across_versions_keep_their_ids() -> None:
    v1 = shipped_versions()[("property_inspection", 1)]
    v2 = shipped_versions()[("property_inspection", 2)]
    v1_by_label = {i.label: i.id for i in v1.items}
    v2_by_label = {i.label: i.id for i in v2.items}
    assert set(v1_by_label) <= set(v2_by_label)
    assert all(v2_by_label[label] == item_id for label, item_id in v1_by_label.items())


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_normal_form_round_trips_and_is_itself_valid(path: Path) -> None:
    version = load_definition(path)
    data = version.to_dict()
    assert ChecklistVersion.from_dict(data) == version
    display = f"{version.kind}/v{version.version}.yaml"
    assert check_definition(data, {}, display) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fingerprint_ignores_comments_and_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data, _, problems = parse_yaml("# a new comment\n" + text + "\n\n# trailing\n", str(path))
    assert problems == []
    assert fingerprint(ChecklistVersion.from_dict(data)) == fingerprint(load_definition(path))


def test_fingerprints_differ_between_versions() -> None:
    prints = [fingerprint(v) for v in shipped_versions().values()]
    assert len(set(prints)) == len(prints)
    assert all(len(p) == 64 for p in prints)
