"""Family packs: the formats one family needs, in their languages, in one zip with a
README in each language, optionally with the family's own details filled in.

A family's details are personal data. They live only in memory: the documents are
rendered on demand (never into output/), their speech is never cached (see spoken.py),
nothing is logged, and the zip is returned as bytes for the caller to hand over."""
from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Iterable

from pydantic import AfterValidator, BeforeValidator, ValidationError

from leafgen.config import ProjectConfig, load_config
from leafgen.errors import Problems
from leafgen.formats import FORMATS, Format
from leafgen.inline import LRI, PDI, rtl_plain
from leafgen.labels import FIELD_LABELS
from leafgen.load import unsafe_character
from leafgen.languages import LANGUAGES
from leafgen.project import templates_folder
from leafgen.model import DocBlock, DocFamilyFields, Document, Strict
from leafgen.pipeline import Project, Selection
from leafgen.project import explain
from leafgen.site import mp3_minutes

# Typed into a single-line field, beyond what content may not hold (load.unsafe_character:
# controls, bidi controls, line and paragraph separators, surrogates, private use, tags,
# noncharacters): tabs and line breaks, a byte order mark, and U+FFFD, which is what
# bytes that were not UTF-8 become when a form is read.
_NOT_IN_A_LINE = "\t\n\r\ufeff"


def _clean(value: object) -> object:
    """Blank means not given; runs of spaces are one space."""
    if isinstance(value, str):
        value = re.sub(r" {2,}", " ", unicodedata.normalize("NFC", value).strip(" "))
        return value or None
    return value


def _plain(value: str) -> str:
    """One validator for typed text: the same refusals as content, and a line's. The
    message names the kind of character, never the value (it may be personal)."""
    if "\ufffd" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("is not valid text: it was not sent as UTF-8")
    at = unsafe_character(value)
    if at is not None or any(ch in _NOT_IN_A_LINE for ch in value):
        raise ValueError("must not contain control or text-direction characters, line "
                         "breaks, or private-use, tag or noncharacter code points")
    return value


def _phone(value: str) -> str:
    """A UK number as printed: digits in groups ('07700 900123'); 11 digits typed
    without spaces are grouped 5 + 6."""
    digits = value.replace("-", " ")
    digits = re.sub(r" {2,}", " ", digits)
    # Digits 0-9 only: another script's digit (a Bengali four looks like an 8) would be
    # printed as one number and spoken as another.
    if re.fullmatch(r"0[0-9]{10}", digits):
        digits = f"{digits[:5]} {digits[5:]}"
    if not re.fullmatch(r"0[0-9]{2,4}( [0-9]{3,6}){1,2}", digits):
        raise ValueError("must be a UK telephone number in the digits 0 to 9, such as "
                         "01234 567890")
    return digits


Cleaned = BeforeValidator(_clean)
Name = Annotated[str | None, Cleaned, AfterValidator(lambda v: v and _plain(v))]
PhoneText = Annotated[str | None, Cleaned, AfterValidator(lambda v: v and _phone(_plain(v)))]


class Family(Strict):
    """What a social worker may type for one family. Limits keep every format's layout."""
    social_worker_name: Annotated[Name, AfterValidator(lambda v: _at_most(v, 80))] = None
    social_worker_phone: PhoneText = None
    chair_name: Annotated[Name, AfterValidator(lambda v: _at_most(v, 80))] = None
    chair_phone: PhoneText = None
    conference_date: Annotated[Name, AfterValidator(lambda v: _at_most(v, 80))] = None
    conference_place: Annotated[Name, AfterValidator(lambda v: _at_most(v, 160))] = None

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


def _at_most(value: str | None, size: int) -> str | None:
    if value is not None and len(value) > size:
        raise ValueError(f"must be at most {size} characters")
    return value


MAX_FILES = 30  # languages × formats in one pack: keeps one request's work bounded


class PackError(Exception):
    """A request that cannot be packed: (field, message) pairs that say what to change
    (never the value typed, which may be personal)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(f"{FIELD_LABELS.get(f, f)}: {m}" if f in FIELD_LABELS else m
                         for f, m in self.problems)


def details_from(text: str) -> dict[str, str | None]:
    """The family's details from YAML or JSON text (`leafgen pack --details`): a mapping
    of field names to text. PackError says what is wrong, never what was typed."""
    import yaml
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PackError([("", "not YAML or JSON" + (f" (line {mark.line + 1})" if mark else ""))]
                        ) from None
    if not isinstance(data, dict):
        raise PackError([("", "must be a mapping of field: value, for example "
                              "social_worker_name: ...")])
    problems = [("", f"unknown field '{str(k)[:40]}'; known: {', '.join(FIELD_LABELS)}")
                for k in data if k not in FIELD_LABELS]
    problems += [(str(k), "must be text") for k, v in data.items()
                 if k in FIELD_LABELS and v is not None and not isinstance(v, str)]
    if problems:
        raise PackError(problems)
    return {str(k): v for k, v in data.items()}


def family_from(values: dict[str, str | None]) -> Family:
    """The family's details, or PackError naming each field that is wrong."""
    try:
        return Family(**values)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            reason = explain(err)
            problems.append((name, reason) if err["type"] != "extra_forbidden"
                            else ("", f"unknown field '{name}'"))
        raise PackError(problems) from None


def with_family(doc: Document, family: Family) -> Document:
    """The document with the family's details in its blanks."""
    values = family.values()
    if not values:
        return doc

    def filled(block: DocBlock) -> DocBlock:
        if isinstance(block, DocFamilyFields):
            return DocFamilyFields(tuple(dataclasses.replace(f, value=values.get(f.name))
                                         for f in block.fields))
        return block
    return dataclasses.replace(doc, sections=tuple(
        dataclasses.replace(s, blocks=tuple(filled(b) for b in s.blocks)) for s in doc.sections),
        english=with_family(doc.english, family) if doc.english else None)  # bilingual: both halves


@dataclass(frozen=True)
class PackRequest:
    authority: str
    leaflet: str
    langs: tuple[str, ...]
    formats: tuple[str, ...]
    family: Family = Family()

    def files(self) -> list[tuple[str, Format]]:
        """Each (language, format) asked for; a bilingual edition is of a translation and
        its English, so English asked for with one adds no file of its own."""
        return [(lang, FORMATS[n]) for lang in self.langs for n in self.formats
                if FORMATS[n].applies_to(lang)]


@dataclass(frozen=True)
class PackFile:
    name: str          # path inside the zip
    doc: Document
    format: Format
    data: bytes


def check_request(root: Path, req: PackRequest) -> None:
    """PackError naming every choice that cannot be packed."""
    project = Project(root)
    problems: list[tuple[str, str]] = []
    choices = [("authority", "council", [req.authority], project.authorities),
               ("leaflet", "leaflet", [req.leaflet], project.leaflets),
               ("lang", "language", list(req.langs), project.languages),
               ("format", "format", list(req.formats), [f.name for f in project.formats])]
    for key, kind, asked, known in choices:
        if not asked or asked == [""]:
            problems.append((key, f"choose at least one {kind}"))
            continue
        problems += [(key, f"unknown {kind} '{a[:40]}'; choose from: {', '.join(known)}")
                     for a in asked if a not in known]
    for lang in (lang for lang in req.langs if lang in LANGUAGES):
        for fmt in (FORMATS[n] for n in req.formats if n in FORMATS):
            if fmt.unavailable_reason(lang):
                problems.append(("format", f"{fmt.short_description(ProjectConfig())}"
                                 f" cannot be made in {LANGUAGES[lang].english_name}: "
                                 f"{fmt.unavailable_reason(lang)}"))
    if len(req.langs) * len(req.formats) > MAX_FILES:
        problems.append(("format", f"choose at most {MAX_FILES} files (languages × formats) "
                         "in one pack"))
    if problems:
        raise PackError(problems)


def request_from(root: Path, authority: str, leaflet: str, langs: Iterable[str],
                 formats: Iterable[str], family: dict[str, str | None]) -> PackRequest:
    """A checked request from what was typed or chosen; PackError lists every problem."""
    problems: list[tuple[str, str]] = []
    try:
        details = family_from(family)
    except PackError as e:
        details, problems = Family(), e.problems
    req = PackRequest(authority, leaflet, tuple(dict.fromkeys(langs)),
                      tuple(dict.fromkeys(formats)), details)
    try:
        check_request(root, req)
    except PackError as e:
        problems = e.problems + problems
    if problems:
        raise PackError(problems)
    return req


def documents(root: Path, req: PackRequest) -> list[Document]:
    return Project(root).documents(Selection((req.authority,), (req.leaflet,), req.langs))


Renderer = Callable[[Document, str], bytes]


def render_file(root: Path, doc: Document, name: str, config: ProjectConfig | None = None) -> bytes:
    """One file of a pack (config: the project's options, read again when not given). A
    failure is named without its text, which may hold a family's details."""
    try:
        return FORMATS[name].render(doc, templates_folder(root), config or load_config(root, Problems(root)))
    except Exception as e:
        raise PackError([("format", f"the {name} file in {LANGUAGES[doc.lang].english_name} "
                          f"could not be made ({type(e).__name__})")]) from None


def _one_by_one(render: Renderer, jobs: list[tuple[Document, str]]) -> list[bytes]:
    return [render(*job) for job in jobs]


def make_pack(root: Path, req: PackRequest,
              load: Callable[[Path, PackRequest], list[Document]] = documents,
              render_all: Callable[[Renderer, list[tuple[Document, str]]], Iterable[bytes]]
              = _one_by_one) -> bytes:
    """The zip, made in memory. Raises PackError (bad choice) or ContentError (content).
    render_all may render the files side by side (leafgen serve uses its worker processes)."""
    check_request(root, req)
    config = Project(root).config
    by_lang = {d.lang: with_family(d, req.family) for d in load(root, req)}
    jobs = [(by_lang[lang], fmt.name) for lang, fmt in req.files()]
    datas = render_all(lambda doc, name: render_file(root, doc, name, config), jobs)
    files = [PackFile(f"{doc.lang}/{FORMATS[name].file_name(doc.leaflet_id)}", doc, FORMATS[name],
                      data) for (doc, name), data in zip(jobs, datas)]
    return _zip(files, [by_lang[lang] for lang in req.langs], config,
                personal=bool(req.family.values()))


def readme(doc: Document, files: Iterable[PackFile], config: ProjectConfig, personal: bool) -> str:
    """What is in the pack, in the document's language (file names stay as they are)."""
    lines = [doc.title, doc.authority_name, "", doc.label("This pack contains:")]
    for f in files:
        minutes = mp3_minutes(f.data) if f.format.name == "mp3" else "N"
        what = f.format.describe(config, minutes, doc.label, f.doc.lang)
        # a path reads left to right, also in a right-to-left line (LRI ... PDI)
        name = LRI + f.name + PDI if doc.dir == "rtl" else f.name
        lines.append(f"- {name}: {what} ({LANGUAGES[f.doc.lang].native_name})")
    if personal:
        lines += ["", doc.label("Some of these files have your family's details filled in. "
                                "Keep them safe and do not share them.")]
    if doc.notice:
        lines += ["", doc.notice[0]] + (["", doc.notice[1]] if doc.lang != "en" else [])
    if doc.dir == "rtl":
        lines = [rtl_plain(line) for line in lines]
    return "\r\n".join(lines) + "\r\n"  # CRLF: Notepad users open these too


def _zip(files: list[PackFile], docs: list[Document], config: ProjectConfig,
         personal: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        def add(name: str, data: bytes, compress: bool) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
        for doc in docs:
            add(f"README-{doc.lang}.txt", readme(doc, files, config, personal).encode("utf-8"), True)
        for f in files:  # MP3, PDF and DOCX are compressed already
            add(f.name, f.data, f.format.name in ("html", "txt", "brf", "pef"))
    return buffer.getvalue()
