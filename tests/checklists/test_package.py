"""The checklist engine stays pure: no web framework, no database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import accreditation.checklists as checklists

PACKAGE = Path(checklists.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
FORBIDDEN = ("flask", "sqlalchemy", "werkzeug", "alembic", "psycopg", "boto3")


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_module_imports_no_framework_or_database(module: Path) -> None:
    for name in imported_names(module):
        top = name.split(".")[0]
        assert not top.startswith(FORBIDDEN), f"{module.name} imports {name}"
        # Only relative imports within the package: other parts of the app may depend on us,
        # not the other way round.
        assert top != "accreditation", f"{module.name} imports {name}"


def test_public_api_is_exported() -> None:
    for name in checklists.__all__:
        assert hasattr(checklists, name), name
