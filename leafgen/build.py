"""The build pipeline: load and check everything, merge, render, write atomically."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

import click

from leafgen.config import load_config
from leafgen.errors import Problems
from leafgen.formats import FORMATS, Format
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.i18n import (LanguageCatalog, RecordingCatalog, load_memory, make_template,
                          translated_languages)
from leafgen.merge import merge
from leafgen.model import Document
from leafgen.output import read_manifest, sha256, write_atomic, write_manifest
from leafgen.project import Content, authority_files, leaflet_files, load_content
from leafgen.sandbox import ContentRenderer


@dataclass(frozen=True)
class Selection:
    """What to build; an empty tuple means all."""
    authorities: tuple[str, ...] = ()
    leaflets: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()


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


def available_languages(root: Path) -> list[str]:
    """English, and every language with a translation memory file."""
    return translated_languages(root)


def record_english(content: Content, problems: Problems,
                   renderer: ContentRenderer) -> tuple[list[Document], RecordingCatalog]:
    """Merge every authority and leaflet in English, recording every text used (the
    translation template is exactly what the merge asks for, so the two always agree)."""
    recorder = RecordingCatalog()
    docs = []
    for a in sorted(content.authorities):
        for lf in sorted(content.leaflets):
            doc = merge(content.leaflets[lf], content.authorities[a], recorder, problems, renderer)
            if doc:
                docs.append(doc)
    return docs, recorder


def load_documents(root: Path, selection: Selection = Selection()) -> list[Document]:
    """Load, check, translate and merge every selected (authority, leaflet, language).
    Raises ContentError naming every problem (nothing is built then)."""
    problems = Problems(root)
    load_config(root, problems)
    content = load_content(root, problems)
    if not (root / "templates").is_dir():
        problems.add(root / "templates", 1, "missing templates/ folder")
    authorities = _choose("authority", selection.authorities, list(authority_files(root)))
    leaflets = _choose("leaflet", selection.leaflets, list(leaflet_files(root)))
    langs = _choose("language", selection.langs, available_languages(root), known=list(LANGUAGES))
    renderer = ContentRenderer()
    english, recorder = record_english(content, problems, renderer)
    chosen = lambda d: d.authority_id in authorities and d.leaflet_id in leaflets  # noqa: E731
    docs = [d for d in english if chosen(d)] if SOURCE_LANGUAGE in langs else []
    others = [lang for lang in langs if lang != SOURCE_LANGUAGE]
    if others and not problems:
        pot = make_template(recorder.seen, root)
        for lang in others:
            memory = load_memory(root, lang, pot, problems)
            if memory is None:
                continue
            for a in authorities:
                for lf in leaflets:
                    if a in content.authorities and lf in content.leaflets:
                        doc = merge(content.leaflets[lf], content.authorities[a],
                                    LanguageCatalog(memory, problems), problems, renderer)
                        if doc:
                            docs.append(doc)
    problems.raise_if_any()
    return docs


def choose_formats(names: Iterable[str]) -> list[Format]:
    names = tuple(names)
    built = [f.name for f in FORMATS.values() if f.available]
    return [FORMATS[n] for n in _choose("format", names, built, known=list(FORMATS))]


def _choose(kind: str, asked: tuple[str, ...], available: list[str],
            known: list[str] | None = None) -> list[str]:
    if not asked:
        return available
    for name in asked:
        if name not in available:
            what = f"{kind} '{name}' is not available yet" if known and name in known \
                else f"unknown {kind} '{name}'"
            raise click.ClickException(f"{what}; choose from: {', '.join(available)}")
    return list(dict.fromkeys(asked))


def build(root: Path, out: Path, selection: Selection = Selection(),
          reporter: Reporter = SilentReporter()) -> BuildResult:
    """Build the selection into out; content problems abort before anything is written."""
    formats = choose_formats(selection.formats)
    docs = load_documents(root, selection)
    config = load_config(root, Problems(root))  # checked by load_documents
    artifacts = [Artifact(doc, fmt) for doc in docs for fmt in formats
                 if not fmt.unavailable_reason(doc.lang)]
    for skipped in sorted({(doc.lang, fmt.name) for doc in docs for fmt in formats
                           if fmt.unavailable_reason(doc.lang)}):
        reporter.note(f"skipped {skipped[1]} in {skipped[0]}: "
                      f"{FORMATS[skipped[1]].unavailable_reason(skipped[0])}")
    templates = root / "templates"
    previous = {e["path"]: e for e in read_manifest(out)}
    result = BuildResult()
    entries = dict(previous)
    show = reporter.step
    reporter.start(len(artifacts))
    for artifact in artifacts:
        try:
            data = artifact.format.render(artifact.doc, templates, config)
        except Exception as e:  # one broken artifact must not stop or corrupt the others
            result.failed.append(artifact.path)
            show(f"{artifact.path}: error: {artifact.format.name} failed: {type(e).__name__}: {e}")
            continue
        digest = sha256(data)
        entry = {"path": artifact.path, "authority": artifact.doc.authority_id,
                 "leaflet": artifact.doc.leaflet_id, "lang": artifact.doc.lang,
                 "format": artifact.format.name, "sha256": digest, "bytes": len(data),
                 "translation": artifact.doc.translation}
        if previous.get(artifact.path, {}).get("sha256") == digest:
            result.unchanged.append(artifact.path)
            show(f"unchanged {artifact.path}")
        else:
            write_atomic(out / artifact.path, data)
            result.written.append(artifact.path)
            show(f"wrote {artifact.path} ({len(data):,} bytes)")
        entries[artifact.path] = entry
    write_manifest(out, list(entries.values()))  # last: it only lists complete files
    reporter.finish()
    return result
