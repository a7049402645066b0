"""Read YAML safely, keeping the line of every value so errors can name it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000  # a leaflet is a few KB; anything near this is a mistake or an attack

Loc = tuple[Any, ...]


@dataclass
class Source:
    """A YAML file's data plus the 1-based line of each value, by path of keys/indexes."""
    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, *loc: Any) -> int:
        """The line of the value at loc, or of its nearest enclosing value."""
        loc = tuple(loc)
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


class YamlError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def load_yaml(path: Path) -> Source:
    """Parse one YAML file into plain data; raises YamlError with a line."""
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise YamlError(1, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise YamlError(raw[: e.start].count(b"\n") + 1, "file is not valid UTF-8") from None
    if "\x00" in text:
        raise YamlError(text[: text.index("\x00")].count("\n") + 1, "file contains a NUL byte")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                # Aliases let a tiny file expand to gigabytes ("billion laughs");
                # content never needs them.
                raise YamlError(event.start_mark.line + 1, "YAML aliases (*name) are not allowed")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"YAML syntax: {e.problem or e.context}") from None
    source = Source(path, None)
    if node is None:
        raise YamlError(1, "file is empty")
    source.data = _convert(node, (), source)
    return source


def _convert(node: yaml.Node, loc: Loc, source: Source) -> Any:
    source.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(key_node.start_mark.line + 1, "YAML merge keys (<<) are not allowed")
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(key_node.start_mark.line + 1, "keys must be plain names")
            key = key_node.value
            if key in out:
                raise YamlError(key_node.start_mark.line + 1, f"duplicate key '{key}'")
            out[key] = _convert(value_node, loc + (key,), source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, loc + (i,), source) for i, item in enumerate(node.value)]
    # Scalars: PyYAML's safe resolver decides the type, so a bare number stays a
    # number and the model can report "expected text".
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
