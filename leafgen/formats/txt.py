"""Plain text: the "text only" format councils offer. UTF-8, 72 columns, numbered
and underlined headings, bulleted lists, contacts in full."""
from __future__ import annotations

import textwrap
from typing import assert_never

from leafgen.formats import RenderContext
from leafgen.inline import NBSP, keep_together, rtl_plain
from leafgen.labels import UNTRANSLATED_MARK
from leafgen.model import Contact, DocBullets, DocContacts, DocFamilyFields, DocParagraph, Document

WIDTH = 72
BLANK = "_" * 24


def render(doc: Document, ctx: RenderContext) -> bytes:
    out: list[str] = [*_wrap(doc.authority_name), "", *_heading(doc.title, "="),
                      *_wrap(doc.subtitle), *_mark(doc, doc.title, doc.subtitle), ""]
    if doc.notice:
        for line in dict.fromkeys(doc.notice):  # once when the document is in English
            out += _wrap(line, first="! ", rest="! ")
        out.append("")
    out += _heading(doc.label("Contents"), "-")
    for n, s in enumerate(doc.sections, 1):
        out += _wrap(f"{n}. {s.heading}", rest="   ")
    out.append("")
    for n, section in enumerate(doc.sections, 1):
        out += _heading(f"{n}. {section.heading}", "-")
        if doc.untranslated(section.heading):
            out[-1:-1] = _mark(doc, section.heading)
        for block in section.blocks:
            out += _mark(doc, *doc.texts_of(block))
            match block:
                case DocParagraph():
                    out += _wrap(block.text) + [""]
                case DocBullets():
                    for item in block.items:
                        out += _wrap(item, first="  * ", rest="    ")
                    out.append("")
                case DocContacts():
                    for contact in block.contacts:
                        out += _contact(contact, doc) + [""]
                case DocFamilyFields():
                    for f in block.fields:
                        out += _wrap(f"{f.label}: {f.value or BLANK}") + [""]
                case _:  # a new kind of block must be written here, not dropped
                    assert_never(block)
    out += _wrap(doc.label("Published by") + f" {doc.organisation}.") + [""]
    text = "\n".join(out).replace(NBSP, " ")
    if doc.dir == "rtl":
        text = "\n".join(rtl_plain(line) for line in text.split("\n"))
    return text.encode("utf-8")


def _mark(doc: Document, *texts: str) -> list[str]:
    """The not-yet-translated note, in the document's language, before text shown in
    English (none when the texts are translated)."""
    return _wrap(f"[{doc.label(UNTRANSLATED_MARK)}]") if doc.untranslated(*texts) else []


def _heading(text: str, underline: str) -> list[str]:
    lines = _wrap(text)
    return lines + [underline * max(len(line) for line in lines), ""]


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    # No-break spaces inside phone numbers and postcodes keep each on one line.
    return textwrap.wrap(keep_together(text), WIDTH, initial_indent=first,
                         subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]


def _contact(c: Contact, doc: Document) -> list[str]:
    lines = _wrap(c.name)
    for label, value in doc.contact_fields(c):
        first = f"  {label}: " if label else "  "
        lines += _wrap(value, first=first, rest="    " if label else "  ")
    return lines
