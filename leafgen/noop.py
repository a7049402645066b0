"""A build with nothing to do, told without loading anything.

After a build with no failure, the builder remembers (in the project's cache) a digest of
everything it read, and what it found: the artifacts it listed, the notes it printed.
When the same build is asked for again and the digest is the same, and the output
folder still holds exactly what that build left (manifest, files, site), the answer is
known: every artifact is unchanged. It is given without importing pydantic, Babel,
Jinja or the renderers, or merging a single document (a fraction of a second instead of
several). Anything in doubt, anything not recognised, means the full build.

The digest covers, byte for byte: leafgen.yaml and every file under leaflets/,
authorities/, translations/ and templates/ (links by their target), leafgen's own code,
the installed Python packages (by name and version), the Python that runs, the versions
of the programs and libraries the formats depend on (as the full build reads them), and
the request itself (project, output folder, selection, shard)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

RECORD_VERSION = 1
INPUT_FOLDERS = ("leaflets", "authorities", "translations", "templates")
# Tools that are not Python packages (those are in the digest, by name and version).
PROGRAMS = ("espeak-ng", "liblouis", "fonts-noto-core")


class Notes(Protocol):
    def start(self, total: int) -> None: ...
    def note(self, line: str) -> None: ...
    def finish(self) -> None: ...


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
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


class Plan:
    """One build request, and what is known about it from the last build that completed."""

    def __init__(self, root: Path, out: Path, authorities: tuple[str, ...] = (),
                 leaflets: tuple[str, ...] = (), langs: tuple[str, ...] = (),
                 formats: tuple[str, ...] = (), shard: tuple[int, int] | None = None) -> None:
        self.root, self.out = root.resolve(), out
        self.request: dict[str, Any] = {
            "root": str(self.root), "out": str(out.resolve()), "authorities": list(authorities),
            "leaflets": list(leaflets), "langs": list(langs), "formats": list(formats),
            "shard": list(shard) if shard else None}
        self.cache = self._cache_dir()
        self.record_path = None if self.cache is None else \
            self.cache / "state" / f"{hashlib.sha256(self.request['out'].encode()).hexdigest()[:16]}.noop.json"
        self.inputs = _inputs_digest(self.root, self.request)  # before anything is read

    def _cache_dir(self) -> Path | None:
        """cache_dir from leafgen.yaml (the full build checks it; here, anything unusual
        is None, which means: no record, build in full)."""
        path = self.root / "leafgen.yaml"
        value: Any = ".cache"
        if path.exists():
            try:
                import yaml
                data = yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except Exception:
                return None
            if not isinstance(data, dict):
                return None
            value = data.get("cache_dir", ".cache")
        if not isinstance(value, str) or not value.strip() or Path(value).is_absolute() \
                or ".." in Path(value).parts:
            return None
        return self.root / value

    def _record(self) -> dict[str, Any] | None:
        if self.record_path is None:
            return None
        try:
            record = json.loads(self.record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
            return None
        return record

    def nothing_to_do(self, reporter: Notes) -> list[str] | None:
        """The artifacts, all unchanged, when this build would do nothing; else None."""
        from leafgen.output import Manifest, output_lock
        record = self._record()
        try:
            if record is None or record["inputs"] != self.inputs or \
                    record["tools"] != {t: tool_version(t) for t in record["tools"]}:
                return None
            with output_lock(self.out):
                if any(self.out.rglob(".*.tmp")):
                    return None  # left by a killed build: the full build cleans up
                manifest = Manifest(self.out, Path(record["state"]))
                if manifest.saved_digest() != record["manifest"] or not manifest.unchanged() \
                        or manifest.changed_on_disk or any(
                            manifest.entries.get(path, {}).get("key") != key
                            for path, key in record["artifacts"].items()):
                    return None
                if not _same_files(self.out, record["site"]):
                    return None
        except (KeyError, TypeError, AttributeError):  # a record from elsewhere
            return None
        for line in record["notes"]:
            reporter.note(line)
        reporter.start(0)
        reporter.finish()
        return list(record["artifacts"])

    def remember(self, artifacts: dict[str, str], tools: list[str], notes: list[str],
                 state: Path, site: list[Path]) -> None:
        """After a build in which nothing failed: what it found (artifact path -> key)."""
        if self.record_path is None:
            return
        from leafgen.output import Manifest, file_mark, write_atomic
        record = {"version": RECORD_VERSION, "inputs": self.inputs,
                  "tools": {t: tool_version(t) for t in sorted(set(tools)) if t in PROGRAMS},
                  "artifacts": artifacts, "notes": notes, "state": str(state),
                  "manifest": Manifest(self.out, state).saved_digest(),
                  "site": {str(p.relative_to(self.out)): file_mark(p) for p in site}}
        write_atomic(self.record_path, json.dumps(record).encode())

    def forget(self) -> None:
        """Before a build changes anything: the record no longer describes the output."""
        if self.record_path is not None:
            self.record_path.unlink(missing_ok=True)


def _same_files(out: Path, files: dict[str, Any]) -> bool:
    from leafgen.output import file_mark
    return all(file_mark(out / name) == mark for name, mark in files.items())


def _inputs_digest(root: Path, request: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps(request, sort_keys=True).encode())
    h.update(sys.version.encode() + b"\0" + sys.executable.encode() + b"\0")
    _add_file(h, root / "leafgen.yaml", "leafgen.yaml")
    for folder in INPUT_FOLDERS:
        _add_tree(h, root / folder, folder)
    _add_tree(h, Path(__file__).parent, "<leafgen>")
    installed: set[str] = set()  # the installed packages, by name and version
    for entry in sys.path:
        try:
            installed.update(n for n in os.listdir(entry or ".")
                             if n.endswith((".dist-info", ".egg-info", ".pth", ".egg-link")))
        except OSError:
            continue
    h.update(f"{sorted(installed)}\0".encode())
    return h.hexdigest()


def _add_tree(h: Any, folder: Path, name: str) -> None:
    if not folder.is_dir() or folder.is_symlink():
        _add_file(h, folder, name)
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        here = Path(dirpath)
        h.update(f"\0folder\0{name}/{here.relative_to(folder)}\0{dirnames}\0".encode(
            "utf-8", "surrogateescape"))
        for entry in sorted(filenames):
            _add_file(h, here / entry, f"{name}/{(here / entry).relative_to(folder)}")
        if any((here / d).is_symlink() for d in dirnames):
            # what a linked folder holds is not followed here: never take it as unchanged
            h.update(os.urandom(16))


def _add_file(h: Any, path: Path, name: str) -> None:
    h.update(b"\0file\0" + name.encode("utf-8", "surrogateescape") + b"\0")
    try:
        if path.is_symlink():
            h.update(b"link\0" + os.readlink(path).encode("utf-8", "surrogateescape") + b"\0")
        if path.is_file():
            h.update(b"bytes\0%d\0" % path.stat().st_size + path.read_bytes())
        else:
            h.update(b"not a file" if path.exists() else b"missing")
    except OSError as e:
        h.update(f"unreadable {e.errno}".encode())
