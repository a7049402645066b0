"""What an artifact depends on, as digests: it is rebuilt when any of them changes.
Modification times are never trusted (CI checkouts reset them)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from leafgen.config import ProjectConfig
from leafgen.formats import Format
from leafgen.model import Document
from leafgen.noop import tool_version  # noqa: F401  (here too: the no-op check needs it alone)


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # pydantic models inside the document (contacts)
        return value.model_dump()
    if isinstance(value, (set, frozenset)):  # the texts shown in English
        return sorted(value)
    raise TypeError(f"cannot digest {type(value).__name__}")


def document_digest(doc: Document) -> str:
    """The digest of everything in the document (the same as of dataclasses.asdict(doc),
    without its deep copies: a tenth of the time)."""
    # where the text came from changes no output; the English twin has its own digest
    return digest({name: _tree(getattr(doc, name)) for name in _CONTENT_FIELDS})


def _tree(value: Any) -> Any:
    """Dataclasses as dicts of their fields, tuples as lists, all the way down."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    if kind not in _FIELDS:
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind)) \
            if dataclasses.is_dataclass(kind) else None
    names = _FIELDS[kind]
    if names is not None:
        return {name: _tree(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _tree(v) for k, v in value.items()}
    return value


_FIELDS: dict[type, tuple[str, ...] | None] = {}  # a dataclass's field names; None: not one
_CONTENT_FIELDS = tuple(f.name for f in dataclasses.fields(Document)
                        if f.name not in ("sources", "english"))


def templates_digest(templates: Path, folder: str) -> str:
    """Every file under templates/<folder>, by name and content."""
    h = hashlib.sha256()
    for path in sorted((templates / folder).rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(templates)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def artifact_inputs(doc: Document | str, fmt: Format, template_digests: dict[str, str],
                    config: ProjectConfig) -> dict[str, str]:
    """The digest of each kind of input; the artifact's key is the digest of these.
    doc: the document, or its document_digest() (a build digests each document once, not
    once per format); template_digests: templates_digest() of each folder, computed once
    per build."""
    options = {key: getattr(config, setting) for key, setting in fmt.settings.items()
               if setting != "cache_dir"}  # where the cache lives changes nothing in the output
    return {
        "format": f"{fmt.name}/{fmt.version}",
        "document": doc if isinstance(doc, str) else document_digest(doc),
        "templates": digest({f: template_digests[f] for f in fmt.templates}),
        "options": digest(options),
        "tools": digest({t: tool_version(t) for t in fmt.tools}),
    }
