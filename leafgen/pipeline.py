"""The document pipeline: a project opened once, and the Documents it gives for a
selection. `build`, `pack`, `serve`, `translate`, `status`, `list` and `validate` ask a
Project for what they need; none of them loads the options or merges content itself."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable

import click
from babel.messages.catalog import Catalog as PoFile

from leafgen.config import ProjectConfig, load_config
from leafgen.errors import Problem, Problems
from leafgen.glossary import load_glossary
from leafgen.formats import FORMATS, Format
from leafgen.coverage import Gap, gaps
from leafgen.i18n import (LanguageCatalog, RecordingCatalog, load_memory, make_template,
                          translated_languages)
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.shared import Shared
from leafgen.merge import merge
from leafgen.model import Document
from leafgen.project import Content, authority_files, leaflet_files, load_content, templates_folder
from leafgen.quality import check_translations
from leafgen.sandbox import ContentRenderer


@dataclass(frozen=True)
class Selection:
    """What to build; an empty tuple means all."""
    authorities: tuple[str, ...] = ()
    leaflets: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()


class Project:
    """A content project folder, opened once. Its options (leafgen.yaml) are read and
    checked here, once; their problems are reported with the content's by documents()."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems = Problems(root)  # the options' problems, until documents() reports them
        self.config: ProjectConfig = load_config(root, self.problems)
        # texts shown in English for want of a translation, and the translations' quality
        # warnings (leafgen/quality.py), found by the last documents()
        self.gaps: list[Gap] = []
        self.warnings: list[Problem] = []

    @property
    def templates(self) -> Path:
        return templates_folder(self.root)

    @cached_property
    def languages(self) -> list[str]:
        """English, and every language with a translation memory file, in registry order."""
        return translated_languages(self.root)

    @property
    def authorities(self) -> list[str]:
        return list(authority_files(self.root))

    @property
    def leaflets(self) -> list[str]:
        return list(leaflet_files(self.root))

    @property
    def formats(self) -> list[Format]:
        """Every format leafgen can build (in some language)."""
        return [f for f in FORMATS.values() if f.available]

    def choose_formats(self, names: Iterable[str]) -> list[Format]:
        """The named formats (all when none), or a ClickException naming the choices."""
        return [FORMATS[n] for n in choose("format", tuple(names), [f.name for f in self.formats],
                                           known=list(FORMATS))]

    def _content(self, problems: Problems) -> Content:
        content = load_content(self.root, problems)
        if not self.templates.is_dir():
            problems.add(self.templates, 1, "missing templates/ folder")
        return content

    def english(self, problems: Problems, content: Content | None = None,
                renderer: ContentRenderer | None = None) -> tuple[list[Document], RecordingCatalog]:
        """Every authority and leaflet merged in English, recording every text used (the
        translation template is exactly what the merge asks for, so the two always agree)."""
        content = content or self._content(problems)
        renderer = renderer or ContentRenderer()
        recorder = RecordingCatalog()
        docs = []
        for a in sorted(content.authorities):
            for lf in sorted(content.leaflets):
                doc = merge(content.leaflets[lf], content.authorities[a], recorder, problems,
                            renderer, logo=content.logos.get(a))
                if doc:
                    docs.append(doc)
        return docs, recorder

    def template(self) -> PoFile:
        """The .pot the current content implies (raises ContentError if content is broken)."""
        problems = Problems(self.root)
        _, recorder = self.english(problems)
        problems.raise_if_any()
        return make_template(recorder.seen, self.root)

    def documents(self, selection: Selection = Selection(), strict: bool = False) -> list[Document]:
        """Load, check, translate and merge every selected (authority, leaflet, language).
        Raises ContentError naming every problem, the options' too (nothing is built then).
        A text with no current translation is shown in English (see self.gaps), or, if
        strict (or the project's translations option is), is a problem."""
        strict = strict or self.config.translations == "strict"
        self.gaps = []
        problems = Problems(self.root)
        problems.items += self.problems.items
        content = self._content(problems)
        authorities = choose("authority", selection.authorities, self.authorities)
        leaflets = choose("leaflet", selection.leaflets, self.leaflets)
        langs = choose("language", selection.langs, self.languages, known=list(LANGUAGES))
        renderer = ContentRenderer()
        shared = Shared()  # equal texts and sections held once across the documents
        english, recorder = self.english(problems, content, renderer)
        english = [shared.document(d) for d in english]
        docs = [d for d in english if d.authority_id in authorities and d.leaflet_id in leaflets] \
            if SOURCE_LANGUAGE in langs else []
        others = [lang for lang in langs if lang != SOURCE_LANGUAGE]
        if others and not problems:
            pot = make_template(recorder.seen, self.root)
            glossary = load_glossary(self.root, problems)
            twins = {(d.authority_id, d.leaflet_id): d for d in english}  # bilingual editions
            for lang in others:
                memory = load_memory(self.root, lang, pot, problems)
                if memory is None:
                    continue
                check_translations(memory, glossary, problems)
                self.gaps += [g for g in gaps(memory, recorder.seen)
                              if g.context is None or g.context in authorities]
                for a in authorities:
                    for lf in leaflets:
                        if a in content.authorities and lf in content.leaflets:
                            doc = merge(content.leaflets[lf], content.authorities[a],
                                        LanguageCatalog(memory, problems, strict), problems,
                                        renderer, logo=content.logos.get(a))
                            if doc:
                                docs.append(shared.document(replace(doc, english=twins.get((a, lf)))))
        self.warnings = sorted(set(problems.warnings))
        problems.raise_if_any()
        return docs


def load_documents(root: Path, selection: Selection = Selection()) -> list[Document]:
    """The selected documents of the project at root (see Project.documents)."""
    return Project(root).documents(selection)


def choose(kind: str, asked: tuple[str, ...], available: list[str],
           known: list[str] | None = None) -> list[str]:
    """The names asked for, in order and once each (all available when none), or a
    ClickException naming what can be chosen."""
    if not asked:
        return available
    for name in asked:
        if name not in available:
            what = f"{kind} '{name}' is not available yet" if known and name in known \
                else f"unknown {kind} '{name}'"
            raise click.ClickException(f"{what}; choose from: {', '.join(available)}")
    return list(dict.fromkeys(asked))
