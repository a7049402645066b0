"""Writing results: atomic files, a lock per output folder, and the manifest that lists
every complete artifact (kept true at every moment, so a killed build leaves it valid)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


class OutputError(OSError, click.ClickException):
    """A file could not be written (a full disk, a read-only folder). Still an OSError for
    callers that handle those; to the command line, a message rather than a traceback.
    Nothing half-written is left, and the manifest still lists only complete files (it
    is itself written atomically), so the next build, with space, completes the output."""

    def __init__(self, path: Path, error: OSError) -> None:
        OSError.__init__(self, error.errno, error.strerror, str(path))
        click.ClickException.__init__(self, f"cannot write {path}: {error.strerror or error}")


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temp file beside path, then rename: readers never see half a file.
    durable: forced to disk before the rename (a cache entry, checked when read, skips it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(path, e) from e
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise OutputError(path, e) from e
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """One build at a time per output folder; a second one stops with a clear message."""
    lock = out.parent / f".{out.name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise click.ClickException(f"another leafgen build (pid {f.read().strip() or '?'}) is "
                                       f"writing to {out}; wait for it to finish") from None
        f.seek(0)
        f.truncate()
        try:  # unbuffered, so a failed write leaves nothing to fail again at close
            os.write(f.fileno(), str(os.getpid()).encode())
        except OSError:  # a full disk: the pid only improves the other build's message
            pass
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Manifest:
    """The artifacts in an output folder. An entry is listed only while its file is
    complete and matches it: entries are dropped before their file is replaced and
    added back after, and the manifest is rewritten (atomically) as the build goes."""

    def __init__(self, out: Path, state: Path | None = None) -> None:
        self.out, self.state_path = out, state
        self._state = _read_json(state) if state else {}
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed_on_disk: set[str] = set()
        self._saved: tuple[bytes, bytes] | None = None  # (manifest, state) as last on disk
        self._touched = False  # an entry dropped, recorded or found changed since reading
        try:
            raw = (out / MANIFEST).read_bytes()
            listed = json.loads(raw.decode("utf-8"))["artifacts"]
        except (OSError, ValueError, KeyError, TypeError):
            raw, listed = b"", []
        for entry in listed:
            if isinstance(entry, dict) and self._intact(entry):
                self.entries[entry["path"]] = entry
            elif isinstance(entry, dict) and "path" in entry:
                self.changed_on_disk.add(str(entry["path"]))
                self._touched = True
            else:
                self._touched = True
        self._last_write = 0.0
        self._save_cost = 0.0  # seconds the last save took
        if state is not None and state.exists():
            self._saved = (raw, state.read_bytes())

    def _intact(self, entry: dict[str, Any]) -> bool:
        """Does the file still hold what the entry says? Size and mtime first (recorded by
        this machine), the digest when they differ: mtimes alone are never trusted."""
        try:
            path = self.out / entry["path"]
            stat = path.stat()
        except (OSError, KeyError, TypeError):
            return False
        seen = self._state.get(entry["path"])
        if seen == [stat.st_size, stat.st_mtime_ns, entry.get("sha256")]:
            return True
        if stat.st_size != entry.get("bytes"):
            return False
        ok = sha256(path.read_bytes()) == entry.get("sha256")
        if ok:
            self._state[entry["path"]] = [stat.st_size, stat.st_mtime_ns, entry["sha256"]]
            self._touched = True
        return ok

    def drop(self, paths: list[str]) -> None:
        if any(p in self.entries for p in paths):
            self._touched = True
            for p in paths:
                self.entries.pop(p, None)
            self.save()

    def record(self, entry: dict[str, Any]) -> None:
        self._touched = True
        self.entries[entry["path"]] = entry
        stat = (self.out / entry["path"]).stat()
        self._state[entry["path"]] = [stat.st_size, stat.st_mtime_ns, entry["sha256"]]
        # often enough that a killed build loses little, never so often that writing a
        # large manifest (thousands of entries, fsynced) costs more than a twentieth
        if time.monotonic() - self._last_write > max(1.0, 20 * self._save_cost):
            self.save()

    def unchanged(self) -> bool:
        """Every entry read was intact and none was recorded or dropped since (so save()
        would write what is on disk, unless the file on disk was not written by save())."""
        return self._saved is not None and not self._touched

    def saved_digest(self) -> str | None:
        """A digest of the manifest and state as on disk (None: no state)."""
        if self._saved is None:
            return None
        return sha256(self._saved[0] + b"\0" + self._saved[1])

    def _bodies(self) -> tuple[bytes, bytes]:
        body = {"version": MANIFEST_VERSION,
                "artifacts": sorted(self.entries.values(), key=lambda e: e["path"])}
        return ((json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode(),
                json.dumps(self._state).encode())

    def save(self) -> None:
        """Write the manifest and this machine's state, unless both are on disk already
        (a build that changed nothing writes nothing)."""
        start = time.monotonic()
        manifest, state = self._bodies()
        if self._saved != (manifest, state):
            write_atomic(self.out / MANIFEST, manifest)
            if self.state_path:
                write_atomic(self.state_path, state)
            self._saved = (manifest, state) if self.state_path else None
        self._last_write = time.monotonic()
        self._save_cost = self._last_write - start


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def merge_manifests(paths: list[Path]) -> dict[str, Any]:
    """Join shard manifests (each lists different artifacts) into one."""
    entries: dict[str, dict[str, Any]] = {}
    for path in paths:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("version") != MANIFEST_VERSION:
            raise click.ClickException(f"{path}: not a version {MANIFEST_VERSION} leafgen manifest")
        for entry in body["artifacts"]:
            other = entries.get(entry["path"])
            if other and other["sha256"] != entry["sha256"]:
                raise click.ClickException(f"{path}: {entry['path']} differs from another shard's")
            entries[entry["path"]] = entry
    return {"version": MANIFEST_VERSION, "artifacts": sorted(entries.values(), key=lambda e: e["path"])}


def file_mark(path: Path) -> list[int] | None:
    """A file's size and modification time, or None if it is gone: enough to notice that a
    file written by an earlier build was changed or replaced since (not what it holds)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]
