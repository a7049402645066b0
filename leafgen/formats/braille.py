"""Braille: BRF (braille ASCII, for embossers) and PEF (Portable Embosser Format), from one
page layout of our own, translated by liblouis (Debian's python3-louis binding).

Layout follows UK practice (UKAAF braille layout): a title page with the council and the
leaflet title; the braille page number at the right of each page's first line; the main
heading and section headings centred with a blank line around them; contact names as
side headings after a blank line; paragraphs starting in cell 3 with runovers in cell 1;
list items each on a new line with runovers in cell 3; words never split across lines."""
from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, assert_never
from xml.sax.saxutils import escape

import louis

from leafgen.formats import RenderContext
from leafgen.inline import tokens
from leafgen.labels import UNTRANSLATED_MARK
from leafgen.languages import LANGUAGES
from leafgen.model import Contact, DocBullets, DocContacts, DocFamilyFields, DocParagraph, Document

BLANK = "\u2800"
ENGLISH_GRADE_1 = "en-ueb-g1.ctb"  # UEB grade 1 for English when the project asks for it
# Tables by language are in the registry (leafgen/languages.py). In languages in other
# scripts (Language.latin_in_ueb), words in Latin script (names of places and services,
# addresses, emails) are written in UEB grade 1, a code embossers and readers in the UK
# know; the Arabic-script and Indic tables write Latin letters in 8-dot computer braille
# or not at all.
LATIN_RUN = re.compile(r"[A-Za-z][\w@.'&/-]*(?:[ ,]+[A-Za-z0-9][\w@.'&/-]*)*", re.ASCII)
# Letter + nukta as NFC writes them, to the precomposed letters the Indic tables define.
PRECOMPOSED = {
    "pa": {"\u0a38\u0a3c": "\u0a36", "\u0a16\u0a3c": "\u0a59", "\u0a17\u0a3c": "\u0a5a",
           "\u0a1c\u0a3c": "\u0a5b", "\u0a2b\u0a3c": "\u0a5e", "\u0a32\u0a3c": "\u0a33"},
    "bn": {"\u09a1\u09bc": "\u09dc", "\u09a2\u09bc": "\u09dd", "\u09af\u09bc": "\u09df"},
}
# North American braille ASCII, indexed by the cell's dot bits (U+2800 + index).
BRAILLE_ASCII = " A1B'K2L@CIF/MSP\"E3H9O6R^DJG>NTQ,*5<-U8V.%[$+X!&;:4\\0Z7(_?W]#Y)="
HYPHEN = "\u2824"  # dots 36: marks a word too long for a line, continued on the next


class BrailleError(Exception):
    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text  # the text that failed, so the builder can find its source line


@dataclass(frozen=True)
class Layout:
    cells: int = 40
    lines: int = 25


def table_for(lang: str, grade: int, templates: Path) -> list[str]:
    table = LANGUAGES[lang].braille_table
    if table is None:
        raise BrailleError(LANGUAGES[lang].no_braille or f"no braille table for {lang}", "")
    name = ENGLISH_GRADE_1 if lang == "en" and grade == 1 else table
    own = templates / "braille" / name
    return ["unicode.dis", str(own) if own.exists() else name]


class Translator:
    """Text in one language to 6-dot Unicode braille."""

    def __init__(self, lang: str, grade: int, templates: Path) -> None:
        self.lang = lang
        self.tables = table_for(lang, grade, templates)
        self.latin = ["unicode.dis", ENGLISH_GRADE_1] if LANGUAGES[lang].latin_in_ueb else None
        self.english = self.tables if lang == "en" else ["unicode.dis", ENGLISH_GRADE_1]

    def __call__(self, text: str, english: bool = False) -> str:
        """english: text shown in English for want of a translation, written in UEB
        grade 1 whatever the document's language (a reader of another language's braille
        need not know English contractions)."""
        try:
            return translate(text, self.english) if english else self._translate(text)
        except BrailleError as e:
            e.text = text  # the whole text, not the run that failed: the document knows it
            raise

    def _translate(self, text: str) -> str:
        for pair, letter in PRECOMPOSED.get(self.lang, {}).items():
            text = text.replace(pair, letter)
        if self.lang != "en" and any(kind in ("email", "web") for kind, _ in tokens(text)):
            # Emails and web addresses are English computer text: in UEB grade 1 in every
            # language (other tables leave _ undefined, or write capitals inside a word
            # in 8 dots), spaced from the text around them as it is.
            return "".join(translate(value, [*self.tables[:1], ENGLISH_GRADE_1])
                           if kind in ("email", "web") else self._translate(value)
                           for kind, value in tokens(text))
        if self.latin is None:
            return translate(text, self.tables)
        parts, pos = [], 0
        for m in LATIN_RUN.finditer(text):
            parts.append(_spaced(text[pos:m.start()], self.tables))
            parts.append(translate(m.group(), self.latin))
            pos = m.end()
        parts.append(_spaced(text[pos:], self.tables))
        return "".join(parts)


def _spaced(text: str, tables: list[str]) -> str:
    """Translate a piece of a line, keeping its leading and trailing spaces as blank cells."""
    core = text.strip(" ")
    if not core:
        return BLANK * len(text)
    lead, trail = len(text) - len(text.lstrip(" ")), len(text) - len(text.rstrip(" "))
    return BLANK * lead + translate(core, tables) + BLANK * trail


def translate(text: str, tables: list[str]) -> str:
    """Text to 6-dot Unicode braille. A character the table does not define (liblouis
    would drop it or write an escape) or writes in 8-dot braille is an error.

    Remembered per process: councils share most of their text, so the same paragraph
    in the same table comes back once per council, leaflet and braille format (at 150
    councils, liblouis was two fifths of a build). A table file of the project's own is
    part of the key by its size and time, so an edited table is read again."""
    translated = _translated if _REMEMBER.get() else _translated.__wrapped__
    return translated(text, tuple(tables), tuple(_stamp(t) for t in tables))


_REMEMBER: ContextVar[bool] = ContextVar("remember", default=True)  # False: private text


def _stamp(table: str) -> tuple[int, int] | None:
    try:
        st = os.stat(table) if os.path.isabs(table) else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st else None


@lru_cache(maxsize=1 << 16)
def _translated(text: str, table_tuple: tuple[str, ...], _stamps: tuple[object, ...]) -> str:
    tables = list(table_tuple)
    cells: str = louis.translateString(tables, text)  # louis (ctypes) is untyped
    if cells != louis.translateString(tables, text, mode=louis.noUndefined):
        bad = {ch for ch in text if ch.strip()
               and louis.translateString(tables, ch, mode=louis.noUndefined) == ""}
        raise BrailleError(f"the braille table {Path(tables[-1]).name} does not define "
                           f"{_names(bad)} (in: '{text[:60]}')", text)
    if any(not 0x2800 <= ord(c) <= 0x283F for c in cells):  # 8 dots, or a letter let through
        bad = {ch for ch in text if any(not 0x2800 <= ord(c) <= 0x283F
                                        for c in louis.translateString(tables, ch))}
        raise BrailleError(f"the braille table {Path(tables[-1]).name} writes {_names(bad)} in "
                           f"8-dot braille, which 6-dot BRF cannot hold (in: '{text[:60]}')", text)
    return cells


def _names(chars: set[str]) -> str:
    return ", ".join(f"U+{ord(ch):04X} '{ch}'" for ch in sorted(chars)) or "a character sequence"


class Pager:
    """Fills pages of braille lines, numbering each page at the right of its first line."""

    def __init__(self, layout: Layout, number: Callable[[int], str]) -> None:
        self.layout, self.number = layout, number
        self.pages: list[list[str]] = []
        self._new_page()

    def _new_page(self) -> None:
        n = self.number(len(self.pages) + 1)
        self.pages.append([BLANK * (self.layout.cells - len(n)) + n])

    def room(self) -> int:
        return self.layout.lines - len(self.pages[-1])

    def add(self, lines: list[str], keep_together: bool = False) -> None:
        if keep_together and len(lines) <= self.layout.lines - 1 and len(lines) > self.room():
            self._new_page()
        for line in lines:
            if self.room() == 0:
                self._new_page()
            self.pages[-1].append(line)

    def blank(self) -> None:
        """A blank line, except at the top of a page, where the page break is the space."""
        if len(self.pages[-1]) > 1:
            self.add([""])

    def page_break(self) -> None:
        if len(self.pages[-1]) > 1:
            self._new_page()


def wrap(cells: str, width: int, first: int = 0, rest: int = 0) -> list[str]:
    """Lines of at most width cells, breaking only between words (a word longer than
    a line is split, each break marked with a hyphen)."""
    lines: list[str] = []
    line = BLANK * first
    for word in [w for w in cells.split(BLANK) if w]:
        indent = BLANK * (rest if lines or line.strip(BLANK) else first)
        if line.strip(BLANK) and len(line) + 1 + len(word) <= width:
            line += BLANK + word
            continue
        if line.strip(BLANK):
            lines.append(line)
            line = BLANK * rest
            indent = line
        while len(indent) + len(word) > width:  # only a single over-long word gets here
            take = width - len(indent) - 1
            lines.append(indent + word[:take] + HYPHEN)
            word, indent = word[take:], BLANK * rest
        line = indent + word
    if line.strip(BLANK):
        lines.append(line)
    return lines


def centred(cells: str, width: int) -> list[str]:
    return [BLANK * ((width - len(line)) // 2) + line for line in wrap(cells, width)]


def layout_pages(doc: Document, ctx: RenderContext) -> list[list[str]]:
    """The whole leaflet as braille pages of lines (Unicode braille, trailing blanks trimmed)."""
    layout = Layout(ctx.options.get("cells", 40), ctx.options.get("lines", 25))
    translator = Translator(doc.lang, ctx.options.get("grade", 2), ctx.templates)

    # A family's details (a pack's filled-in blanks) are never remembered: a web app's
    # worker lives on after the pack is downloaded.
    private = {f.value for section in doc.sections for block in section.blocks
               if isinstance(block, DocFamilyFields) for f in block.fields if f.value}

    def t(text: str, *parts: str) -> str:
        """Text in braille; in English braille when it (or, given parts, each of the parts
        it is made of) is shown in English."""
        token = _REMEMBER.set(not any(value in text for value in private))
        try:
            return translator(text, english=doc.untranslated(text) or bool(parts) and all(
                doc.untranslated(part) for part in parts))
        finally:
            _REMEMBER.reset(token)

    def mark(*texts: str) -> None:
        """The not-yet-translated note before text shown in English, as a note in cell 5."""
        if doc.untranslated(*texts):
            pager.add(wrap(t(doc.label(UNTRANSLATED_MARK)), w, 4, 4))

    w = layout.cells
    pager = Pager(layout, lambda n: t(str(n)))
    # Title page.
    pager.blank()
    pager.add(centred(t(doc.authority_name), w))
    pager.blank()
    pager.add(centred(t(doc.title), w))
    pager.blank()
    pager.add(centred(t(doc.subtitle), w))
    mark(doc.title, doc.subtitle)
    if doc.notice:
        pager.blank()
        for text in dict.fromkeys(doc.notice):
            pager.add(wrap(t(text), w, 2, 0))
    pager.page_break()
    for section in doc.sections:
        pager.blank()
        heading = centred(t(section.heading), w)
        pager.add(heading + [""], keep_together=True)
        mark(section.heading)
        for block in section.blocks:
            mark(*doc.texts_of(block))
            match block:
                case DocParagraph():
                    pager.add(wrap(t(block.text), w, 2, 0))
                case DocBullets():
                    for item in block.items:
                        pager.add(wrap(t(item), w, 0, 2))
                case DocContacts():
                    for contact in block.contacts:
                        pager.blank()
                        pager.add(_contact(contact, doc, t, w), keep_together=True)
                case DocFamilyFields():
                    for f in block.fields:
                        pager.add(wrap(_pair(t, f.label, f.value or "", doc) + BLANK + HYPHEN * 10,
                                       w, 0, 2))
                case _:  # a new kind of block must be written here, not dropped
                    assert_never(block)
    pager.blank()
    pager.add(wrap(t(f"{doc.label('Published by')} {doc.organisation}.", doc.label("Published by")),
                   w, 2, 0))
    return [[line.rstrip(BLANK) for line in page] for page in pager.pages]


def _contact(c: Contact, doc: Document, t: Callable[..., str], width: int) -> list[str]:
    lines = wrap(t(c.name), width)
    for label, value in doc.contact_fields(c):
        lines += wrap(_pair(t, label, value, doc) if label else t(value), width, 0, 2)
    return lines


def _pair(t: Callable[..., str], label: str, value: str, doc: Document) -> str:
    """'Label: value' in braille: as one text when both parts are in one language; else
    each part in its own language's braille (a label shown in English for want of a
    translation, a value in the document's language, or the other way round)."""
    if doc.untranslated(label) == doc.untranslated(value) or not value.strip():
        return t(f"{label}: {value}", label)
    return t(f"{label}:", label) + BLANK + t(value)


def to_ascii(cells: str) -> str:
    return "".join(BRAILLE_ASCII[ord(c) - 0x2800] for c in cells)


def render_brf(doc: Document, ctx: RenderContext) -> bytes:
    pages = layout_pages(doc, ctx)
    return "\f".join("".join(to_ascii(line) + "\r\n" for line in page) for page in pages).encode("ascii")


def render_pef(doc: Document, ctx: RenderContext) -> bytes:
    pages = layout_pages(doc, ctx)
    cols, rows = ctx.options.get("cells", 40), ctx.options.get("lines", 25)
    body = "".join(
        "<page>" + "".join(f"<row>{line}</row>" if line else "<row/>" for line in page) + "</page>\n"
        for page in pages)
    ident = f"leafgen:{doc.authority_id}/{doc.leaflet_id}/{doc.lang}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<pef version="2008-1" xmlns="http://www.daisy.org/ns/2008/pef">\n'
        '<head><meta xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:format>application/x-pef+xml</dc:format>"
        f"<dc:identifier>{escape(ident)}</dc:identifier>"
        f"<dc:title>{escape(doc.title)} – {escape(doc.authority_name)}</dc:title>"
        f"<dc:language>{doc.lang}</dc:language>"
        f"<dc:publisher>{escape(doc.organisation)}</dc:publisher>"
        "</meta></head>\n"
        f'<body><volume cols="{cols}" rows="{rows}" rowgap="0" duplex="false"><section>\n'
        f"{body}</section></volume></body>\n</pef>\n").encode("utf-8")
