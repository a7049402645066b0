"""What an artifact depends on, as digests: it is rebuilt when any of them changes.
Modification times are never trusted (CI checkouts reset them)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from leafgen.config import ProjectConfig
from leafgen.formats import Format
from leafgen.model import Document


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # pydantic models inside the document (contacts)
        return value.model_dump()
    raise TypeError(f"cannot digest {type(value).__name__}")


def document_digest(doc: Document) -> str:
    content = dataclasses.asdict(doc)
    del content["sources"]  # where the text came from changes no output
    return digest(content)


def templates_digest(templates: Path, folder: str) -> str:
    """Every file under templates/<folder>, by name and content."""
    h = hashlib.sha256()
    for path in sorted((templates / folder).rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(templates)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=32)
def tool_version(name: str) -> str:
    """The version of a library or program whose change can change an artifact."""
    if name == "espeak-ng":
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
        return out.stdout.strip()
    if name == "liblouis":
        import louis  # a thin ctypes binding: cheap to load, and untyped
        version: str = louis.version()
        return version
    if name == "fonts-noto-core":
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def artifact_inputs(doc: Document, fmt: Format, template_digests: dict[str, str],
                    config: ProjectConfig) -> dict[str, str]:
    """The digest of each kind of input; the artifact's key is the digest of these.
    template_digests: templates_digest() of each folder, computed once per build."""
    options = {key: getattr(config, setting) for key, setting in fmt.settings.items()
               if setting != "cache_dir"}  # where the cache lives changes nothing in the output
    return {
        "format": f"{fmt.name}/{fmt.version}",
        "document": document_digest(doc),
        "templates": digest({f: template_digests[f] for f in fmt.templates}),
        "options": digest(options),
        "tools": digest({t: tool_version(t) for t in fmt.tools}),
    }
