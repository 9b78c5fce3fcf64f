"""Checklist definitions as immutable values.

A ``ChecklistVersion`` is what a YAML definition means once it has been validated: every default
is filled in, so two versions compare equal exactly when they mean the same thing. ``to_dict`` gives
the normal form (all defaults explicit, only the fields that matter for the item's answer type and
the checklist's kind); ``from_dict`` reads it back, or reads a validated YAML document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..numbers import NumberRule

KINDS = ("due_diligence", "file_sampling", "property_inspection")
ANSWER_TYPES = ("yes_no", "graded", "number", "free_text")
CATEGORIES = (
    "single_occupancy",
    "ring_fenced_shared",
    "non_ring_fenced_shared",
    "supported_lodgings",
)
FILE_TYPES = ("staff", "young_person")

YES = "yes"
NO = "no"
NOT_APPLICABLE = "not_applicable"

MAX_GRADE = 3
DEFAULT_PASS_GRADE = 2

# The item field that narrows an item to part of what is assessed, per kind: a property is
# inspected as one accommodation category, a sampled file is a staff or a young person's file,
# and due diligence is about the whole organisation.
CONTEXT_FIELD: Mapping[str, str | None] = {
    "due_diligence": None,
    "file_sampling": "applies_to_files",
    "property_inspection": "applies_to",
}
# What a critical item that is not met fails, per kind: said beside each critical item.
CRITICAL_FAILS: Mapping[str, str] = {
    "due_diligence": "due diligence does not pass",
    "file_sampling": "this file does not pass",
    "property_inspection": "this property does not pass its inspection",
}
CONTEXT_VALUES: Mapping[str, tuple[str, ...]] = {
    "applies_to": CATEGORIES,
    "applies_to_files": FILE_TYPES,
}

Number = int | float

# What a number answer can be, by its unit (the pass range says which of them pass). Every
# number a checklist asks for is a count of time, a size or an amount of money: never below 0.
NUMBER_RULES: Mapping[str, NumberRule] = {
    unit: NumberRule(Decimal(0), Decimal(maximum), places, unit)
    for unit, maximum, places in (
        ("months", 1200, 0),  # 100 years: "enter 999" for a report that is not satisfactory
        ("years", 100, 0),
        ("days", 1000, 0),
        ("working days", 1000, 0),
        ("m²", 10_000, 2),
        ("£ million", 1000, 2),  # to the nearest £10,000
    )
}


def number_rule(unit: str) -> NumberRule:
    """The rule for number answers in ``unit``; any other unit: 0 to a million, to two
    decimal places."""
    return NUMBER_RULES.get(unit) or NumberRule(Decimal(0), Decimal(1_000_000), 2, unit)


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description}


@dataclass(frozen=True, slots=True)
class Item:
    """One question on a checklist. ``id`` is stable across versions of the same checklist."""

    id: str
    section: str
    text: str
    answer_type: str
    label: str = ""
    guidance: str = ""
    weight: int = 1
    critical: bool = False
    allow_not_applicable: bool = False
    evidence_required: bool = False
    photo_required: bool = False
    applies_to: tuple[str, ...] = CATEGORIES
    applies_to_files: tuple[str, ...] = FILE_TYPES
    pass_grade: int | None = None
    pass_min: Number | None = None
    pass_max: Number | None = None
    unit: str = ""

    @property
    def title(self) -> str:
        """Short name for reports: the label, or the question itself when there is none."""
        return self.label or self.text

    @property
    def scored(self) -> bool:
        return self.answer_type != "free_text"

    @property
    def number_rule(self) -> NumberRule:
        """What a number item's answer can be (see ``NUMBER_RULES``)."""
        return number_rule(self.unit)

    @property
    def max_points(self) -> int:
        return self.weight * MAX_GRADE if self.scored else 0

    def applies(self, field: str | None, value: str | None) -> bool:
        """Whether the item is asked for this category or file type (``field``: CONTEXT_FIELD)."""
        if field is None or value is None:
            return True
        return value in getattr(self, field)

    def to_dict(self, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "section": self.section,
            "label": self.label,
            "text": self.text,
            "guidance": self.guidance,
            "answer_type": self.answer_type,
            "weight": self.weight,
            "critical": self.critical,
            "allow_not_applicable": self.allow_not_applicable,
            "evidence_required": self.evidence_required,
            "photo_required": self.photo_required,
        }
        field = CONTEXT_FIELD[kind]
        if field is not None:
            out[field] = list(getattr(self, field))
        if self.answer_type == "graded":
            out["pass_grade"] = self.pass_grade
        if self.answer_type == "number":
            pass_range: dict[str, Number] = {}
            if self.pass_min is not None:
                pass_range["min"] = self.pass_min
            if self.pass_max is not None:
                pass_range["max"] = self.pass_max
            out["pass_range"] = pass_range
            out["unit"] = self.unit
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        answer_type = data["answer_type"]
        pass_range = data.get("pass_range") or {}
        return cls(
            id=data["id"],
            section=data["section"],
            text=data["text"],
            answer_type=answer_type,
            label=data.get("label", ""),
            guidance=data.get("guidance", ""),
            # Free text is never scored, so it weighs nothing unless the file says otherwise
            # (which validation rejects).
            weight=data.get("weight", 0 if answer_type == "free_text" else 1),
            critical=data.get("critical", False),
            allow_not_applicable=data.get("allow_not_applicable", False),
            evidence_required=data.get("evidence_required", False),
            photo_required=data.get("photo_required", False),
            applies_to=tuple(data.get("applies_to", CATEGORIES)),
            applies_to_files=tuple(data.get("applies_to_files", FILE_TYPES)),
            pass_grade=(
                data.get("pass_grade", DEFAULT_PASS_GRADE) if answer_type == "graded" else None
            ),
            pass_min=pass_range.get("min"),
            pass_max=pass_range.get("max"),
            unit=data.get("unit", ""),
        )


@dataclass(frozen=True, slots=True)
class ThresholdStep:
    """What is required from ``effective_from`` until the next step.

    A step is complete on its own: it states every section minimum and every critical item in
    force, and inherits nothing from earlier steps, so an assessment can pin it and be re-scored
    against it alone.
    """

    effective_from: date
    pass_mark: int
    section_minimums: tuple[tuple[str, int], ...] = ()
    critical_items: tuple[str, ...] = ()
    grace_days: int = 0
    relaxation: bool = False
    reason: str = ""

    def minimum_for(self, section_id: str) -> int:
        """The section's minimum percentage (0 when the step sets none)."""
        for sid, minimum in self.section_minimums:
            if sid == section_id:
                return minimum
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "effective_from": self.effective_from.isoformat(),
            "pass_mark": self.pass_mark,
            "section_minimums": dict(self.section_minimums),
            "critical_items": list(self.critical_items),
            "grace_days": self.grace_days,
            "relaxation": self.relaxation,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThresholdStep:
        when = data["effective_from"]
        return cls(
            effective_from=when if isinstance(when, date) else date.fromisoformat(when),
            pass_mark=data["pass_mark"],
            section_minimums=tuple((data.get("section_minimums") or {}).items()),
            critical_items=tuple(data.get("critical_items") or ()),
            grace_days=data.get("grace_days", 0),
            relaxation=data.get("relaxation", False),
            reason=data.get("reason", ""),
        )


@dataclass(frozen=True, slots=True)
class SampleRule:
    """How many files to sample from a roster: see ``sampling.sample_size``."""

    minimum: int = 5
    square_root_of_roster: bool = True
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "minimum": self.minimum,
            "square_root_of_roster": self.square_root_of_roster,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleRule:
        return cls(
            minimum=data.get("minimum", 5),
            square_root_of_roster=data.get("square_root_of_roster", True),
            description=data.get("description", ""),
        )


@dataclass(frozen=True, slots=True)
class ChecklistVersion:
    kind: str
    version: int
    title: str
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    schedule: tuple[ThresholdStep, ...]
    description: str = ""
    sample_size: SampleRule | None = None

    @property
    def context_field(self) -> str | None:
        return CONTEXT_FIELD[self.kind]

    @property
    def critical_note(self) -> str:
        """Said beside a critical item: what not meeting it fails."""
        return f"If this is not met, {CRITICAL_FAILS[self.kind]}."

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "sections": [s.to_dict() for s in self.sections],
            "items": [i.to_dict(self.kind) for i in self.items],
            "schedule": [s.to_dict() for s in self.schedule],
        }
        if self.sample_size is not None:
            out["sample_size"] = self.sample_size.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChecklistVersion:
        """Build from a validated definition (YAML document or ``to_dict`` output)."""
        sample = data.get("sample_size")
        return cls(
            kind=data["kind"],
            version=data["version"],
            title=data["title"],
            description=data.get("description", ""),
            sections=tuple(
                Section(s["id"], s["title"], s.get("description", "")) for s in data["sections"]
            ),
            items=tuple(Item.from_dict(i) for i in data["items"]),
            schedule=tuple(ThresholdStep.from_dict(s) for s in data["schedule"]),
            sample_size=SampleRule.from_dict(sample) if sample is not None else None,
        )
