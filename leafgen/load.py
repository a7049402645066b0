"""Read YAML safely, keeping the line of every value so errors can name it."""
from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000  # a leaflet is a few KB; anything near this is a mistake or an attack
MAX_DEPTH = 32         # content nests six levels deep; PyYAML's composer recurses per level

# Characters no leaflet text needs and that can deceive or break a reader, a format or a
# terminal: C0 controls but tab and line breaks, DEL and C1 controls; the bidirectional
# embeddings, overrides and isolates, which can show text in an order other than the one
# it is read in (a phone number reversed on screen, "Trojan Source"); line and paragraph
# separators, which break lines invisibly and shift line numbers; surrogates, tag
# characters (invisible, and may carry hidden text), private-use characters (meaningless outside one font: no voice, braille table or
# screen reader knows them) and noncharacters. LRM, RLM and ALM (U+200E, U+200F, U+061C)
# are allowed: they only nudge neutral characters and cannot reverse a run of text.
# (The formats insert isolates into their output themselves, around contact details.)
_UNSAFE = ("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
           "\ud800-\udfff\ue000-\uf8ff\U000e0000-\U000e007f\U000f0000-\U0010ffff\ufdd0-\ufdef"
           + "".join(f"{chr(plane + 0xfffe)}{chr(plane + 0xffff)}" for plane in range(0, 0xf0000, 0x10000)))
_UNSAFE_IN_FILE = re.compile(f"[{_UNSAFE}]")  # in a file, CR LF line ends are fine
_UNSAFE_IN_VALUE = re.compile(f"[{_UNSAFE}\r]")  # in a value, a CR can only be an escape
# The same for text with no character beyond U+FFFF (nearly all text), which re matches
# against a table instead of trying each of the ranges above in turn: ten times faster.
_BMP = _UNSAFE.split("\U000f0000")[0] + "\ufdd0-\ufdef\ufffe\uffff"
_BMP_UNSAFE_IN_FILE = re.compile(f"[{_BMP}]")
_BMP_UNSAFE_IN_VALUE = re.compile(f"[{_BMP}\r]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def unsafe_character(text: str, in_file: bool = False) -> int | None:
    """The index of the first character text must not hold (see _UNSAFE), or None."""
    if _ASTRAL.search(text):
        m = (_UNSAFE_IN_FILE if in_file else _UNSAFE_IN_VALUE).search(text)
    else:
        m = (_BMP_UNSAFE_IN_FILE if in_file else _BMP_UNSAFE_IN_VALUE).search(text)
    return m.start() if m else None


def describe_character(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control...' (never the character
    itself: it may be a terminal escape or reverse the message it is shown in)."""
    code = f"U+{ord(ch):04X}"
    if 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069:
        return (f"{code} {unicodedata.name(ch)}, a bidirectional control that can show text "
                "in another order than it is read (LRM and RLM are allowed)")
    name = unicodedata.name(ch, "") or {"Cc": "a control character", "Co": "a private-use "
                                        "character", "Cs": "a surrogate"}.get(
        unicodedata.category(ch), "a noncharacter")
    return f"{code} ({name}), which leaflet text must not hold"


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


def read_limited(path: Path, limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, refusing anything larger than limit; raises YamlError.
    (A folder, a FIFO or a device named like a content file must neither crash nor
    hang the build, and a huge file is refused without reading it all.)"""
    try:
        if not path.is_file():
            raise YamlError(1, "is not a regular file")
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise YamlError(1, f"cannot read the file: {e.strerror or e}") from None
    if len(raw) > limit:
        raise YamlError(1, f"file is over {limit:,} bytes, the limit")
    return raw


def decode_text(raw: bytes) -> str:
    """UTF-8 text with no NUL and no unsafe character; raises YamlError at the line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise YamlError(raw[: e.start].count(b"\n") + 1, "file is not valid UTF-8") from None
    if "\x00" in text:
        raise YamlError(text[: text.index("\x00")].count("\n") + 1, "file contains a NUL byte")
    at = unsafe_character(text, in_file=True)
    if at is not None:
        raise YamlError(_line_at(text, at), f"file contains {describe_character(text[at])}")
    return text


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _event_line(event: yaml.Event) -> int:
    """The line an event starts on; the parser marks every event it makes."""
    return event.start_mark.line + 1 if event.start_mark else 1


# libyaml's parser (PyYAML's C loader) is about ten times faster and keeps line numbers in
# its marks; without it (a PyYAML built without libyaml) the pure-Python one does the same.
_FAST = getattr(yaml, "CSafeLoader", None)


def load_yaml(path: Path) -> Source:
    """Parse one YAML file into plain data; raises YamlError with a line."""
    text = decode_text(read_limited(path))
    if _FAST is not None:
        try:
            return _load(path, text, _FAST)
        except (yaml.YAMLError, YamlError):
            # Errors are reported as the pure-Python parser words them and places them,
            # so they read the same with or without libyaml: parse again to get them.
            pass
    return _load(path, text, yaml.SafeLoader)


def _load(path: Path, text: str, loader: Any) -> Source:
    try:
        depth = 0
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                # Aliases let a tiny file expand to gigabytes ("billion laughs");
                # content never needs them.
                raise YamlError(_event_line(event), "YAML aliases (*name) are not allowed")
            tag = getattr(event, "tag", None)
            if tag is not None:
                # Tags (!!python/object, !!int, !custom) ask for a type the content
                # model never needs; some make PyYAML fail outside its own errors.
                raise YamlError(_event_line(event), f"YAML tags ({clip(tag)}) are not allowed")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:  # deeper would exhaust Python's stack in the composer
                    raise YamlError(_event_line(event), f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        if loader is not yaml.SafeLoader:
            raise
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        message = f"YAML syntax: {e.problem or e.context}"
        if e.problem and e.context and e.context_mark and e.context_mark.line + 1 != line:
            # An unclosed quote or bracket is found lines later: say where it began.
            message += f" ({e.context} at line {e.context_mark.line + 1})"
        raise YamlError(line, message) from None
    except yaml.YAMLError as e:  # the reader's errors carry no mark
        if loader is not yaml.SafeLoader:
            raise
        raise YamlError(1, f"YAML: {e}") from None
    source = Source(path, None)
    if node is None:
        raise YamlError(1, "file is empty")
    source.data = _convert(node, (), source, yaml.constructor.SafeConstructor())
    return source


def _convert(node: yaml.Node, loc: Loc, source: Source,
             constructor: yaml.constructor.SafeConstructor) -> Any:
    source.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(key_node.start_mark.line + 1, "YAML merge keys (<<) are not allowed")
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(key_node.start_mark.line + 1, "keys must be plain names")
            key = _checked(key_node, key_node.value)
            if key in out:
                raise YamlError(key_node.start_mark.line + 1, f"duplicate key '{clip(key)}'")
            out[key] = _convert(value_node, loc + (key,), source, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, loc + (i,), source, constructor) for i, item in enumerate(node.value)]
    # Scalars: PyYAML's safe resolver decides the type, so a bare number stays a
    # number and the model can report "expected text".
    try:
        value = constructor.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as e:
        # A plain value PyYAML takes for a number or a date but cannot make one of
        # ("2024-13-45", an integer of 5,000 digits) raises ValueError, not a YAML error.
        raise YamlError(node.start_mark.line + 1, f"cannot read the value '{clip(node.value)}' "
                        f"({clip(str(e), 80)}); put text in quotes") from None
    return _checked(node, value) if isinstance(value, str) else value


def _checked(node: yaml.Node, text: str) -> str:
    # Escapes in double quotes ("\u202E", "\0", "\e") make what the file check cannot see.
    at = unsafe_character(text)
    if at is not None:
        raise YamlError(node.start_mark.line + 1, f"text contains {describe_character(text[at])}")
    return text


def clip(text: str, size: int = 60) -> str:
    """Text short enough to quote in a message."""
    return text if len(text) <= size else text[: size - 3] + "..."


@lru_cache(maxsize=None)
def string_lines(path: Path) -> dict[str, int]:
    """Each string constant in one of leafgen's own Python files (labels, family blanks,
    default timescales) and the line it starts on, read from the syntax tree."""
    lines: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lines[node.value] = min(lines.get(node.value, node.lineno), node.lineno)
    return lines
