"""The output formats, registered by name. A format turns a Document into bytes;
it never reads YAML or PO files and never writes files (the builder does)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal, TypedDict

from leafgen.config import ProjectConfig
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.model import Document


# The time written into documents that must carry one (DOCX core properties, the EPUB's
# dcterms:modified, zip entries): fixed, so the same content gives the same bytes.
FIXED_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use besides the document: the project's templates and options."""
    templates: Path
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str        # appended to the leaflet id to make the file name
    media_type: str
    # plain words for people choosing a download: a label in labels.py, so it is translated;
    # {size} is the format's point size, {minutes} an MP3's running time
    description: str
    # leafgen.formats.<module>[:function](doc, ctx) -> bytes (function: render); None: not built yet
    module: str | None
    # render option -> the project setting (leafgen.yaml) that gives its value
    settings: dict[str, str] = field(default_factory=dict)
    # what the format needs from a language (see the registry, leafgen/languages.py): a
    # braille table or a voice; a language without it gets its record's reason
    # (or "translation": a bilingual edition, of a translation and its English)
    needs: Literal["braille", "voice", "translation"] | None = None
    # What else the output depends on (see freshness.py): template folders, and the
    # libraries and programs whose versions can change it. Bump version when the
    # renderer's own output changes.
    templates: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    version: int = 1
    # The description where the language has no voice (the format is made without speech)
    without_voice: str = ""

    @property
    def available(self) -> bool:
        return self.module is not None

    @property
    def speaks(self) -> bool:
        """Whether it is made with speech (MP3, EPUB): it has a speech engine setting."""
        return "speech_engine" in self.settings.values()

    def unavailable_reason(self, lang: str | None = None) -> str:
        """Why this format cannot be built (in this language); empty when it can."""
        if not self.available:
            return "not built yet (planned)"
        if lang is None or self.needs is None:
            return ""
        language = LANGUAGES[lang]
        if self.needs == "translation":
            return ""  # English is not lacking anything: see applies_to
        if self.needs == "braille":
            return "" if language.braille_table else language.no_braille or "no braille table"
        return "" if language.voice else language.no_voice or "no voice"

    def applies_to(self, lang: str) -> bool:
        """Whether the format is made in this language at all: a bilingual edition is of a
        translation and its English, never of English alone (nothing to say or skip)."""
        return not (self.needs == "translation" and lang == SOURCE_LANGUAGE)

    def describe(self, config: ProjectConfig, minutes: int | str = "N",
                 translated: Callable[[str], str] = lambda label: label,
                 lang: str | None = None) -> str:
        """The description filled in ("Large print PDF, 18 point"), in a language (and for
        a language: a format made without speech where it has no voice)."""
        size = getattr(config, self.settings["size"]) if "size" in self.settings else None
        description = self.description
        if self.without_voice and lang is not None and not LANGUAGES[lang].voice:
            description = self.without_voice
        language = LANGUAGES[lang].native_name if lang else "the family's language"
        return translated(description).format(size=size, minutes=minutes, language=language)

    def short_description(self, config: ProjectConfig) -> str:
        """The description without an MP3's running time: what to choose a format by."""
        return self.describe(config).split(", about")[0]

    @property
    def large_print(self) -> bool:
        """Whether this is a large print edition (its size is the large print size): the
        brand colour needs more contrast there (colour.py)."""
        return self.settings.get("size") == "large_print_size"

    def file_name(self, leaflet_id: str) -> str:
        return leaflet_id + self.suffix

    def render(self, doc: Document, templates: Path, config: ProjectConfig = ProjectConfig()) -> bytes:
        # Imported here so that `leafgen --help` never pays for a heavy renderer.
        if self.module is None:
            raise ValueError(f"the {self.name} format is {self.unavailable_reason()}")
        name, _, function = self.module.partition(":")
        module = importlib.import_module(f"leafgen.formats.{name}")
        options = {key: getattr(config, setting) for key, setting in self.settings.items()}
        options["large_print"] = self.large_print
        render: Renderer = getattr(module, function or "render")
        return render(doc, RenderContext(templates, options))


Renderer = Callable[[Document, RenderContext], bytes]


class _Shared(TypedDict):
    """What formats made by one renderer have in common."""
    settings: dict[str, str]
    needs: Literal["braille", "voice", "translation"] | None
    templates: tuple[str, ...]
    tools: tuple[str, ...]


BRAILLE_SETTINGS = {"grade": "braille_grade", "cells": "braille_cells", "lines": "braille_lines"}

PDF_TOOLS = ("weasyprint", "pydyf", "pikepdf", "fonts-noto-core")
DOCX_TOOLS = ("python-docx",)
AUDIO_TOOLS = ("espeak-ng", "lameenc", "mutagen", "pyebur128", "scipy", "pyttsx3")
BRAILLE: _Shared = dict(settings=BRAILLE_SETTINGS, needs="braille", templates=("braille",),
                        tools=("liblouis",))

FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("html", ".html", "text/html", "Web page (HTML)", "html", templates=("html",),
           tools=("jinja2",)),
    Format("txt", ".txt", "text/plain", "Text only", "txt"),
    Format("pdf", ".pdf", "application/pdf", "Clear print PDF", "pdf",
           {"size": "clear_print_size", "urdu": "urdu_print", "site_url": "site_url"}, templates=("html", "pdf"),
           tools=PDF_TOOLS),
    Format("large-print-pdf", ".large-print.pdf", "application/pdf", "Large print PDF, {size} point", "pdf",
           {"size": "large_print_size", "urdu": "urdu_print", "site_url": "site_url"}, templates=("html", "pdf"),
           tools=PDF_TOOLS),
    Format("docx", ".docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "Word document", "docx", {"size": "clear_print_size", "site_url": "site_url"}, tools=DOCX_TOOLS),
    Format("large-print-docx", ".large-print.docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "Large print Word document, {size} point", "docx", {"size": "large_print_size", "site_url": "site_url"}, tools=DOCX_TOOLS),
    Format("brf", ".brf", "application/x-brf", "Braille (BRF, for embossers)", "braille:render_brf",
           **BRAILLE),
    Format("pef", ".pef", "application/x-pef+xml", "Braille (PEF, for braille displays and embossers)",
           "braille:render_pef", **BRAILLE),
    Format("mp3", ".mp3", "audio/mpeg", "Audio (MP3), about {minutes} minutes", "audio",
           {"rate": "speech_rate", "cache": "cache_dir", "engine": "speech_engine",
            "voices": "speech_voices"}, needs="voice",
           tools=AUDIO_TOOLS, version=5),
    Format("epub", ".epub", "application/epub+zip", "Talking book (EPUB), text and audio together",
           "epub", {"rate": "speech_rate", "cache": "cache_dir", "engine": "speech_engine",
                    "voices": "speech_voices"}, templates=("epub",), tools=AUDIO_TOOLS,
           without_voice="E-book (EPUB), text only"),
    Format("bilingual-pdf", ".bilingual.pdf", "application/pdf",
           "Bilingual PDF, in {language} and English", "pdf:render_bilingual",
           {"size": "clear_print_size", "urdu": "urdu_print", "site_url": "site_url"}, needs="translation",
           templates=("html", "pdf"), tools=PDF_TOOLS),
    Format("bilingual-docx", ".bilingual.docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "Bilingual Word document, in {language} and English", "docx:render_bilingual",
           {"size": "clear_print_size", "site_url": "site_url"}, needs="translation", tools=DOCX_TOOLS),
]}


def load_renderers(names: tuple[str, ...]) -> None:
    """Import the renderers of these formats (names not known are left to the build to
    report): a worker does it before its first task, so that task does not wait."""
    for name in names:
        module = FORMATS[name].module if name in FORMATS else None
        if module:
            importlib.import_module(f"leafgen.formats.{module.partition(':')[0]}")
