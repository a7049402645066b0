"""Writing results: atomic files and the manifest that lists every artifact."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file beside path, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out: Path) -> list[dict[str, Any]]:
    """The artifacts of the last build that still exist unchanged on disk."""
    try:
        entries = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    kept = []
    for entry in entries:
        try:
            data = (out / entry["path"]).read_bytes()
        except (OSError, KeyError, TypeError):
            continue
        if sha256(data) == entry.get("sha256"):
            kept.append(entry)
    return kept


def write_manifest(out: Path, entries: list[dict[str, Any]]) -> None:
    body = {"version": MANIFEST_VERSION,
            "artifacts": sorted(entries, key=lambda e: e["path"])}
    write_atomic(out / MANIFEST, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode())
