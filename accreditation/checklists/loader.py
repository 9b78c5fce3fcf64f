"""Loading definition files: YAML with line numbers, validated, turned into ChecklistVersions."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from .fingerprint import Published, edited_after_publication
from .model import KINDS, ChecklistVersion
from .problems import DefinitionError, Problem
from .source import parse_yaml
from .validation import check_definition

DEFINITIONS_DIR = Path(__file__).with_name("definitions")


def read_definition(path: str | Path) -> tuple[ChecklistVersion | None, list[Problem]]:
    """Parse and validate one file. The version is returned only when there are no problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(str(path), None, "not_text", "the file is not UTF-8 text")]
    except OSError as exc:
        return None, [Problem(str(path), None, "unreadable", f"the file cannot be read: {exc}")]
    data, problems = check_text(text, str(path))
    if problems:
        return None, problems
    return ChecklistVersion.from_dict(data), []


def check_text(text: str, path: str) -> tuple[Any, list[Problem]]:
    """Parse and validate a definition's YAML text, named ``path`` in the problems.

    Returns ``(data, problems)``; ``data`` may be used only when ``problems`` is empty.
    """
    data, lines, problems = parse_yaml(text, path)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [
            Problem(
                path,
                lines.get(()),
                "not_a_mapping",
                "a definition must be a set of named fields (kind, version, title, "
                "sections, items, schedule), not a single value or a list",
            )
        ]
    return data, check_definition(data, lines, path)


def load_definition(path: str | Path) -> ChecklistVersion:
    """The version defined in ``path``; raises DefinitionError listing every problem."""
    version, problems = read_definition(path)
    if problems or version is None:
        raise DefinitionError(problems)
    return version


def definition_files(directory: str | Path) -> list[Path]:
    """Definition files under ``directory`` in a stable order (``.yaml`` and stray ``.yml``)."""
    root = Path(directory)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))


def load_definitions(
    directory: str | Path = DEFINITIONS_DIR,
) -> dict[tuple[str, int], ChecklistVersion]:
    """Every version under ``directory`` by ``(kind, version)``; DefinitionError if any is bad."""
    versions: dict[tuple[str, int], ChecklistVersion] = {}
    problems: list[Problem] = []
    for file in definition_files(directory):
        version, found = read_definition(file)
        problems.extend(found)
        if version is not None:
            versions[(version.kind, version.version)] = version
    if problems:
        raise DefinitionError(problems)
    return dict(sorted(versions.items()))


@cache
def _shipped() -> tuple[tuple[tuple[str, int], ChecklistVersion], ...]:
    return tuple(load_definitions(DEFINITIONS_DIR).items())


def shipped_versions() -> dict[tuple[str, int], ChecklistVersion]:
    """The definitions that ship with the package, loaded once per process."""
    return dict(_shipped())


def latest_version(kind: str) -> ChecklistVersion:
    """The highest shipped version of ``kind``; KeyError if there is none."""
    matching = [v for (k, _), v in _shipped() if k == kind]
    if not matching:
        raise KeyError(kind)
    return max(matching, key=lambda v: v.version)


def validate_path(path: str | Path, published: Published | None = None) -> list[Problem]:
    """All problems in one definition file, or in every definition file under a directory.

    With ``published`` (``(kind, version) -> fingerprint`` of versions already published), also
    reports a published version whose content has changed and, for a directory, one whose file
    is missing. An empty list means everything is valid.
    """
    path = Path(path)
    published = published or {}
    files = definition_files(path) if path.is_dir() else [path]
    problems: list[Problem] = []
    seen: set[tuple[str, int]] = set()
    for file in files:
        version, found = read_definition(file)
        problems.extend(found)
        if version is None:
            continue
        seen.add((version.kind, version.version))
        edited = edited_after_publication(version, str(file), published, line=1)
        if edited is not None:
            problems.append(edited)
    if path.is_dir():
        problems.extend(_missing_published(path, published, seen, files))
    return problems


def _missing_published(
    directory: Path, published: Published, seen: set[tuple[str, int]], files: Iterable[Path]
) -> list[Problem]:
    # A file that failed to load still exists; only report versions with no file at all. When
    # the directory is one kind's folder, only that kind's published versions are expected.
    present = {(f.parent.name, f.name) for f in files}
    problems = []
    for kind, number in sorted(published):
        if directory.name in KINDS and kind != directory.name:
            continue
        if (kind, number) in seen or (kind, f"v{number}.yaml") in present:
            continue
        folder = directory if directory.name == kind else directory / kind
        problems.append(
            Problem(
                str(folder / f"v{number}.yaml"),
                None,
                "published_version_missing",
                f"version {number} of {kind} was published but its file is missing; published "
                "versions must be kept so past assessments can be re-scored",
            )
        )
    return problems
