"""One accessible, standalone HTML page per leaflet (no external resources). The same
page, for print, is what the PDF renderer lays out."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from leafgen.formats import RenderContext
from leafgen.inline import tel_uri, tokens, web_uri
from leafgen.model import DocBullets, DocContacts, DocFamilyFields, DocParagraph, Document


def render(doc: Document, ctx: RenderContext) -> bytes:
    css = (ctx.templates / "html" / "leaflet.css").read_text(encoding="utf-8")
    return page(doc, ctx, "screen", css).encode("utf-8")


def page(doc: Document, ctx: RenderContext, medium: Literal["screen", "print"], css: str) -> str:
    """The leaflet as an HTML page for a screen (links, contents) or for print."""
    return environment(ctx.templates).get_template("html/leaflet.html").render(
        doc=doc, _=doc.label, css=Markup(css), kind=_block_kind, medium=medium)


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


def _block_kind(block: object) -> str:
    return {DocParagraph: "paragraph", DocBullets: "bullets", DocContacts: "contacts",
            DocFamilyFields: "family_fields"}[type(block)]
