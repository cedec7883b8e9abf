"""YAML read with line numbers kept, so every configuration error can name its line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration is unusable; `problems` lists every reason with file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Located:
    """Plain data from a YAML file plus the line each value started on."""

    filename: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """The line of the value at `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def problem(self, path: Path, message: str) -> None:
        """Record a problem at the line where `path` is written."""
        self.problems.append(f"{self.filename}:{self.line_of(path)}: {message}")


def load(text: str, filename: str) -> Located:
    """Parse YAML text; a syntax error raises ConfigError with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{filename}:{line}: not valid YAML: {reason}"]) from None
    located = Located(filename, None)
    # Duplicate keys are recorded in `problems`, not raised, so one run reports them all.
    located.data = {} if root is None else _convert(root, (), located)
    return located


def _convert(node: yaml.Node, path: Path, located: Located) -> Any:
    located.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            key_line = key_node.start_mark.line + 1
            if key in result:
                where = f" in {path[-1]}" if path else ""
                located.problems.append(
                    f"{located.filename}:{key_line}: duplicate key '{key}'{where}"
                )
                continue
            result[key] = _convert(value_node, path + (key,), located)
            located.lines[path + (key,)] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), located) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve tags the way SafeLoader would (ints, bools, nulls), without losing the node.
    return yaml.SafeLoader("").construct_object(node, deep=True)
