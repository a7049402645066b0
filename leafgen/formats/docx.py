"""Editable Word documents (DOCX) for clear and large print: real heading and list
styles, the document language on every style and run, right-to-left paragraphs and
runs where the language needs them, complex-script size and bold, and colours that
pass 4.5:1. Both formats are this renderer with a different body size."""
from __future__ import annotations

import io
import zipfile
from typing import assert_never

import docx
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.paragraph import Paragraph
from docx.shared import Mm
from docx.text.run import Run

from leafgen.colour import heading_colour, is_large_print
from leafgen.formats import FIXED_TIME, RenderContext
from leafgen.inline import mark_ltr
from leafgen import qr
from leafgen.labels import QR_SENTENCE, UNTRANSLATED_MARK
from leafgen.languages import LANGUAGES
from leafgen.formats.html import english_beside, english_names
from leafgen.model import (Contact, DocBullets, DocContacts, DocFamilyFields, DocLogo, DocParagraph,
                           DocSection, Document)
from leafgen.logo import png_for_word
from leafgen.qr import PrintedLink, printed_link

TEXT_COLOUR = "1A1A1A"  # 17.4:1 on white
WORD_LATIN_FONT = "Arial"  # on every Windows and Mac; LibreOffice maps it to Liberation Sans

BLANK = "_" * 24
# Office's mark for a decorative image (screen readers skip it): the QR code, whose
# address is printed as text under it.
DECORATIVE = ('<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
              '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
              '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
              '</a:ext></a:extLst>')

# Schema order of the run and paragraph properties we write (Word rejects other orders).
RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "color", "sz", "szCs", "u", "rtl", "cs", "lang"]
PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "widowControl", "numPr",
             "pBdr", "shd", "tabs", "bidi", "spacing", "ind", "jc", "rPr"]


def render(doc: Document, ctx: RenderContext) -> bytes:
    d = docx.Document()
    _styles(d, doc, float(ctx.options.get("size", 14)), heading_colour(doc.brand_colour, is_large_print(ctx.options)))
    body = _Writer(d, doc)
    body.logo(doc.logo)
    body.paragraph(doc.authority_name, bold=True)
    body.paragraph(doc.title, style="Heading 1")
    body.paragraph(doc.subtitle, style="Subtitle")
    body.mark(doc.title, doc.subtitle)
    if doc.notice:
        body.notice(*doc.notice)
    for section in doc.sections:
        body.section(section)
    body.printed_link(printed_link(doc, ctx.options))
    return _finished(d, doc, body, doc.title)


def render_bilingual(doc: Document, ctx: RenderContext) -> bytes:
    """Each section in the document's language, then in English (its own language and
    direction on every paragraph and run); the contact cards once, in the first half,
    with their English names and labels beside their own."""
    english = doc.english
    if english is None:
        raise ValueError(f"the bilingual edition needs the English of {doc.lang} (none given)")
    d = docx.Document()
    _styles(d, doc, float(ctx.options.get("size", 14)), heading_colour(doc.brand_colour, is_large_print(ctx.options)))
    body = _Writer(d, doc, english_names(doc, english))
    in_english = _Writer(d, english, page_rtl=doc.dir == "rtl")
    body.logo(doc.logo)
    body.paragraph(doc.authority_name, bold=True)
    body.paragraph(doc.title, style="Heading 1")
    in_english.paragraph(english.title, style="Subtitle")
    body.paragraph(doc.subtitle, style="Subtitle")
    body.paragraph(doc.label("Bilingual Word document, in {language} and English").format(
        language=LANGUAGES[doc.lang].native_name))
    body.mark(doc.title, doc.subtitle)
    if doc.notice:
        body.notice(*doc.notice)
    for mine, theirs in zip(doc.sections, english.sections):
        body.section(mine)
        in_english.section(theirs, contacts=False)
    body.printed_link(printed_link(doc, ctx.options), also=in_english)
    return _finished(d, doc, body, f"{doc.title} – {english.title}")


def _finished(d: docx.document.Document, doc: Document, body: "_Writer", title: str) -> bytes:
    body.paragraph(f"{doc.label('Published by')} {doc.organisation}.")
    body.footer(doc.label("Page"))
    props = d.core_properties
    props.title = f"{title} – {doc.authority_name}"
    props.author = doc.organisation
    props.language = LANGUAGES[doc.lang].tag
    props.created = props.modified = FIXED_TIME.replace(tzinfo=None)
    props.last_modified_by = "leafgen"
    props.revision = 1
    out = io.BytesIO()
    d.save(out)
    return _fixed_zip_times(out.getvalue())


class _Writer:
    """Appends paragraphs in the document's language and direction."""

    def __init__(self, d: docx.document.Document, doc: Document,
                 english_of: dict[str, str] | None = None, page_rtl: bool | None = None) -> None:
        self.d, self.doc = d, doc
        self.rtl = doc.dir == "rtl"
        # the styles' direction (the bilingual edition's English half is written on RTL styles)
        self.page_rtl = self.rtl if page_rtl is None else page_rtl
        self.english_of = english_of or {}  # bilingual: a contact's name or label -> its English

    def section(self, section: DocSection, contacts: bool = True) -> None:
        """A section's heading and blocks (contacts: False where the other half of a
        bilingual edition already has the contact cards)."""
        self.paragraph(section.heading, style="Heading 2")
        self.mark(section.heading)
        for block in section.blocks:
            if contacts or not isinstance(block, DocContacts):
                self.mark(*self.doc.texts_of(block))
            match block:
                case DocParagraph():
                    self.paragraph(block.text)
                case DocBullets():
                    for item in block.items:
                        self.paragraph(item, style="List Bullet")
                case DocContacts():
                    for contact in block.contacts if contacts else ():
                        self.contact(contact)
                case DocFamilyFields():
                    for f in block.fields:
                        self.labelled(f.label, f.value or BLANK)
                case _:  # a new kind of block must be written here, not dropped
                    assert_never(block)

    def _text(self, text: str) -> str:
        # Phone numbers, emails and postcodes held left-to-right inside RTL text. (LibreOffice
        # shows U+2066 isolates correctly but its PDFs then extract numbers split apart.)
        return mark_ltr(text) if self.rtl else text

    def paragraph(self, text: str, style: str | None = None, bold: bool = False,
                  english: bool | None = None) -> Paragraph:
        """A paragraph of text; in English, left to right, when the text is shown in
        English for want of a translation (english: whether it is, if not the text's own)."""
        english = self.doc.untranslated(text) if english is None else english
        p = self.d.add_paragraph(style=style)
        if self.page_rtl:  # English reads left to right even where the styles are RTL
            _set(p._p.get_or_add_pPr(), PPR_ORDER, "bidi", "0" if english or not self.rtl else None)
        self.run(p, text, bold=bold, lang="en" if english else None)
        return p

    def logo(self, logo: DocLogo | None) -> None:
        """The council's logo, with its alt text as the picture's description (what Word's
        "Alt Text" shows and screen readers read): at most 20 mm high and 70 mm wide."""
        if logo is None:
            return
        scale = min(20 / logo.height, 70 / logo.width)  # mm per unit of the logo
        picture = self.d.add_paragraph()
        picture.add_run().add_picture(io.BytesIO(png_for_word(logo)), width=Mm(logo.width * scale),
                                      height=Mm(logo.height * scale))
        for doc_pr in picture._p.iter(qn("wp:docPr")):
            doc_pr.set("descr", logo.alt)

    def printed_link(self, link: PrintedLink | None, also: "_Writer | None" = None) -> None:
        """The QR code of the leaflet's download page, marked decorative (its address is
        printed under it), the sentence saying what it is (also in English, in the
        bilingual edition), and the address."""
        if link is None:
            return
        picture = self.d.add_paragraph()
        picture.add_run().add_picture(io.BytesIO(qr.png(link.address)), width=Mm(32))
        for doc_pr in picture._p.iter(qn("wp:docPr")):
            doc_pr.set("descr", "")
            doc_pr.append(parse_xml(DECORATIVE))
        self.paragraph(self.doc.label(QR_SENTENCE))
        if also:
            also.paragraph(also.doc.label(QR_SENTENCE))
        self.paragraph(link.shown, bold=True, english=True)

    def also(self, p: Paragraph, text: str) -> None:
        """A contact's name or label in English too, after its own (bilingual edition)."""
        english = english_beside(self.english_of, self.doc, text)
        if english:
            self.run(p, " ")
            self.run(p, english, lang="en")

    def run(self, p: Paragraph, text: str, bold: bool = False, lang: str | None = None) -> Run:
        lang = lang or ("en" if self.doc.untranslated(text) else None)
        r = p.add_run(self._text(text) if lang != "en" else text)
        rpr = r._r.get_or_add_rPr()
        if bold:
            _set(rpr, RPR_ORDER, "b")
            _set(rpr, RPR_ORDER, "bCs")
        code = lang or self.doc.lang
        if _is_rtl(code):
            _set(rpr, RPR_ORDER, "rtl")
        _lang(rpr, code)
        return r

    def labelled(self, label: str, value: str) -> None:
        p = self.paragraph(label, bold=True, english=self.doc.untranslated(label))
        self.also(p, label)
        self.run(p, ": ", bold=True)
        self.run(p, value)

    def mark(self, *texts: str) -> None:
        """The not-yet-translated note before text shown in English, set off by a
        dashed border (no italics: hard to read for many)."""
        if self.doc.untranslated(*texts):
            _box(self.paragraph(self.doc.label(UNTRANSLATED_MARK)), "dashed")

    def notice(self, translated: str, english: str) -> None:
        p = self.paragraph(translated)
        _box(p)
        if self.doc.lang != "en":
            e = self.d.add_paragraph()
            # English reads left to right even where the document's styles are RTL.
            _set(e._p.get_or_add_pPr(), PPR_ORDER, "bidi", "0")
            self.run(e, english, lang="en")
            _box(e)

    def contact(self, c: Contact) -> None:
        self.also(self.paragraph(c.name, style="Heading 3"), c.name)
        for label, value in self.doc.contact_fields(c):
            if label:
                self.labelled(label, value)
            else:
                self.paragraph(value)

    def footer(self, page_label: str) -> None:
        p = self.d.sections[0].footer.paragraphs[0]
        p.style = self.d.styles["Footer"]
        if self.rtl:
            _set(p._p.get_or_add_pPr(), PPR_ORDER, "bidi")
        self.run(p, f"{page_label} ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        r = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = "1"
        r.append(t)
        field.append(r)
        p._p.append(field)


def _is_rtl(code: str) -> bool:
    return LANGUAGES[code].dir == "rtl"


def _styles(d: docx.document.Document, doc: Document, size: float, brand: str | None = None) -> None:
    """Every style we use: one sans-serif font, sizes never below the body size, bold
    headings (in the council's colour, where given and readable), dark text, no italics,
    the document's language and direction."""
    sizes = {"Normal": size, "Subtitle": round(size * 1.25), "Heading 1": round(size * 1.6),
             "Heading 2": round(size * 1.25), "Heading 3": round(size * 1.1), "List Bullet": size,
             "Footer": size, "Header": size, "Title": round(size * 1.6)}
    for name, pt in sizes.items():
        style = d.styles[name]
        rpr = style.element.get_or_add_rPr()
        for child in list(rpr):
            rpr.remove(child)  # drop theme fonts, theme colours, italics, spacing tricks
        _fonts(rpr, doc.lang)
        if name.startswith("Heading") or name == "Title":
            _set(rpr, RPR_ORDER, "b")
            _set(rpr, RPR_ORDER, "bCs")
        _set(rpr, RPR_ORDER, "i", "0")
        _set(rpr, RPR_ORDER, "iCs", "0")
        heading = name.startswith("Heading") or name == "Title"
        _set(rpr, RPR_ORDER, "color", brand[1:].upper() if brand and heading else TEXT_COLOUR)
        _set(rpr, RPR_ORDER, "sz", str(round(pt * 2)))
        _set(rpr, RPR_ORDER, "szCs", str(round(pt * 2)))
        if _is_rtl(doc.lang):
            _set(rpr, RPR_ORDER, "rtl")
        _lang(rpr, doc.lang)
        if _is_rtl(doc.lang):
            _set(style.element.get_or_add_pPr(), PPR_ORDER, "bidi")
    # The bullet glyph has its own run properties in the numbering definitions.
    numbering = d.part.numbering_part.element
    for lvl in numbering.iter(qn("w:lvl")):
        rpr = lvl.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            lvl.append(rpr)
        _set(rpr, RPR_ORDER, "sz", str(round(size * 2)))
        _set(rpr, RPR_ORDER, "szCs", str(round(size * 2)))
    # Document defaults and the language Word assumes for new text.
    defaults = d.styles.element.find(qn("w:docDefaults"))
    _lang(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), doc.lang)
    settings = d.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    _lang_attrs(theme_lang, doc.lang)


def _fonts(rpr: BaseOxmlElement, lang: str) -> None:
    fonts = OxmlElement("w:rFonts")
    for attr in ("ascii", "hAnsi", "eastAsia"):
        fonts.set(qn(f"w:{attr}"), WORD_LATIN_FONT)
    fonts.set(qn("w:cs"), LANGUAGES[lang].font or WORD_LATIN_FONT)
    _insert(rpr, RPR_ORDER, fonts)


def _lang(rpr: BaseOxmlElement, lang: str) -> None:
    element = rpr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        _insert(rpr, RPR_ORDER, element)
    _lang_attrs(element, lang)


def _lang_attrs(element: BaseOxmlElement, lang: str) -> None:
    language = LANGUAGES[lang]
    element.set(qn("w:val"), language.tag)
    if language.complex_script:  # Arabic script and Indic scripts
        element.set(qn("w:bidi"), language.tag)


def _box(p: Paragraph, line: str = "single") -> None:
    """A border round a paragraph (the translation notice; dashed: a not-yet-translated mark)."""
    border = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for key, value in (("val", line), ("sz", "12"), ("space", "4"), ("color", TEXT_COLOUR)):
            edge.set(qn(f"w:{key}"), value)
        border.append(edge)
    _insert(p._p.get_or_add_pPr(), PPR_ORDER, border)


def _set(parent: BaseOxmlElement, order: list[str], name: str, value: str | None = None) -> None:
    """Set a simple on/off or w:val property, in schema order."""
    element = parent.find(qn(f"w:{name}"))
    if element is None:
        element = OxmlElement(f"w:{name}")
        _insert(parent, order, element)
    if value is not None:
        element.set(qn("w:val"), value)


def _insert(parent: BaseOxmlElement, order: list[str], element: BaseOxmlElement) -> None:
    name = element.tag.split("}")[1]
    old = parent.find(element.tag)
    if old is not None:
        parent.remove(old)
    rank = order.index(name)
    for i, child in enumerate(parent):
        child_name = child.tag.split("}")[1]
        if child_name in order and order.index(child_name) > rank:
            parent.insert(i, element)
            return
    parent.append(element)


def _fixed_zip_times(data: bytes) -> bytes:
    """python-docx stamps each zip entry with the current time; use a fixed one."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
