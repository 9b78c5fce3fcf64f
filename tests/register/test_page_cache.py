"""The page cache's code key: processes share kept pages only with processes running the same
code, so the key must cover every module of the register whose code shapes a kept page."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from accreditation.register import page_cache

REGISTER = Path(page_cache.__file__).parent


def register_imports(name: str) -> set[str]:
    """The register's modules that module ``name`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((REGISTER / f"{name}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= ({node.module.split(".")[0]} if node.module
                      else {alias.name for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[:2] == ["accreditation", "register"]:
                found |= ({parts[2]} if len(parts) > 2
                          else {alias.name for alias in node.names})
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["accreditation", "register"] and len(parts) > 2:
                    found.add(parts[2])
    return {module for module in found if (REGISTER / f"{module}.py").is_file()}


def shaping_modules() -> set[str]:
    """``search`` (which reads a page's rows) and ``page_cache`` (which keys it), and every
    module of the register they depend on."""
    seen: set[str] = set()
    waiting = ["search", "page_cache"]
    while waiting:
        module = waiting.pop()
        if module not in seen:
            seen.add(module)
            waiting += register_imports(module)
    return seen


def test_the_code_key_covers_every_module_that_shapes_a_kept_page():
    assert shaping_modules() - set(page_cache.CODE_MODULES) == set()


def test_the_code_key_is_the_hash_of_those_modules():
    code = hashlib.sha256(b"".join((REGISTER / f"{module}.py").read_bytes()
                                   for module in page_cache.CODE_MODULES)).hexdigest()[:16]
    assert page_cache._shared_key(("a key",)) == f"{code}:('a key',)"
