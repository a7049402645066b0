"""Clear print and large print PDF: tagged PDF/UA-1 from the leaflet's print page,
laid out by WeasyPrint. Both formats are this renderer with a different body size."""
from __future__ import annotations

import base64
import io
import logging
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import pikepdf
import pydyf

from leafgen.native import use_linker_cache_only

use_linker_cache_only()  # before WeasyPrint loads Pango: no compiler, no temporary files
import weasyprint  # noqa: E402
import weasyprint.draw  # noqa: E402
import weasyprint.urls  # noqa: E402
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from leafgen.formats import RenderContext
from leafgen.formats.html import bilingual_page, page
from leafgen.languages import LANGUAGES, NASTALIQ, NASTALIQ_LINE_HEIGHT
from leafgen.model import Document
from leafgen import qr
from leafgen.qr import printed_link

FONT_PACKAGE = "fonts-noto-core"


class RenderError(Exception):
    pass


def render(doc: Document, ctx: RenderContext) -> bytes:
    return _render(doc, ctx, lambda css: page(doc, ctx, "print", css))


def render_bilingual(doc: Document, ctx: RenderContext) -> bytes:
    """The bilingual edition: each section in the document's language, then in English."""
    return _render(doc, ctx, lambda css: bilingual_page(doc, ctx, css))


def _render(doc: Document, ctx: RenderContext, html_of: Callable[[str], str]) -> bytes:
    body = float(ctx.options.get("size", 14))
    fonts = LANGUAGES[doc.lang].fonts  # never a fallback
    line_height = LANGUAGES[doc.lang].line_height
    if doc.lang == "ur" and ctx.options.get("urdu") == "nastaliq":
        fonts, line_height = [NASTALIQ, *fonts[1:]], NASTALIQ_LINE_HEIGHT
    missing = [f for f in fonts if f not in installed_fonts()]
    if missing:
        raise RenderError(f"font {', '.join(missing)} is not installed "
                          f"(Debian package {FONT_PACKAGE}); refusing to fall back to another font")
    css = _css_environment(str(ctx.templates)).get_template("pdf/print.css").render(
        font_stack=", ".join(f'"{f}"' for f in fonts), body=body,
        h1=round(body * 1.6), h2=round(body * 1.25), h3=round(body * 1.1),
        line_height=line_height, page_label=_css_string(doc.label("Page")),
        direction=doc.dir)
    html = html_of(css)
    link = printed_link(doc, ctx.options)
    own = {"leafgen:qr": (qr.svg(link.address), "image/svg+xml")} if link else {}
    if doc.logo:
        own["leafgen:logo"] = (base64.b64decode(doc.logo.data), doc.logo.media_type)
    fetcher = _NoFetching(own)
    with _weasyprint_problems() as problems, _recording_text(doc.lang) as runs:
        pdf = weasyprint.HTML(string=html, base_url=str(ctx.templates / "pdf"),
                              url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")
    if fetcher.refused:
        raise RenderError("; ".join(f"{_where(url, ctx.templates)}refused to fetch {url[:80]}: "
                                    "leaflets use no external resources (no images, fonts or "
                                    "stylesheets by URL)" for url in fetcher.refused))
    if problems:
        raise RenderError("WeasyPrint: " + "; ".join(problems))
    return _finish_structure(pdf, runs, doc.lang)


@lru_cache(maxsize=1)
def installed_fonts() -> frozenset[str]:
    out = subprocess.run(["fc-list", "--format", "%{family}\n"], capture_output=True, text=True,
                         check=True).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


@lru_cache(maxsize=4)
def _css_environment(folder: str) -> Environment:
    return Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False)


def _css_string(text: str) -> str:
    """text as the inside of a CSS string: anything but letters and digits is escaped,
    so a translation can never close the string or the <style> element. Each escape
    ends with the space CSS allows there, so a space that follows is kept."""
    return "".join(ch if ch.isalnum() else f"\\{ord(ch):06x} " for ch in text)


class _NoFetching(weasyprint.urls.URLFetcher):  # type: ignore[misc]  # weasyprint is untyped
    """The page needs nothing from anywhere: no images, no fonts by URL, no stylesheets,
    so every URL (http:, file:, data:, relative to the templates) is refused and noted,
    except the images leafgen makes itself (the QR code), which it hands over from memory.
    A URL fetcher must be a URLFetcher in WeasyPrint 70: a plain function, as before,
    failed with an AttributeError on the first URL instead of refusing it clearly."""

    def __init__(self, own: dict[str, tuple[bytes, str]] | None = None) -> None:
        super().__init__(fail_on_errors=False)  # WeasyPrint goes on; render() reports
        self.refused: list[str] = []
        self.own = own or {}  # URL -> (bytes, media type)

    def fetch(self, url: str, headers: object = None) -> weasyprint.urls.URLFetcherResponse:
        if url in self.own:
            body, media_type = self.own[url]
            return weasyprint.urls.URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})
        self.refused.append(url)
        raise ValueError(f"refused to fetch {url[:80]}")


def _where(url: str, templates: Path) -> str:
    """'templates/pdf/print.css:12: ', the first template line naming url (or, for a
    relative URL that was resolved, its last part), so the message says what to remove."""
    needles = [url[:40]] if url.startswith("data:") else [url, url.rstrip("/").rsplit("/", 1)[-1]]
    for needle in needles:
        for path in sorted((templates / "pdf").glob("*")) + sorted((templates / "html").glob("*")):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(lines, 1):
                if needle and needle in line:
                    return f"{path.relative_to(templates.parent)}:{number}: "
    return ""


OWN_ARTIFACT_WARNING = 'Image "leafgen:qr" has no required alt description'


@contextmanager
def _weasyprint_problems() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings and errors (missing alt or lang, a glyph no font
    has, a refused fetch): a happy render logs nothing."""
    problems: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message != OWN_ARTIFACT_WARNING:  # made an artifact by _finish_structure
                problems.append(message)

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield problems
    finally:
        logger.removeHandler(handler)


# ---- the text layer ---------------------------------------------------------------
# WeasyPrint maps glyphs back to text through the font's ToUnicode table, which cannot
# express ligatures and reordered vowel signs: Gurmukhi and Bengali extract with letters
# dropped or out of order. Runs of those scripts are therefore wrapped in a
# marked-content sequence whose /ActualText is the run's logical text, which screen
# readers and text extraction use instead of the glyphs. (Patched into WeasyPrint's
# text drawing; pinned WeasyPrint version, and the text-layer tests guard it.)
#
# Right-to-left text cannot use the same fix: extractors such as poppler reorder the
# characters of an RTL line from visual to logical order, and reverse ActualText that is
# already logical. Naskh fonts map cleanly and extract exactly, so Arabic, Farsi and Urdu
# are set in Noto Naskh Arabic; Nastaliq, the usual Urdu style, garbles the text layer.

#
# For assistive technology, which reads the structure tree, every tagged run of text
# (in every language, RTL included) gets its logical text as /ActualText on its
# structure element: the text runs are recorded while WeasyPrint draws them.

_ACTUAL_TEXT_SCRIPTS = ((0x0980, 0x09FF), (0x0A00, 0x0A7F))  # Bengali, Gurmukhi
_draw_text = weasyprint.draw.draw_text
# While recording: the document's language, and (id of the page's tag table, MCID, text,
# language) for each tagged run drawn
_lang: str | None = None
_runs: list[tuple[int, int, str, str]] | None = None


@contextmanager
def _recording_text(lang: str) -> Iterator[list[tuple[int, int, str, str]]]:
    global _runs, _lang
    runs: list[tuple[int, int, str, str]] = []
    _runs, _lang = runs, lang
    try:
        yield runs
    finally:
        _runs, _lang = None, None


def _needs_actual_text(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _ACTUAL_TEXT_SCRIPTS)


# WeasyPrint is untyped: its stream and text box are Any here, as in draw_text itself.
def _draw_text_with_actual_text(stream: Any, textbox: Any, *args: Any, **kwargs: Any) -> None:
    """Draw a run of text, with its logical text as /ActualText where the script needs it
    (see _ACTUAL_TEXT_SCRIPTS) and its language as /Lang where it is not the document's
    (English in a translation: screen readers switch voice)."""
    tags = stream._tags
    lang = textbox.style["lang"] or _lang or ""
    if _runs is not None and tags is not None and textbox in tags:
        _runs.append((id(tags), tags[textbox]["mcid"], textbox.text, lang))
    properties = {}
    if _needs_actual_text(textbox.text):
        properties["ActualText"] = pydyf.String(textbox.text)
    if _lang is not None and lang != _lang and lang in LANGUAGES:
        properties["Lang"] = pydyf.String(LANGUAGES[lang].tag)
    if not properties:
        _draw_text(stream, textbox, *args, **kwargs)
        return
    stream.begin_marked_content("Span", pydyf.Dictionary(properties))
    try:
        _draw_text(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


weasyprint.draw.draw_text = _draw_text_with_actual_text


def _finish_structure(pdf: bytes, runs: list[tuple[int, int, str, str]], lang: str) -> bytes:
    """Give each text element its logical text as /ActualText, and its language as /Lang
    where all of its text is in another language than the document's (the English half
    of a bilingual edition, English shown for want of a translation); and make page numbers
    (tagged content in @page margin boxes that WeasyPrint leaves out of the structure
    tree) into /Artifact marked content, dropping the orphan elements, as PDF/UA
    requires for page furniture; and likewise every image with an empty alt (the QR code,
    whose address is printed beside it), which WeasyPrint tags as a Figure without /Alt."""
    pages = list(dict.fromkeys(table for table, _, _, _ in runs))  # tag tables in page order
    texts = {(pages.index(table), mcid): text for table, mcid, text, _ in runs}
    langs = {(pages.index(table), mcid): run_lang for table, mcid, _, run_lang in runs}
    element_langs: dict[tuple[int, int], set[str]] = {}
    elements: dict[tuple[int, int], pikepdf.Object] = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if len(pages) != len(doc.pages):
            raise RenderError(f"text was recorded on {len(pages)} of {len(doc.pages)} pages")
        root = doc.Root.StructTreeRoot
        reachable: set[tuple[int, int]] = set()
        _walk(root, reachable)
        nums = root.ParentTree.Nums
        for index in range(0, len(nums), 2):
            page_no, refs = int(nums[index]), nums[index + 1]
            if not isinstance(refs, pikepdf.Array) or page_no >= len(doc.pages):
                continue
            orphans = set()
            for mcid, elem in enumerate(refs):
                if not isinstance(elem, pikepdf.Dictionary):
                    continue
                if elem.objgen not in reachable:
                    orphans.add(mcid)
                elif elem.get("/S") == "/Figure" and not str(elem.get("/Alt", "")):
                    orphans.add(mcid)
                    _detach(elem)
                elif (page_no, mcid) in texts:
                    elem.ActualText = pikepdf.String(texts[page_no, mcid])
                    element_langs.setdefault(elem.objgen, set()).add(langs[page_no, mcid])
                    elements[elem.objgen] = elem
            if not orphans:
                continue
            pg = doc.pages[page_no]
            ops = []
            for instruction in pikepdf.parse_content_stream(pg):
                operands, operator = instruction.operands, instruction.operator
                if (str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary)
                        and "/MCID" in operands[1] and int(operands[1].MCID) in orphans):
                    instruction = pikepdf.ContentStreamInstruction(
                        [pikepdf.Name.Artifact, pikepdf.Dictionary()], operator)
                ops.append(instruction)
            pg.Contents = doc.make_stream(pikepdf.unparse_content_stream(ops))
            for mcid in orphans:
                refs[mcid] = None
        for key, used in element_langs.items():
            if len(used) == 1 and (other := next(iter(used))) != lang and other in LANGUAGES:
                elements[key].Lang = pikepdf.String(LANGUAGES[other].tag)
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
        return out.getvalue()


def _detach(elem: pikepdf.Dictionary) -> None:
    """Take an element out of the structure tree, and its grouping parent if it is left
    empty (WeasyPrint wraps each image in a NonStruct)."""
    parent = elem.get("/P")
    if not isinstance(parent, pikepdf.Dictionary):
        return
    kids = parent.get("/K")
    if isinstance(kids, pikepdf.Array):
        left = [k for k in kids if not (isinstance(k, pikepdf.Dictionary) and k.objgen == elem.objgen)]
        parent.K = pikepdf.Array(left)
        empty = not left
    else:
        empty = isinstance(kids, pikepdf.Dictionary) and kids.objgen == elem.objgen
        if empty:
            del parent["/K"]
    if empty and parent.get("/S") == "/NonStruct":
        _detach(parent)


def _walk(elem: pikepdf.Object, seen: set[tuple[int, int]]) -> None:
    kids = elem.get("/K")
    if kids is None:
        return
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR" and kid.objgen not in seen:
            seen.add(kid.objgen)
            _walk(kid, seen)
