"""Building: render the selected documents in every format and write what changed, atomically."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from leafgen.config import ProjectConfig
from leafgen.formats import FORMATS, Format
from leafgen.model import Document
from leafgen.freshness import artifact_inputs, digest, templates_digest
from leafgen.output import Manifest, output_lock, sha256, write_atomic
from leafgen.pipeline import Project, Selection
from leafgen.site import write_site


@dataclass(frozen=True)
class Artifact:
    doc: Document
    format: Format

    @property
    def path(self) -> str:
        d = self.doc
        return f"{d.authority_id}/{d.leaflet_id}/{d.lang}/{self.format.file_name(d.leaflet_id)}"


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Reporter(Protocol):
    """Shows a build's progress (a bar on a terminal, a line per artifact otherwise)."""
    def start(self, total: int) -> None: ...
    def step(self, line: str) -> None: ...
    def note(self, line: str) -> None: ...
    def finish(self) -> None: ...


class SilentReporter:
    def start(self, total: int) -> None: pass
    def step(self, line: str) -> None: pass
    def note(self, line: str) -> None: pass
    def finish(self) -> None: pass


Shard = tuple[int, int]  # (K, N): the K-th of N parts, K from 1


def in_shard(path: str, shard: Shard | None) -> bool:
    """A stable split of the artifacts by their path, the same on every machine."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(path.encode()).hexdigest(), 16) % n == k - 1


# Slow formats first, so the last worker is not left with an hour of audio.
COST = {"mp3": 0, "pdf": 1, "large-print-pdf": 1, "docx": 2, "large-print-docx": 2}


def build(root: Path, out: Path, selection: Selection = Selection(),
          reporter: Reporter = SilentReporter(), jobs: int | None = None,
          shard: Shard | None = None) -> BuildResult:
    """Build the selection into out, skipping artifacts whose inputs are unchanged.
    Content problems abort before anything is written."""
    project = Project(root)
    formats = project.choose_formats(selection.formats)
    docs = project.documents(selection)
    config, templates = project.config, project.templates
    artifacts = [Artifact(doc, fmt) for doc in docs for fmt in formats
                 if not fmt.unavailable_reason(doc.lang)]
    for skipped in sorted({(doc.lang, fmt.name) for doc in docs for fmt in formats
                           if fmt.unavailable_reason(doc.lang)}):
        reporter.note(f"skipped {skipped[1]} in {skipped[0]}: "
                      f"{FORMATS[skipped[1]].unavailable_reason(skipped[0])}")
    artifacts = [a for a in artifacts if in_shard(a.path, shard)]
    result = BuildResult()
    with output_lock(out):
        for leftover in out.rglob(".*.tmp"):  # from a build that was killed: we hold the lock
            leftover.unlink()
        state = Path(config.cache_dir) / "state" / f"{sha256(str(out.resolve()).encode())[:16]}.json"
        manifest = Manifest(out, state)
        folders = {f: templates_digest(templates, f) for fmt in formats for f in fmt.templates}
        todo = []
        for artifact in artifacts:
            inputs = artifact_inputs(artifact.doc, artifact.format, folders, config)
            key = digest(inputs)
            old = manifest.entries.get(artifact.path)
            if old and old.get("key") == key:
                result.unchanged.append(artifact.path)
                continue
            todo.append((artifact, inputs, key, _reason(artifact.path, old, inputs, manifest)))
        manifest.drop([a.path for a, *_ in todo])
        reporter.start(len(todo))
        todo.sort(key=lambda t: COST.get(t[0].format.name, 3))
        for (artifact, inputs, key, reason), outcome in zip(todo, _render_all(
                [(a.doc, a.format.name) for a, *_ in todo], templates, config, jobs)):
            if isinstance(outcome, tuple):  # one broken artifact must not stop or corrupt the others
                message, text = outcome
                where = artifact.doc.source_of(text) if text else None
                result.failed.append(artifact.path)
                reporter.step(f"{artifact.path}: error: {artifact.format.name} failed: {message}"
                              + (f" [source: {where}]" if where else ""))
                continue
            write_atomic(out / artifact.path, outcome)
            d = artifact.doc
            manifest.record({"path": artifact.path, "authority": d.authority_id,
                             "leaflet": d.leaflet_id, "lang": d.lang, "format": artifact.format.name,
                             "sha256": sha256(outcome), "bytes": len(outcome),
                             "translation": d.translation, "title": d.title,
                             "council": d.authority_name, "key": key, "inputs": inputs})
            result.written.append(artifact.path)
            reporter.step(f"wrote {artifact.path} ({len(outcome):,} bytes; {reason})")
        manifest.save()
        write_site(out, templates, config)
    reporter.finish()
    return result


def _reason(path: str, old: dict[str, Any] | None, inputs: dict[str, str],
            manifest: Manifest) -> str:
    if old is None:
        return "changed on disk" if path in manifest.changed_on_disk else "new"
    changed = [k for k, v in inputs.items() if old.get("inputs", {}).get(k) != v]
    return "changed: " + ", ".join(changed or ["inputs"])


def _render_one(task: tuple[Document, str], templates: Path,
                config: ProjectConfig) -> bytes | tuple[str, str | None]:
    """The artifact's bytes, or (error message, the text it concerns if known)."""
    doc, name = task
    try:
        return FORMATS[name].render(doc, templates, config)
    except Exception as e:  # reported per artifact by the builder
        return f"{type(e).__name__}: {e}", getattr(e, "text", None)


def _render_all(tasks: list[tuple[Document, str]], templates: Path, config: ProjectConfig,
                jobs: int | None, render: Callable[..., bytes | tuple[str, str | None]] = _render_one,
                ) -> Iterator[bytes | tuple[str, str | None]]:
    """Render in order, in this process (jobs=1) or in worker processes that live for the
    whole build, so WeasyPrint, fonts and the speech engine load once per worker.

    A worker that dies (killed, out of memory) breaks its pool and every artifact not yet
    rendered with it. Those get one more try in a fresh pool; what fails twice is reported."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(tasks) < 2:
        for task in tasks:
            yield render(task, templates, config)
        return
    results: dict[int, bytes | tuple[str, str | None]] = {}
    pending, tried_again, next_out = list(range(len(tasks))), False, 0
    while pending:
        broken: list[int] = []
        # spawn, not fork: a parent that already made speech holds espeak-ng's threads
        with ProcessPoolExecutor(max_workers=min(jobs, len(pending)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {}
            for i in pending:
                try:
                    futures[i] = pool.submit(render, tasks[i], templates, config)
                except BrokenProcessPool:  # a worker died while the work was being handed out
                    break
            for i in pending:
                try:
                    if i not in futures:
                        raise BrokenProcessPool("a worker died before this was handed out")
                    results[i] = futures[i].result()
                except BrokenProcessPool as e:
                    if tried_again:
                        results[i] = (f"worker process died: {e}", None)
                    else:
                        broken.append(i)
                while next_out in results:
                    yield results.pop(next_out)
                    next_out += 1
        pending, tried_again = broken, True
