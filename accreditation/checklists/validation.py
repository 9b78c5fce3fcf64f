"""Checks on a parsed definition: the JSON Schema first, then the rules that span fields.

Every problem names the file, the line where possible, the item where relevant, and says what to
change. Cross-field checks only run when the schema passes, because they rely on its shape.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import jsonschema
from jsonschema import Draft202012Validator

from .model import ANSWER_TYPES, CONTEXT_FIELD, CONTEXT_VALUES, ThresholdStep
from .problems import Problem
from .schedule import loosenings
from .source import DocPath, line_for

SCHEMA_PATH = Path(__file__).with_name("schema.json")
FILE_NAME = re.compile(r"^v([0-9]+)\.yaml$")

_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of named fields",
    "null": "empty",
}


class _Report(Protocol):
    """Makes a Problem for this file from a path in the document (which gives the line)."""

    def __call__(
        self, where: DocPath, code: str, message: str, item_id: str | None = None
    ) -> Problem: ...


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # JSON Schema counts 3.0 as an integer; weights and marks must be real ints so that scoring
    # stays exact integer arithmetic.
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: type(value) is int
    )
    strict = jsonschema.validators.extend(Draft202012Validator, type_checker=checker)
    return strict(schema)


def check_definition(data: Any, lines: dict[DocPath, int], path: str) -> list[Problem]:
    """All problems with one parsed definition document (empty when it is valid)."""
    problems = _schema_problems(data, lines, path)
    if problems:
        return problems
    return list(_rule_problems(data, lines, path))


# --- schema -------------------------------------------------------------------------------------


def _schema_problems(data: Any, lines: dict[DocPath, int], path: str) -> list[Problem]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    problems = []
    for error in errors:
        where = tuple(error.absolute_path)
        problems.append(
            Problem(
                path,
                line_for(lines, where),
                f"schema_{error.validator}",
                _describe(error, data),
                _item_id_at(data, where),
                where,
            )
        )
    return problems


def _item_id_at(data: Any, where: DocPath) -> str | None:
    if len(where) >= 2 and where[0] == "items" and isinstance(where[1], int):
        item = data["items"][where[1]]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return item["id"]
    return None


def _owner(data: Any, where: DocPath) -> tuple[str, DocPath]:
    """Words for the entry a path points into, and the rest of the path (the field)."""
    if len(where) >= 2 and isinstance(where[1], int) and where[0] in ("items", "sections"):
        entry = data[where[0]][where[1]]
        noun = "item" if where[0] == "items" else "section"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            return f"{noun} '{entry['id']}'", where[2:]
        return f"{noun} number {where[1] + 1}", where[2:]
    if len(where) >= 2 and where[0] == "schedule" and isinstance(where[1], int):
        step = data["schedule"][where[1]]
        when = step.get("effective_from") if isinstance(step, dict) else None
        suffix = f" (from {when})" if isinstance(when, str) else ""
        return f"threshold step {where[1] + 1}{suffix}", where[2:]
    return "", where


def _describe(error: jsonschema.ValidationError, data: Any) -> str:
    owner, rest = _owner(data, tuple(error.absolute_path))
    field = ".".join(str(p) for p in rest)
    subject = f"{owner}: {field}" if owner and field else owner or field or "the definition"
    value, expected = error.instance, error.validator_value
    match error.validator:
        case "required":
            missing = [name for name in expected if name not in value]
            names = ", ".join(f"'{name}'" for name in missing)
            return f"{subject} is missing {names}, which must be given"
        case "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(str(k) for k in value if k not in allowed)
            names = ", ".join(f"'{name}'" for name in extra)
            return (
                f"{subject} has {names}, which is not part of the format "
                f"(check the spelling; allowed: {', '.join(allowed)})"
            )
        case "enum":
            if error.absolute_path and error.absolute_path[-1] == "answer_type":
                return (
                    f"{subject} is '{value}', which is not an answer type "
                    f"(use one of: {', '.join(ANSWER_TYPES)})"
                )
            return f"{subject} is {value!r}, which is not one of: {', '.join(map(str, expected))}"
        case "type":
            kinds = [expected] if isinstance(expected, str) else expected
            words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
            return f"{subject} must be {words} (found {value!r})"
        case "minimum":
            return f"{subject} must be {expected} or more (found {value})"
        case "maximum":
            return f"{subject} must be {expected} or less (found {value})"
        case "pattern":
            meaning = error.schema.get("description", f"the pattern {expected}")
            return f"{subject} is {value!r}; it must be {meaning}"
        case "minItems":
            return f"{subject} must list at least {expected} entr{'y' if expected == 1 else 'ies'}"
        case "uniqueItems":
            return f"{subject} lists the same entry more than once"
        case "minLength":
            return f"{subject} must not be empty"
        case "minProperties":
            return f"{subject} must set at least one of its fields"
        case _:
            return f"{subject}: {error.message}"


# --- rules across fields ------------------------------------------------------------------------


def _rule_problems(data: dict[str, Any], lines: dict[DocPath, int], path: str) -> Iterator[Problem]:
    def problem(where: DocPath, code: str, message: str, item_id: str | None = None) -> Problem:
        return Problem(path, line_for(lines, where), code, message, item_id, tuple(where))

    kind, version = data["kind"], data["version"]
    yield from _file_name_problems(kind, version, path, problem)

    section_ids: list[str] = []
    for index, section in enumerate(data["sections"]):
        if section["id"] in section_ids:
            yield problem(
                ("sections", index, "id"),
                "duplicate_section_id",
                f"section id '{section['id']}' is used twice; section ids must be unique",
            )
        else:
            section_ids.append(section["id"])

    item_ids: dict[str, dict[str, Any]] = {}
    used_sections: set[str] = set()
    for index, item in enumerate(data["items"]):
        item_id = item["id"]
        if item_id in item_ids:
            yield problem(
                ("items", index, "id"),
                "duplicate_item_id",
                f"item id '{item_id}' is used twice; item ids must be unique within a checklist",
                item_id,
            )
        else:
            item_ids[item_id] = item
        used_sections.add(item["section"])
        if item["section"] not in section_ids:
            yield problem(
                ("items", index, "section"),
                "unknown_section",
                f"item '{item_id}' is in section '{item['section']}', which is not listed under "
                f"sections (known: {', '.join(section_ids)})",
                item_id,
            )
        yield from _item_problems(kind, item, ("items", index), problem)

    for index, section in enumerate(data["sections"]):
        if section["id"] not in used_sections:
            yield problem(
                ("sections", index),
                "empty_section",
                f"section '{section['id']}' has no items; add items or remove the section",
            )

    yield from _context_coverage_problems(kind, data["items"], problem)
    yield from _sample_size_problems(kind, data, problem)
    yield from _schedule_problems(data["schedule"], section_ids, item_ids, problem)


def _file_name_problems(kind: str, version: int, path: str, problem: _Report) -> Iterator[Problem]:
    file = Path(path)
    match = FILE_NAME.match(file.name)
    if match is None or int(match.group(1)) != version:
        yield problem(
            ("version",),
            "file_name_mismatch",
            f"the file says version {version} but is named '{file.name}'; "
            f"name it 'v{version}.yaml' (one file per version)",
        )
    if file.parent.name != kind:
        yield problem(
            ("kind",),
            "kind_folder_mismatch",
            f"the file says kind '{kind}' but is in the folder '{file.parent.name}'; "
            f"definitions live in a folder named after their kind ('{kind}/')",
        )


def _item_problems(
    kind: str, item: dict[str, Any], where: DocPath, problem: _Report
) -> Iterator[Problem]:
    item_id, answer_type = item["id"], item["answer_type"]
    if answer_type == "free_text":
        if item.get("weight", 0) > 0:
            yield problem(
                (*where, "weight"),
                "free_text_weight",
                f"item '{item_id}' is free text, which is never scored, but has weight "
                f"{item['weight']}; set its weight to 0 or change its answer type",
                item_id,
            )
        if item.get("critical"):
            yield problem(
                (*where, "critical"),
                "free_text_critical",
                f"item '{item_id}' is free text, which can never fail, so it cannot be critical",
                item_id,
            )
    if "pass_grade" in item and answer_type != "graded":
        yield problem(
            (*where, "pass_grade"),
            "pass_grade_not_graded",
            f"item '{item_id}' has a pass_grade but its answer type is '{answer_type}'; "
            "only graded items have a pass grade",
            item_id,
        )
    if answer_type == "number":
        if "pass_range" not in item:
            yield problem(
                where,
                "number_without_range",
                f"item '{item_id}' is a number but has no pass_range; give a min, a max or both",
                item_id,
            )
        elif not all(math.isfinite(bound) for bound in item["pass_range"].values()):
            yield problem(
                (*where, "pass_range"),
                "pass_range_not_finite",
                f"item '{item_id}' has a pass_range bound that is not a finite number; "
                "leave out a bound rather than writing .inf or .nan",
                item_id,
            )
        elif {"min", "max"} <= item["pass_range"].keys() and (
            item["pass_range"]["min"] > item["pass_range"]["max"]
        ):
            yield problem(
                (*where, "pass_range"),
                "empty_pass_range",
                f"item '{item_id}' has a pass_range whose min is above its max, "
                "so no answer could pass",
                item_id,
            )
        if "unit" not in item:
            yield problem(
                where,
                "number_without_unit",
                f"item '{item_id}' is a number but has no unit (for example 'months' or 'm²')",
                item_id,
            )
    else:
        for field in ("pass_range", "unit"):
            if field in item:
                yield problem(
                    (*where, field),
                    "range_not_number",
                    f"item '{item_id}' has a {field} but its answer type is '{answer_type}'; "
                    "only number items have one",
                    item_id,
                )
    used = CONTEXT_FIELD[kind]
    for field in CONTEXT_VALUES:
        if field in item and field != used:
            hint = f"use '{used}' instead" if used else "remove it"
            yield problem(
                (*where, field),
                "context_not_used",
                f"item '{item_id}' has '{field}', which {kind} checklists do not use; {hint}",
                item_id,
            )


def _context_coverage_problems(
    kind: str, items: list[dict[str, Any]], problem: _Report
) -> Iterator[Problem]:
    # Scoring refuses to pass an assessment where nothing was scored, so every category or file
    # type the kind is assessed by needs at least one scored item.
    field = CONTEXT_FIELD[kind]
    values: tuple[str | None, ...] = CONTEXT_VALUES[field] if field else (None,)
    for value in values:
        scored = [
            i
            for i in items
            if i["answer_type"] != "free_text"
            and (field is None or value in i.get(field, CONTEXT_VALUES[field]))
        ]
        if not scored:
            scope = f" to '{value}'" if value else ""
            yield problem(
                ("items",),
                "nothing_scored",
                f"no scored item applies{scope}; such an assessment could never pass",
            )


def _sample_size_problems(kind: str, data: dict[str, Any], problem: _Report) -> Iterator[Problem]:
    if kind == "file_sampling" and "sample_size" not in data:
        yield problem(
            ("kind",),
            "sample_size_missing",
            "a file_sampling checklist must state its sample_size rule "
            "(for example minimum: 5 and square_root_of_roster: true)",
        )
    if kind != "file_sampling" and "sample_size" in data:
        yield problem(
            ("sample_size",),
            "sample_size_not_used",
            f"sample_size only applies to file_sampling checklists; remove it from this {kind} one",
        )


def _schedule_problems(
    steps: list[dict[str, Any]],
    section_ids: list[str],
    item_ids: dict[str, dict[str, Any]],
    problem: _Report,
) -> Iterator[Problem]:
    dates: list[date | None] = []
    for index, step in enumerate(steps):
        where: DocPath = ("schedule", index)
        name = f"threshold step {index + 1} (from {step['effective_from']})"
        try:
            dates.append(date.fromisoformat(step["effective_from"]))
        except ValueError:
            dates.append(None)
            yield problem(
                (*where, "effective_from"),
                "invalid_date",
                f"{name}: '{step['effective_from']}' is not a real date",
            )
        for sid in step.get("section_minimums", {}):
            if sid not in section_ids:
                yield problem(
                    (*where, "section_minimums", sid),
                    "unknown_section_minimum",
                    f"{name} sets a minimum for section '{sid}', which this checklist does not "
                    f"have (known: {', '.join(section_ids)})",
                )
        for position, item_id in enumerate(step.get("critical_items", [])):
            if item_id not in item_ids:
                yield problem(
                    (*where, "critical_items", position),
                    "unknown_critical_item",
                    f"{name} makes '{item_id}' critical, but there is no item with that id",
                    item_id,
                )
            elif item_ids[item_id]["answer_type"] == "free_text":
                yield problem(
                    (*where, "critical_items", position),
                    "free_text_critical",
                    f"{name} makes '{item_id}' critical, but it is free text, which can never fail",
                    item_id,
                )
        if step.get("relaxation") and not step.get("reason", "").strip():
            yield problem(
                (*where, "relaxation"),
                "relaxation_without_reason",
                f"{name} is marked as a relaxation but gives no reason; say why the standard "
                "is being lowered",
            )

    for index in range(1, len(steps)):
        before, after = dates[index - 1], dates[index]
        where = ("schedule", index, "effective_from")
        if before is None or after is None:
            continue
        if after <= before:
            yield problem(
                where,
                "steps_out_of_order",
                f"threshold step {index + 1} starts on {after}, not after the step before it "
                f"({before}); list steps in date order, each on a later date",
            )
            continue
        if steps[index].get("relaxation"):
            continue
        changes = loosenings(
            ThresholdStep.from_dict(steps[index - 1]), ThresholdStep.from_dict(steps[index])
        )
        if changes:
            yield problem(
                ("schedule", index),
                "looser_step",
                f"threshold step {index + 1} (from {after}) {'; '.join(changes)} compared with "
                f"the step before it; standards only rise unless a step is marked "
                "'relaxation: true' with a reason",
            )
