"""The checklist engine's pure part: definitions, validation, schedules, scoring, sampling.

Nothing here touches Flask or the database, so it can be used from operations, CLI commands,
tests and benchmarks alike.
"""

from __future__ import annotations

from .fingerprint import canonical_json, edited_after_publication, fingerprint
from .loader import (
    DEFINITIONS_DIR,
    latest_version,
    load_definition,
    load_definitions,
    read_definition,
    shipped_versions,
    validate_path,
)
from .model import (
    ANSWER_TYPES,
    CATEGORIES,
    FILE_TYPES,
    KINDS,
    NO,
    NOT_APPLICABLE,
    YES,
    ChecklistVersion,
    Item,
    SampleRule,
    Section,
    ThresholdStep,
)
from .problems import DefinitionError, Problem
from .results import ItemResult, ScoreResult, SectionResult, percent
from .sampling import sample_size
from .schedule import grace_ends_on, loosenings, next_step, step_in_force
from .scoring import (
    CompiledChecklist,
    Judgement,
    Outcome,
    StepScorer,
    Summary,
    answer_problem,
    compile_checklist,
    explain,
    judge,
    passes,
    score,
    summarise,
)

__all__ = [
    "ANSWER_TYPES",
    "CATEGORIES",
    "DEFINITIONS_DIR",
    "FILE_TYPES",
    "KINDS",
    "NO",
    "NOT_APPLICABLE",
    "YES",
    "ChecklistVersion",
    "CompiledChecklist",
    "DefinitionError",
    "Item",
    "ItemResult",
    "Judgement",
    "Outcome",
    "Problem",
    "SampleRule",
    "ScoreResult",
    "Section",
    "StepScorer",
    "SectionResult",
    "Summary",
    "ThresholdStep",
    "answer_problem",
    "canonical_json",
    "compile_checklist",
    "edited_after_publication",
    "explain",
    "fingerprint",
    "grace_ends_on",
    "judge",
    "latest_version",
    "load_definition",
    "load_definitions",
    "loosenings",
    "next_step",
    "passes",
    "percent",
    "read_definition",
    "sample_size",
    "score",
    "shipped_versions",
    "step_in_force",
    "summarise",
    "validate_path",
]
