"""One accessible, standalone HTML page per leaflet (no external resources). The same
page, for print, is what the PDF renderer lays out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, NoReturn, assert_never

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from leafgen.colour import brand_style, heading_colour, is_large_print
from leafgen.formats import RenderContext
from leafgen.inline import tel_uri, tokens, web_uri
from leafgen.labels import QR_SENTENCE, UNTRANSLATED_MARK
from leafgen.languages import LANGUAGES
from leafgen.qr import printed_link
from leafgen.model import (DocBlock, DocBullets, DocContacts, DocFamilyFields, DocParagraph,
                           Document)


class RenderError(Exception):
    pass


# What would make a browser fetch something when a family opens the page: a URL in the
# stylesheet, an imported stylesheet, an element with a source, a linked resource.
_FETCHES = re.compile(r"url\s*\(|@import|<[^>]*\s(?:src|srcset|poster|data)\s*=|<link\b", re.I)


def render(doc: Document, ctx: RenderContext) -> bytes:
    css = (ctx.templates / "html" / "leaflet.css").read_text(encoding="utf-8")
    for name in ("leaflet.css", "leaflet.html"):
        _check_standalone(ctx.templates / "html" / name)
    return page(doc, ctx, "screen", css).encode("utf-8")


def _check_standalone(path: Path) -> None:
    """The page is standalone: it must not make a reader's browser fetch anything (which
    would tell a server who opens a child protection leaflet, and fail offline). The PDF
    is held to the same by its URL fetcher, which refuses every URL."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _FETCHES.search(line)
        if m:
            raise RenderError(f"{path.parent.parent.name}/{path.parent.name}/{path.name}:{number}: "
                              f"'{line.strip()[:60]}' would fetch a resource; the web page uses "
                              "none (no images, fonts or stylesheets by URL)")


@dataclass(frozen=True)
class Side:
    """The document a part of a page comes from, for templates/html/section.html: its
    labels, how text shown in English is marked, and (bilingual edition) the English of
    a contact's name and labels, shown beside them."""
    doc: Document
    prefix: str = ""  # before element ids, so that two halves of a page never share one
    english_of: dict[str, str] = field(default_factory=dict)

    def label(self, english: str) -> str:
        return self.doc.label(english)

    def en(self, *texts: str) -> Markup:
        """The English language on an element whose text is shown in English."""
        return Markup(' lang="en" dir="ltr"') if self.doc.untranslated(*texts) else Markup("")

    def mark(self, *texts: str) -> Markup:
        """The not-yet-translated note before text shown in English."""
        note = self.doc.label(UNTRANSLATED_MARK)
        return Markup('<p class="untranslated" role="note"{}>{}</p>\n').format(
            self.en(note), note) if self.doc.untranslated(*texts) else Markup("")

    def also(self, text: str) -> Markup:
        """A contact's name or label in English too, where it differs."""
        english = english_beside(self.english_of, self.doc, text)
        return Markup(' <span class="also" lang="en" dir="ltr">{}</span>').format(english) \
            if english else Markup("")


def english_beside(english_of: dict[str, str], doc: Document, text: str) -> str | None:
    """The English to show beside a contact's name or label in a bilingual edition, or
    None where the text says it already (shown in English, or holding the English)."""
    english = english_of.get(text)
    return english if english and english not in text and not doc.untranslated(text) else None


def page(doc: Document, ctx: RenderContext, medium: Literal["screen", "print"], css: str) -> str:
    """The leaflet as an HTML page for a screen (links, contents) or for print."""
    side = Side(doc)
    return environment(ctx.templates).get_template("html/leaflet.html").render(
        doc=doc, _=doc.label, css=Markup(css), kind=_block_kind, unhandled=_unhandled,
        medium=medium, en=side.en, mark=side.mark, side=side, QR_SENTENCE=QR_SENTENCE,
        brand=brand_style(heading_colour(doc.brand_colour, is_large_print(ctx.options))),
        link=printed_link(doc, ctx.options) if medium == "print" else None,
        logo_src=logo_src(doc, medium))


def bilingual_page(doc: Document, ctx: RenderContext, css: str) -> str:
    """The bilingual print page: each section in the document's language, then in
    English; the contact cards once, in the first half, with their English labels."""
    english = doc.english
    if english is None:
        raise RenderError(f"the bilingual edition needs the English of {doc.lang} (none given)")
    side = Side(doc, english_of=english_names(doc, english))
    return environment(ctx.templates).get_template("html/bilingual.html").render(
        doc=doc, english=english, _=doc.label, css=Markup(css), kind=_block_kind,
        unhandled=_unhandled, medium="print", side=side, english_side=Side(english, "en-"),
        pairs=list(zip(doc.sections, english.sections)),
        language=LANGUAGES[doc.lang].native_name, QR_SENTENCE=QR_SENTENCE,
        brand=brand_style(heading_colour(doc.brand_colour, is_large_print(ctx.options))),
        link=printed_link(doc, ctx.options), logo_src=logo_src(doc, "print"))


def logo_src(doc: Document, medium: Literal["screen", "print"]) -> str:
    """Where the page finds the logo: in itself (the web page stands alone) or, in
    print, from the PDF renderer, which hands it over from memory (pdf._NoFetching)."""
    if doc.logo is None:
        return ""
    return doc.logo.data_uri if medium == "screen" else "leafgen:logo"


def english_names(doc: Document, english: Document) -> dict[str, str]:
    """Each contact name and label of the document -> its English (the two documents
    have the same contacts in the same order)."""
    names = {doc.label(label): label for label in ("Address", "Email", "Web", "Opening hours",
                                                   "Areas covered")}
    for mine, theirs in zip(doc.sections, english.sections):
        for block, english_block in zip(mine.blocks, theirs.blocks):
            if isinstance(block, DocContacts) and isinstance(english_block, DocContacts):
                for c, e in zip(block.contacts, english_block.contacts):
                    names[c.name] = e.name
                    names.update({p.label: q.label for p, q in zip(c.phones, e.phones)})
    return names


@lru_cache(maxsize=4)
def environment(folder: Path) -> SandboxedEnvironment:
    """Templates are project files edited by comms teams: sandboxed too, and every
    value is escaped, so text can never become markup."""
    env = SandboxedEnvironment(loader=FileSystemLoader(folder), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["contact_text"] = contact_text
    env.filters["tel"] = tel_uri
    env.filters["web"] = web_uri
    return env


def contact_text(text: str) -> Markup:
    """Escape text, linking phones, emails and web addresses; each is isolated
    left-to-right so it never displays reversed inside right-to-left text."""
    parts = []
    for kind, value in tokens(text):
        v = escape(value)
        if kind == "phone":
            parts.append(Markup('<a href="{}"><bdi dir="ltr" class="nowrap">{}</bdi></a>').format(tel_uri(value), v))
        elif kind == "email":
            parts.append(Markup('<a href="mailto:{}"><bdi dir="ltr" class="nowrap">{}</bdi></a>').format(v, v))
        elif kind == "web":
            parts.append(Markup('<a href="{}"><bdi dir="ltr">{}</bdi></a>').format(web_uri(value), v))
        elif kind == "postcode":
            parts.append(Markup('<bdi dir="ltr" class="nowrap">{}</bdi>').format(v))
        else:
            parts.append(v)
    return Markup("").join(parts)


BlockKind = Literal["paragraph", "bullets", "contacts", "family_fields"]


def _block_kind(block: DocBlock) -> BlockKind:
    """The template's name for a block; templates/html/leaflet.html has a branch for each
    and ends in unhandled() for any other name."""
    match block:
        case DocParagraph():
            return "paragraph"
        case DocBullets():
            return "bullets"
        case DocContacts():
            return "contacts"
        case DocFamilyFields():
            return "family_fields"
        case _:
            assert_never(block)


def _unhandled(kind: str) -> NoReturn:
    raise AssertionError(f"templates/html/leaflet.html has no branch for a {kind!r} block")
