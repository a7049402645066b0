"""The translation memory: extract every segment to translations/leafgen.pot, keep
translations/<lang>.po up to date with msgmerge semantics, and look text up by status.

Each PO entry carries its status as a translator comment, visible in Poedit and Weblate:
    # status: reviewed   a qualified person checked it
    # status: draft      written by us, not reviewed
    # status: machine    machine translation (leafgen translate)
An entry whose English changed is marked fuzzy (with the previous English as #| msgid):
it is stale, and a stale or missing entry stops its language from building."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog as PoFile
from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

from leafgen.errors import Problems
from leafgen.labels import LABELS
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.merge import LABELS_PY, SourceCatalog, Where

STATUSES = ("reviewed", "draft", "machine")
# Higher is weaker; a document is as weak as the weakest text it uses.
WEAKNESS = {"source": 0, "reviewed": 1, "draft": 2, "machine": 3}
STATUS_COMMENT = re.compile(r"^status: (\w+)$")
PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")  # a council's fact, in content
FIELD = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")     # a value filled in by a format, in labels
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)  # no clock in files: rebuilds stay byte-identical
POT = "leafgen.pot"
PLACEHOLDER_NOTE = ("Keep every {{ ... }} and {...} exactly as it is: it is replaced by the "
                    "council's own fact or a value such as a title or a number.")

Key = tuple[str, str | None]  # (msgid, msgctxt)


class RecordingCatalog(SourceCatalog):
    """The source language, remembering every text asked for and where it came from."""

    def __init__(self) -> None:
        self.seen: dict[Key, list[Where]] = {}

    def gettext(self, msgid: str, msgctxt: str | None, where: Where) -> str:
        places = self.seen.setdefault((msgid, msgctxt), [])
        if where not in places:
            places.append(where)
        return msgid


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text) + ["{%s}" % f for f in FIELD.findall(text)])


def status_of(message: Message) -> str | None:
    for comment in message.user_comments:
        m = STATUS_COMMENT.match(comment.strip())
        if m:
            return m.group(1)
    return None


def set_status(message: Message, status: str) -> None:
    """Mark a (new) translation with its status. Babel reads a stale entry's previous
    English (#| msgid) back as a comment: that goes too, the entry being current now."""
    message.user_comments = [c for c in message.user_comments
                             if not STATUS_COMMENT.match(c.strip()) and not c.startswith("|")
                             ] + [f"status: {status}"]


def make_template(recorded: dict[Key, list[Where]], root: Path) -> PoFile:
    """The .pot: shared text first (in file order), then labels, then each council's text."""
    pot = _new_catalog(None)
    problems = Problems(root)
    entries = {key: [_with_line(place, key[0]) for place in places]
               for key, places in recorded.items()}
    for label in LABELS:
        entries.setdefault((label, None), [_with_line((LABELS_PY, 0), label)])

    def order(item: tuple[Key, list[Where]]) -> tuple:
        (msgid, ctx), places = item
        path, line = places[0]
        return (ctx or "", path.suffix == ".py", str(path), line)

    for (msgid, ctx), places in sorted(entries.items(), key=order):
        locations = [(problems.display(path), line) for path, line in places]
        comments = [PLACEHOLDER_NOTE] if PLACEHOLDER.search(msgid) or FIELD.search(msgid) else []
        if ctx:
            comments.append(f"Only in the leaflets of: {ctx}")
        pot.add(msgid, "", locations=locations, context=ctx, auto_comments=comments)
    return pot


def _with_line(place: Where, msgid: str) -> Where:
    """Text defined in leafgen's own code (labels, family-field labels) is recorded at
    line 0: find the line that defines it, for the #: location."""
    path, line = place
    if line or path.suffix != ".py":
        return place
    text = path.read_text(encoding="utf-8")
    at = text.rfind(f'"{msgid[:30]}')  # the last: a docstring may name a label first
    return (path, text[:at].count("\n") + 1) if at >= 0 else place


def _new_catalog(lang: str | None) -> PoFile:
    return PoFile(locale=lang, project="leafgen", version="1", charset="utf-8", fuzzy=False,
                  creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                  language_team=f"{LANGUAGES[lang].english_name} <none>" if lang else None,
                  last_translator="leafgen <none>", header_comment="# leafgen translation memory")


def po_bytes(catalog: PoFile) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, include_previous=True, ignore_obsolete=False)
    return buf.getvalue()


def read_catalog(path: Path, lang: str | None) -> PoFile:
    with path.open("rb") as f:
        return read_po(f, locale=lang, abort_invalid=True)


def updated(po: PoFile | None, pot: PoFile, lang: str) -> PoFile:
    """msgmerge semantics: new entries added empty, changed English kept as fuzzy with
    the previous msgid, entries no longer used kept as obsolete (#~)."""
    if po is None:
        po = _new_catalog(lang)
    po.update(pot, update_creation_date=False)
    po.revision_date = FIXED_DATE
    return po


@dataclass
class Counts:
    reviewed: int = 0
    draft: int = 0
    machine: int = 0
    stale: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.reviewed + self.draft + self.machine + self.stale + self.missing


def state(message: Message) -> str:
    """One of reviewed, draft, machine, stale, missing."""
    if not message.string:
        return "missing"
    if message.fuzzy:
        return "stale"
    return status_of(message) or "draft"


def count(po: PoFile) -> Counts:
    counts = Counts()
    for message in po:
        if message.id:
            key = state(message)
            setattr(counts, key, getattr(counts, key) + 1)
    return counts


def check_po(path: Path, po: PoFile, problems: Problems) -> None:
    """Status comments and placeholders, each problem at file.po:line."""
    for message in po:
        if not message.id or not message.string:
            continue
        status = status_of(message)
        if status is None or status not in STATUSES:
            problems.add(path, message.lineno or 1, "entry needs a '# status: ' comment with one "
                         f"of: {', '.join(STATUSES)}" + (f" (found '{status}')" if status else ""))
        want, got = placeholders(message.id), placeholders(message.string)
        if want != got:
            problems.add(path, message.lineno or 1,
                         f"placeholders differ from the English: expected {want or 'none'}, "
                         f"found {got or 'none'}")


@dataclass(frozen=True)
class Memory:
    """One language's PO file, read, checked and merged with the current template."""
    lang: str
    path: Path
    po: PoFile
    lines: dict[Key, int]  # line of each entry in the file on disk, for error messages

    def line_of(self, message: Message) -> int:
        return (self.lines.get((message.id, message.context))
                or self.lines.get((message.previous_id[0] if message.previous_id else "",
                                   message.context)) or 1)


def load_memory(root: Path, lang: str, pot: PoFile, problems: Problems) -> Memory | None:
    path = po_path(root, lang)
    try:
        po = read_catalog(path, lang)
    except Exception as e:  # babel raises several kinds of error for a broken PO file
        line = getattr(e, "lineno", 1) or 1
        problems.add(path, line, f"cannot read PO file: {e}")
        return None
    if po.charset.lower() not in ("utf-8", "utf8"):
        problems.add(path, 1, f"charset must be UTF-8, not {po.charset}")
        return None
    check_po(path, po, problems)
    lines = {(m.id, m.context): m.lineno or 1 for m in po if m.id}
    return Memory(lang, path, updated(po, pot, lang), lines)


@dataclass
class LanguageCatalog:
    """Look-ups in one language for one document, remembering the weakest status given out."""
    memory: Memory
    problems: Problems
    weakest: str = "source"

    @property
    def lang(self) -> str:
        return self.memory.lang

    def gettext(self, msgid: str, msgctxt: str | None, where: Where) -> str:
        message = self.memory.po.get(msgid, context=msgctxt)
        if message is None or not message.string:
            self.problems.add(where[0], where[1], f"no {self.lang} translation of "
                              f"'{_short(msgid)}' in {self.problems.display(self.memory.path)} "
                              f"(run leafgen extract, then translate it)")
            return msgid
        if message.fuzzy:
            self.problems.add(self.memory.path, self.memory.line_of(message), f"stale translation: the English "
                              f"changed to '{_short(msgid)}'; update the translation and remove "
                              "the fuzzy flag (or run leafgen translate)")
            return msgid
        status = status_of(message) or "draft"
        if WEAKNESS[status] > WEAKNESS[self.weakest]:
            self.weakest = status
        return message.string

    def status(self) -> str:
        return self.weakest


def po_path(root: Path, lang: str) -> Path:
    return root / "translations" / f"{lang}.po"


def translated_languages(root: Path) -> list[str]:
    """The source language, then every language with a PO file, in the standard order."""
    return [code for code in LANGUAGES
            if code == SOURCE_LANGUAGE or po_path(root, code).is_file()]


def _short(text: str) -> str:
    return text if len(text) <= 50 else text[:47] + "..."
