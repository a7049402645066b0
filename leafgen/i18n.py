"""The translation memory: extract every segment to translations/leafgen.pot, keep
translations/<lang>.po up to date with msgmerge semantics, and look text up by status.

Each PO entry carries its status as a translator comment, visible in Poedit and Weblate:
    # status: reviewed   a qualified person checked it
    # status: draft      written by us, not reviewed
    # status: machine    machine translation (leafgen translate)
An entry whose English changed is marked fuzzy (with the previous English as #| msgid):
it is stale. A stale or missing entry never stops a language from building: the English
is shown in its place, marked as not yet translated (never the outdated translation,
which may give an old phone number or timescale), unless the project asks to be strict."""
from __future__ import annotations

import difflib
import gettext
import io
import re
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog as PoFile
from babel.messages.catalog import Message
from babel.messages.pofile import read_po, unescape, write_po

from leafgen.errors import Problems
from leafgen.labels import LABELS
from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
from leafgen.load import (YamlError, clip, decode_text, describe_character, read_limited,
                          string_lines, unsafe_character)
from leafgen.merge import LABELS_PY, SourceCatalog, Where
from leafgen.project import link_problem
from leafgen.sandbox import ContentRenderer, ContentTemplateError

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


def english(message: Message) -> str:
    """An entry's English: its msgid (a plural entry's singular, which babel keys it by;
    leafgen's template has no plural entries and check_po refuses them)."""
    return message.id if isinstance(message.id, str) else message.id[0]


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


def trust(message: Message) -> str:
    """The status a translation is treated as: its own if known, else draft. (An unknown
    one, "# status: perfect", is reported by check_po; until then it must neither crash
    a look-up nor count as reviewed.)"""
    status = status_of(message)
    return status if status in STATUSES else "draft"


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
    entries = dict(recorded)
    for label in LABELS:
        entries.setdefault((label, None), [(LABELS_PY, string_lines(LABELS_PY)[label])])

    def order(item: tuple[Key, list[Where]]) -> tuple[str, bool, str, int]:
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


def _new_catalog(lang: str | None) -> PoFile:
    catalog = _empty_catalog(lang)
    if lang:  # the registry's rule, not the installed Babel's CLDR tables (they change)
        catalog.mime_headers = [("Plural-Forms", LANGUAGES[lang].plural_forms)]
    return catalog


def _empty_catalog(lang: str | None) -> PoFile:
    return PoFile(locale=lang, project="leafgen", version="1", charset="utf-8", fuzzy=False,
                  creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                  language_team=f"{LANGUAGES[lang].english_name} <none>" if lang else None,
                  last_translator="leafgen <none>", header_comment="# leafgen translation memory")


def po_bytes(catalog: PoFile) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, include_previous=True, ignore_obsolete=False)
    # Babel names its own version in every header it writes: the files would change with
    # each Babel release although no text did.
    return GENERATED_BY.sub(rb'"Generated-By: leafgen\\n"', buf.getvalue(), count=1)


GENERATED_BY = re.compile(rb'^"Generated-By: [^"]*"$', re.M)


MAX_PO_BYTES = 10_000_000  # every leaflet's and council's text in one language: a few 100 KB
# A PO file's lines, as msgfmt reads them: a keyword and a quoted string, or a quoted string
# continuing the one before. Babel accepts much else without a word (an unquoted or
# unterminated msgstr is read as some other text), so each line is checked first.
_PO_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+"((?:[^"\\]|\\.)*)"[ \t]*$')
_PO_STRING = re.compile(r'^[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*$')
_PO_HEADER = re.compile(r'^"([A-Za-z-]+):[ \t]*(.*?)(?:\\n)?"[ \t]*$')


def read_catalog(path: Path, lang: str | None) -> PoFile:
    """A PO file, checked (see read_checked); raises ContentError naming file:line."""
    problems = Problems(path.parent.parent)
    po = read_checked(path, lang, problems)
    problems.raise_if_any()
    assert po is not None
    return po


def read_checked(path: Path, lang: str | None, problems: Problems,
                 msgstr_lines: dict[Key, int] | None = None) -> PoFile | None:
    """A PO file, or None after adding its problems: a file reached through a link
    leaving the project, too large, not UTF-8 (or not declared so), holding a control or
    bidirectional control character, a line msgfmt would refuse, an entry given twice,
    a Plural-Forms header that is not the language's."""
    refused = link_problem(path, problems.root)
    if refused:
        problems.add(path, 1, refused)
        return None
    try:
        raw = read_limited(path, MAX_PO_BYTES)
        for number, line in enumerate(raw.split(b"\n"), 1):
            if line.startswith(b"msgid ") and line.strip() != b'msgid ""':
                break  # past the header
            m = re.match(rb'^"Content-Type:.*charset=([^\\"\s;]+)', line)
            if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
                raise YamlError(number, "charset must be UTF-8, not "
                                f"{m.group(1).decode('ascii', 'replace')}")
        text = decode_text(raw)
    except YamlError as e:
        problems.add(path, e.line, str(e))
        return None
    before = len(problems.items)
    _check_lines(path, text, lang, problems, msgstr_lines)
    if len(problems.items) > before:
        return None
    try:
        return read_po(io.BytesIO(raw), locale=lang, abort_invalid=True)
    except Exception as e:  # babel raises several kinds of error for a broken PO file
        problems.add(path, getattr(e, "lineno", 1) or 1, f"cannot read PO file: {clip(str(e), 120)}")
        return None


def _check_lines(path: Path, text: str, lang: str | None, problems: Problems,
                 msgstr_lines: dict[Key, int] | None = None) -> None:
    """msgstr_lines, if given, gets the line of each entry's translation."""
    seen: dict[tuple[str | None, str], int] = {}  # (msgctxt, msgid) -> line of its msgid
    entry: dict[str, str] = {}
    lines: dict[str, int] = {}
    keyword = None
    header = False  # reading the header's msgstr (the entry with msgid "")
    nplurals: int | None = None  # from the Plural-Forms header, once read
    plural: tuple[int, list[int]] | None = None  # (msgid line, its msgstr[N] indexes)

    def check_forms() -> None:
        if plural and nplurals and plural[1] != list(range(nplurals)):
            problems.add(path, plural[0], f"entry has {len(plural[1])} plural form"
                         f"{'s' if len(plural[1]) != 1 else ''} (msgstr[0] to msgstr[N]), but "
                         f"the Plural-Forms header says nplurals={nplurals}")

    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("#"):  # comments: #, #. #: #| #~
            continue
        m = _PO_KEYWORD.match(line)
        if m:
            keyword = m.group(1)
            if keyword in ("msgctxt", "msgid") and keyword not in entry:
                check_forms()  # the entry before this one is complete
                plural = None
            entry[keyword], lines[keyword] = m.group(2), number
            header = False
            if keyword == "msgid_plural":
                plural = (lines.get("msgid", number), [])
            elif keyword.startswith("msgstr[") and plural:
                plural[1].append(int(keyword[7:-1]))
            if keyword in ("msgstr", "msgstr[0]"):
                if "msgid" not in entry:
                    problems.add(path, number, "PO syntax: msgstr without a msgid before it")
                    return
                key = (entry.pop("msgctxt", None), entry.pop("msgid"))
                entry.pop("msgid_plural", None)
                if key in seen:
                    problems.add(path, lines["msgid"], f"entry '{clip(key[1])}' is given twice "
                                 f"(first at line {seen[key]})")
                seen[key] = lines["msgid"]
                header = key == (None, "")
                if msgstr_lines is not None:
                    msgstr_lines[(unescape(f'"{key[1]}"'),
                                  None if key[0] is None else unescape(f'"{key[0]}"'))] = number
            continue
        m = _PO_STRING.match(line)
        if m and keyword:
            if keyword in entry:
                entry[keyword] += m.group(1)
            field = _PO_HEADER.match(line)
            if header and field and field.group(1).lower() == "plural-forms" and lang:
                nplurals = _check_plural_forms(path, number, field.group(2), problems)
            continue
        problems.add(path, number, "PO syntax: expected msgctxt, msgid or msgstr and a quoted "
                     'string, or a quoted string ("...") continuing the one before')
        return
    check_forms()


def _check_plural_forms(path: Path, line: int, value: str, problems: Problems) -> int | None:
    """The number of plural forms a valid `Plural-Forms: nplurals=N; plural=EXPR;` header
    gives, as gettext reads it, else None after adding the problem. The file is judged on
    its own terms, not against an installed library's CLDR tables: those change between
    releases (Babel 2.19 gave Farsi and Italian a form more), and gettext, Poedit and
    msgfmt use the header. (leafgen itself uses no plurals.)"""
    m = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", value)
    try:
        if not m:
            raise ValueError("expected 'nplurals=N; plural=EXPRESSION;'")
        nplurals, choose = int(m.group(1)), gettext.c2py(m.group(2))
        # msgfmt -c's check too: the expression must pick one of the N forms
        forms = {n: choose(n) for n in (*range(1000), 10_000, 100_000, 1_000_000)}
    except (ValueError, SyntaxError, RecursionError, OverflowError, ZeroDivisionError) as e:
        problems.add(path, line, f"Plural-Forms header is not valid: {clip(str(e))}")
        return None
    if not 1 <= nplurals <= 6:  # no language has more than six (CLDR's zero..other)
        problems.add(path, line, f"Plural-Forms header is not valid: nplurals must be 1 to 6, "
                     f"not {nplurals}")
        return None
    wrong = next((n for n, form in forms.items() if not 0 <= form < nplurals), None)
    if wrong is not None:
        problems.add(path, line, f"Plural-Forms header is not valid: for n={wrong} the plural "
                     f"expression gives form {forms[wrong]}, but nplurals={nplurals} allows "
                     f"0 to {nplurals - 1}")
        return None
    return nplurals


def updated(po: PoFile | None, pot: PoFile, lang: str) -> PoFile:
    """msgmerge semantics, judged within a context: new entries are added empty (missing),
    entries no longer used are kept as obsolete (#~), and an entry whose English changed
    keeps its old translation as fuzzy, with the previous English (stale). Babel's own
    fuzzy matching would also pair a new council's "Telephone" with the shared one and
    call it stale, although nothing changed: that matching is done here instead."""
    if po is None:
        po = _new_catalog(lang)
    # Babel puts the template's own Message objects in the catalog for new entries: it
    # is given clones each time, so that filling one language's entry never fills another's.
    template = PoFile()
    for message in pot:
        if message.id:
            template[message.id] = message.clone()
    po.update(template, no_fuzzy_matching=True, update_creation_date=False)
    _carry_over(po)
    po.revision_date = FIXED_DATE
    return po


COPIED_NOTE = "copied from the translation of the same English elsewhere"


def _carry_over(po: PoFile) -> None:
    """Give each empty entry what the memory knows: the old translation of the text it
    replaced, in the same context (stale, to be updated), or else the translation of the
    very same English used elsewhere or before, as a draft (an identical sentence means
    the same; a reviewer checked the other place, not this one)."""
    same_english: dict[str, Message] = {}  # current entries first, then obsolete ones
    for message in [*po, *po.obsolete.values()]:
        if message.id and message.string and not message.fuzzy and english(message) \
                not in same_english and status_of(message) in STATUSES:
            same_english[english(message)] = message
    for message in po:
        if not message.id or message.string:
            continue
        old = _replaced(po, message)
        if old is not None:
            message.string = old.string
            message.flags.add("fuzzy")
            message.previous_id = [english(old)]
            message.user_comments = [c for c in old.user_comments if not c.startswith("|")]
            continue
        twin = same_english.get(english(message))
        if twin is not None:
            message.string = twin.string
            status = "machine" if trust(twin) == "machine" else "draft"
            message.user_comments = [f"status: {status}", COPIED_NOTE]


def _replaced(po: PoFile, message: Message) -> Message | None:
    """The obsolete entry, in the same context, whose English this entry's most resembles
    (difflib's ratio of at least 0.6, as msgmerge and Babel use), taken out of the
    obsolete list; None if there is none."""
    candidates = {english(m): key for key, m in po.obsolete.items()
                  if m.context == message.context and m.string and isinstance(m.string, str)}
    match = difflib.get_close_matches(english(message), list(candidates), n=1, cutoff=0.6)
    return po.obsolete.pop(candidates[match[0]]) if match else None


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
    return trust(message)


def count(po: PoFile) -> Counts:
    counts = Counts()
    for message in po:
        if message.id:
            key = state(message)
            setattr(counts, key, getattr(counts, key) + 1)
    return counts


def check_po(path: Path, po: PoFile, problems: Problems) -> set[Key]:
    """Status comments, placeholders, and what a translation may hold, each problem at
    file.po:line. A translation is content like the English, so it may show council facts
    as {{ authority.x }} only (checked here, at the PO line, rather than later at the
    English one); a label's {fields} are filled in by str.format, so they must be bare
    names ("{title:>999999999}" would make a gigabyte string). Returns the entries whose
    translation is refused, so that the merge does not report them a second time."""
    renderer = ContentRenderer()
    refused: set[Key] = set()
    for message in po:
        if not message.id or not message.string:
            continue
        line = message.lineno or 1
        status = status_of(message)
        if status is None or status not in STATUSES:
            problems.add(path, line, "entry needs a '# status: ' comment with one "
                         f"of: {', '.join(STATUSES)}" + (f" (found '{status}')" if status else ""))
        problem = _translation_problem(message, renderer)
        if problem:
            problems.add(path, line, problem)
            refused.add((english(message), message.context))
    return refused


def _translation_problem(message: Message, renderer: ContentRenderer) -> str | None:
    if not isinstance(message.string, str) or not isinstance(message.id, str):
        return "plural translations are not used by leafgen"
    at = unsafe_character(message.string)
    if at is not None:  # an escape such as \r; the file check found the rest
        return f"translation contains {describe_character(message.string[at])}"
    want, got = placeholders(message.id), placeholders(message.string)
    if want != got:
        return (f"placeholders differ from the English: expected {want or 'none'}, "
                f"found {got or 'none'}")
    if "{{" in message.string or "{%" in message.string:
        try:
            renderer.check(message.string)
        except ContentTemplateError as e:
            return str(e)
    elif FIELD.search(message.id) and not _plain_fields(message.string):
        return ("in a label, write each {field} as it is in the English, with no format, "
                "conversion or attribute")
    return None


@dataclass(frozen=True)
class Memory:
    """One language's PO file, read, checked and merged with the current template."""
    lang: str
    path: Path
    po: PoFile
    lines: dict[Key, int]  # line of each entry in the file on disk, for error messages
    refused: frozenset[Key] = frozenset()  # translations already reported as wrong
    # line of each entry's msgstr on disk: where a translated text shown in a document is
    translation_lines: dict[Key, int] = field(default_factory=dict)

    def line_of(self, message: Message) -> int:
        return (self.lines.get((english(message), message.context))
                or self.lines.get((message.previous_id[0] if message.previous_id else "",
                                   message.context)) or 1)


def _plain_fields(text: str) -> bool:
    try:
        return all(name is None or (name.isidentifier() and not spec and not conversion)
                   for _, name, spec, conversion in string.Formatter().parse(text))
    except ValueError:  # a lone { or }
        return False


def load_memory(root: Path, lang: str, pot: PoFile, problems: Problems) -> Memory | None:
    path = po_path(root, lang)
    translation_lines: dict[Key, int] = {}
    po = read_checked(path, lang, problems, translation_lines)
    if po is None:
        return None
    refused = check_po(path, po, problems)
    lines = {(english(m), m.context): m.lineno or 1 for m in po if m.id}
    return Memory(lang, path, updated(po, pot, lang), lines, frozenset(refused), translation_lines)


@dataclass
class LanguageCatalog:
    """Look-ups in one language for one document. It remembers the weakest status given
    out, and the state of every entry used: a missing or stale one gives the English
    (shown marked as not yet translated), or, when strict, is an error at its source."""
    memory: Memory
    problems: Problems
    strict: bool = False
    weakest: str = "source"
    used: dict[Key, str] = field(default_factory=dict)  # entry -> its state (see state())

    @property
    def lang(self) -> str:
        return self.memory.lang

    def gettext(self, msgid: str, msgctxt: str | None, where: Where) -> str:
        key = (msgid, msgctxt)
        if key in self.memory.refused:  # reported at its PO line already
            return msgid
        message = self.memory.po.get(msgid, context=msgctxt)
        if message is None or not isinstance(message.string, str):  # a plural: refused
            self.used[key] = "missing"
        else:
            self.used[key] = state(message)
        if self.used[key] == "missing":
            if self.strict:
                self.problems.add(where[0], where[1], f"no {self.lang} translation of "
                                  f"'{_short(msgid)}' in {self.problems.display(self.memory.path)} "
                                  f"(run leafgen extract, then translate it)")
            return msgid
        assert message is not None and isinstance(message.string, str)
        if self.used[key] == "stale":
            if self.strict:
                self.problems.add(self.memory.path, self.memory.line_of(message),
                                  f"stale translation: the English changed to '{_short(msgid)}'; "
                                  "update the translation and remove the fuzzy flag (or run "
                                  "leafgen translate)")
            return msgid
        status = self.used[key]
        if WEAKNESS[status] > WEAKNESS[self.weakest]:
            self.weakest = status
        return message.string

    def in_english(self, msgid: str, msgctxt: str | None) -> bool:
        return self.used.get((msgid, msgctxt)) in ("missing", "stale")

    def source(self, msgid: str, msgctxt: str | None, where: Where) -> Where:
        key = (msgid, msgctxt)
        if key in self.memory.refused or self.in_english(msgid, msgctxt) or key not in self.used:
            return where  # the English is shown
        return (self.memory.path,
                self.memory.translation_lines.get(key) or self.memory.lines.get(key, 1))

    def status(self) -> str:
        return self.weakest

    def completeness(self) -> tuple[int, int]:
        """(entries translated, entries used) by this document so far."""
        return (sum(1 for key in self.used if not self.in_english(*key)), len(self.used))


def po_path(root: Path, lang: str) -> Path:
    return root / "translations" / f"{lang}.po"


def translated_languages(root: Path) -> list[str]:
    """The source language, then every language with a PO file, in the standard order."""
    return [code for code in LANGUAGES
            if code == SOURCE_LANGUAGE or po_path(root, code).is_file()]


def _short(text: str) -> str:
    return text if len(text) <= 50 else text[:47] + "..."
