"""The package's shape: no module imports, directly or through others, a module that imports
it back, counting imports made inside functions (a cycle hidden in a function is still one);
and no absolute link is built from what a request says its host is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import accreditation

PACKAGE = Path(accreditation.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imported(name: str, is_package: bool, node: ast.AST, modules) -> list[str]:
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = name.split(".") if is_package else name.split(".")[:-1]
        if node.level > 1:
            base = base[:len(base) - node.level + 1]
        target = ".".join(base + [node.module]) if node.level and node.module else (
            ".".join(base) if node.level else node.module or "")
        targets = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                   for alias in node.names]
    found = []
    for target in targets:
        if not target.startswith(PACKAGE.name):
            continue
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        if target != name:
            found.append(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        graph[name] = {
            target for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for target in _imported(name, is_package, node, modules)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_are_read_as_python_reads_them():
    graph = import_graph()
    assert "accreditation.cases.models" in graph["accreditation.cases.access"]
    assert "accreditation.workflow" in graph["accreditation.cases.access"]
    assert "accreditation.auth.models" in graph["accreditation.auth.tokens"]


def test_the_package_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_absolute_links_are_built_only_on_the_services_own_address():
    """``url_for(..., _external=True)`` would take the host from the request (which a client
    writes); links that leave the service go through ``routing.external_url``."""
    request_hosts = re.compile(r"\b_external\s*=|\b(url_root|host_url|request\.host)\b")
    sources = [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "templates").rglob("*.html")]
    assert [str(path) for path in sources if request_hosts.search(path.read_text())] == []
