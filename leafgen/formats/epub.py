"""EPUB 3 talking book: the leaflet as one XHTML content document, read aloud in step
with the text (a media overlay), with the accessibility metadata of EPUB Accessibility
1.1. A language without a voice gets the same book without speech.

Text and speech come from one list: the spoken script (spoken.py), each utterance
carrying the text a reader sees. Each becomes one element of the page with its own id,
and one <par> of the overlay pairing that element with its clip. The clips lie in one
MP3 per chapter made of the same cached pieces as the MP3 format (no second synthesis);
their times are the pieces' lengths in MP3 frames, not estimates."""
from __future__ import annotations

import base64
import io
import uuid
import zipfile
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

from markupsafe import Markup, escape

from leafgen.formats import FIXED_TIME, RenderContext
from leafgen.formats.audio import RATE, Speaker, duration_ms, silence, speaker
from leafgen.formats.html import contact_text
from leafgen.colour import brand_style, heading_colour
from leafgen.languages import LANGUAGES
from leafgen.model import DocLogo, Document
from leafgen.spoken import PAUSE, Chapter, Utterance, chapters, closing, say

ACTIVE_CLASS = "-epub-media-overlay-active"  # what reading apps add to the phrase being spoken
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
SUMMARY = {True: "An accessible e-book of the whole leaflet: headings to move between sections, "
                 "and the text read aloud in step, each phrase highlighted as it is spoken.",
           False: "An accessible e-book of the whole leaflet as text, with headings to move "
                  "between sections."}


@dataclass(frozen=True)
class Clip:
    """Where an utterance is heard: its chapter's audio file, from begin to end (ms)."""
    audio: str
    begin: float
    end: float


def render(doc: Document, ctx: RenderContext) -> bytes:
    parts = [opening(doc), *chapters(doc)]
    last = parts[-1]
    parts[-1] = Chapter(last.title, (*last.utterances, closing(doc)))
    speak = speaker(doc, ctx) if LANGUAGES[doc.lang].voice else None
    audio, clips = spoken(parts, speak) if speak else ({}, {})
    css = (ctx.templates / "epub" / "book.css").read_text(encoding="utf-8")
    files = {
        "EPUB/content.xhtml": content(doc, parts),
        "EPUB/nav.xhtml": navigation(doc, parts),
        "EPUB/book.css": css.encode("utf-8"),
        **({"EPUB/content.smil": overlay(parts, clips)} if clips else {}),
        **{f"EPUB/{name}": data for name, data in audio.items()},
        **({f"EPUB/{_logo_name(doc.logo)}": base64.b64decode(doc.logo.data)} if doc.logo else {}),
    }
    files["EPUB/package.opf"] = package(doc, audio, clips)
    return _zipped(files)


def opening(doc: Document) -> Chapter:
    """The title page: council, title, subtitle and the translation notice, each said
    as written (the MP3's spoken introduction is for listeners without the text)."""
    said = [say(doc.authority_name, "paragraph", doc, kind="council"),
            say(doc.title, "heading", doc, kind="title"),
            say(doc.subtitle, "paragraph", doc, kind="subtitle")]
    if doc.notice:
        said.append(Utterance(doc.notice[0], PAUSE["paragraph"], shown=doc.notice[0], kind="notice"))
    said[-1] = replace(said[-1], pause_ms=PAUSE["intro"])
    return Chapter(doc.title, tuple(said))


def ids(parts: list[Chapter]) -> dict[tuple[int, int], str]:
    """Each utterance's element id, by (chapter, utterance)."""
    numbered = [(c, u) for c, part in enumerate(parts) for u in range(len(part.utterances))]
    return {key: f"t{n}" for n, key in enumerate(numbered, 1)}


def spoken(parts: list[Chapter], speak: Speaker) -> tuple[dict[str, bytes], dict[str, Clip]]:
    """One MP3 per chapter, and each utterance's clip in it (the pause after it left out)."""
    audio, clips, element = {}, {}, ids(parts)
    for c, part in enumerate(parts):
        name = f"audio/part{c:02d}.mp3"
        pieces, position = [], 0.0
        for u, utterance in enumerate(part.utterances):
            piece = speak(utterance)
            pause = duration_ms(silence(RATE * utterance.pause_ms // 1000))
            clips[element[c, u]] = Clip(name, position, position + duration_ms(piece) - pause)
            position += duration_ms(piece)
            pieces.append(piece)
        audio[name] = b"".join(pieces)
    return audio, clips


def _attributes(doc: Document, utterance: Utterance, element_id: str) -> Markup:
    """The element's id, and the English language on text shown in English."""
    english = Markup(' lang="en" xml:lang="en" dir="ltr"') if utterance.lang == "en" else Markup("")
    return Markup(' id="{}"').format(element_id) + english


def _element(doc: Document, utterance: Utterance, element_id: str) -> Markup:
    attributes = _attributes(doc, utterance, element_id)
    text = contact_text(utterance.shown)
    match utterance.kind:
        case "title":
            return Markup("<h1{}>{}</h1>").format(attributes, text)
        case "heading":
            return Markup("<h2{}>{}</h2>").format(attributes, text)
        case "contact-name":
            return Markup("<h3{}>{}</h3>").format(attributes, text)
        case "item":
            return Markup("<li{}>{}</li>").format(attributes, text)
        case "note":
            return Markup('<p class="untranslated" role="note"{}>{}</p>').format(attributes, text)
        case "notice":
            english = Markup('<p lang="en" xml:lang="en" dir="ltr">{}</p>').format(
                doc.notice[1]) if doc.notice and doc.lang != "en" else Markup("")
            return Markup('<div class="notice" role="note"><p{}>{}</p>{}</div>').format(
                attributes, text, english)
        case "field" if utterance.shown.endswith(".") and not utterance.private:
            # a blank to fill in: its label, and a line to write on
            return Markup('<p{}>{} <span class="blank"><span class="visually-hidden">{}</span>'
                          '</span></p>').format(attributes, contact_text(utterance.shown[:-1]),
                                                doc.label("Left blank, to be filled in"))
        case _:
            return Markup('<p class="{}"{}>{}</p>').format(utterance.kind, attributes, text)


def content(doc: Document, parts: list[Chapter]) -> bytes:
    """The page: a header (the title page), then a section per chapter; list items of
    one block in one list, a contact's lines in one box."""
    element = ids(parts)
    body = []
    for c, part in enumerate(parts):
        inner = []
        numbered = list(enumerate(part.utterances))
        for (block, kind), run in groupby(numbered, key=lambda n: (n[1].block, _group(n[1].kind))):
            items = [_element(doc, u, element[c, n]) for n, u in run]
            if kind == "list":
                inner.append(Markup("<ul>\n{}\n</ul>").format(Markup("\n").join(items)))
            elif kind == "contact":
                inner.append(Markup('<div class="contact">\n{}\n</div>').format(Markup("\n").join(items)))
            else:
                inner += items
        joined = Markup("\n").join(inner)
        if c == 0:
            if doc.logo:  # shown, not spoken: the council's name is the next thing said
                joined = Markup('<img class="logo" src="{}" alt="{}"{}/>\n').format(
                    _logo_name(doc.logo), doc.logo.alt,
                    Markup(' lang="en" xml:lang="en"') if doc.lang != "en" else Markup("")) + joined
            body.append(Markup('<header id="part0">\n{}\n</header>').format(joined))
        else:
            heading = next(element[c, n] for n, u in numbered if u.kind == "heading")
            body.append(Markup('<section id="part{}" epub:type="chapter" role="doc-chapter" '
                               'aria-labelledby="{}">\n{}\n</section>').format(c, heading, joined))
    return _xhtml(doc, f"{doc.title} – {doc.authority_name}",
                  Markup("<main>\n{}\n</main>").format(Markup("\n").join(body[1:])), body[0])


def _group(kind: str) -> str:
    return {"item": "list", "contact-name": "contact", "contact": "contact"}.get(kind, kind + "-alone")


def navigation(doc: Document, parts: list[Chapter]) -> bytes:
    """The table of contents (each section's heading) and the landmarks."""
    element = ids(parts)
    entries = []
    for c, part in enumerate(parts[1:], 1):
        n, heading = next((n, u) for n, u in enumerate(part.utterances) if u.kind == "heading")
        lang = Markup(' lang="en" xml:lang="en" dir="ltr"') if heading.lang == "en" else Markup("")
        entries.append(Markup('<li{}><a href="content.xhtml#{}">{}</a></li>').format(
            lang, element[c, n], heading.shown))
    toc = Markup('<nav epub:type="toc" role="doc-toc" id="toc" aria-labelledby="toc-heading">\n'
                 '<h1 id="toc-heading">{}</h1>\n<ol>\n{}\n</ol>\n</nav>').format(
        doc.label("Contents"), Markup("\n").join(entries))
    landmarks = Markup('<nav epub:type="landmarks" aria-label="{}" hidden="hidden">\n<ol>\n'
                       '<li><a epub:type="toc" href="nav.xhtml#toc">{}</a></li>\n'
                       '<li><a epub:type="bodymatter" href="content.xhtml#part1">{}</a></li>\n'
                       '</ol>\n</nav>').format(doc.label("Contents"), doc.label("Contents"),
                                               parts[1].title if len(parts) > 1 else doc.title)
    return _xhtml(doc, doc.label("Contents"), Markup("{}\n{}").format(toc, landmarks))


def _xhtml(doc: Document, title: str, main: Markup, header: Markup = Markup("")) -> bytes:
    language = LANGUAGES[doc.lang]
    return (Markup('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
                   '<html xmlns="http://www.w3.org/1999/xhtml" '
                   'xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}" '
                   'dir="{dir}">\n<head>\n<meta charset="utf-8"/>\n<title>{title}</title>\n'
                   '<link rel="stylesheet" type="text/css" href="book.css"/>\n{brand}</head>\n'
                   '<body>\n{header}\n{main}\n</body>\n</html>\n').format(
        lang=language.tag, dir=doc.dir, title=title, header=header, main=main,
        brand=brand_style(heading_colour(doc.brand_colour, large_print=False)))).encode("utf-8")


def overlay(parts: list[Chapter], clips: dict[str, Clip]) -> bytes:
    """The media overlay: a sequence per chapter, a <par> per utterance pairing its
    element with its clip."""
    element = ids(parts)
    seqs = []
    for c, part in enumerate(parts):
        pars = [Markup('<par id="p{id}"><text src="content.xhtml#{id}"/><audio src="{audio}" '
                       'clipBegin="{begin}" clipEnd="{end}"/></par>').format(
            id=element[c, n], audio=clips[element[c, n]].audio,
            begin=_seconds(clips[element[c, n]].begin), end=_seconds(clips[element[c, n]].end))
            for n in range(len(part.utterances))]
        kind = "" if c == 0 else ' epub:type="chapter"'
        seqs.append(Markup('<seq id="s{}" epub:textref="content.xhtml#part{}"{}>\n{}\n</seq>').format(
            c, c, Markup(kind), Markup("\n").join(pars)))
    return (Markup('<?xml version="1.0" encoding="UTF-8"?>\n<smil xmlns="http://www.w3.org/ns/SMIL" '
                   'xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n<body>\n{}\n'
                   '</body>\n</smil>\n').format(Markup("\n").join(seqs))).encode("utf-8")


def package(doc: Document, audio: dict[str, bytes], clips: dict[str, Clip]) -> bytes:
    """The package document: metadata (accessibility included), manifest and spine."""
    language = LANGUAGES[doc.lang]
    voiced = bool(clips)
    book_id = uuid.uuid5(uuid.NAMESPACE_URL, f"leafgen:{doc.authority_id}/{doc.leaflet_id}/{doc.lang}")
    modes = ["textual", "auditory"] if voiced else ["textual"]
    features = ["structuralNavigation", "tableOfContents", "readingOrder",
                "displayTransformability", *(["synchronizedAudioText"] if voiced else [])]
    meta = [Markup('<meta property="schema:accessMode">{}</meta>').format(m) for m in modes]
    meta += [Markup('<meta property="schema:accessModeSufficient">{}</meta>').format(m) for m in modes]
    meta += [Markup('<meta property="schema:accessibilityFeature">{}</meta>').format(f) for f in features]
    meta += [Markup('<meta property="schema:accessibilityHazard">none</meta>'),
             Markup('<meta property="schema:accessibilitySummary">{}</meta>').format(
                 doc.label(SUMMARY[voiced])),
             Markup('<meta property="dcterms:conformsTo">{}</meta>').format(CONFORMS_TO)]
    items = [Markup('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'),
             Markup('<item id="css" href="book.css" media-type="text/css"/>'),
             Markup('<item id="content" href="content.xhtml" media-type="application/xhtml+xml"{}/>').format(
                 Markup(' media-overlay="overlay"') if voiced else Markup(""))]
    if doc.logo:
        items.append(Markup('<item id="logo" href="{}" media-type="{}"/>').format(
            _logo_name(doc.logo), doc.logo.media_type))
    if voiced:
        total = sum(duration_ms(data) for data in audio.values())
        meta += [Markup('<meta property="media:duration" refines="#overlay">{}</meta>').format(_clock(total)),
                 Markup('<meta property="media:duration">{}</meta>').format(_clock(total)),
                 Markup('<meta property="media:active-class">{}</meta>').format(ACTIVE_CLASS)]
        items.append(Markup('<item id="overlay" href="content.smil" media-type="application/smil+xml"/>'))
        items += [Markup('<item id="{}" href="{}" media-type="audio/mpeg"/>').format(
            Path(name).stem, name) for name in audio]
    direction = Markup(' page-progression-direction="rtl"') if doc.dir == "rtl" else Markup("")
    return (Markup(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" '
        'xml:lang="{lang}" dir="{dir}">\n<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        '<dc:identifier id="uid">urn:uuid:{id}</dc:identifier>\n<dc:title>{title}</dc:title>\n'
        '<dc:language>{lang}</dc:language>\n<dc:creator>{creator}</dc:creator>\n'
        '<dc:publisher>{creator}</dc:publisher>\n'
        '<meta property="dcterms:modified">{modified}</meta>\n{meta}\n</metadata>\n'
        '<manifest>\n{items}\n</manifest>\n<spine{direction}>\n<itemref idref="content"/>\n<itemref idref="nav" linear="no"/>\n'
        '</spine>\n</package>\n').format(
        lang=language.tag, dir=doc.dir, id=book_id, title=f"{doc.title} – {doc.authority_name}",
        creator=doc.organisation, modified=FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        meta=Markup("\n").join(meta), items=Markup("\n").join(items),
        direction=direction)).encode("utf-8")


def _logo_name(logo: DocLogo) -> str:
    return "logo.png" if logo.media_type == "image/png" else "logo.svg"


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}s"


def _clock(ms: float) -> str:
    """A SMIL clock value, h:mm:ss.fff."""
    seconds = ms / 1000
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def _zipped(files: dict[str, bytes]) -> bytes:
    """The OCF container: mimetype first and stored, then the rest, at a fixed time."""
    out = io.BytesIO()
    stamp = FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", stamp), "application/epub+zip", zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("META-INF/container.xml", stamp),
                   '<?xml version="1.0" encoding="UTF-8"?>\n<container version="1.0" '
                   'xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n<rootfiles>\n'
                   '<rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>\n'
                   '</rootfiles>\n</container>\n', zipfile.ZIP_DEFLATED)
        for name, data in files.items():
            # MP3 does not shrink: stored, so a reading app can seek in it
            method = zipfile.ZIP_STORED if name.endswith(".mp3") else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, stamp), data, method)
    return out.getvalue()
