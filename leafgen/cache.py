"""The project's cache folder (cache_dir, .cache by default): what it holds, and pruning.

speech/  encoded speech pieces, named by the digest of their text, voice, rate, engine
         and its version (audio.Speaker.key): safe to restore from any earlier run or
         another machine, as a piece is only ever found by the key of what it says. A
         piece's modification time is its last use (a build touches each piece it reads).
state/   what the last builds found (build.py, noop.py), by output folder: losing it
         costs one full build.

Nothing else under the cache folder is leafgen's, so nothing else is reported or pruned."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

KINDS = {"speech": "encoded speech (by content)", "state": "build state (by output folder)"}
_AGE = re.compile(r"^(\d+)([dhm])$")
_SECONDS = {"d": 86400, "h": 3600, "m": 60}


@dataclass(frozen=True)
class Usage:
    kind: str
    files: int
    size: int
    oldest: float | None  # last use, seconds since the epoch
    newest: float | None


def parse_age(text: str) -> float:
    """'30d', '12h', '90m' -> seconds (ValueError otherwise)."""
    m = _AGE.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not an age such as 30d, 12h or 90m")
    return int(m.group(1)) * _SECONDS[m.group(2)]


def _entries(cache: Path, kind: str) -> list[Path]:
    folder = cache / kind
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()] if folder.is_dir() else []


def usage(cache: Path) -> list[Usage]:
    report = []
    for kind in KINDS:
        stats = [p.stat() for p in _entries(cache, kind)]
        times = [s.st_mtime for s in stats]
        report.append(Usage(kind, len(stats), sum(s.st_size for s in stats),
                            min(times) if times else None, max(times) if times else None))
    return report


def prune(cache: Path, older_than: float, now: float | None = None) -> tuple[int, int]:
    """Remove the entries not used for older_than seconds: (files, bytes) removed. An
    entry removed is only made again when next needed."""
    limit = (now if now is not None else time.time()) - older_than
    files = size = 0
    for kind in KINDS:
        for path in _entries(cache, kind):
            st = path.stat()
            if st.st_mtime < limit:
                path.unlink(missing_ok=True)
                files, size = files + 1, size + st.st_size
        for folder in sorted((cache / kind).rglob("*"), reverse=True) if (cache / kind).is_dir() else []:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return files, size
