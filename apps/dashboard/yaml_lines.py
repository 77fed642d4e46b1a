"""Where in a YAML text a spec path such as ``nodes[3].config.tools[1]`` is, so validation
messages can be shown at the line they belong to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class Line:
    number: int
    text: str
    problems: list[str] = field(default_factory=list)


def split_path(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _PART.findall(path)]


def line_of(root: yaml.Node | None, path: str) -> int:
    """1-based line of the deepest node of ``path`` that exists (1 when nothing matches)."""
    node, line = root, 1
    if node is not None:
        line = node.start_mark.line + 1
    for part in split_path(path):
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def annotate(text: str, problems: list[tuple[str, str]]) -> tuple[list[Line], list[str]]:
    """The text's lines, each with the messages of the problems found at it; a text YAML cannot
    parse gets its parser's message at the line the parser names."""
    lines = [Line(i + 1, t) for i, t in enumerate(text.splitlines() or [""])]
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        number = min(len(lines), mark.line + 1) if mark else 1
        lines[number - 1].problems.append(f"{getattr(exc, 'problem', None) or exc}")
        return lines, []
    loose = []
    for path, message in problems:
        number = line_of(root, path)
        if 1 <= number <= len(lines):
            lines[number - 1].problems.append(f"{path}: {message}" if path else message)
        else:
            loose.append(f"{path}: {message}")
    return lines, loose
