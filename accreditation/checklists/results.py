"""Scoring results as plain values that serialise to JSON and back without loss."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import ThresholdStep


def percent(earned: int, possible: int) -> str | None:
    """``earned / possible`` as a percentage rounded *down* to one decimal place, as text.

    Rounding down means a mark shown as 70.0% really is at least 70%; None when nothing was scored.
    """
    if possible == 0:
        return None
    tenths = earned * 1000 // possible
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    section: str
    title: str
    answer: Any
    outcome: str
    earned: int
    possible: int
    critical: bool
    critical_from: str | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "answer": self.answer,
            "outcome": self.outcome,
            "earned": self.earned,
            "possible": self.possible,
            "critical": self.critical,
            "critical_from": self.critical_from,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class SectionResult:
    id: str
    title: str
    earned: int
    possible: int
    percent: str | None
    minimum: int
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "earned": self.earned,
            "possible": self.possible,
            "percent": self.percent,
            "minimum": self.minimum,
            "passed": self.passed,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A scored assessment. ``to_dict`` is plain JSON data; ``from_dict(to_dict())`` is equal.

    Re-scoring the same answers against the same version and step gives an equal result, so a
    stored ``to_dict()`` can be compared with a fresh one to prove a score.
    """

    kind: str
    version: int
    fingerprint: str
    step: ThresholdStep
    category: str | None
    file_type: str | None
    passed: bool
    earned: int
    possible: int
    percent: str | None
    pass_mark: int
    sections: tuple[SectionResult, ...]
    items: tuple[ItemResult, ...]
    failed_items: tuple[str, ...]
    failed_critical_items: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "step": self.step.to_dict(),
            "category": self.category,
            "file_type": self.file_type,
            "passed": self.passed,
            "earned": self.earned,
            "possible": self.possible,
            "percent": self.percent,
            "pass_mark": self.pass_mark,
            "sections": [s.to_dict() for s in self.sections],
            "items": [i.to_dict() for i in self.items],
            "failed_items": list(self.failed_items),
            "failed_critical_items": list(self.failed_critical_items),
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        return cls(
            kind=data["kind"],
            version=data["version"],
            fingerprint=data["fingerprint"],
            step=ThresholdStep.from_dict(data["step"]),
            category=data["category"],
            file_type=data["file_type"],
            passed=data["passed"],
            earned=data["earned"],
            possible=data["possible"],
            percent=data["percent"],
            pass_mark=data["pass_mark"],
            sections=tuple(SectionResult(**s) for s in data["sections"]),
            items=tuple(ItemResult(**i) for i in data["items"]),
            failed_items=tuple(data["failed_items"]),
            failed_critical_items=tuple(data["failed_critical_items"]),
            reasons=tuple(data["reasons"]),
        )
