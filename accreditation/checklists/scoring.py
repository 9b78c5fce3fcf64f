"""Pure scoring: answers + checklist version + threshold step -> result.

Each rule lives in one place and both paths use it:

- ``judge`` decides what one answer to one item earns (the only answer rule);
- ``_tally`` adds answers up per section and counts failed critical items;
- ``_decide`` applies the pass mark, section minimums and critical items.

``score`` (full, with an explanation per item) and ``passes`` / ``summarise`` (fast, for re-scoring
thousands of stored assessments) differ only in whether ``_tally`` keeps a trace for the
explanations. For speed a compiled checklist keeps, per item, a table of ``judge``'s verdicts on
the finite answers (yes/no/not applicable, grades 0-3); the table is filled by calling ``judge``,
so it is a cache of the rule, not a second copy of it.

Arithmetic is exact: an item of weight w earns ``w * grade`` out of ``w * 3`` points (yes and an
in-range number earn the full ``w * 3``), and a mark of m% is met when
``earned * 100 >= m * possible``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

from .fingerprint import fingerprint
from .model import (
    CATEGORIES,
    FILE_TYPES,
    MAX_GRADE,
    NO,
    NOT_APPLICABLE,
    YES,
    ChecklistVersion,
    Item,
    ThresholdStep,
)
from .results import ItemResult, ScoreResult, SectionResult, percent

Answers = Mapping[str, Any]


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_ANSWERED = "not_answered"
    INVALID = "invalid"
    NOT_APPLICABLE = "not_applicable"
    NOT_SCORED = "not_scored"


FAILING = frozenset({Outcome.FAILED, Outcome.NOT_ANSWERED, Outcome.INVALID})
_LEFT_OUT = frozenset({Outcome.NOT_APPLICABLE, Outcome.NOT_SCORED})  # no points possible


class Judgement(NamedTuple):
    outcome: Outcome
    earned: int
    note: str = ""  # why an answer cannot be used (INVALID only)


# --- the answer rule ----------------------------------------------------------------------------


def judge(item: Item, value: Any) -> Judgement:
    """What ``value`` earns as an answer to ``item``. The single rule for answers.

    - free text is never scored;
    - no answer (None or empty text) fails, earning nothing;
    - ``not_applicable`` leaves the item out, if the item allows it (otherwise it is invalid);
    - yes/no: ``yes`` earns full points, ``no`` fails;
    - graded: a whole number 0-3 earns ``weight * grade`` and passes at the item's pass grade;
    - number: an int or float the item's unit allows (``Item.number_rule``: never negative,
      whole months and days, two decimal places of m² and £ million, below a maximum) earns
      full points inside the pass range and fails outside it;
    - anything else is invalid and fails, with a note saying what was expected.
    """
    if not item.scored:
        return Judgement(Outcome.NOT_SCORED, 0)
    if value is None or value == "":
        return Judgement(Outcome.NOT_ANSWERED, 0)
    kind = type(value)
    if kind is str and value == NOT_APPLICABLE:
        if item.allow_not_applicable:
            return Judgement(Outcome.NOT_APPLICABLE, 0)
        return Judgement(Outcome.INVALID, 0, "this item cannot be answered not applicable")
    full = item.weight * MAX_GRADE
    if item.answer_type == "yes_no":
        if kind is str and value == YES:
            return Judgement(Outcome.PASSED, full)
        if kind is str and value == NO:
            return Judgement(Outcome.FAILED, 0)
        return Judgement(Outcome.INVALID, 0, f"expected {_choices(item, 'yes or no')}")
    if item.answer_type == "graded":
        # bool is an int subclass; True is not a grade.
        if kind is int and 0 <= value <= MAX_GRADE:
            assert item.pass_grade is not None  # set for every graded item by the model
            outcome = Outcome.PASSED if value >= item.pass_grade else Outcome.FAILED
            return Judgement(outcome, item.weight * value)
        return Judgement(
            Outcome.INVALID, 0, f"expected {_choices(item, f'a grade from 0 to {MAX_GRADE}')}"
        )
    if item.answer_type == "number":
        rule = item.number_rule
        if (kind is int or kind is float) and math.isfinite(value):
            if rule.problem(value, "") is not None:  # a negative age, a room of -5 m²...
                return Judgement(Outcome.INVALID, 0, f"expected {_choices(item, rule.expected)}")
            low_ok = item.pass_min is None or value >= item.pass_min
            high_ok = item.pass_max is None or value <= item.pass_max
            if low_ok and high_ok:
                return Judgement(Outcome.PASSED, full)
            return Judgement(Outcome.FAILED, 0)
        return Judgement(Outcome.INVALID, 0, f"expected {_choices(item, rule.expected)}")
    raise ValueError(f"unknown answer type {item.answer_type!r}")  # the schema prevents this


def _choices(item: Item, expected: str) -> str:
    return f"{expected} or not applicable" if item.allow_not_applicable else expected


def answer_problem(item: Item, value: Any) -> str | None:
    """Why ``value`` cannot be recorded as an answer to ``item``, or None if it can.

    For the operation that records answers; scoring treats such an answer as failed.
    """
    judgement = judge(item, value)
    return judgement.note if judgement.outcome is Outcome.INVALID else None


def _memo(item: Item) -> dict[Any, Judgement]:
    # Cache of judge() on the finite set of answers; see the module docstring.
    answers: list[Any] = ["", YES, NO, NOT_APPLICABLE]
    if item.answer_type == "graded":
        answers += list(range(MAX_GRADE + 1))
    return {value: judge(item, value) for value in answers}


# --- compiled form ------------------------------------------------------------------------------


class _Entry(NamedTuple):
    item_id: str
    section_index: int
    possible: int
    memo: dict[Any, Judgement]
    item: Item
    critical: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything needed to score one version under one step for one category / file type."""

    step: ThresholdStep
    category: str | None
    file_type: str | None
    entries: tuple[_Entry, ...]  # scored items that apply, in definition order
    asked: tuple[Item, ...]  # every item that applies, free text included, in order
    section_ids: tuple[str, ...]
    minimums: tuple[int, ...]
    critical_from: Mapping[str, date | None]  # critical item id -> date (None: always critical)


class Summary(NamedTuple):
    """The outcome without explanations (fast path)."""

    passed: bool
    earned: int
    possible: int
    critical_failures: int
    sections_below: tuple[str, ...]


class CompiledChecklist:
    """A checklist version prepared for repeated scoring. Build once, score many times.

    Plans (one per step and category / file type) are built on first use and kept; a plan is
    never changed once built, so a compiled checklist can be shared between threads.
    """

    def __init__(self, version: ChecklistVersion):
        self.version = version
        self._memos = {item.id: _memo(item) for item in version.items if item.scored}
        self._plans: dict[tuple[ThresholdStep, str | None, str | None], Plan] = {}
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.version)
        return self._fingerprint

    def plan(
        self, step: ThresholdStep, *, category: str | None = None, file_type: str | None = None
    ) -> Plan:
        key = (step, category, file_type)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._build_plan(step, category, file_type)
        return plan

    def _build_plan(self, step: ThresholdStep, category: str | None, file_type: str | None) -> Plan:
        version = self.version
        context = _context_value(version, category, file_type)
        section_ids = tuple(s.id for s in version.sections)
        known_items = {i.id for i in version.items}
        unknown = [i for i in step.critical_items if i not in known_items]
        unknown += [s for s, _ in step.section_minimums if s not in section_ids]
        if unknown:
            raise ValueError(f"the step names items or sections not in this checklist: {unknown}")
        critical_from = _critical_from(version, step)
        asked = tuple(i for i in version.items if i.applies(version.context_field, context))
        entries = tuple(
            _Entry(
                item.id,
                section_ids.index(item.section),
                item.max_points,
                self._memos[item.id],
                item,
                item.id in critical_from,
            )
            for item in asked
            if item.scored
        )
        scored_ids = {entry.item_id for entry in entries}
        return Plan(
            step=step,
            category=category,
            file_type=file_type,
            entries=entries,
            asked=asked,
            section_ids=section_ids,
            minimums=tuple(step.minimum_for(s) for s in section_ids),
            critical_from={i: d for i, d in critical_from.items() if i in scored_ids},
        )

    def summarise(
        self,
        answers: Answers,
        step: ThresholdStep,
        *,
        category: str | None = None,
        file_type: str | None = None,
    ) -> Summary:
        """Pass/fail and totals, without explanations. Agrees with ``score`` by construction."""
        plan = self.plan(step, category=category, file_type=file_type)
        return _decide(plan, *_tally(plan, answers, None))

    def passes(
        self,
        answers: Answers,
        step: ThresholdStep,
        *,
        category: str | None = None,
        file_type: str | None = None,
    ) -> bool:
        """Whether the answers pass; the cheapest question to ask."""
        return self.summarise(answers, step, category=category, file_type=file_type).passed

    def diagnose(
        self,
        answers: Answers,
        step: ThresholdStep,
        *,
        category: str | None = None,
        file_type: str | None = None,
    ) -> tuple[Summary, tuple[str, ...]]:
        """The summary and the ids of the items that failed, without explanations.

        Cheaper than ``score`` when only *which* items fail matters (impact previews count them).
        """
        plan = self.plan(step, category=category, file_type=file_type)
        trace: list[tuple[_Entry, Any, Judgement]] = []
        summary = _decide(plan, *_tally(plan, answers, trace))
        failed = tuple(entry.item_id for entry, _, judgement in trace
                       if judgement.outcome in FAILING)
        return summary, failed

    def scorer(
        self, step: ThresholdStep, *, category: str | None = None, file_type: str | None = None
    ) -> StepScorer:
        """``diagnose`` prepared for many answer sets under one step and context."""
        return StepScorer(self, self.plan(step, category=category, file_type=file_type))

    def score(
        self,
        answers: Answers,
        step: ThresholdStep,
        *,
        category: str | None = None,
        file_type: str | None = None,
    ) -> ScoreResult:
        """The full result with an explanation for every item asked."""
        plan = self.plan(step, category=category, file_type=file_type)
        trace: list[tuple[_Entry, Any, Judgement]] = []
        earned, possible, critical_failures = _tally(plan, answers, trace)
        summary = _decide(plan, earned, possible, critical_failures)
        return _build_result(self, plan, answers, trace, earned, possible, summary)


class StepScorer:
    """``CompiledChecklist.diagnose`` for one step and one category or file type, prepared for
    thousands of answer sets (impact previews): the same summaries and failed items.

    What ``judge`` says about each item's answer is packed into one integer (points earned and
    possible per section, a failed critical item, a bit per failed item), kept per item and
    per answer (with its type, so ``True`` is never taken for 1, nor 2.0 for 2), so the tally
    of one answer set is the sum of a few dictionary look-ups; ``_decide`` then applies the
    step as always. Answers that cannot be looked up (unhashable) take the ordinary path.
    """

    __slots__ = ("_compiled", "_plan", "_ids", "_tables", "_width", "_mask", "_failed_at",
                 "_sections")

    def __init__(self, compiled: CompiledChecklist, plan: Plan):
        self._compiled = compiled
        self._plan = plan
        self._ids = tuple(entry.item_id for entry in plan.entries)
        self._sections = len(plan.section_ids)
        # Wide enough that no sum of points or count of failures can spill into the next field.
        total = sum(entry.possible for entry in plan.entries) + len(plan.entries) + 1
        self._width = total.bit_length() + 1
        self._mask = (1 << self._width) - 1
        self._failed_at = (2 * self._sections + 1) * self._width
        self._tables: tuple[dict[tuple[type, Any], int], ...] = tuple(
            {(type(value), value): self._pack(index, judgement)
             for value, judgement in (*entry.memo.items(), (None, judge(entry.item, None)))}
            for index, entry in enumerate(plan.entries))

    def _pack(self, index: int, judgement: Judgement) -> int:
        entry, width = self._plan.entries[index], self._width
        outcome = judgement[0]
        packed = 0
        if outcome in FAILING:
            packed |= 1 << (self._failed_at + index)
        if outcome is Outcome.NOT_APPLICABLE:
            return packed
        packed += judgement[1] << (2 * entry.section_index * width)
        packed += entry.possible << ((2 * entry.section_index + 1) * width)
        if entry.critical and outcome is not Outcome.PASSED:
            packed += 1 << (2 * self._sections * width)
        return packed

    def __call__(self, answers: Answers) -> tuple[Summary, int]:
        """The summary, and the failed items as a number for ``failed_items``."""
        values = list(map(answers.get, self._ids))
        keys = list(zip(map(type, values), values, strict=True))
        try:
            packed = list(map(dict.get, self._tables, keys))
        except TypeError:  # an unhashable answer: judged the ordinary way
            summary, failed = self._compiled.diagnose(
                answers, self._plan.step, category=self._plan.category,
                file_type=self._plan.file_type)
            return summary, sum(1 << self._ids.index(item_id) for item_id in failed)
        if None in packed:
            for index, found in enumerate(packed):
                if found is None:
                    packed[index] = self._pack(
                        index, judge(self._plan.entries[index].item, values[index]))
                    if len(self._tables[index]) < 10_000:  # numbers repeat; keep the cache small
                        self._tables[index][keys[index]] = packed[index]
        total, width, mask = sum(packed), self._width, self._mask
        earned = [(total >> (2 * s * width)) & mask for s in range(self._sections)]
        possible = [(total >> ((2 * s + 1) * width)) & mask for s in range(self._sections)]
        critical_failures = (total >> (2 * self._sections * width)) & mask
        return _decide(self._plan, earned, possible, critical_failures), total >> self._failed_at

    def failed_items(self, failed: int) -> tuple[str, ...]:
        """The ids of the failed items, in definition order (as ``diagnose`` gives them)."""
        ids = self._ids
        return tuple(ids[index] for index in range(len(ids)) if failed >> index & 1)


def compile_checklist(version: ChecklistVersion) -> CompiledChecklist:
    """Prepare ``version`` for fast repeated scoring."""
    return CompiledChecklist(version)


def _context_value(
    version: ChecklistVersion, category: str | None, file_type: str | None
) -> str | None:
    # Scoring a property without its category, or a file without its type, would silently ask
    # the wrong questions, so the context is required exactly where the kind uses one.
    field = version.context_field
    if field == "applies_to":
        if file_type is not None or category not in CATEGORIES:
            raise ValueError(
                f"a {version.kind} is scored for one accommodation category "
                f"({', '.join(CATEGORIES)}); got category={category!r}, file_type={file_type!r}"
            )
        return category
    if field == "applies_to_files":
        if category is not None or file_type not in FILE_TYPES:
            raise ValueError(
                f"a {version.kind} is scored for one file type ({', '.join(FILE_TYPES)}); "
                f"got category={category!r}, file_type={file_type!r}"
            )
        return file_type
    if category is not None or file_type is not None:
        raise ValueError(f"a {version.kind} is not scored by category or file type")
    return None


def _critical_from(version: ChecklistVersion, step: ThresholdStep) -> dict[str, date | None]:
    """Critical items under ``step``: id -> the date since when it has been critical without a
    break in the schedule (None for items critical in the definition itself)."""
    since: dict[str, date | None] = {}
    earlier = [s for s in version.schedule if s.effective_from < step.effective_from]
    for current in [*earlier, step]:
        since = {i: since.get(i, current.effective_from) for i in current.critical_items}
    for item in version.items:
        if item.critical:
            since[item.id] = None
    return since


# --- the two shared rules -----------------------------------------------------------------------


def _tally(
    plan: Plan, answers: Answers, trace: list[tuple[_Entry, Any, Judgement]] | None
) -> tuple[list[int], list[int], int]:
    """Points earned and possible per section, and the number of failed critical items."""
    earned = [0] * len(plan.section_ids)
    possible = [0] * len(plan.section_ids)
    critical_failures = 0
    get = answers.get
    not_applicable, passed = Outcome.NOT_APPLICABLE, Outcome.PASSED
    for entry in plan.entries:
        item_id, section_index, item_possible, memo, item, critical = entry
        value = get(item_id)
        kind = type(value)
        # Only exact str/int answers may use the cache: as dict keys True == 1 and 2.0 == 2,
        # but judge() rejects True and 2.0 as grades.
        judgement = memo.get(value) if kind is str or kind is int else None
        if judgement is None:
            judgement = judge(item, value)
        if trace is not None:
            trace.append((entry, value, judgement))
        outcome = judgement[0]
        if outcome is not_applicable:
            continue
        earned[section_index] += judgement[1]
        possible[section_index] += item_possible
        if critical and outcome is not passed:
            critical_failures += 1
    return earned, possible, critical_failures


def _decide(plan: Plan, earned: list[int], possible: list[int], critical_failures: int) -> Summary:
    """Apply the step: no failed critical item, something scored, the pass mark, and every
    section minimum (a section with nothing scored has no mark to hold to its minimum)."""
    total_earned, total_possible = sum(earned), sum(possible)
    below = tuple(
        sid
        for sid, e, p, minimum in zip(
            plan.section_ids, earned, possible, plan.minimums, strict=True
        )
        if p and e * 100 < minimum * p
    )
    passed = (
        critical_failures == 0
        and total_possible > 0
        and total_earned * 100 >= plan.step.pass_mark * total_possible
        and not below
    )
    return Summary(passed, total_earned, total_possible, critical_failures, below)


# --- results ------------------------------------------------------------------------------------


def long_date(day: date) -> str:
    """'4 January 2027': how dates are written for people (GOV.UK style)."""
    return f"{day.day} {day:%B %Y}"


def _json_safe(value: Any) -> Any:
    # Results are stored as JSON; an answer that JSON cannot hold exactly is kept as its repr.
    if value is None or type(value) in (str, int, bool):
        return value
    if type(value) is float and math.isfinite(value):
        return value
    return repr(value)


def _build_result(
    compiled: CompiledChecklist,
    plan: Plan,
    answers: Answers,
    trace: Sequence[tuple[_Entry, Any, Judgement]],
    earned: list[int],
    possible: list[int],
    summary: Summary,
) -> ScoreResult:
    version = compiled.version
    judged = {entry.item_id: (entry, value, judgement) for entry, value, judgement in trace}
    items: list[ItemResult] = []
    for item in plan.asked:
        if item.id in judged:
            entry, value, judgement = judged[item.id]
            critical = entry.critical
        else:  # free text: not in the tally, but its notes belong in the record
            value, judgement, critical = answers.get(item.id), judge(item, None), False
        since = plan.critical_from.get(item.id)
        items.append(
            ItemResult(
                id=item.id,
                section=item.section,
                title=item.title,
                answer=_json_safe(value),
                outcome=judgement.outcome.value,
                earned=judgement.earned,
                possible=0 if judgement.outcome in _LEFT_OUT else item.max_points,
                critical=critical,
                critical_from=since.isoformat() if since else None,
                explanation=explain(item, value, judgement, critical=critical, critical_from=since),
            )
        )
    failed = tuple(i.id for i in items if i.outcome in FAILING)
    failed_critical = tuple(i.id for i in items if i.critical and i.outcome in FAILING)
    sections = tuple(
        SectionResult(
            id=section.id,
            title=section.title,
            earned=e,
            possible=p,
            percent=percent(e, p),
            minimum=minimum,
            passed=section.id not in summary.sections_below,
        )
        for section, e, p, minimum in zip(
            version.sections, earned, possible, plan.minimums, strict=True
        )
    )
    return ScoreResult(
        kind=version.kind,
        version=version.version,
        fingerprint=compiled.fingerprint,
        step=plan.step,
        category=plan.category,
        file_type=plan.file_type,
        passed=summary.passed,
        earned=summary.earned,
        possible=summary.possible,
        percent=percent(summary.earned, summary.possible),
        pass_mark=plan.step.pass_mark,
        sections=sections,
        items=tuple(items),
        failed_items=failed,
        failed_critical_items=failed_critical,
        reasons=tuple(_reasons(plan, items, sections, summary)),
    )


def explain(
    item: Item,
    value: Any,
    judgement: Judgement,
    *,
    critical: bool = False,
    critical_from: date | None = None,
) -> str:
    """One line for an inspector or a provider, e.g. "Gas safety certificate: answered no;
    critical from 4 January 2027 — fails the assessment"."""
    outcome = judgement.outcome
    if outcome is Outcome.NOT_SCORED:
        noted = "notes recorded" if value else "no notes"
        return f"{item.title}: {noted} (free text, not scored)"
    answer = _describe_answer(item, value, judgement)
    if outcome is Outcome.NOT_APPLICABLE:
        return f"{item.title}: {answer}; left out of the score"
    points = f"{judgement.earned} of {item.max_points} points"
    criticality = f"critical from {long_date(critical_from)}" if critical_from else "critical"
    if outcome is Outcome.PASSED:
        suffix = f" ({criticality})" if critical else ""
        return f"{item.title}: {answer}; passed, {points}{suffix}"
    if critical:
        return f"{item.title}: {answer}; {criticality} — fails the assessment"
    return f"{item.title}: {answer}; failed, {points}"


def _describe_answer(item: Item, value: Any, judgement: Judgement) -> str:
    if judgement.outcome is Outcome.NOT_ANSWERED:
        return "not answered"
    if judgement.outcome is Outcome.INVALID:
        return f"answer {value!r} cannot be used ({judgement.note})"
    if judgement.outcome is Outcome.NOT_APPLICABLE:
        return "answered not applicable"
    if item.answer_type == "yes_no":
        return f"answered {value}"
    if item.answer_type == "graded":
        return f"graded {value} of {MAX_GRADE} (pass grade {item.pass_grade})"
    return f"{value} {item.unit} ({_pass_range(item)})"


def _pass_range(item: Item) -> str:
    unit = f" {item.unit}"
    if item.pass_min is not None and item.pass_max is not None:
        return f"passes from {item.pass_min} to {item.pass_max}{unit}"
    if item.pass_min is not None:
        return f"passes at {item.pass_min}{unit} or more"
    return f"passes at {item.pass_max}{unit} or less"


def _reasons(
    plan: Plan,
    items: Sequence[ItemResult],
    sections: Sequence[SectionResult],
    summary: Summary,
) -> list[str]:
    reasons = []
    for result in items:
        if result.critical and result.outcome in FAILING:
            since = (f" (critical from {long_date(date.fromisoformat(result.critical_from))})"
                     if result.critical_from else "")
            reasons.append(f"Critical item failed: {result.title}{since}")
    if summary.possible == 0:
        reasons.append(
            "Nothing was scored: every item asked was answered not applicable, "
            "so the assessment cannot pass"
        )
    elif summary.earned * 100 < plan.step.pass_mark * summary.possible:
        reasons.append(
            f"Overall mark {percent(summary.earned, summary.possible)}% is below the pass mark "
            f"of {plan.step.pass_mark}%"
        )
    for section in sections:
        if not section.passed:
            reasons.append(
                f"{section.title} scored {section.percent}%, below the section minimum of "
                f"{section.minimum}%"
            )
    return reasons


# --- module-level conveniences ------------------------------------------------------------------


def _compiled(checklist: ChecklistVersion | CompiledChecklist) -> CompiledChecklist:
    return checklist if isinstance(checklist, CompiledChecklist) else CompiledChecklist(checklist)


def score(
    checklist: ChecklistVersion | CompiledChecklist,
    answers: Answers,
    step: ThresholdStep,
    *,
    category: str | None = None,
    file_type: str | None = None,
) -> ScoreResult:
    """Score ``answers`` (item id -> answer) against a checklist version under ``step``.

    ``category`` is required for property inspections, ``file_type`` for file sampling, neither
    for due diligence (ValueError otherwise). Pure and deterministic. For many assessments,
    compile the version once with ``compile_checklist``.
    """
    return _compiled(checklist).score(answers, step, category=category, file_type=file_type)


def summarise(
    checklist: ChecklistVersion | CompiledChecklist,
    answers: Answers,
    step: ThresholdStep,
    *,
    category: str | None = None,
    file_type: str | None = None,
) -> Summary:
    """Like ``score`` without explanations; same rules, same pass/fail and totals."""
    return _compiled(checklist).summarise(answers, step, category=category, file_type=file_type)


def passes(
    checklist: ChecklistVersion | CompiledChecklist,
    answers: Answers,
    step: ThresholdStep,
    *,
    category: str | None = None,
    file_type: str | None = None,
) -> bool:
    """Whether ``answers`` pass; equal to ``score(...).passed``."""
    return _compiled(checklist).passes(answers, step, category=category, file_type=file_type)
