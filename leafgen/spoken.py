"""The spoken script of a leaflet (UKAAF audio guidance): title and originator first,
the running time and the list of sections, then each section, heading first, with a
pause between sections. Contact details are read out so a listener can write them down:
phone numbers digit by digit in groups, emails and web addresses symbol by symbol."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import assert_never

from leafgen.inline import tokens
from leafgen.labels import UNTRANSLATED_MARK
from leafgen.model import Contact, DocBullets, DocContacts, DocFamilyFields, DocParagraph, Document

ENGLISH_DIGITS = "oh one two three four five six seven eight nine".split()
# Pauses in milliseconds, after an utterance of each kind.
PAUSE = {"heading": 700, "paragraph": 450, "item": 300, "section": 1500, "intro": 1200}


@dataclass(frozen=True)
class Utterance:
    text: str
    pause_ms: int
    # A family's own details (leafgen pack): spoken, but never kept in the speech cache.
    private: bool = False
    # Another language than the document's: English, for text not yet translated.
    lang: str | None = None
    # What a reader sees while it is spoken (the EPUB shows text and speech in step): the
    # written text, the kind of element that shows it (heading, paragraph, item, note,
    # contact-name, contact, field...), and which block of its section it belongs to.
    shown: str = ""
    kind: str = ""
    block: int = -1


@dataclass(frozen=True)
class Chapter:
    title: str                    # the section heading
    utterances: tuple[Utterance, ...]


def say_phone(number: str, lang: str) -> str:
    """'01204 337400' -> 'oh one two oh four, three three seven, four oh oh': the printed
    groups, six digits or more in threes, each digit on its own (other languages: the digit,
    which the voice reads in its own language)."""
    groups = []
    for group in number.split():
        groups += [group[i:i + 3] for i in range(0, len(group), 3)] if len(group) > 5 else [group]
    word = (lambda d: ENGLISH_DIGITS[int(d)]) if lang == "en" else (lambda d: d)
    return ", ".join(" ".join(word(d) for d in group) for group in groups)


def say_address(value: str, doc: Document, english: bool = False) -> str:
    """An email or web address, symbol by symbol: 'help at nspcc dot org' (the symbols'
    names in the document's language, or in English in text shown in English)."""
    names = {"@": "at", ".": "dot", "_": "underscore", "-": "hyphen", "/": "slash"}
    parts = re.split(r"([@._/-])", value.removeprefix("https://").removeprefix("http://"))
    spoken = []
    for part in parts:
        if part in names:
            spoken.append(names[part] if english else doc.label(names[part]))
        elif part == "www":
            spoken.append("w w w")
        elif part:
            spoken.append(part)
    return " ".join(spoken)


def say_postcode(value: str) -> str:
    """'BL1 8SW' -> 'B L 1, 8 S W'."""
    return ", ".join(" ".join(group) for group in value.split())


def speakable(text: str, doc: Document, english: bool = False) -> str:
    out = []
    for kind, value in tokens(text):
        if kind == "phone":
            out.append(say_phone(value, "en" if english else doc.lang))
        elif kind in ("email", "web"):
            out.append(say_address(value, doc, english))
        elif kind == "postcode":
            out.append(say_postcode(value))
        else:
            out.append(value)
    return "".join(out)


def _contact(c: Contact, doc: Document) -> list[tuple[str, str, str]]:
    """Each line said, with the text that decides its language (a label's, or its own)
    and the kind of line it is."""
    return [(c.name, c.name, "contact-name")] + [
        (f"{label}: {value}." if label else value, label or value, "contact")
        for label, value in doc.contact_fields(c)]


def say(text: str, pause: str, doc: Document, like: str | None = None,
        private: bool = False, kind: str = "", block: int = -1) -> Utterance:
    """An utterance of text, in English (voice and all) when it, or the text it is
    judged by (like), is shown in English for want of a translation."""
    english = doc.untranslated(like if like is not None else text)
    return Utterance(speakable(text, doc, english), PAUSE[pause], private,
                     "en" if english and doc.lang != "en" else None, text, kind or pause, block)


def chapters(doc: Document) -> list[Chapter]:
    """One chapter per section, in order. Before text shown in English, the note that
    it is not yet translated, in the document's language."""
    out = []
    note = doc.label(UNTRANSLATED_MARK)
    for section in doc.sections:
        said = [say(note, "item", doc, kind="note")] if doc.untranslated(section.heading) else []
        said.append(say(section.heading, "heading", doc))
        for n, block in enumerate(section.blocks):
            if doc.untranslated(*doc.texts_of(block)):
                said.append(say(note, "item", doc, kind="note", block=n))
            match block:
                case DocParagraph():
                    said.append(say(block.text, "paragraph", doc, block=n))
                case DocBullets():
                    said += [say(item, "item", doc, block=n) for item in block.items]
                case DocContacts():
                    for contact in block.contacts:
                        said += [say(line, "item", doc, like, kind=kind, block=n)
                                 for line, like, kind in _contact(contact, doc)]
                case DocFamilyFields():
                    said += [say(f"{f.label}: {f.value}." if f.value else f"{f.label}.", "item",
                                 doc, f.label, private=bool(f.value), kind="field", block=n)
                             for f in block.fields]
                case _:  # a new kind of block must be spoken here, not dropped
                    assert_never(block)
        said[-1] = replace(said[-1], pause_ms=PAUSE["section"])
        out.append(Chapter(section.heading, tuple(said)))
    return out


def introduction(doc: Document, minutes: int) -> list[Utterance]:
    """Title and council, the notice if any, the running time, how to move between
    sections, and the list of sections (UKAAF's order): the first chapter."""
    said = [Utterance(doc.label("This is the audio version of {title}, from {council}.").format(
        # spoken like the rest: a number in the title is read digit by digit, not as a quantity
        title=speakable(doc.title, doc), council=speakable(doc.authority_name, doc)),
        PAUSE["paragraph"])]
    if doc.notice:
        said.append(Utterance(doc.notice[0], PAUSE["paragraph"]))
    # With a family's details the running time depends on them: not cached either.
    personal = any(f.value for s in doc.sections for b in s.blocks
                   if isinstance(b, DocFamilyFields) for f in b.fields)
    said.append(Utterance(doc.label("It lasts about {minutes} minutes.").format(minutes=minutes),
                          PAUSE["paragraph"], private=personal))
    said.append(say(doc.label("To move between sections, use your player's next and previous "
                               "chapter buttons."), "paragraph", doc))
    said.append(Utterance(doc.label("It has {count} sections:").format(count=len(doc.sections)),
                          PAUSE["item"]))
    said += [say(s.heading, "item", doc) for s in doc.sections]
    said[-1] = replace(said[-1], pause_ms=PAUSE["intro"])
    return said


def closing(doc: Document) -> Utterance:
    """The last words, after the last section."""
    return Utterance(doc.label("End of the leaflet."), 0, shown=doc.label("End of the leaflet."),
                     kind="end")


def script_text(doc: Document, minutes: int = 0) -> str:
    """The whole spoken script as text (what the audio says, for reading and testing)."""
    lines = [u.text for u in introduction(doc, minutes)]
    for chapter in chapters(doc):
        lines += [u.text for u in chapter.utterances]
    lines.append(doc.label("End of the leaflet."))
    return "\n".join(lines)
