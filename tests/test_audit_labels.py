"""Every audit action the code records has a label in words: the audit trail and the case
timelines say "File sample drawn", never "file_sample.drawn"."""

from __future__ import annotations

import ast
from pathlib import Path

import accreditation
from accreditation import audit, workflow

PACKAGE = Path(accreditation.__file__).parent


def _strings(node: ast.AST) -> set[str] | None:
    """The strings an expression can be, if it is written out; None if it is not."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def _calls_of(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == name]


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    return call.args[position] if len(call.args) > position else None


def recorded_actions() -> tuple[set[str], list[str]]:
    """Every action passed to ``audit.record`` in the package, read from its source, and the
    calls whose action could not be read (a literal, a module constant, a parameter given
    literals by every caller in the package, or a case's step)."""
    trees = {path: ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}
    actions, unread = set(), []
    for path, tree in trees.items():
        constants = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                     for target in node.targets if isinstance(target, ast.Name)}
        enclosing = {id(call): function for function in ast.walk(tree)
                     if isinstance(function, ast.FunctionDef)
                     for call in ast.walk(function) if isinstance(call, ast.Call)}
        for call in _calls_of(tree, "record"):
            if not (isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", "")
                    == "audit") and path.name != "audit.py":
                continue
            action = _argument(call, 0, "action")
            found = _strings(action) if action is not None else None
            if found is None and isinstance(action, ast.JoinedStr) and \
                    ast.unparse(action) == "f'case.{event.event.name}'":
                found = {f"case.{trigger}" for trigger in workflow.TRANSITIONS}
            if found is None and isinstance(action, ast.Name) and action.id in constants:
                found = _strings(constants[action.id])
            if found is None and isinstance(action, ast.Name) and id(call) in enclosing:
                found = _given_by_callers(action.id, enclosing[id(call)], trees)
            if found is None:
                unread.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
            else:
                actions |= found
    return actions, unread


def _given_by_callers(parameter: str, owner: ast.FunctionDef, trees: dict) -> set[str] | None:
    """The literals every call in the package passes for ``parameter`` of ``owner``, the
    (innermost) function whose body makes the call."""
    if parameter not in [arg.arg for arg in owner.args.args + owner.args.kwonlyargs]:
        return None
    names = [arg.arg for arg in owner.args.args]
    position = names.index(parameter) if parameter in names else 10**6
    found = set()
    for tree in trees.values():
        for call in _calls_of(tree, owner.name):
            given = _argument(call, position, parameter)
            strings = _strings(given) if given is not None else None
            if strings is None:
                return None
            found |= strings
    return found or None


ACTIONS, UNREAD = recorded_actions()


def test_every_audit_call_names_its_action_so_it_can_be_labelled():
    assert UNREAD == []
    assert {"case.submit", "evidence.uploaded", "file_sample.drawn", "access.denied"} <= ACTIONS


def test_every_action_recorded_has_a_label():
    assert sorted(ACTIONS - set(audit.EVENT_LABELS)) == []


def test_labels_are_words_not_names():
    for action, label in audit.EVENT_LABELS.items():
        assert label[0].isupper() and "_" not in label and "." not in label, (action, label)
    assert audit.event_label("file_sample.drawn") == "File sample drawn"
    assert audit.event_label("something.new_here") == "Something: new here"
