"""Building: render the selected documents in every format and write what changed, atomically."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from leafgen import coverage
from leafgen.config import ProjectConfig
from leafgen.formats import FORMATS, Format, load_renderers
from leafgen.model import Document
from leafgen.freshness import artifact_inputs, digest, document_digest, templates_digest
from leafgen.output import Manifest, output_lock, sha256, write_atomic
from leafgen.noop import Plan
from leafgen.pipeline import Project, Selection
from leafgen.pool import Failed, Outcome, RenderPool, cost
from leafgen.site import write_site_if_changed


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


def build(root: Path, out: Path, selection: Selection = Selection(),
          reporter: Reporter = SilentReporter(), jobs: int | None = None,
          shard: Shard | None = None, plan: Plan | None = None, strict: bool = False) -> BuildResult:
    """Build the selection into out, skipping artifacts whose inputs are unchanged.
    Content problems abort before anything is written. plan: this request's Plan, when
    the caller already made one (to ask it whether there is nothing to do). strict: a
    text with no current translation is an error, not shown in English."""
    names = selection.formats or tuple(FORMATS)
    jobs = jobs or default_jobs(names)
    # The workers start now and load the renderers while this process reads and merges
    # the content (seconds, on one core), so the first render does not wait for them.
    warm = partial(load_renderers, names)
    with RenderPool[tuple[Document, str]](0 if jobs == 1 else jobs, warm=warm) as pool:
        pool.spawn()
        return _build(root, out, selection, reporter, pool, shard, plan, strict)


def default_jobs(format_names: tuple[str, ...]) -> int:
    """A worker per core, and one more when a format speaks (MP3, EPUB): a worker making
    speech waits for its speech process, and that process for it, so with one worker a
    core the cores stood idle a fifteenth of the time. Measured, a cold MP3 build of the
    matrix on 2 cores, alternated: 102.1 and 103.2 s with 2 workers (14 core-seconds
    idle), 98.5 and 100.6 s with 3 (5 idle)."""
    cores = os.cpu_count() or 1
    return cores + 1 if any(FORMATS[name].speaks for name in format_names) else cores


def _build(root: Path, out: Path, selection: Selection, reporter: Reporter,
           pool: RenderPool[tuple[Document, str]], shard: Shard | None, plan: Plan | None,
           strict: bool) -> BuildResult:
    if plan is None:  # made before anything is read, so a file changed meanwhile is seen next time
        plan = Plan(root, out, selection.authorities, selection.leaflets, selection.langs,
                    selection.formats, shard)
    project = Project(root)
    formats = project.choose_formats(selection.formats)
    docs = project.documents(selection, strict)
    config, templates = project.config, project.templates
    artifacts = [Artifact(doc, fmt) for doc in docs for fmt in formats
                 if fmt.applies_to(doc.lang) and not fmt.unavailable_reason(doc.lang)]
    notes = [f"skipped {name} in {lang}: {FORMATS[name].unavailable_reason(lang)}"
             for lang, name in sorted({(doc.lang, fmt.name) for doc in docs for fmt in formats
                                       if fmt.unavailable_reason(doc.lang)})]
    notes += coverage.summary(project.gaps)
    for line in notes:
        reporter.note(line)
    artifacts = [a for a in artifacts if in_shard(a.path, shard)]
    result = BuildResult()
    with output_lock(out):
        plan.forget()
        for leftover in out.rglob(".*.tmp"):  # from a build that was killed: we hold the lock
            leftover.unlink()
        state = Path(config.cache_dir) / "state" / f"{sha256(str(out.resolve()).encode())[:16]}.json"
        manifest = Manifest(out, state)
        folders = {f: templates_digest(templates, f) for fmt in formats for f in fmt.templates}
        todo = []
        documents = {id(doc): document_digest(doc) for doc in docs}  # once each, not per format
        keys = {}
        for artifact in artifacts:
            inputs = artifact_inputs(documents[id(artifact.doc)], artifact.format, folders, config)
            english = artifact.doc.english
            if artifact.format.needs == "translation" and english is not None:  # bilingual
                inputs["english"] = documents.get(id(english)) or document_digest(english)
            key = keys[artifact.path] = digest(inputs)
            old = manifest.entries.get(artifact.path)
            if old and old.get("key") == key:
                result.unchanged.append(artifact.path)
                continue
            todo.append((artifact, inputs, key, _reason(artifact.path, old, inputs, manifest)))
        manifest.drop([a.path for a, *_ in todo])
        reporter.start(len(todo))
        # Expensive formats first; within one, a council of each language in turn, so that
        # workers rendering at once work in different languages rather than all making the
        # speech the councils share at the same time (the first council of a language fills
        # the speech cache for the others).
        turn: dict[tuple[str, str], int] = {}
        order = {}
        for artifact, *_ in todo:
            group = (artifact.format.name, artifact.doc.lang)
            order[artifact.path] = turn[group] = turn.get(group, -1) + 1
        todo.sort(key=lambda t: (cost(t[0].format.name), order[t[0].path]))
        for (artifact, inputs, key, reason), outcome in zip(todo, _render_all(
                [(a.doc, a.format.name) for a, *_ in todo], templates, config, pool)):
            if isinstance(outcome, Failed):  # one broken artifact must not stop or corrupt the others
                where = artifact.doc.source_of(outcome.text) if outcome.text else None
                result.failed.append(artifact.path)
                reporter.step(f"{artifact.path}: error: {artifact.format.name} failed: "
                              f"{outcome.message}" + (f" [source: {where}]" if where else ""))
                continue
            data = outcome.data
            write_atomic(out / artifact.path, data)
            d = artifact.doc
            manifest.record({"path": artifact.path, "authority": d.authority_id,
                             "leaflet": d.leaflet_id, "lang": d.lang, "format": artifact.format.name,
                             "sha256": sha256(data), "bytes": len(data),
                             "translation": d.translation, "title": d.title,
                             **_completeness(d),
                             "council": d.authority_name, "key": key, "inputs": inputs})
            result.written.append(artifact.path)
            reporter.step(f"wrote {artifact.path} ({len(data):,} bytes; {reason})")
        manifest.save()
        site = write_site_if_changed(out, templates, config, state.with_suffix(".site.json"))
        if not result.failed:
            plan.remember(keys, [t for fmt in formats for t in fmt.tools], notes, state, site)
    reporter.finish()
    return result


def _completeness(doc: Document) -> dict[str, int]:
    """How much of a translated document is translated, for the manifest and the site."""
    if doc.completeness is None:
        return {}
    done, total = doc.completeness
    return {"translated_percent": doc.percent_translated or 0, "parts_in_english": total - done}


def _reason(path: str, old: dict[str, Any] | None, inputs: dict[str, str],
            manifest: Manifest) -> str:
    if old is None:
        return "changed on disk" if path in manifest.changed_on_disk else "new"
    changed = [k for k, v in inputs.items() if old.get("inputs", {}).get(k) != v]
    return "changed: " + ", ".join(changed or ["inputs"])


def _render_one(task: tuple[Document, str], templates: Path, config: ProjectConfig) -> bytes:
    """One artifact's bytes (a failure is turned into a pool.Failed by the pool)."""
    doc, name = task
    return FORMATS[name].render(doc, templates, config)


def _render_all(tasks: list[tuple[Document, str]], templates: Path, config: ProjectConfig,
                pool: RenderPool[tuple[Document, str]],
                render: Callable[..., bytes | Outcome] = _render_one) -> Iterator[Outcome]:
    """Render in the order given, in the build's pool (see leafgen.pool: a worker that
    dies costs one more try)."""
    for _, outcome in pool.run(render, tasks, (templates, config)):
        yield outcome
