"""Problems found in a checklist definition, worded for the commissioner who has to fix them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition file.

    ``code`` is a stable, machine-readable name for the kind of problem (tests and the UI key on
    it); ``message`` says what is wrong and what to do, in plain words.
    """

    path: str
    line: int | None
    code: str
    message: str
    item_id: str | None = None
    # Where in the document the problem is (``("items", 3, "weight")``), so a page can show it
    # beside the field it concerns; not part of what the problem is.
    where: tuple = field(default=(), compare=False)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        return f"{where}: {self.message}"


class DefinitionError(ValueError):
    """Raised when a definition that must be usable has problems; carries all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
