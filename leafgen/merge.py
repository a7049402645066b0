"""Merge a leaflet with one authority's facts and local wording into a Document."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from leafgen.errors import Problems
from leafgen.labels import COMPLETENESS, LABELS, UNREVIEWED_NOTICE
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.load import Loc, Source, string_lines
from leafgen.model import (Authority, Bullets, Contact, ContactRef, DocBlock, DocBullets,
                           DocContacts, DocFamilyField, DocFamilyFields, DocLogo, DocParagraph,
                           DocSection, Document, FamilyFieldsBlock, Leaflet, Paragraph, Phone,
                           percent_of)
from leafgen.project import OTHER_FORMATS_ID, Loaded
from leafgen.sandbox import ContentRenderer, ContentTemplateError

MERGE_PY = Path(__file__)
MODEL_PY = Path(__file__).with_name("model.py")  # where the statutory timescales are written
LABELS_PY = Path(__file__).with_name("labels.py")

# Labels of the family blanks; they are content, so they may name the chair's title.
FAMILY_LABELS = {
    "social_worker_name": "Your social worker's name",
    "social_worker_phone": "Your social worker's telephone number",
    "chair_name": "Name of the {{ authority.chair_title }}",
    "chair_phone": "Telephone number of the {{ authority.chair_title }}",
    "conference_date": "Date and time of the conference",
    "conference_place": "Place of the conference",
}

Where = tuple[Path, int]  # the file and line a text came from


class Catalog(Protocol):
    """Where text in the document's language comes from (see i18n)."""
    @property
    def lang(self) -> str: ...

    def gettext(self, msgid: str, msgctxt: str | None, where: Where) -> str: ...

    def source(self, msgid: str, msgctxt: str | None, where: Where) -> Where:
        """Where the text gettext gives for msgid comes from: its PO entry when a
        translation is used, else where, the English."""
        ...

    def status(self) -> str:
        """The weakest status of the text given out so far."""
        ...

    def in_english(self, msgid: str, msgctxt: str | None) -> bool:
        """Whether gettext gave msgid's English for want of a current translation."""
        ...

    def completeness(self) -> tuple[int, int]:
        """(texts translated, texts asked for) so far."""
        ...


class SourceCatalog:
    """The source language: every text is itself."""
    lang = "en"

    def gettext(self, msgid: str, msgctxt: str | None, where: Where) -> str:
        return msgid

    def source(self, msgid: str, msgctxt: str | None, where: Where) -> Where:
        return where

    def status(self) -> str:
        return "source"

    def in_english(self, msgid: str, msgctxt: str | None) -> bool:
        return False

    def completeness(self) -> tuple[int, int]:
        return (0, 0)


@dataclass(frozen=True)
class _Block:
    """A block with the file and key path it came from (for error lines and msgctxt)."""
    block: Any
    source: Source
    loc: Loc


@dataclass(frozen=True)
class _Placed:
    id: str
    heading: str
    heading_source: Source
    heading_loc: Loc
    blocks: list[_Block]


def merge(leaflet: Loaded[Leaflet], authority: Loaded[Authority], catalog: Catalog,
          problems: Problems, renderer: ContentRenderer | None = None,
          family: dict[str, str] | None = None, logo: DocLogo | None = None) -> Document | None:
    """The merged document, or None after adding every problem found to problems.
    Shared text is looked up without msgctxt; a council's own text with its id."""
    before = len(problems.items)
    renderer = renderer or ContentRenderer()
    a, asrc, lsrc = authority.model, authority.source, leaflet.source

    def ctx(source: Source) -> str | None:
        return None if source is lsrc else a.id

    sources: dict[str, str] = {}  # each text of the document -> file:line it came from
    # texts shown in English for want of a translation (before and after facts are filled
    # in), and the facts among them, which make any text holding them partly English
    in_english: set[str] = set()
    english_facts: list[str] = []

    def came_from(text: str, where: Where) -> str:
        if text:
            sources.setdefault(text, f"{problems.display(where[0])}:{where[1]}")
        return text

    def tr(value: str, source: Source, *loc: Any) -> str:
        where = (source.path, source.line(*loc))
        translated = catalog.gettext(value, ctx(source), where)
        if catalog.in_english(value, ctx(source)):
            in_english.add(translated)
        return came_from(translated, catalog.source(value, ctx(source), where))

    def rendered(translated: str, path: Path, line: int) -> str:
        try:
            # a text shown in English for want of a translation gets the English facts:
            # a translated timescale inside an English sentence would be neither language
            # (and no braille table could write it)
            result = renderer.render(translated, english_facts_filled if translated in in_english else facts)
            if translated in sources:  # the text with the council's facts filled in
                sources.setdefault(result, sources[translated])
            if translated in in_english or (
                    "{{" in translated and any(fact in result for fact in english_facts)):
                in_english.add(result)
            return result
        except ContentTemplateError as e:
            problems.add(path, line, str(e) if catalog.lang == "en" else f"{e} [{catalog.lang}]")
            return translated

    def text(value: str, source: Source, *loc: Any) -> str:
        return rendered(tr(value, source, *loc), source.path, source.line(*loc))

    def label(english: str, defined_in: Path) -> str:
        """Text defined in leafgen's own code: a label, a family blank, a default."""
        where = (defined_in, string_lines(defined_in).get(english, 0))
        translated = catalog.gettext(english, None, where)
        if catalog.in_english(english, None):
            in_english.add(translated)
        return came_from(translated, catalog.source(english, None, where))

    chair_title = tr(a.chair_title, asrc, "chair_title")
    # Timescales the council did not set are the statutory defaults, shared by all.
    timescales = {}
    for key, value in a.timescales.model_dump().items():
        if key in a.timescales.model_fields_set:
            timescales[key] = tr(value, asrc, "timescales", key)
        else:
            timescales[key] = label(value, MODEL_PY)
    english_facts.extend(value for value in [*timescales.values(), chair_title]
                         if value in in_english)
    facts = {"authority": {
        "name": a.name, "organisation": a.organisation,
        "chair_title": chair_title,
        "timescales": timescales,
    }}
    english_facts_filled = {"authority": {
        "name": a.name, "organisation": a.organisation,
        "chair_title": a.chair_title,
        "timescales": a.timescales.model_dump(),
    }}

    contacts = {c.id: (i, c) for i, c in enumerate(a.contacts)}

    def contact(cid: str) -> Contact:
        i, c = contacts[cid]
        def t(field: str, value: str | None, *sub: Any) -> str | None:
            return None if value is None else tr(value, asrc, "contacts", i, field, *sub)
        for field in ("address", "areas", "emails", "web"):  # data, not translated
            for n, value in enumerate(getattr(c, field)):
                came_from(value, (asrc.path, asrc.line("contacts", i, field, n)))
        for n, p in enumerate(c.phones):
            came_from(p.number, (asrc.path, asrc.line("contacts", i, "phones", n, "number")))
        return c.model_copy(update={
            "name": t("name", c.name), "description": t("description", c.description),
            "hours": t("hours", c.hours),
            "phones": [Phone(label=t("phones", p.label, n, "label") or p.label, number=p.number)
                       for n, p in enumerate(c.phones)],
        })

    def block(b: Any, source: Source, loc: Loc) -> DocBlock:
        if isinstance(b, Paragraph):
            return DocParagraph(text(b.paragraph, source, *loc, "paragraph"))
        if isinstance(b, Bullets):
            return DocBullets(tuple(text(item, source, *loc, "bullets", i)
                                    for i, item in enumerate(b.bullets)))
        if isinstance(b, ContactRef):
            for i, c in enumerate(b.contacts):
                if c not in contacts:
                    problems.add(source.path, source.line(*loc, "contacts", i),
                                 f"unknown contact '{c}'; known: {', '.join(contacts)}")
            return DocContacts(tuple(contact(c) for c in b.contacts if c in contacts))
        if isinstance(b, FamilyFieldsBlock):
            return DocFamilyFields(tuple(
                DocFamilyField(f, rendered(label(FAMILY_LABELS[f], MERGE_PY), MERGE_PY, 0),
                               (family or {}).get(f))
                for f in b.family_fields))
        raise TypeError(b)

    sections = [
        DocSection(p.id, text(p.heading, p.heading_source, *p.heading_loc),
                   tuple(block(b.block, b.source, b.loc) for b in p.blocks))
        for p in _place_sections(leaflet, authority, problems)]
    lf = leaflet.model
    title = text(lf.title, lsrc, "title")
    subtitle = text(lf.subtitle, lsrc, "subtitle")
    labels = {english: label(english, LABELS_PY) for english in LABELS}
    if a.alternative_formats not in contacts:
        return None  # reported where the other-formats section asked for it
    alternative = contact(a.alternative_formats)
    status = catalog.status()
    lang = LANGUAGES[catalog.lang]
    done, total = catalog.completeness()
    notice = _notice(labels, status, done, total)
    doc = Document(
        authority_id=a.id, leaflet_id=lf.id, lang=lang.code, dir=lang.dir,
        title=title, subtitle=subtitle, authority_name=a.name, organisation=a.organisation,
        brand_colour=a.brand_colour, logo=logo,
        sections=tuple(sections), alternative_formats=alternative,
        translation=status,  # type: ignore[arg-type]  # Catalog.status() gives a Document status
        labels=labels,
        notice=notice,
        in_english=frozenset(in_english),
        completeness=(done, total) if lang.code != SOURCE_LANGUAGE else None,
        sources=sources,
    )
    return doc if len(problems.items) == before else None


def _notice(labels: dict[str, str], status: str, done: int, total: int) -> tuple[str, str] | None:
    """What every output says first, in its language and in English: that the
    translation is unreviewed, and how much of it there is (when any is in English)."""
    said = [UNREVIEWED_NOTICE] if status in ("draft", "machine") else []
    if done < total:
        said.append(COMPLETENESS)
    if not said:
        return None
    fields = dict(percent=percent_of(done, total), count=total - done, total=total)
    return (" ".join(labels[s].format(**fields) for s in said),
            " ".join(s.format(**fields) for s in said))


def _place_sections(leaflet: Loaded[Leaflet], authority: Loaded[Authority],
                    problems: Problems) -> list[_Placed]:
    """Shared sections in order, with the authority's replacements, additions and appends."""
    ls, asrc = leaflet.source, authority.source

    def blocks(items: list[Any], source: Source, loc: Loc) -> list[_Block]:
        return [_Block(b, source, loc + ("blocks", i)) for i, b in enumerate(items)]

    placed = [_Placed(s.id, s.heading, ls, ("sections", i, "heading"),
                      blocks(s.blocks, ls, ("sections", i)))
              for i, s in enumerate(leaflet.model.sections)]
    other = leaflet.model.other_formats
    placed.append(_Placed(OTHER_FORMATS_ID, other.heading, ls, ("other_formats", "heading"), [
        _Block(Paragraph(paragraph=other.paragraph), ls, ("other_formats",)),
        _Block(ContactRef(contacts=[authority.model.alternative_formats]), asrc,
               ("alternative_formats",))]))

    def index(section_id: str) -> int | None:
        return next((i for i, p in enumerate(placed) if p.id == section_id), None)

    for n, local in enumerate(authority.model.sections):
        loc = ("sections", n)
        mine = blocks(local.blocks, asrc, loc)
        at = index(local.id)
        if local.action == "add":
            if at is not None:
                problems.add(asrc.path, asrc.line(*loc, "id"),
                             f"section '{local.id}' already exists; use action 'replace' or 'append'")
                continue
            anchor = local.after or local.before
            where = len(placed) - 1  # by default, just before the closing other-formats section
            if anchor:
                i = index(anchor)
                if i is None:
                    key = "after" if local.after else "before"
                    problems.add(asrc.path, asrc.line(*loc, key), f"no section '{anchor}' to add {key}"
                                 f"; known: {', '.join(p.id for p in placed)}")
                    continue
                where = i + 1 if local.after else i
            placed.insert(where, _Placed(local.id, local.heading or "", asrc, loc + ("heading",), mine))
        elif at is None:
            problems.add(asrc.path, asrc.line(*loc, "id"), f"no shared section '{local.id}' to "
                         f"{local.action}; known: {', '.join(p.id for p in placed)}")
        elif local.action == "replace":
            old = placed[at]
            heading = (local.heading, asrc, loc + ("heading",)) if local.heading else \
                (old.heading, old.heading_source, old.heading_loc)
            placed[at] = _Placed(local.id, *heading, mine)
        else:  # append: the shared heading and blocks, then the council's blocks
            old = placed[at]
            placed[at] = _Placed(old.id, old.heading, old.heading_source, old.heading_loc,
                                 old.blocks + mine)
    return placed
