"""A round trip with a translation agency, the way councils buy translations:
`leafgen translation-request` writes the texts a language needs (missing or stale), each
with its context, as PO or XLIFF (translate-toolkit writes and reads both); `leafgen
translation-import` merges the answers into translations/<lang>.po, recording who
translated them and when, and refuses any whose protected values differ from the English."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click
from translate.storage import po as tt_po
from translate.storage import xliff

from leafgen.coverage import Gap
from leafgen.glossary import Glossary, load_glossary
from leafgen.i18n import COPIED_NOTE, english, po_bytes, po_path, read_catalog, set_status, updated
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.model import Document
from leafgen.output import write_atomic
from leafgen.pipeline import Project, Selection
from leafgen.quality import protected_difference

MSGCTXT = "x-po-msgctxt"  # where XLIFF carries the PO context (as translate-toolkit's po2xliff)
SUFFIXES = {".po": "PO", ".xlf": "XLIFF", ".xliff": "XLIFF"}


@dataclass(frozen=True)
class Request:
    """One text to translate, with what a translator needs to know about it."""
    msgid: str
    context: str | None
    state: str               # missing or stale
    previous: str | None     # a stale text's old translation
    notes: tuple[str, ...]


def kind_of(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise click.ClickException(f"{path}: name the file .po or .xlf (XLIFF), "
                                   f"not '{path.suffix or 'no suffix'}'")
    return kind


def requests(root: Path, lang: str, authority: str | None = None) -> list[Request]:
    """The texts lang needs for every council (or one), in the order of the leaflets."""
    if lang not in LANGUAGES or lang == SOURCE_LANGUAGE:
        raise click.ClickException(f"unknown language '{lang}'; choose from: "
                                   + ", ".join(c for c in LANGUAGES if c != SOURCE_LANGUAGE))
    project = Project(root)
    selection = Selection((authority,) if authority else (), (), (SOURCE_LANGUAGE, lang))
    docs = project.documents(selection)
    english_docs = [d for d in docs if d.lang == SOURCE_LANGUAGE]
    memory = read_catalog(po_path(root, lang), lang) if po_path(root, lang).exists() else None
    current = updated(memory, project.template(), lang)
    glossary = load_glossary(root)
    out = []
    for gap in (g for g in project.gaps if g.lang == lang):
        message = current.get(gap.msgid, context=gap.context)
        previous = message.string if gap.state == "stale" and message is not None else None
        out.append(Request(gap.msgid, gap.context, gap.state,
                           previous if isinstance(previous, str) and previous else None,
                           _notes(gap, english_docs, glossary, lang, project)))
    return out


def _notes(gap: Gap, docs: list[Document], glossary: Glossary, lang: str,
           project: Project) -> tuple[str, ...]:
    where = f"{project.problems.display(gap.where[0])}:{gap.where[1]}"
    notes = [f"English at {where}",
             f"Only in the leaflets of the council '{gap.context}'" if gap.context
             else "Shared by every council's leaflet"]
    if gap.state == "stale":
        notes.append("The English changed since it was translated: update the translation")
    for doc in docs if gap.context is None else [d for d in docs if d.authority_id == gap.context]:
        for section in doc.sections:
            texts = [section.heading] + [t for b in section.blocks for t in doc.texts_of(b)]
            at = next((i for i, t in enumerate(texts) if doc.sources.get(t) == where), None)
            if at is None:
                continue
            notes.append(f"Section: {section.heading}")
            if at > 0:
                notes.append(f"Before it: {texts[at - 1]}")
            if at + 1 < len(texts):
                notes.append(f"After it: {texts[at + 1]}")
            break
        else:
            continue
        break
    for term, translation in glossary.terms_in(gap.msgid, lang):
        notes.append(f"Glossary: '{term}' is '{translation}' (use this term)")
    return tuple(notes)


def write_request(items: list[Request], lang: str, path: Path) -> None:
    kind = kind_of(path)
    store: Any  # translate-toolkit is only partly typed
    if kind == "PO":
        store = tt_po.pofile()
        store.updateheader(add=True, Language=lang, Content_Type="text/plain; charset=UTF-8",
                           Project_Id_Version="leafgen translation request")
    else:
        store = xliff.xlifffile(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=LANGUAGES[lang].tag)
    for item in items:
        unit = store.addsourceunit(item.msgid)
        if isinstance(unit, tt_po.pounit):
            if item.context:
                unit.setcontext(item.context)
            for note in item.notes:
                unit.addnote(note, origin="developer")
            if item.previous:
                unit.target = item.previous
                unit.markfuzzy(True)
        else:
            unit.setid(f"{item.context or ''}::{item.msgid}"[:200])
            if item.context:
                unit.createcontextgroup("po-entry", [(MSGCTXT, item.context)], purpose="information")
            for note in item.notes:
                unit.addnote(note, origin="developer")
            unit.target = item.previous or ""
            if item.previous:
                unit.markfuzzy(True)
    write_atomic(path, bytes(store))


@dataclass(frozen=True)
class Answer:
    msgid: str
    context: str | None
    translation: str
    where: str  # "file:line" (PO) or "file: unit ID" (XLIFF), for messages


def read_answers(path: Path) -> tuple[str | None, list[Answer]]:
    """The language a returned file says it is in, and each translated entry in it."""
    kind = kind_of(path)
    try:
        data = path.read_bytes()
        reader: Any = tt_po.pofile if kind == "PO" else xliff.xlifffile  # only partly typed
        store = reader.parsestring(data)
        lang = store.parseheader().get("Language") if kind == "PO" else store.gettargetlanguage()
    except Exception as e:  # the toolkit raises many kinds for a broken file
        raise click.ClickException(f"{path}: cannot read it as {kind}: {str(e)[:200]}") from None
    answers = []
    unit: Any
    for unit in store.units:
        if unit.isheader() or not unit.source or not unit.target or unit.isfuzzy():
            continue
        if kind == "PO":
            context = unit.getcontext() or None
            where = f"{path}:{_po_line(data, unit.source, context)}"
        else:
            groups = unit.getcontextgroups("po-entry")
            context = next((value for group in groups for kind_, value in group if kind_ == MSGCTXT),
                           None)
            where = f"{path}: unit '{unit.getid()}'"
        answers.append(Answer(str(unit.source), context, str(unit.target), where))
    return (lang.split("-")[0].split("_")[0] if lang else None), answers


def _po_line(data: bytes, msgid: str, context: str | None) -> int:
    """The line of an entry's msgid in a PO file (the toolkit does not keep line numbers)."""
    from babel.messages.pofile import read_po
    for message in read_po(io.BytesIO(data)):
        if message.id == msgid and message.context == context:
            return message.lineno or 1
    return 1


def import_answers(root: Path, path: Path, translator: str, reviewed: bool,
                   today: date | None = None) -> tuple[str, int]:
    """Merge a returned file into its language's PO file: all of it, or nothing (with a
    message naming each refused entry). Returns (language, entries merged)."""
    lang, answers = read_answers(path)
    if lang not in LANGUAGES or lang == SOURCE_LANGUAGE:
        raise click.ClickException(f"{path}: the file does not name a language leafgen "
                                   f"translates into (found '{lang}')")
    target = po_path(root, lang)
    catalog = updated(read_catalog(target, lang) if target.exists() else None,
                      Project(root).template(), lang)
    refused = []
    for answer in answers:
        message = catalog.get(answer.msgid, context=answer.context)
        if message is None:
            refused.append(f"{answer.where}: error: '{answer.msgid[:60]}' is not a text the "
                           "leaflets use now (its English may have changed since the request)")
            continue
        problem = protected_difference(english(message), answer.translation)
        if problem:
            refused.append(f"{answer.where}: error: {problem}")
    if refused:
        raise click.ClickException("\n".join(refused) + f"\n{len(refused)} entr"
                                   f"{'ies' if len(refused) != 1 else 'y'} refused; nothing "
                                   "was imported.")
    when = (today or date.today()).isoformat()
    for answer in answers:
        message = catalog.get(answer.msgid, context=answer.context)
        assert message is not None  # each was found above
        message.string = answer.translation
        message.flags.discard("fuzzy")
        message.previous_id = []
        message.user_comments = [c for c in message.user_comments if c != COPIED_NOTE
                                 and not c.startswith(("translated by ", "reviewed by "))]
        message.user_comments.append(f"translated by {translator} on {when}")
        if reviewed:
            message.user_comments.append(f"reviewed by {translator} on {when}")
        set_status(message, "reviewed" if reviewed else "draft")
    write_atomic(target, po_bytes(catalog))
    return lang, len(answers)
