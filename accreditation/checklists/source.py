"""Reading YAML while remembering which line every value came from.

PyYAML's safe loader is used twice over the same node tree: the composer gives nodes with marks
(line numbers), the constructor gives plain Python values. We keep a map from each value's path
(``("items", 3, "weight")``) to its 1-based line so later checks can point at the line to fix.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .problems import Problem

DocPath = tuple[str | int, ...]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _AliasNotAllowed(yaml.composer.ComposerError):
    pass


class _DefinitionLoader(yaml.SafeLoader):
    """SafeLoader with three deliberate differences for definition files.

    - Dates stay text: the schema checks their form and we parse them ourselves, so a bad date is
      reported like any other mistake instead of surfacing as a YAML type.
    - Only true/false are booleans: in YAML 1.1 ``yes``, ``no``, ``on`` and ``off`` are booleans
      too, which silently turns words into flags.
    - No anchors or aliases: each entry must read on its own, and it rules out alias bombs.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasNotAllowed(
                None,
                None,
                "anchors and aliases (& and *) are not allowed in checklist definitions; "
                "write each entry out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


_DefinitionLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP_TAG, _BOOL_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_DefinitionLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, path: str) -> tuple[Any, dict[DocPath, int], list[Problem]]:
    """Parse one YAML document.

    Returns ``(data, lines, problems)``. When ``problems`` is non-empty ``data`` must not be used.
    ``lines`` maps the path of every mapping key and list entry to its 1-based line.
    """
    loader = _DefinitionLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem(path, None, "empty_file", "the file is empty")]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or "unreadable"
        if exc.context:
            detail = f"{detail} ({exc.context})"
        if not isinstance(exc, _AliasNotAllowed):
            detail += "; check the indentation and quoting on this line and the one before it"
        return (
            None,
            {},
            [
                Problem(
                    path,
                    mark.line + 1 if mark else None,
                    "bad_yaml",
                    f"this is not valid YAML: {detail}",
                )
            ],
        )
    except yaml.YAMLError as exc:
        return None, {}, [Problem(path, None, "bad_yaml", f"this is not valid YAML: {exc}")]
    finally:
        loader.dispose()
    lines: dict[DocPath, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    _record_lines(node, (), lines, problems, path)
    return data, lines, problems


def _record_lines(
    node: yaml.Node, where: DocPath, lines: dict[DocPath, int], problems: list[Problem], path: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # the schema rejects non-text keys with a clearer message
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                # PyYAML keeps the last value silently; in a definition that hides an edit.
                problems.append(
                    Problem(
                        path,
                        line,
                        "duplicate_key",
                        f"'{key}' appears more than once in the same entry; keep only one",
                    )
                )
            seen.add(key)
            lines[(*where, key)] = line
            _record_lines(value_node, (*where, key), lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            lines[(*where, index)] = child.start_mark.line + 1
            _record_lines(child, (*where, index), lines, problems, path)


def line_for(lines: dict[DocPath, int], where: DocPath) -> int | None:
    """The line of ``where``, or of its nearest ancestor that has one."""
    probe = tuple(where)
    while True:
        if probe in lines:
            return lines[probe]
        if not probe:
            return None
        probe = probe[:-1]
